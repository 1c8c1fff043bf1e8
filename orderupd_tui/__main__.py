"""Allow ``python -m orderupd_tui``, the same front door as the console script."""

from orderupd_tui.cli import main

raise SystemExit(main())

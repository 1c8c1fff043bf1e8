"""``python -m orderupd_tui.demo``: run the demo store in the foreground."""

import sys

from orderupd_tui.demo.server import main

sys.exit(main())

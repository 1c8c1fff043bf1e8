"""Unexpected errors: the traceback goes to a log under the state dir, the user gets one line."""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from datetime import UTC, datetime

from orderupd_tui import paths
from orderupd_tui.scrub import scrub


def log_unexpected(secrets: Iterable[str]) -> str:
    """Log the exception being handled, with secrets masked; return the line to show.

    Called from an ``except`` block.  If the log cannot be written the line
    still names the error, so the user is never left with nothing.
    """
    detail = scrub(traceback.format_exc(), secrets)
    last = detail.strip().splitlines()[-1]
    try:
        folder = paths.state_dir()
        folder.mkdir(parents=True, exist_ok=True)
        logfile = folder / "errors.log"
        with logfile.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now(UTC).isoformat()}\n{detail}\n")
    except OSError:
        return f"unexpected error: {last} (the log could not be written)"
    return f"unexpected error: {last} (details in {logfile})"

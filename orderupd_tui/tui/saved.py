"""What the app remembers between runs: the theme last chosen in it.

A small JSON file under the user data dir (``paths.app_state_file``), kept
apart from the user's YAML, which the program never writes.  It is written
atomically (a temporary file in the same folder, fsync, rename), so a crash
mid-write leaves the previous choice, never half a file.  A file that
cannot be read is as good as none: it only ever holds a preference.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def saved_theme(path: Path) -> str | None:
    """The theme saved at ``path``, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) else None


def save_theme(path: Path, theme: str) -> None:
    """Record ``theme`` at ``path`` atomically; raises OSError if the folder cannot be written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".app-state-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"theme": theme}, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

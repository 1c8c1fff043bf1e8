"""Where the program keeps its files, following the platform's conventions (XDG on Linux)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "orderupd-tui"


def config_file() -> Path:
    """The default config file: ``<user config dir>/orderupd-tui/config.yaml``."""
    return Path(platformdirs.user_config_dir(APP, appauthor=False)) / "config.yaml"


def data_dir() -> Path:
    """Databases and ledgers; created on demand by whoever writes there."""
    return Path(platformdirs.user_data_dir(APP, appauthor=False))


def state_dir() -> Path:
    """Logs of unexpected errors, so the user sees one line and the detail is kept."""
    return Path(platformdirs.user_state_dir(APP, appauthor=False))


def app_state_file() -> Path:
    """What the app remembers between runs (the theme chosen in it); never the user's YAML."""
    return data_dir() / "app-state.json"

"""The ``theme:`` key: optional, one of Textual's built-in themes, else exit 2 and one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orderupd_tui.config import ConfigError, load
from orderupd_tui.config_fields import THEMES

EXE = shutil.which("orderupd-tui", path=str(Path(sys.executable).parent))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_theme_is_optional_and_taken_as_written(tmp_path: Path) -> None:
    assert load(write(tmp_path, "stores: []\n")).theme is None
    assert load(write(tmp_path, "theme:\n")).theme is None
    assert load(write(tmp_path, "theme: textual-light\n")).theme == "textual-light"


@pytest.mark.parametrize("value", ["solarised-dark", "5", "[nord]", "''", "Nord"])
def test_an_unknown_theme_names_the_key_and_lists_the_themes(tmp_path: Path,
                                                             value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(write(tmp_path, f"theme: {value}\n"))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("theme: unknown theme ")
    assert message.endswith(f"use one of {', '.join(THEMES)} (config.yaml)")


def test_an_unknown_theme_is_exit_2_from_the_command(tmp_path: Path) -> None:
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    config = write(tmp_path, "stores: []\ntheme: neon\n")
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    proc = subprocess.run([EXE, "--config", str(config), "check-config"], env=env,
                          capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.splitlines() == [
        f"orderupd-tui: theme: unknown theme 'neon': use one of {', '.join(THEMES)} "
        "(config.yaml)"]
    assert proc.stdout == ""

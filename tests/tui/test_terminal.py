"""The real thing: ``orderupd-tui --demo`` in a real terminal (tmux), driven by keystrokes."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: Generous: the demo generates its orders, imports them and posts a few before it opens.
READY = 120.0


@pytest.fixture
def tmux() -> Iterator[Callable[..., str]]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    name = f"orderupd-test-{uuid.uuid4().hex[:8]}"

    def run(*args: str) -> str:
        return subprocess.run(["tmux", *args], check=True, capture_output=True,
                              text=True).stdout

    run.name = name  # type: ignore[attr-defined]
    try:
        yield run
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


def wait_for(check: Callable[[], bool], what: str) -> None:
    """Wait until ``check()`` holds; a generous limit only guards against a hang."""
    deadline = time.monotonic() + READY
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def test_demo_opens_switches_pane_shows_help_closes_it_and_quits(tmux: Callable[..., str],
                                                       tmp_path: Path) -> None:
    name = tmux.name  # type: ignore[attr-defined]
    exit_file = tmp_path / "exit-code"
    env = {"XDG_DATA_HOME": tmp_path / "data", "XDG_STATE_HOME": tmp_path / "state",
           "XDG_CONFIG_HOME": tmp_path / "config", "TERM": "xterm-256color"}
    command = (" ".join(f"{k}={shlex.quote(str(v))}" for k, v in env.items())
               + f" {shlex.quote(sys.executable)} -m orderupd_tui --demo;"
               + f" echo $? > {shlex.quote(str(exit_file))}; sleep 30")
    tmux("new-session", "-d", "-s", name, "-x", "100", "-y", "30", "-c", os.getcwd(),
         command)

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", name)

    wait_for(lambda: "orders shown" in screen() and "Order" in screen(), "the inbox")
    tmux("send-keys", "-t", name, "2")
    wait_for(lambda: "updates shown" in screen(), "the Updates pane")
    tmux("send-keys", "-t", name, "?")
    wait_for(lambda: "Keys" in screen() and "Mark all shown" in screen(), "the help screen")
    tmux("send-keys", "-t", name, "G")
    wait_for(lambda: "unmarks all" in screen(), "the end of the help")
    tmux("send-keys", "-t", name, "q")  # closes the help, back to the pane it was opened on
    wait_for(lambda: "Keys" not in screen() and "updates shown" in screen(), "help to close")
    assert not exit_file.exists()
    tmux("send-keys", "-t", name, "q")
    wait_for(exit_file.exists, "the app to exit")
    assert exit_file.read_text().strip() == "0"

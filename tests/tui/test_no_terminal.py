"""The full-screen app needs a terminal: without one it says so in one line and exits 2.

Run as a user would, through the installed console script, with real
pseudo-terminals (``os.openpty``) standing in for the terminal and
``/dev/null``, pipes or a file for what is not one.  Refusing must happen
before anything starts: the demo's lock is free afterwards, its folder was
never made, and a start under a real terminal then takes the lock, draws
and quits on ``q``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

EXE = shutil.which("orderupd-tui", path=str(Path(sys.executable).parent))
LINE = "orderupd-tui: not a terminal (use ssh -t, or a headless verb)"
#: Refusing is an import and a check: far below this even on a loaded machine, and far
#: below what the demo takes to start (it generates, imports and posts orders first).
PROMPT = 10.0
#: Generous: the demo generates its orders, imports them and posts a few before it draws.
READY = 120.0
#: Escape sequences (CSI, OSC, and two-byte ones), stripped to find the text drawn.
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]*[0-~]")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"), "TERM": "xterm-256color"}


class Pty:
    """A pseudo-terminal of a fixed size; ``text()`` is what was written to it, escapes
    stripped."""

    def __init__(self, columns: int = 100, rows: int = 30) -> None:
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.output = b""

    def read(self, wait: float = 0.2) -> None:
        while select.select([self.master], [], [], wait)[0]:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the other side is closed
                return
            if not chunk:
                return
            self.output += chunk
            wait = 0

    def text(self) -> str:
        return ESCAPES.sub("", self.output.decode("utf-8", "replace")).replace("\r", "")

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@pytest.fixture
def pty() -> Iterator[Pty]:
    opened = Pty()
    yield opened
    opened.close()


def lock_is_free(env: dict[str, str]) -> bool:
    """Whether another start could take the demo's lock (``demo/embedded.py``) right now."""
    path = Path(env["XDG_DATA_HOME"]) / "orderupd-tui" / "demo.lock"
    if not path.exists():
        return True
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
    return True


def refused(args: list[str], env: dict[str, str], *, stdin: int | IO[bytes],
            stdout: int | IO[bytes], stderr: int | IO[bytes]) -> tuple[int, float]:
    """Run the console script; its exit code and how long it took."""
    started = time.monotonic()
    proc = subprocess.run([EXE or "orderupd-tui", *args], env=env, stdin=stdin, stdout=stdout,
                          stderr=stderr, timeout=60)
    return proc.returncode, time.monotonic() - started


def assert_nothing_started(env: dict[str, str]) -> None:
    data = Path(env["XDG_DATA_HOME"]) / "orderupd-tui"
    assert not (data / "demo").exists(), "the demo was started"
    assert not (data / "orders.db").exists(), "a database was opened"
    assert lock_is_free(env)


@pytest.mark.parametrize("args", [["--demo"], []], ids=["demo", "configured"])
def test_ssh_without_t_every_stream_a_pipe(env: dict[str, str], args: list[str]) -> None:
    started = time.monotonic()
    proc = subprocess.run([EXE or "orderupd-tui", *args], env=env, capture_output=True,
                          stdin=subprocess.PIPE, timeout=60)
    assert time.monotonic() - started < PROMPT
    assert proc.returncode == 2
    assert proc.stderr.decode() == LINE + "\n"
    assert proc.stdout == b""  # no escape codes sprayed down the pipe
    assert_nothing_started(env)


def test_stdin_from_dev_null(env: dict[str, str], pty: Pty) -> None:
    with open(os.devnull, "rb") as null:
        code, took = refused(["--demo"], env, stdin=null, stdout=pty.slave, stderr=pty.slave)
    pty.read()
    assert code == 2 and took < PROMPT
    assert pty.text() == LINE + "\n"
    assert_nothing_started(env)


def test_stdout_a_pipe(env: dict[str, str], pty: Pty) -> None:
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as piped:
        with os.fdopen(write_end, "wb") as writer:
            code, took = refused(["--demo"], env, stdin=pty.slave, stdout=writer,
                                 stderr=pty.slave)
        assert piped.read() == b""
    pty.read()
    assert code == 2 and took < PROMPT
    assert pty.text() == LINE + "\n"
    assert_nothing_started(env)


def test_stderr_a_file(env: dict[str, str], pty: Pty, tmp_path: Path) -> None:
    """Textual draws on stderr: a log file there would fill with the screen."""
    log = tmp_path / "err.log"
    with log.open("wb") as err:
        code, took = refused(["--demo"], env, stdin=pty.slave, stdout=pty.slave, stderr=err)
    assert code == 2 and took < PROMPT
    assert log.read_text() == LINE + "\n"
    pty.read()
    assert pty.text() == ""
    assert_nothing_started(env)


def test_headless_verbs_work_without_a_terminal(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"database: sqlite:///{tmp_path / 'orders.db'}\nstores: []\n")
    for verb in (["orders", "--json"], ["updates", "--json"], ["poll", "--json"]):
        proc = subprocess.run([EXE or "orderupd-tui", "--config", str(config), *verb], env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=60)
        assert proc.returncode == 0, (verb, proc.stderr)
        assert "not a terminal" not in proc.stderr
        assert proc.stdout.strip() in ("[]", '{"stores": []}'), proc.stdout


def test_after_a_refusal_a_start_in_a_real_terminal_takes_the_lock_draws_and_quits(
        env: dict[str, str], pty: Pty) -> None:
    with open(os.devnull, "rb") as null:
        code, _ = refused(["--demo"], env, stdin=null, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    assert code == 2
    app = subprocess.Popen([EXE or "orderupd-tui", "--demo"], env=env, stdin=pty.slave,
                           stdout=pty.slave, stderr=pty.slave, start_new_session=True)
    try:
        deadline = time.monotonic() + READY
        while "orders shown" not in pty.text():
            assert app.poll() is None, pty.text()[-2000:]
            assert time.monotonic() < deadline, "gave up waiting for the inbox"
            pty.read()
        assert not lock_is_free(env)  # this start holds it
        os.write(pty.master, b"q")
        deadline = time.monotonic() + 30
        while app.poll() is None:
            assert time.monotonic() < deadline, "q did not quit"
            pty.read()
        assert app.returncode == 0
        assert lock_is_free(env)
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()

"""Run the demo store in its own process, as tests and benchmarks need.

In its own process the server does not share the GIL with the client under
test, so a benchmark measures the client, and a test talks to it exactly as
to a remote shop.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from orderupd_tui.demo.control import DemoControl
from orderupd_tui.stores.demo import DEFAULT_TOKEN, client_options

STARTUP_TIMEOUT = 120.0


@dataclass
class DemoProcess:
    """A running demo store: where it is, the token it takes, and its control client."""

    url: str
    token: str
    control: DemoControl
    process: subprocess.Popen[bytes]
    platform: str = "shopify"

    def client_options(self) -> dict[str, str]:
        """What a connector for this store's platform needs: URL and credentials."""
        return client_options(self.platform, self.url, self.token)


@contextmanager
def spawn_demo_server(orders: int = 1000, platform: str = "shopify", seed: int = 1,
                      rate_limit: bool = True, change_every: float | None = None,
                      extra_args: Sequence[str] = (), *, token: str = DEFAULT_TOKEN,
                      ) -> Iterator[DemoProcess]:
    """Start ``python -m orderupd_tui.demo`` on a free port; stop it on exit.

    Waits for the server's first stdout line (it is listening by then).
    ``extra_args`` go to the command line as they are, e.g.
    ``("--tz-offset", "0", "--bucket-size", "10")``.
    """
    command = [sys.executable, "-m", "orderupd_tui.demo", "--port", "0",
               "--orders", str(orders), "--platform", platform, "--seed", str(seed),
               "--token", token, *extra_args]
    if not rate_limit:
        command.append("--no-rate-limit")
    if change_every is not None:
        command += ["--change-every", str(change_every)]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr,
                                   stdin=subprocess.DEVNULL)
        try:
            url = _listening_url(process, stderr)
            with DemoControl(url) as control:
                yield DemoProcess(url, token, control, process, platform)
        finally:
            _stop(process)


def _listening_url(process: subprocess.Popen[bytes], stderr: IO[bytes]
                   ) -> str:
    """The URL from ``demo store (P) at URL token T``, or an error quoting the server."""
    assert process.stdout is not None
    line = b""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise RuntimeError("the demo store did not start in time")
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                process.wait()
                stderr.seek(0)
                detail = stderr.read().decode(errors="replace").strip().splitlines()
                raise RuntimeError(f"the demo store exited ({process.returncode}): "
                                   f"{detail[-1] if detail else 'no message'}")
            line += chunk
    words = line.decode().split()
    return words[words.index("at") + 1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()

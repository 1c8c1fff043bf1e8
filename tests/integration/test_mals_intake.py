"""Mal's calls read before they are answered, and a killed receiver losing no answered call.

Mal's never resends a call, so whatever the receiver answered 200 must
become an order, and whatever it refused must stay in front of the user.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from orderupd_tui.stores.mals import REJECTED, MalsClient, MalsReceiver

EXE = shutil.which("orderupd-tui", path=str(Path(sys.executable).parent))
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def call(order_id: str, **fields: str) -> dict[str, str]:
    """A remote call with the fields Mal's documents, for a two-line cart."""
    return {"id": order_id, "username": "D1234556", "inv_name": "Zoe Muller",
            "email": "zoe@example.com", "cart": "Tea pot:1:19.99:1:TP1~Cups:2:4.00:1:CU2",
            "subtotal": "27.99", "total": "27.99", "method": "PayPal", **fields}


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[MalsReceiver]:
    with MalsReceiver("127.0.0.1:0", tmp_path / "spool") as running:
        yield running


def test_a_call_that_cannot_become_an_order_is_refused_and_kept(receiver: MalsReceiver) -> None:
    good = httpx.post(receiver.url, data=call("100"))
    assert (good.status_code, good.text.strip()) == (200, "stored: order 100")
    bad_cart = httpx.post(receiver.url, data=call("101", cart="Tea pot:one"))
    assert bad_cart.status_code == 422
    assert bad_cart.text.startswith("refused: Mal's order 101: cart item 'Tea pot:one' is not "
                                    "desc:qty:price:ship_units:scode")
    bad_total = httpx.post(receiver.url, data=call("102", total="ten dollars"))
    assert bad_total.status_code == 422 and "ten dollars" in bad_total.text
    for n in range(5):
        assert httpx.post(receiver.url, data=call(f"2{n:02}")).status_code == 200

    kept = sorted((receiver.spool_dir / REJECTED).iterdir())
    assert len(kept) == 2 and all(p.suffix == ".json" for p in kept)
    pages = list(MalsClient("mals", receiver.spool_dir).changed_since(LONG_AGO))
    read = [r.order.number for p in pages for r in p.orders]
    assert sorted(read) == ["100", "200", "201", "202", "203", "204"]
    unreadable = {u.key: u.error for p in pages for u in p.unreadable}
    assert set(unreadable) == {"101", "102"}
    assert "ten dollars" in unreadable["102"]


def test_a_body_far_too_big_gets_a_readable_413(receiver: MalsReceiver) -> None:
    answer = httpx.post(receiver.url, content=b"x" * (5 << 20),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 413
    assert answer.text.startswith("refused: a remote call is at most 1024 KiB")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_killing_the_receiver_mid_stream_loses_no_answered_call(tmp_path: Path) -> None:
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    port = free_port()
    config = tmp_path / "config.yaml"
    config.write_text(
        "database: sqlite:///orders.db\npoll_interval: 1\n"
        f"stores:\n  - name: mals\n    platform: mals\n    listen: 127.0.0.1:{port}\n"
        "accounting:\n  backend: none\n")
    env = {**os.environ, "ORDERUPD_CONFIG": str(config), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    url = f"http://127.0.0.1:{port}/remote-call"
    answered: list[str] = []
    refused: list[str] = []
    stop = threading.Event()

    def send() -> None:
        with httpx.Client(timeout=5) as client:
            for n in range(10_000):
                if stop.is_set():
                    return
                order_id = f"9{n:05}"
                bad = n % 7 == 3
                try:
                    answer = client.post(url, data=call(order_id, total="ten" if bad else "27.99"))
                except httpx.HTTPError:
                    time.sleep(0.01)
                    continue
                if answer.status_code == 200:
                    answered.append(order_id)
                elif answer.status_code == 422:
                    refused.append(order_id)

    watch = subprocess.Popen([EXE, "poll", "--watch"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, stdin=subprocess.DEVNULL)
    sender = threading.Thread(target=send, daemon=True)
    try:
        assert watch.stdout is not None and "mals:" in watch.stdout.readline()
        sender.start()
        deadline = time.monotonic() + 30
        while len(answered) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(watch.pid, signal.SIGKILL)  # mid-stream: calls are in flight
        watch.wait(timeout=30)
    finally:
        stop.set()
        sender.join(timeout=30)
        if watch.poll() is None:
            watch.kill()
    assert len(answered) >= 40 and refused

    poll = subprocess.run([EXE, "poll", "--json"], env=env, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert poll.returncode == 1  # the refused calls are set aside, so the poll says so
    orders = json.loads(subprocess.run([EXE, "orders", "--json"], env=env, capture_output=True,
                                       text=True, timeout=60).stdout)
    assert set(answered) <= {o["number"] for o in orders}
    errors = json.loads(subprocess.run([EXE, "errors", "--json"], env=env, capture_output=True,
                                       text=True, timeout=60).stdout)
    assert set(refused) <= {e["remote_id"] for e in errors}

"""The app's tests run on a real database filled from the demo store over loopback.

Pilot tests share one demo store process per module and a fresh database
per test; they make the store changes they need through its control API
and poll, exactly as the app does.  Snapshot tests need the same pixels on
every run, so they use their own in-process store with a frozen clock,
and pin every time the database recorded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.config import Settings, parse
from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.services import sync
from orderupd_tui.services.session import Session

#: Every snapshot shows this moment.
FROZEN = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def utc_display(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times are shown in the local zone: make it UTC so runs on any machine agree."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture(autouse=True)
def own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Unexpected-error logs go to a temporary dir, never the tester's own."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with spawn_demo_server(orders=40, seed=3, rate_limit=False) as server:
        yield server


def make_settings(tmp_path: Path, url: str, token: str, **extra: Any) -> Settings:
    data = {
        "database": f"sqlite:///{tmp_path / 'orders.db'}",
        "poll_interval": 0,
        "stores": [{"name": "main", "platform": "shopify", "url": url, "token": token,
                    "since": "2020-01-01"}],
        "accounting": {"backend": "beancount", "path": str(tmp_path / "books.beancount")},
        **extra,
    }
    return parse(data, base=tmp_path, label="test")


@pytest.fixture
def settings(tmp_path: Path, demo: DemoProcess) -> Settings:
    return make_settings(tmp_path, demo.url, demo.token)


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    """A database holding every order of the demo store."""
    with Session(settings, actor="reviewer") as opened:
        results = sync.poll_once(opened)
        assert not results[0].errors, results[0].errors
        yield opened


async def quiet(app: Any) -> None:
    """Until no worker runs.  Not ``workers.wait_for_complete()``: a read replaced by a newer
    one is cancelled, which that call raises as an error."""
    while any(worker.is_running for worker in app.workers):
        await asyncio.sleep(0.005)


def change_orders(demo: DemoProcess, session: Session, kind: str, count: int) -> list[str]:
    """Apply a store change to ``count`` orders and poll: they get pending updates.

    Returns their refs (``main:NUMBER``).
    """
    eligible = demo.control.orders(eligible=kind)
    chosen = eligible[:count]
    assert len(chosen) == count, f"only {len(eligible)} orders can take {kind}"
    for order in chosen:
        demo.control.change(order["id"], kind)
    sync.poll_once(session)
    return [f"main:{order['order_number']}" for order in chosen]


def post_order(session: Session, ref: str) -> str:
    """Post an order to the test ledger; returns its document reference."""
    from orderupd_tui.services import posting

    result = posting.post(session, [ref])
    assert result.outcomes[0].ok, result.summary()
    document = order_state(ref)["accounting"]["ref"]
    assert document
    return str(document)


def post_then_change(demo: DemoProcess, session: Session, kind: str) -> tuple[str, str]:
    """Post an order, then change it in the store and poll: a pending update on a posted order.

    Returns the order's ref and its document.
    """
    order = demo.control.orders(eligible=kind)[0]
    ref = f"main:{order['order_number']}"
    document = post_order(session, ref)
    demo.control.change(order["id"], kind)
    sync.poll_once(session)
    assert order_state(ref)["pending_update"]
    return ref, document


def order_id(ref: str) -> int:
    from orderupd_tui.db.records import find

    return int(find(ref).id)


def order_state(ref: str) -> dict[str, Any]:
    from orderupd_tui.db.records import find
    from orderupd_tui.services.queries import order_json

    return order_json(find(ref), [])

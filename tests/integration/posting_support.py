"""What the posting tests share: sessions with books, orders to post, and reading the results."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from orderupd_tui.db.models import ALL_MODELS, Event, Order, Posting, Update
from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.services import sync
from orderupd_tui.services.session import Session
from tests.accounting.conftest import run_bean_check
from tests.integration.conftest import DEMO_ORDERS

MakeSession = Callable[..., Session]


@contextmanager
def demo_store() -> Iterator[DemoProcess]:
    """The integration tests' demo store, without its rate limit.

    These tests poll the same store dozens of times in a row to get orders
    to post; the store's leaky bucket would make them wait, and the limit is
    the store tests' business, not the books'.
    """
    with spawn_demo_server(orders=DEMO_ORDERS, seed=7, rate_limit=False) as server:
        yield server


def beancount_session(make_session: MakeSession, ledger: Path, **accounting: Any) -> Session:
    return make_session(accounting={"backend": "beancount", "path": str(ledger), **accounting})


def polled(session: Session) -> Session:
    results = sync.poll_once(session)
    assert not results.failed, [r.errors for r in results]
    return session


def ref_of(remote_id: int | str) -> str:
    return f"main:{Order.get(Order.remote_id == str(remote_id)).number}"


def order_of(ref: str) -> Order:
    return Order.get(Order.number == ref.split(":", 1)[1])


def paid_ids(demo: Any, count: int) -> list[int]:
    """Open, paid orders (which a refund can later change): good to post."""
    return [o["id"] for o in demo.control.orders(eligible="refund", limit=count)]


def change_and_poll(demo: Any, session: Session, remote_id: int, kind: str = "refund") -> None:
    demo.control.change(remote_id, kind)
    polled(session)
    assert Order.get(Order.remote_id == str(remote_id)).pending


def postings_of(ref: str) -> list[Posting]:
    return list(Posting.select().where(Posting.order == order_of(ref)).order_by(Posting.id))


def actions_of(ref: str) -> list[str]:
    return [e.action for e in Event.select().where(Event.order == order_of(ref)).order_by(Event.id)]


def pending_update(ref: str) -> Update | None:
    return Update.get_or_none((Update.order == order_of(ref)) & (Update.status == "pending"))


def ledger_text(ledger: Path) -> str:
    return ledger.read_text(encoding="utf-8") if ledger.exists() else ""


def transactions(ledger: Path) -> int:
    """Transactions (postings and voids) in the journal: one ``posting_id`` or ``voids`` each."""
    text = ledger_text(ledger)
    return text.count("\n  posting_id: ") + text.count("\n  voids: ")


def clean(ledger: Path) -> None:
    """The real ``bean-check`` accepts the journal (when one was written)."""
    if ledger.exists():
        run_bean_check(ledger)


def database_text() -> str:
    """Every row of every table as text: what a leaked secret would be found in, on any database."""
    parts = []
    for model in ALL_MODELS:
        for row in model.select().tuples():
            parts.append(" ".join(str(value) for value in row))
    return "\n".join(parts)

"""Posting figures: the posting service end to end, and the books check a poll makes.

Prints one ``name value unit`` line per figure:

- ``posting_beancount_1000``: posting 1,000 demo-store orders to a new
  Beancount journal through :func:`orderupd_tui.services.posting.post`
  (claim, posting row, events, the journal append, the result), on a
  SQLite file (target <= 3 s); the journal must then pass ``bean-check``;
- ``posting_books_check_10000``: the accounting-status check of a poll
  (:func:`orderupd_tui.services.books.check`) over 10,000 posted orders,
  after another writer appended to the journal and voided one of them,
  which raises one update (target <= 1 s of local work);
- ``posting_books_check_10000_cold``: the same check by a process that
  has to read the whole journal once.

Run: ``python bench/bench_posting.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from orderupd_tui.accounting.beancount import BeancountLedger
from orderupd_tui.config import parse
from orderupd_tui.db.models import Order, Posting, Store, Update, utcnow
from orderupd_tui.demo.process import spawn_demo_server
from orderupd_tui.domain.order import LineItem, NormalizedOrder
from orderupd_tui.services import books, posting, sync
from orderupd_tui.services.session import Session

POSTED = 1000
CHECKED = 10_000
_START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


def session_for(folder: Path, stores: list[dict[str, str]]) -> Session:
    settings = parse(
        {"database": "sqlite:///orders.db", "poll_interval": 0, "stores": stores,
         "accounting": {"backend": "beancount", "path": "books/orders.beancount"}},
        base=folder, label="bench")
    return Session(settings, actor="bench")


def bean_check(path: Path) -> None:
    result = subprocess.run([str(Path(sys.executable).parent / "bean-check"), str(path)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"bean-check failed:\n{result.stdout[:2000]}{result.stderr[:2000]}")


def post_demo_orders(folder: Path) -> None:
    with spawn_demo_server(orders=POSTED + 300, rate_limit=False, seed=5) as demo:
        session = session_for(folder, [{"name": "main", "platform": "shopify", "url": demo.url,
                                        "token": demo.token, "since": "2020-01-01"}])
        sync.poll_once(session)
        refs = [f"main:{number}" for (number,) in Order.select(Order.number).where(
            Order.order_status != "cancelled").order_by(Order.id).limit(POSTED).tuples()]
        assert len(refs) == POSTED, len(refs)
        began = time.perf_counter()
        result = posting.post(session, refs)
        seconds = time.perf_counter() - began
        if result.summary() != f"{POSTED} posted":
            sys.exit(f"posting failed: {result.summary()[:500]}")
        print(f"posting_beancount_{POSTED} {seconds:.3f} s", flush=True)
        bean_check(folder / "books" / "orders.beancount")
        session.close()


def synthetic(n: int) -> NormalizedOrder:
    when = _START + timedelta(minutes=7 * n)
    price = Decimal(10 + n % 90)
    return NormalizedOrder(
        remote_id=str(n), number=str(1000 + n), created_at=when, updated_at=when,
        currency="USD", subtotal=price * 2, shipping=Decimal("4.99"), total=price * 2 + 5,
        tax=Decimal("0.01"), payment_status="paid", fulfillment_status="fulfilled",
        customer=f"Customer {n}", line_items=(LineItem("A", "Widget", 2, price, price * 2),))


def check_posted_orders(folder: Path) -> None:
    """10,000 orders posted to a journal, then the check a poll makes, cold and warm."""
    session = session_for(folder, [])
    store = Store.create(name="bench", platform="shopify")
    ledger = BeancountLedger(folder / "books" / "orders.beancount")
    now = utcnow()
    rows, postings = [], []
    for n in range(CHECKED):
        order = synthetic(n)
        ref = f"bench-{n}"
        ledger.post(order, f"bench:{order.number}", ref)
        rows.append({"store": store.id, "remote_id": order.remote_id, "number": order.number,
                     "created_at": order.created_at.replace(tzinfo=None), "updated_at": now,
                     "total": order.total, "currency": "USD", "payment_status": "paid",
                     "fulfillment_status": "fulfilled", "order_status": "open",
                     "data": json.dumps(order.to_dict()), "payload": "{}",
                     "digest": order.digest(), "downloaded_at": now,
                     "accounting_state": "posted", "accounting_ref": ref, "posted_at": now})
    with session.db.atomic():
        for start in range(0, CHECKED, 100):
            Order.insert_many(rows[start:start + 100]).execute()
        ids = [i for (i,) in Order.select(Order.id).order_by(Order.id).tuples()]
        for n, order_id in enumerate(ids):
            postings.append({"posting_id": f"bench-{n}", "order": order_id, "backend": "beancount",
                             "document_ref": f"bench-{n}", "state": "posted",
                             "amount": rows[n]["total"], "currency": "USD", "created_at": now,
                             "posted_at": now})
        for start in range(0, CHECKED, 100):
            Posting.insert_many(postings[start:start + 100]).execute()

    began = time.perf_counter()
    cold = books.check(session)
    print(f"posting_books_check_{CHECKED}_cold {time.perf_counter() - began:.3f} s", flush=True)
    other = BeancountLedger(ledger.path)  # another app posts and voids between two polls
    for n in range(CHECKED, CHECKED + 5):
        other.post(synthetic(n), f"bench:{1000 + n}", f"bench-{n}")
    other.void("bench-42")
    began = time.perf_counter()
    warm = books.check(session)
    print(f"posting_books_check_{CHECKED} {time.perf_counter() - began:.3f} s", flush=True)
    raised = Update.select().where(Update.source == "accounting").count()
    if cold is None or warm is None or cold.changed or warm.changed != 1 or raised != 1:
        sys.exit("the books check read the journal wrong")
    session.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        post_demo_orders(Path(tmp))
    with tempfile.TemporaryDirectory() as tmp:
        check_posted_orders(Path(tmp))


if __name__ == "__main__":
    main()

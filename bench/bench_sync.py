"""Sync speed: initial import, a no-change poll at 20k and 200k stored orders, and batch accept.

``ingest_local_limit`` is what the same machine does with the network taken
away: the pages are fetched first, then timed through JSON decoding,
``normalize``, the digest and the insert, into a database whose inbox
indexes are deferred as a first import's are.  The import's ratio to it
says how much of a first import is ours to win back.

The demo store runs in its own process with its rate limit off (a real
Shopify plan allows 2 requests a second, which would measure Shopify, not
us), serving ~3 KB orders 250 a page.  The database is a SQLite file in a
temporary folder.  Each figure is the median of several runs; prints
``name value unit`` lines.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from orderupd_tui.config import parse
from orderupd_tui.db import bulk
from orderupd_tui.db.models import Order, Store
from orderupd_tui.db.records import insert_orders, order_columns
from orderupd_tui.demo.process import spawn_demo_server
from orderupd_tui.services import sync
from orderupd_tui.services.review import review
from orderupd_tui.services.session import Session
from orderupd_tui.stores.base import read_orders
from orderupd_tui.stores.shopify import normalize


def session_for(url: str, token: str, folder: Path) -> Session:
    settings = parse(
        {"database": "sqlite:///orders.db", "poll_interval": 0,
         "stores": [{"name": "main", "platform": "shopify", "url": url, "token": token,
                     "since": "2020-01-01"}],
         "accounting": {"backend": "none"}},
        base=folder, label="bench")
    return Session(settings)


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def local_limit(demo, folder: Path) -> float:  # type: ignore[no-untyped-def]
    """Orders a second from page bytes to stored rows, with no HTTP in the timing."""
    pages: list[bytes] = []
    with httpx.Client(base_url=demo.url, headers={"X-Shopify-Access-Token": demo.token},
                      timeout=120) as client:
        params: dict[str, object] = {"status": "any", "limit": 250,
                                     "updated_at_min": "2020-01-01T00:00:00+00:00"}
        while True:
            answer = client.get("/admin/api/2025-07/orders.json", params=params)
            pages.append(answer.content)
            following = answer.links.get("next", {}).get("url")
            if not following:
                break
            params = {"limit": 250, "page_info": httpx.URL(following).params["page_info"]}
    session = session_for(demo.url, demo.token, folder)
    store = Store.get(Store.name == "main")
    bulk.defer_indexes(session.db)
    count = 0
    start = time.perf_counter()
    for number, body in enumerate(pages, 1):
        orders, _ = read_orders(orjson.loads(body)["orders"], normalize, page=number)
        with session.db.atomic():
            insert_orders([{**order_columns(r, r.order.digest()), "store": store.id,
                            "remote_id": r.order.remote_id} for r in orders])
        count += len(orders)
    seconds = time.perf_counter() - start
    session.close()
    return count / seconds


def import_and_quiet_polls(orders: int, imports: int, label: str) -> None:
    with spawn_demo_server(orders=orders, rate_limit=False, seed=3) as demo:
        limits = []
        for _ in range(imports):
            with tempfile.TemporaryDirectory() as tmp:
                limits.append(local_limit(demo, Path(tmp)))
        rates = []
        for _ in range(imports):
            with tempfile.TemporaryDirectory() as tmp:
                session = session_for(demo.url, demo.token, Path(tmp))
                seconds = timed(lambda s=session: sync.poll_once(s))
                assert Order.select().count() == orders
                rates.append(orders / seconds)
                if _ == imports - 1:
                    quiet = [timed(lambda s=session: sync.poll_once(s)) for _ in range(7)]
                    print(f"sync_noop_poll_{label} {statistics.median(quiet) * 1000:.1f} ms")
                    if label == "20k":
                        batch_accept(demo, session)
                session.close()
        rate, limit = statistics.median(rates), statistics.median(limits)
        print(f"sync_initial_import_{label} {rate:.0f} orders/s")
        print(f"ingest_local_limit_{label} {limit:.0f} orders/s")
        print(f"sync_import_to_limit_{label} {rate / limit:.2f} ratio")


def batch_accept(demo, session: Session) -> None:  # type: ignore[no-untyped-def]
    ids = [o["id"] for o in demo.control.orders(eligible="edit_note", limit=1000)]
    for order_id in ids:
        demo.control.change(order_id, "edit_note")
    sync.poll_once(session)
    refs = [f"main:{number}" for (number,) in
            Order.select(Order.number).where(Order.pending == True).tuples()]  # noqa: E712
    assert len(refs) == 1000, len(refs)
    start = time.perf_counter()
    result = review(session, refs, "accept")
    seconds = time.perf_counter() - start
    assert result.exit_code == 0, result.summary()
    print(f"sync_accept_1000 {seconds:.2f} s")


def main() -> int:
    print(f"# python {sys.version.split()[0]}; demo store in its own process, SQLite file",
          flush=True)
    import_and_quiet_polls(20_000, imports=3, label="20k")
    import_and_quiet_polls(200_000, imports=1, label="200k")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

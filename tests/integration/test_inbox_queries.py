"""The inbox's windowed queries: keyset pages, positions and filters agree with plain SQL.

Every sort, both directions, and each way a filter can be answered (the
held matches of a rare substring, the walk for a common one, and the
plain scan for one or two characters) must list exactly the rows that a
full ``ORDER BY`` lists, in the same order, whichever way it is paged.
Runs on SQLite, and on PostgreSQL when ``ORDERUPD_TEST_PG_URL`` is set.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from orderupd_tui.db.connection import open_database
from orderupd_tui.db.models import Order, Store, Update, database
from orderupd_tui.services import inbox as inbox_module
from orderupd_tui.services.inbox import ORDER_SORTS, UPDATE_SORTS, Inbox, Listing, View
from orderupd_tui.tui.widgets.columns import order_number

FIRST = ("Ada", "Bea", "Zoë", "Eli", "Jo", "Kim", "Otto")
LAST = ("Smith", "Lee", "Walker", "O'Hara", "Grünewald", "Rivera")


@pytest.fixture
def inbox(db_url: str) -> Any:
    db = open_database(db_url)
    rng = random.Random(4)
    stores = [Store.create(name=name, platform="shopify") for name in ("main", "outlet")]
    start = datetime(2025, 1, 1)
    rows = []
    for i in range(240):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = start + timedelta(hours=rng.randint(0, 2000))  # ties on purpose
        rows.append({
            "store": stores[i % 3 == 0].id, "remote_id": str(i), "number": str(rng.choice(
                (1000 + i, 100 + i, 10000 + i))),
            "created_at": created, "updated_at": created, "customer": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower()}@example.com",
            "total": rng.choice(("10.00", "25.50", "99.99", "10.00")), "currency": "USD",
            "payment_status": rng.choice(("paid", "pending", "refunded")),
            "fulfillment_status": rng.choice(("fulfilled", "unfulfilled")),
            "order_status": "open", "pending": i % 7 == 0,
            "accounting_state": rng.choice(("unposted", "posted")),
            "data": "{}", "payload": "{}", "digest": "0" * 32, "downloaded_at": created,
        })
    Order.insert_many(rows).execute()
    for order in Order.select().where(Order.pending == True):  # noqa: E712 (peewee expression)
        Update.create(order=order, detected_at=start + timedelta(minutes=order.id % 9),
                      kinds="payment_status", status="pending",
                      changes='[{"kind": "payment_status", "field": "payment_status", '
                              '"old": "pending", "new": "paid"}]')
    yield Inbox(db)
    db.close()


def everything(listing: Listing) -> list[int]:
    """The ids a plain, unpaged ORDER BY lists: what paging must reproduce."""
    direction = " DESC" if listing.descending else ""
    order = ", ".join(e + direction for e in listing.key_exprs)
    return [r[0] for r in listing.inbox.rows(
        f"SELECT {listing.id_expr} FROM {listing.from_sql} WHERE {listing.where_sql} "
        f"ORDER BY {order}", listing.params)]


def matching(text: str) -> set[int]:
    """Order ids whose number, customer, email or store contains ``text`` (any case)."""
    text = text.lower()
    return {o.id for o in Order.select(Order, Store).join(Store)
            if any(text in v.lower() for v in (o.number, o.customer, o.email, o.store.name))}


def walk(listing: Listing, page: int) -> tuple[list[int], list[int]]:
    forward: list[Any] = []
    rows = listing.after(None, page)
    while rows:
        forward += rows
        rows = listing.after(rows[-1].key, page)
    backward: list[Any] = []
    rows = listing.before(None, page)
    while rows:
        backward[:0] = rows
        rows = listing.before(rows[0].key, page)
    return [r.id for r in forward], [r.id for r in backward]


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("sort", [s.name for s in ORDER_SORTS])
def test_order_pages_positions_and_jumps_agree_with_order_by(inbox: Inbox, sort: str,
                                                             reverse: bool) -> None:
    listing = inbox.orders(View(sort=sort, reverse=reverse))
    expected = everything(listing)
    assert len(expected) == listing.count() == 240
    forward, backward = walk(listing, 7)
    assert forward == backward == expected
    rows = listing.after(None, 240)
    for position in (0, 1, 57, 119, 120, 200, 239):
        assert listing.position(rows[position].key) == position
        assert listing.position(rows[position].key, near_end=True) == position
        assert [r.id for r in listing.at(position, 5)] == expected[position:position + 5]
    assert listing.find(expected[3]).id == expected[3]
    assert sorted(listing.ids()) == sorted(expected)


@pytest.mark.parametrize("text", ["smith", "SMITH", "o'h", "zoë", "100", "outlet", "e", "zz",
                                  "%", "_"])
@pytest.mark.parametrize("sparse_limit", [1, 10_000])
def test_filters_match_substrings_whichever_way_they_are_answered(
        inbox: Inbox, text: str, sparse_limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbox_module, "FTS_SPARSE_LIMIT", sparse_limit)
    for sort in ("date", "customer"):
        listing = inbox.orders(View(text=text, sort=sort))
        expected = everything(listing)
        assert set(expected) == matching(text)
        assert listing.count() == len(expected)
        forward, backward = walk(listing, 4)
        assert forward == backward == expected
        if expected:
            rows = listing.after(None, len(expected))
            middle = len(rows) // 2
            assert listing.position(rows[middle].key) == middle
            assert [r.id for r in listing.at(middle, 3)] == expected[middle:middle + 3]
        outsiders = [o.id for o in Order.select() if o.id not in expected]
        if outsiders:
            assert listing.find(outsiders[0]) is None
        assert sorted(listing.ids()) == sorted(expected)


# The trigram index is SQLite's FTS5; on PostgreSQL the planner makes this choice itself.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_rare_filter_is_held_and_a_common_one_walked(inbox: Inbox) -> None:
    assert inbox.fts
    assert inbox.orders(View(text="grünewald")).keys is not None
    assert inbox.orders(View(text="a")).keys is None


@pytest.mark.parametrize("sort", [s.name for s in UPDATE_SORTS])
def test_update_pages_agree_with_order_by(inbox: Inbox, sort: str) -> None:
    listing = inbox.updates(View(sort=sort))
    expected = everything(listing)
    assert len(expected) == listing.count() == inbox.pending_count() > 0
    forward, backward = walk(listing, 3)
    assert forward == backward == expected
    first = listing.after(None, 1)[0]
    assert first.summary == "Payment: pending → paid"
    assert listing.find(first.id).order_id == first.order_id


def test_counts_targets_and_positions_of_rows_gone(inbox: Inbox) -> None:
    assert inbox.order_count() == 240
    pending = [o.id for o in Order.select().where(Order.pending == True)]  # noqa: E712
    assert inbox.pending_count() == len(pending)
    targets = inbox.targets([pending[1], pending[0], 999_999])
    assert [t.id for t in targets] == [pending[1], pending[0]]
    assert all(t.pending for t in targets)
    listing = inbox.orders(View())
    rows = listing.after(None, 10)
    Order.delete().where(Order.id == rows[4].id).execute()
    assert inbox.orders(View()).position(rows[4].key) == 4  # where it was: the next row's place


def test_a_cancelled_count_stops(inbox: Inbox) -> None:
    listing = inbox.orders(View(text="e"))
    listing.cancel()
    with pytest.raises(inbox_module.CountCancelled):
        listing.count()
    assert database.obj is not None


def test_orders_sharing_a_number_are_shown_and_targeted_by_their_id(db_url: str) -> None:
    """A store renumbered: two orders ``main:1001``. The inbox names each by its id."""
    db = open_database(db_url)
    try:
        store = Store.create(name="main", platform="woocommerce")
        now = datetime(2026, 11, 20)
        for remote_id, number in (("1", "1001"), ("2", "1001"), ("3", "1002")):
            Order.create(store=store, remote_id=remote_id, number=number, created_at=now,
                         updated_at=now, total="10.00", currency="USD", payment_status="paid",
                         fulfillment_status="unfulfilled", order_status="open", data="{}",
                         payload="{}", digest="0" * 32, downloaded_at=now)
        inbox = Inbox(db)
        rows = {r.id: r for r in inbox.orders(View()).after(None, 10)}
        by_number = {(r.number, r.shared_number) for r in rows.values()}
        assert by_number == {("1001", True), ("1002", False)}
        shared = sorted(r.id for r in rows.values() if r.shared_number)
        assert sorted(r.ref for r in rows.values()) == sorted(
            [str(i) for i in shared] + ["main:1002"])
        assert [t.ref for t in inbox.targets([*shared, *rows])][:2] == [str(i) for i in shared]
        cells = sorted(order_number(r, 9)[0] for r in rows.values())
        assert cells == sorted([f"1001 id {i}" for i in shared] + ["1002"])
    finally:
        db.close()

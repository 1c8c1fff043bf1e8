"""Snapshots of each screen at a fixed size: frozen clock, polling off, no cursor blink.

The database is filled once per module with a fixed set of orders built
from domain objects (not the demo store, whose generated data may change),
written with the same column mapping the sync service uses; every time in
it is the frozen moment or derived from it.
No background work runs (polling and the change watch are off), so every run draws the same.
Run ``pytest tests/tui/test_snapshots.py --snapshot-update`` after an
intended change, and look at the report before committing the SVGs.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from orderupd_tui.config import AccountingSettings, Settings
from orderupd_tui.domain import labels
from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.domain.order import Address, LineItem, NormalizedOrder
from orderupd_tui.services.session import Session
from orderupd_tui.stores.base import RemoteOrder
from orderupd_tui.tui.app import OrderApp
from tests.tui.conftest import FROZEN, make_settings, quiet

WIDE = (120, 36)


NAMES = ("Ada Okafor", "Bruno Sato", "Chloé Varga", "Dmitri Brandt", "Esther Lindqvist",
         "Farid Moreau", "Greta Jovanović", "Hiroshi Rahman", "Ines Duarte", "Jonas Thorne")
ITEMS = (("ATJ-M-SLT", "Alpine Trail Jacket - M / Slate", "189.00"),
         ("MBL-S", "Merino Base Layer - S", "74.50"),
         ("CPO-SND", "Ceramic Pour-Over Set - Sand", "42.00"),
         ("TOTE-BLK", "Canvas Tote - Black", "19.95"))


def fixed_orders() -> list[NormalizedOrder]:
    """Sixty orders, the same on every run: the snapshots must not follow the demo's data."""
    rng = random.Random(11)
    orders = []
    for i in range(60):
        sku, title, price = rng.choice(ITEMS)
        quantity = rng.randint(1, 3)
        subtotal = Decimal(price) * quantity
        created = FROZEN - timedelta(hours=7 * i + rng.randint(0, 5), minutes=rng.randint(0, 59))
        name = rng.choice(NAMES)
        orders.append(NormalizedOrder(
            remote_id=str(6130000000000 + i), number=str(1060 - i), created_at=created,
            updated_at=created, currency="USD", total=subtotal + Decimal("5.99"),
            subtotal=subtotal, shipping=Decimal("5.99"),
            payment_status=rng.choice(("paid", "paid", "authorized", "pending")),
            fulfillment_status=rng.choice(("unfulfilled", "fulfilled")),
            order_status="cancelled" if i in (13, 31) else "open",
            platform_status="paid", customer=name,
            email=name.lower().replace(" ", ".").replace("é", "e").replace("ć", "c")
            + "@example.com",
            line_items=(LineItem(sku, title, quantity, Decimal(price), subtotal),),
            shipping_address=Address(name=name, line1=f"{10 + i} Chestnut Street",
                                     city="Vancouver", region="BC", postal_code="V6B 1A1",
                                     country="Canada")))
    return orders


#: (order index, what changed in the store) for the pending updates.
CHANGES = ((2, {"payment_status": "paid"}),
           (5, {"fulfillment_status": "fulfilled", "payment_status": "paid"}),
           (9, {"note": "Please leave the parcel with the neighbour."}),
           (14, {"order_status": "cancelled", "payment_status": "refunded"}))
#: The order whose update also edits its lines (the detail snapshot's per-line diff).
LINES_CHANGED = 14
#: (order index, document) for the posted orders; 9 also has a pending update.
POSTED = ((1, "INV-0418"), (9, "INV-0412"), (20, "INV-0399"))
#: (order index, document) for a posting a reset detached: unposted here, still in the books.
DETACHED = ((3, "INV-0407"),)


@pytest.fixture(scope="module")
def frozen_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A database of 60 orders, 4 pending updates (one on a posted order), 3 posted orders,
    and one whose posting was detached."""
    from orderupd_tui.db.models import Event, Order, Store, Update
    from orderupd_tui.db.records import order_columns

    folder = tmp_path_factory.mktemp("snapshots")
    settings = make_settings(folder, "http://127.0.0.1:9", "unused",
                             accounting={"backend": "none"})
    stamp = FROZEN.replace(tzinfo=None)
    with Session(settings, actor="reviewer"):
        store = Store.get(Store.name == "main")
        Store.update(last_poll_at=stamp, last_success_at=stamp).execute()
        orders = fixed_orders()
        for order in orders:
            columns = order_columns(RemoteOrder(order, {}), order.digest())
            Order.create(**{**columns, "downloaded_at": stamp}, store=store,
                         remote_id=order.remote_id)
        for index, document in POSTED:
            mark_posted(f"main:{orders[index].number}", document)
        for index, document in DETACHED:
            mark_posted(f"main:{orders[index].number}", document, state="detached")
        for index, edits in CHANGES:
            old = orders[index]
            new = replace(old, **edits, updated_at=FROZEN)
            if index == LINES_CHANGED:
                new = replace(new, line_items=more_of_each(old.line_items))
            changes = diff(old, new)
            row = Order.get(Order.remote_id == old.remote_id)
            Update.create(order=row, detected_at=stamp, source="store",
                          kinds=",".join(kinds_of(changes)),
                          changes=json.dumps([c.to_dict() for c in changes]),
                          new_data=json.dumps(new.to_dict()), new_digest=new.digest(),
                          status="pending")
            Order.update(pending=True).where(Order.id == row.id).execute()
            Event.create(at=stamp, actor="poll", order=row, action="update detected",
                         detail=labels.summary([c.to_dict() for c in changes]))
    yield settings


def more_of_each(lines: tuple[LineItem, ...]) -> tuple[LineItem, ...]:
    """One more of each line, and a tote bag added."""
    more = tuple(replace(li, quantity=li.quantity + 1, total=li.unit_price * (li.quantity + 1))
                 for li in lines)
    return (*more, LineItem("TOTE-BLK", "Canvas Tote - Black", 1, Decimal("19.95"),
                            Decimal("19.95")))


def mark_posted(ref: str, document: str, state: str = "posted") -> None:
    """A posting with a fixed document name, as the books would leave it; a ``detached`` one
    leaves the order unposted (as a reset does)."""
    from orderupd_tui.db.models import Order, Posting
    from orderupd_tui.db.records import find

    order = find(ref)
    stamp = FROZEN.replace(tzinfo=None)
    Posting.create(posting_id=document, order=order, backend="beancount", document_ref=document,
                   state=state, amount=Decimal(order.total), currency=order.currency,
                   created_at=stamp, posted_at=stamp)
    if state == "posted":
        Order.update(accounting_state="posted", accounting_ref=document,
                     posted_at=stamp).where(Order.id == order.id).execute()


@pytest.fixture
def frozen_app(frozen_settings: Settings) -> Iterator[OrderApp]:
    with Session(frozen_settings, actor="reviewer") as session:
        yield OrderApp(session, clock=lambda: FROZEN, cursor_blink=False, watch_every=0)


@pytest.fixture
def posting_app(frozen_settings: Settings, tmp_path: Path) -> Iterator[OrderApp]:
    """The same orders with books to post to (the other snapshots have posting off)."""
    books = AccountingSettings(backend="beancount",
                               options={"path": str(tmp_path / "books.beancount")})
    with Session(replace(frozen_settings, accounting=books), actor="reviewer") as session:
        yield OrderApp(session, clock=lambda: FROZEN, cursor_blink=False, watch_every=0)


async def settled(pilot: Pilot[Any]) -> None:
    await quiet(pilot.app)
    await pilot.pause()


def test_inbox_with_dimmed_and_posted_rows(snap_compare: Any, frozen_app: OrderApp) -> None:
    assert snap_compare(frozen_app, terminal_size=WIDE, run_before=settled)


def test_updates_pane(snap_compare: Any, frozen_app: OrderApp) -> None:
    assert snap_compare(frozen_app, press=["2"], terminal_size=WIDE, run_before=settled)


def test_detail_with_a_diff(snap_compare: Any, frozen_app: OrderApp) -> None:
    assert snap_compare(frozen_app, press=["2", "enter"], terminal_size=WIDE,
                        run_before=settled)


def test_posted_order_confirmation(snap_compare: Any, posting_app: OrderApp) -> None:
    """A posted order's update and a refund-and-cancel: both called out, V and K to choose."""

    async def mark_posted_updates(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("2")
        table = pilot.app.screen_stack[0].pane.table
        for row in table.visible_rows():
            if row.posted or "cancelled" in row.kinds:
                pilot.app.screen_stack[0].marks.add(row.order_id)
        table.refresh()
        pilot.app.screen_stack[0].update_counts()

    assert snap_compare(posting_app, press=["a"], terminal_size=WIDE,
                        run_before=mark_posted_updates)


def test_a_long_confirmation_scrolls(snap_compare: Any, posting_app: OrderApp) -> None:
    """Refresh of all 60 orders: the posted ones and the pending updates it takes come first,
    the list scrolls, and the lines above it and the keys stay in view."""

    async def mark_all_and_refresh(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("asterisk")
        await settled(pilot)
        await pilot.press("r")
        await settled(pilot)

    assert snap_compare(posting_app, terminal_size=WIDE, run_before=mark_all_and_refresh)


def test_posting_confirmation(snap_compare: Any, posting_app: OrderApp) -> None:
    """Two to post, three refused (posted, pending, cancelled), one with a detached document."""
    from orderupd_tui.db.records import find

    async def mark_and_post(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        orders = fixed_orders()
        for index in (0, 1, 2, 3, 4, 13):
            posting_app.screen_stack[0].marks.add(find(f"main:{orders[index].number}").id)
        posting_app.screen_stack[0].pane.table.refresh()
        posting_app.screen_stack[0].update_counts()
        await pilot.press("p")
        await settled(pilot)

    assert snap_compare(posting_app, terminal_size=WIDE, run_before=mark_and_post)


def test_help(snap_compare: Any, frozen_app: OrderApp) -> None:
    assert snap_compare(frozen_app, press=["question_mark"], terminal_size=WIDE,
                        run_before=settled)


def test_the_app_at_80x24(snap_compare: Any, frozen_app: OrderApp) -> None:
    assert snap_compare(frozen_app, terminal_size=(80, 24), run_before=settled)


def test_snapshots_are_kept_with_lf_endings() -> None:
    for svg in (Path(__file__).parent / "__snapshots__").rglob("*.svg"):
        assert b"\r\n" not in svg.read_bytes(), svg

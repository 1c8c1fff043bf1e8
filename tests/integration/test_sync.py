"""Polling the demo store over loopback into a real database (SQLite, and PostgreSQL in CI)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from orderupd_tui.db.models import Event, Order, Store, Update, utcnow
from orderupd_tui.domain.changes import CHANGE_KINDS
from orderupd_tui.services import sync
from orderupd_tui.services.session import Session
from orderupd_tui.stores.shopify import ShopifyClient
from tests.integration.conftest import DEMO_ORDERS

#: What each scripted change must raise (at least), and what it must not.
EXPECTED_KINDS = {
    "capture_payment": {"payment_status"},
    "fulfil": {"fulfillment_status"},
    "cancel": {"cancelled"},
    "refund": {"payment_status", "totals"},
    "edit_address": {"shipping_address"},
    "edit_line": {"line_items", "totals"},
    "edit_note": {"note"},
}


def pending_update(session: Session, remote_id: int) -> Update | None:
    order = Order.get(Order.remote_id == str(remote_id))
    return Update.get_or_none((Update.order == order) & (Update.status == "pending"))


def change(demo, kind: str) -> int:
    """Apply ``kind`` to an order the store allows it on; returns the order's id."""
    order_id = demo.control.orders(eligible=kind, limit=1)[0]["id"]
    demo.control.change(order_id, kind)
    return order_id


def test_first_import_spans_pages_and_a_quiet_poll_raises_nothing(make_session, demo):
    session = make_session()
    pages = []
    (result,) = sync.poll_once(session, progress=lambda s, p, n: pages.append(p))
    assert result.errors == []
    assert result.new == Order.select().count() >= DEMO_ORDERS
    assert max(pages) >= 3
    assert result.cursor is not None
    stored = Store.get(Store.name == "main")
    assert stored.cursor is not None and stored.last_error is None and stored.lease_owner is None

    (again,) = sync.poll_once(session)
    assert (again.new, again.updated, again.errors) == (0, 0, [])
    assert Update.select().count() == 0


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_each_scripted_change_raises_its_kinds(make_session, demo, kind):
    session = make_session()
    sync.poll_once(session)
    order_id = change(demo, kind)
    (result,) = sync.poll_once(session)
    assert result.updated == 1 and result.new == 0
    update = pending_update(session, order_id)
    assert update is not None
    kinds = set(update.kinds.split(","))
    assert EXPECTED_KINDS[kind] <= kinds <= set(CHANGE_KINDS)
    assert Order.get(Order.remote_id == str(order_id)).pending
    changes = json.loads(update.changes)
    assert all(c["old"] != c["new"] for c in changes)


def test_a_touch_without_content_change_raises_nothing(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    order_id = change(demo, "touch")
    sync.poll_once(session)
    assert pending_update(session, order_id) is None


def test_undetected_kinds_are_applied_silently(make_session, demo):
    session = make_session(updates={"detect": ["payment_status"]})
    sync.poll_once(session)
    order_id = change(demo, "edit_note")
    sync.poll_once(session)
    assert pending_update(session, order_id) is None
    store_note = demo.control.order(order_id)["note"]
    local = json.loads(Order.get(Order.remote_id == str(order_id)).data)
    assert local["note"] == store_note


def test_a_further_change_merges_into_the_pending_update(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    order_id = demo.control.orders(eligible="capture_payment", limit=1)[0]["id"]
    demo.control.change(order_id, "capture_payment")
    sync.poll_once(session)
    demo.control.change(order_id, "edit_note")
    sync.poll_once(session)
    updates = list(Update.select().join(Order).where(Order.remote_id == str(order_id)))
    assert len(updates) == 1
    assert {"payment_status", "note"} <= set(updates[0].kinds.split(","))


def test_rules_resolve_automatically_and_leave_posted_orders_alone(make_session, demo):
    rules = [{"when": {"kinds": ["note"]}, "action": "accept"}]
    session = make_session(updates={"rules": rules})
    sync.poll_once(session)
    first, second = demo.control.orders(eligible="edit_note", limit=2)
    Order.update(accounting_state="posted", accounting_ref="txn-1").where(
        Order.remote_id == str(second["id"])).execute()
    demo.control.change(first["id"], "edit_note")
    demo.control.change(second["id"], "edit_note")
    sync.poll_once(session)
    assert pending_update(session, first["id"]) is None
    accepted = Update.get(Update.order == Order.get(Order.remote_id == str(first["id"])))
    assert (accepted.status, accepted.resolved_by) == ("accepted", "rule:0")
    assert pending_update(session, second["id"]) is not None


def test_a_late_commit_with_an_earlier_timestamp_is_still_seen(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    cursor = Store.get(Store.name == "main").cursor
    order_id = demo.control.orders(eligible="edit_note", limit=1)[0]["id"]
    late = cursor + timedelta(seconds=1)
    demo.control.change(order_id, "edit_note", updated_at=late.isoformat() + "+00:00")
    sync.poll_once(session)
    assert pending_update(session, order_id) is not None


def test_rate_limit_and_server_errors_are_retried(make_session, demo):
    session = make_session()
    demo.control.fault(429, retry_after=0.5)
    demo.control.fault(500)
    (result,) = sync.poll_once(session)
    assert result.errors == [] and result.new >= DEMO_ORDERS
    stats = demo.control.stats()
    assert stats["faults_applied"] == 2
    assert stats["by_status"].get("429", 0) >= 1 and stats["by_status"].get("500") == 1


@pytest.mark.parametrize("body", ["malformed", "html"])
def test_a_broken_page_mid_poll_keeps_the_cursor_and_the_next_poll_catches_up(
    make_session, demo, body
):
    session = make_session()
    sync.poll_once(session)
    cursor = Store.get(Store.name == "main").cursor
    ids = [o["id"] for o in demo.control.orders(eligible="edit_note", limit=3)]
    for order_id in ids:
        demo.control.change(order_id, "edit_note")
    small_pages = Session(session.settings, make_client=lambda s: ShopifyClient(
        s.name, s.options["url"], s.options["token"], page_size=2))
    try:
        demo.control.fault(200 if body == "malformed" else 502, body=body, count=5, after=1)
        (result,) = sync.poll_once(small_pages)
        assert result.errors and "main" in result.errors[0]
        store = Store.get(Store.name == "main")
        assert store.cursor == cursor and store.last_error == result.errors[0]
        demo.control.clear_faults()
        (result,) = sync.poll_once(small_pages)
        assert result.errors == []
    finally:
        small_pages.close()
    assert all(pending_update(session, i) is not None for i in ids)


def test_a_wrong_token_is_a_clear_error(make_session, demo):
    session = make_session(stores=[{"name": "main", "platform": "shopify", "url": demo.url,
                                    "token": "wrong-token"}])
    (result,) = sync.poll_once(session)
    assert len(result.errors) == 1
    assert "access denied" in result.errors[0] and "wrong-token" not in result.errors[0]
    assert Order.select().count() == 0


def test_a_failing_store_does_not_stop_the_others(make_session, demo):
    broken = {"name": "gone", "platform": "shopify", "url": "http://127.0.0.1:9",
              "token": "x"}
    session = make_session(stores=[
        broken,
        {"name": "main", "platform": "shopify", "url": demo.url, "token": demo.token},
    ])
    gone, main = sync.poll_once(session)
    assert gone.errors and not main.errors and main.new >= DEMO_ORDERS


def test_a_second_process_cannot_poll_a_leased_store(make_session, demo):
    session = make_session()
    until = utcnow().replace(microsecond=0) + timedelta(minutes=5)
    Store.update(lease_owner="elsewhere:1", lease_until=until).where(
        Store.name == "main").execute()
    (result,) = sync.poll_once(session)
    assert result.errors == [f"store 'main' is being polled by elsewhere (pid 1) until "
                             f"{until:%Y-%m-%dT%H:%M:%SZ}; this poll of it was skipped"]
    assert Order.select().count() == 0


def test_every_poll_writes_no_event_for_unchanged_orders(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    sync.poll_once(session)
    assert Event.select().count() == 0


def test_a_change_the_store_undid_is_withdrawn(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    order_id = demo.control.orders(eligible="touch", limit=1)[0]["id"]
    order = Order.get(Order.remote_id == str(order_id))
    Update.create(order=order, detected_at=utcnow(), kinds="note", new_digest="elsewhere",
                  changes=json.dumps([{"kind": "note", "field": "note", "old": "", "new": "x"}]))
    Order.update(pending=True).where(Order.id == order.id).execute()
    demo.control.change(order_id, "touch")
    sync.poll_once(session)
    update = Update.get(Update.order == order)
    assert (update.status, update.resolved_by) == ("ignored", "poll")
    assert not Order.get_by_id(order.id).pending
    assert Event.get((Event.order == order) & (Event.action == "update withdrawn"))


def test_the_cursor_keeps_the_margin_behind_the_clock_or_the_newest_change():
    clock = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    older = clock - timedelta(hours=1)
    assert sync.next_cursor(None, clock, clock) == clock - sync.SAFETY_MARGIN
    assert sync.next_cursor(None, older, clock) == older
    assert sync.next_cursor(None, clock, None) == clock - sync.SAFETY_MARGIN
    assert sync.next_cursor(clock, older, clock) == clock  # never backwards
    assert sync.next_cursor(older, None, None) == older


def _inbox_indexes(session: Session) -> set[str]:
    from orderupd_tui.db import bulk

    return bulk._index_names(session.db)


def test_a_first_import_ends_with_every_inbox_index_in_place(make_session, demo):
    session = make_session()
    wanted = _inbox_indexes(session)
    (result,) = sync.poll_once(session)
    assert result.new >= DEMO_ORDERS
    assert _inbox_indexes(session) == wanted
    if session.db.__class__.__name__ == "SqliteDatabase":  # the filter's substring index
        (indexed,) = session.db.execute_sql("SELECT count(*) FROM orders_fts").fetchone()
        assert indexed == Order.select().count()
        (trigger,) = session.db.execute_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'orders_fts_insert'").fetchone()
        assert trigger == 1


def test_indexes_a_killed_first_import_left_dropped_are_back_at_the_next_open(make_session):
    from orderupd_tui.db import bulk

    session = make_session()
    wanted = _inbox_indexes(session)
    assert bulk.defer_indexes(session.db)  # what a first import does, then the process dies
    assert not wanted <= _inbox_indexes(session)
    session.close()
    again = make_session()
    assert _inbox_indexes(again) == wanted

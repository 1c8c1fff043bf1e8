"""Accept, ignore, cancel and refresh against the demo store, following DESIGN §3 exactly."""

from __future__ import annotations

import json

from orderupd_tui.db.models import Event, Order, Posting, Update, utcnow
from orderupd_tui.services import sync
from orderupd_tui.services.review import FAILED, OK, REFUSED, USAGE, review
from orderupd_tui.services.session import os_user
from orderupd_tui.stores.shopify import normalize


def ref_of(remote_id: int) -> str:
    return f"main:{Order.get(Order.remote_id == str(remote_id)).number}"


def changed(demo, session, kind: str, count: int = 1) -> list[int]:
    """Change ``count`` orders in the store and poll, so each has a pending update."""
    ids = [o["id"] for o in demo.control.orders(eligible=kind, limit=count)]
    for order_id in ids:
        demo.control.change(order_id, kind)
    sync.poll_once(session)
    return ids


def post(remote_id: int, document: str = "txn-42") -> Order:
    """Mark an order posted the way the posting service will (rows made directly for now)."""
    order = Order.get(Order.remote_id == str(remote_id))
    Posting.create(posting_id=f"p-{remote_id}", order=order, backend="beancount",
                   document_ref=document, state="posted", amount=order.total,
                   currency=order.currency, created_at=utcnow(), posted_at=utcnow())
    Order.update(accounting_state="posted", accounting_ref=document, posted_at=utcnow()).where(
        Order.id == order.id).execute()
    return order


def test_accept_replaces_the_copy_and_resolves_in_one_go(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    (order_id,) = changed(demo, session, "capture_payment")
    result = review(session, [ref_of(order_id)], "accept")
    assert result.exit_code == OK and result.summary() == "1 accepted"
    order = Order.get(Order.remote_id == str(order_id))
    assert json.loads(order.data) == normalize(demo.control.order(order_id)).to_dict()
    assert order.payment_status == "paid" and not order.pending
    update = Update.get(Update.order == order)
    assert (update.status, update.resolved_by) == ("accepted", os_user())
    assert Event.get((Event.order == order) & (Event.action == "accept")).actor == os_user()


def test_ignore_remembers_the_change_but_not_a_later_one(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    (order_id,) = changed(demo, session, "edit_note")
    assert review(session, [ref_of(order_id)], "ignore", reason="noise").exit_code == OK
    demo.control.change(order_id, "touch")
    sync.poll_once(session)
    order = Order.get(Order.remote_id == str(order_id))
    assert not order.pending
    demo.control.change(order_id, "edit_address")
    sync.poll_once(session)
    pending = Update.get((Update.order == order) & (Update.status == "pending"))
    assert "shipping_address" in pending.kinds
    assert Update.get((Update.order == order) & (Update.status == "ignored")).reason == "noise"


def test_cancel_marks_the_order_cancelled_locally(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    (order_id,) = changed(demo, session, "edit_line")
    assert review(session, [ref_of(order_id)], "cancel").exit_code == OK
    order = Order.get(Order.remote_id == str(order_id))
    assert order.local_status == "cancelled" and not order.pending
    assert Update.get(Update.order == order).status == "cancelled"


def test_a_posted_order_is_refused_without_yes_and_detached_with_keep(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    (order_id,) = changed(demo, session, "refund")
    order = post(order_id)
    refused = review(session, [ref_of(order_id)], "accept")
    assert refused.exit_code == REFUSED
    assert "posted as txn-42" in refused.outcomes[0].message
    asked = review(session, [ref_of(order_id)], "accept", confirmed=True)
    assert asked.exit_code == REFUSED and "--void" in asked.outcomes[0].message
    assert Order.get_by_id(order.id).accounting_state == "posted"

    done = review(session, [ref_of(order_id)], "accept", confirmed=True, reset="keep")
    assert done.exit_code == OK
    order = Order.get_by_id(order.id)
    assert (order.accounting_state, order.accounting_ref) == ("unposted", None)
    posting = Posting.get(Posting.order == order)
    assert (posting.state, posting.document_ref) == ("detached", "txn-42")
    assert Event.get((Event.order == order) & (Event.action == "posting detached")).detail == (
        "txn-42")


def test_refresh_needs_no_update_and_keeps_the_copy_when_the_store_lost_it(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    keep_id, gone_id = (o["id"] for o in demo.control.orders(eligible="edit_note", limit=2))
    before = Order.get(Order.remote_id == str(gone_id)).data
    demo.control.change(keep_id, "edit_note")
    demo.control.delete(gone_id)
    result = review(session, [ref_of(keep_id), ref_of(gone_id)], "refresh")
    assert result.exit_code == FAILED
    assert result.summary().startswith("1 refreshed, 1 failed: main:")
    assert "no longer has this order" in result.summary()
    assert Order.get(Order.remote_id == str(gone_id)).data == before
    refreshed = Order.get(Order.remote_id == str(keep_id))
    assert json.loads(refreshed.data)["note"] == demo.control.order(keep_id)["note"]


def test_batches_report_each_order_and_unknown_refs(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    ids = changed(demo, session, "fulfil", count=3)
    quiet = Order.select().where(Order.pending == False).first()  # noqa: E712
    refs = [ref_of(i) for i in ids] + [f"main:{quiet.number}", "main:nope", "junk"]
    result = review(session, refs, "accept")
    codes = [o.code for o in result.outcomes]
    assert codes.count(OK) == 3 and codes.count(USAGE) == 3  # nothing to do, and two unknown
    assert result.exit_code == USAGE
    assert Update.select().where(Update.status == "pending").count() == 0


def test_accept_changes_nothing_when_the_store_is_unreachable(make_session, demo):
    session = make_session()
    sync.poll_once(session)
    (order_id,) = changed(demo, session, "capture_payment")
    demo.control.fault(503, count=10)
    result = review(session, [ref_of(order_id)], "accept")
    demo.control.clear_faults()
    assert result.exit_code == FAILED
    order = Order.get(Order.remote_id == str(order_id))
    assert order.pending and order.payment_status != "paid"
    assert "503" in result.outcomes[0].message
    assert Update.get(Update.order == order).status == "pending"

"""Posting demo-store orders to a Beancount journal through the service, on both databases.

Every test that writes the journal checks it with the real ``bean-check``
after each step, since the journal is what an accountant opens.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderupd_tui.accounting.beancount import BeancountLedger
from orderupd_tui.db.models import Event, Order, Posting, Update
from orderupd_tui.demo.process import DemoProcess
from orderupd_tui.services import posting, sync
from orderupd_tui.services.review import FAILED, OK, REFUSED, USAGE, review
from orderupd_tui.services.session import os_user
from tests.integration.posting_support import (
    actions_of,
    beancount_session,
    change_and_poll,
    clean,
    demo_store,
    ledger_text,
    order_of,
    paid_ids,
    pending_update,
    polled,
    postings_of,
    ref_of,
    transactions,
)


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with demo_store() as server:
        yield server


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "books" / "orders.beancount"


def test_post_writes_the_posting_then_a_second_post_is_refused(make_session, demo, ledger):
    session = polled(beancount_session(make_session, ledger))
    ref = ref_of(paid_ids(demo, 1)[0])

    result = posting.post(session, [ref])
    assert (result.exit_code, result.summary()) == (OK, "1 posted")
    order = order_of(ref)
    (row,) = postings_of(ref)
    assert (row.state, row.backend, row.document_ref) == ("posted", "beancount", row.posting_id)
    assert (order.accounting_state, order.accounting_ref) == ("posted", row.posting_id)
    assert order.posted_at is not None and row.amount == order.total
    assert actions_of(ref) == ["posting started", "posted"]
    assert {e.actor for e in Event.select().where(Event.order == order)} == {os_user()}
    assert f'posting_id: "{row.posting_id}"' in ledger_text(ledger)
    assert f'order_ref: "{ref}"' in ledger_text(ledger)
    clean(ledger)

    again = posting.post(session, [ref])
    assert again.exit_code == REFUSED
    assert again.summary() == f"0 posted, 1 failed: {ref} is already posted as {row.posting_id}"
    assert transactions(ledger) == 1 and len(postings_of(ref)) == 1
    clean(ledger)


def test_pending_cancelled_and_unknown_orders_are_refused_each_by_name(make_session, demo,
                                                                       ledger):
    session = polled(beancount_session(make_session, ledger))
    good, changed, cancelled = (ref_of(i) for i in paid_ids(demo, 3))
    change_and_poll(demo, session, int(order_of(changed).remote_id))
    Order.update(local_status="cancelled").where(Order.id == order_of(cancelled).id).execute()

    result = posting.post(session, [good, changed, cancelled, "main:nope"])
    codes = {o.ref: o.code for o in result.outcomes}
    assert codes == {good: OK, changed: REFUSED, cancelled: REFUSED, "main:nope": USAGE}
    assert result.exit_code == REFUSED
    summary = result.summary()
    assert summary.startswith(f"1 posted, 3 failed: {changed} has a pending update")
    assert f"{cancelled} is cancelled" in summary and "main:nope: no such order" in summary
    assert Posting.select().count() == 1 and transactions(ledger) == 1
    clean(ledger)


def test_a_store_cancelled_order_is_refused_too(make_session, demo, ledger):
    session = polled(beancount_session(make_session, ledger))
    remote_id = demo.control.orders(eligible="cancel", limit=1)[0]["id"]
    ref = ref_of(remote_id)
    demo.control.change(remote_id, "cancel")
    polled(session)
    assert review(session, [ref], "accept").exit_code == OK
    refused = posting.post(session, [ref])
    assert refused.exit_code == REFUSED and "is cancelled" in refused.outcomes[0].message
    assert not ledger.exists()


@pytest.mark.parametrize("action", ["accept", "refresh"])
def test_keep_detaches_and_a_repost_needs_force(make_session, demo, ledger, action):
    session = polled(beancount_session(make_session, ledger, on_reset="keep"))
    remote_id = paid_ids(demo, 1)[0]
    ref = ref_of(remote_id)
    assert posting.post(session, [ref]).exit_code == OK
    first = order_of(ref).accounting_ref
    if action == "accept":
        change_and_poll(demo, session, remote_id)

    refused = review(session, [ref], action)
    assert refused.exit_code == REFUSED and first in refused.outcomes[0].message
    done = review(session, [ref], action, confirmed=True, void=posting.void_in_books)
    assert done.exit_code == OK
    (row,) = postings_of(ref)
    assert row.state == "detached" and order_of(ref).accounting_state == "unposted"
    assert transactions(ledger) == 1  # kept: the transaction stays in the books
    clean(ledger)

    repost = posting.post(session, [ref])
    assert repost.exit_code == REFUSED
    assert f"earlier posting {first} that was detached" in repost.outcomes[0].message
    assert "--force" in repost.outcomes[0].message
    forced = posting.post(session, [ref], force=True)
    assert forced.exit_code == OK
    assert [p.state for p in postings_of(ref)] == ["detached", "posted"]
    assert "repost forced" in actions_of(ref)
    event = Event.get((Event.order == order_of(ref)) & (Event.action == "repost forced"))
    assert first in event.detail and event.actor == os_user()
    assert transactions(ledger) == 2
    clean(ledger)


@pytest.mark.parametrize("action", ["accept", "refresh"])
def test_void_appends_a_reversing_entry_before_the_reset(make_session, demo, ledger, action):
    session = polled(beancount_session(make_session, ledger, on_reset="void"))
    remote_id = paid_ids(demo, 1)[0]
    ref = ref_of(remote_id)
    assert posting.post(session, [ref]).exit_code == OK
    document = order_of(ref).accounting_ref
    if action == "accept":
        change_and_poll(demo, session, remote_id)

    done = review(session, [ref], action, confirmed=True, void=posting.void_in_books)
    assert done.exit_code == OK, done.summary()
    (row,) = postings_of(ref)
    assert row.state == "voided" and order_of(ref).accounting_state == "unposted"
    text = ledger_text(ledger)
    assert f'voids: "{document}"' in text and text.count(f"^posting-{document}") == 2
    assert transactions(ledger) == 2
    assert BeancountLedger(ledger).status(document) == "voided"
    assert {"voided in the books", "posting voided"} <= set(actions_of(ref))
    clean(ledger)

    assert posting.post(session, [ref]).exit_code == OK  # a voided posting does not block
    clean(ledger)


@pytest.mark.parametrize("action", ["accept", "refresh"])
def test_ask_needs_yes_and_a_choice(make_session, demo, ledger, action):
    session = polled(beancount_session(make_session, ledger, on_reset="ask"))
    first, second = paid_ids(demo, 2)
    refs = [ref_of(first), ref_of(second)]
    assert posting.post(session, refs).summary() == "2 posted"
    if action == "accept":
        for remote_id in (first, second):
            change_and_poll(demo, session, remote_id)

    unconfirmed = review(session, refs, action, void=posting.void_in_books)
    assert unconfirmed.exit_code == REFUSED and "--yes" in unconfirmed.outcomes[0].message
    undecided = review(session, refs, action, confirmed=True, void=posting.void_in_books)
    assert undecided.exit_code == REFUSED and "--void" in undecided.outcomes[0].message
    assert {order_of(r).accounting_state for r in refs} == {"posted"}
    clean(ledger)

    voided = review(session, refs[:1], action, confirmed=True, reset="void",
                    void=posting.void_in_books)
    kept = review(session, refs[1:], action, confirmed=True, reset="keep",
                  void=posting.void_in_books)
    assert (voided.exit_code, kept.exit_code) == (OK, OK)
    assert [p.state for p in postings_of(refs[0])] == ["voided"]
    assert [p.state for p in postings_of(refs[1])] == ["detached"]
    assert transactions(ledger) == 3
    clean(ledger)


def test_cancel_of_a_posted_order_voids_under_void(make_session, demo, ledger):
    session = polled(beancount_session(make_session, ledger, on_reset="void"))
    remote_id = paid_ids(demo, 1)[0]
    ref = ref_of(remote_id)
    posting.post(session, [ref])
    change_and_poll(demo, session, remote_id)
    assert review(session, [ref], "cancel", confirmed=True,
                  void=posting.void_in_books).exit_code == OK
    order = order_of(ref)
    assert (order.local_status, order.accounting_state) == ("cancelled", "unposted")
    assert postings_of(ref)[0].state == "voided" and transactions(ledger) == 2
    assert posting.post(session, [ref]).exit_code == REFUSED
    clean(ledger)


def test_a_failed_void_changes_nothing(make_session, demo, ledger):
    """The document is gone from the journal: voiding fails, so the accept does not go ahead."""
    session = polled(beancount_session(make_session, ledger, on_reset="void"))
    remote_id = paid_ids(demo, 1)[0]
    ref = ref_of(remote_id)
    posting.post(session, [ref])
    change_and_poll(demo, session, remote_id)
    ledger.write_text(_without_transaction(ledger_text(ledger), order_of(ref).accounting_ref))
    clean(ledger)

    result = review(session, [ref], "accept", confirmed=True, void=posting.void_in_books)
    assert result.exit_code == FAILED
    assert "could not void the document" in result.outcomes[0].message
    assert order_of(ref).accounting_state == "posted" and postings_of(ref)[0].state == "posted"
    assert pending_update(ref) is not None and pending_update(ref).source == "store"


def test_a_transaction_deleted_by_hand_raises_an_accounting_update(make_session, demo, ledger):
    session = polled(beancount_session(make_session, ledger))
    kept_ref, gone_ref = (ref_of(i) for i in paid_ids(demo, 2))
    posting.post(session, [kept_ref, gone_ref])
    gone = order_of(gone_ref).accounting_ref
    ledger.write_text(_without_transaction(ledger_text(ledger), gone))
    clean(ledger)

    results = sync.poll_once(session)
    assert results.books is not None and results.books.changed == 1 and not results.failed
    update = pending_update(gone_ref)
    assert update is not None
    assert (update.source, update.kinds) == ("accounting", "accounting_status")
    assert json.loads(update.changes) == [{"kind": "accounting_status",
                                           "field": "accounting_status", "old": "posted",
                                           "new": "missing"}]
    assert order_of(gone_ref).pending and pending_update(kept_ref) is None
    assert "has a pending update" in posting.post(session, [gone_ref]).outcomes[0].message
    sync.poll_once(session)
    assert Update.select().where(Update.source == "accounting").count() == 1  # raised once

    accepted = review(session, [gone_ref], "accept")  # no --yes: it records what the books did
    assert accepted.exit_code == OK, accepted.summary()
    order = order_of(gone_ref)
    assert (order.accounting_state, order.accounting_ref, order.pending) == ("unposted", None,
                                                                              False)
    assert [p.state for p in postings_of(gone_ref)] == ["missing"]
    assert posting.post(session, [gone_ref]).exit_code == OK  # not detached: no guard
    clean(ledger)


def test_a_void_made_in_the_journal_is_seen_and_can_be_ignored_once(make_session, demo,
                                                                    ledger):
    session = polled(beancount_session(make_session, ledger))
    ref = ref_of(paid_ids(demo, 1)[0])
    posting.post(session, [ref])
    document = order_of(ref).accounting_ref
    BeancountLedger(ledger).void(document)  # another program, or a person, voids it there
    clean(ledger)

    sync.poll_once(session)
    update = pending_update(ref)
    assert update is not None and json.loads(update.changes)[0]["new"] == "voided"
    assert review(session, [ref], "ignore", reason="voided on purpose").exit_code == OK
    assert order_of(ref).accounting_state == "posted" and order_of(ref).ignored_digest is None
    sync.poll_once(session)
    assert pending_update(ref) is None  # the same change is not raised again


def test_a_detached_document_voided_in_the_books_no_longer_blocks_a_repost(make_session, demo,
                                                                          ledger):
    session = polled(beancount_session(make_session, ledger, on_reset="keep"))
    ref = ref_of(paid_ids(demo, 1)[0])
    posting.post(session, [ref])
    document = order_of(ref).accounting_ref
    review(session, [ref], "refresh", confirmed=True)
    assert posting.post(session, [ref]).exit_code == REFUSED
    BeancountLedger(ledger).void(document)

    results = sync.poll_once(session)
    assert results.books is not None and results.books.released == 1
    assert pending_update(ref) is None  # nothing for a reviewer to decide
    assert [p.state for p in postings_of(ref)] == ["voided"]
    assert posting.post(session, [ref]).exit_code == OK
    clean(ledger)


def test_an_undetected_accounting_change_is_recorded_silently(make_session, demo, ledger):
    session = polled(make_session(accounting={"backend": "beancount", "path": str(ledger)},
                                  updates={"detect": ["payment_status"]}))
    ref = ref_of(paid_ids(demo, 1)[0])
    posting.post(session, [ref])
    BeancountLedger(ledger).void(order_of(ref).accounting_ref)
    sync.poll_once(session)
    assert pending_update(ref) is None
    assert order_of(ref).accounting_state == "unposted"
    assert [p.state for p in postings_of(ref)] == ["voided"]
    assert "accounting changed" in actions_of(ref)


def test_a_rule_may_accept_accounting_changes(make_session, demo, ledger):
    session = polled(make_session(
        accounting={"backend": "beancount", "path": str(ledger)},
        updates={"rules": [{"when": {"kinds": ["accounting_status"], "posted": True},
                            "action": "accept"}]}))
    ref = ref_of(paid_ids(demo, 1)[0])
    posting.post(session, [ref])
    BeancountLedger(ledger).void(order_of(ref).accounting_ref)
    sync.poll_once(session)
    update = Update.get(Update.order == order_of(ref))
    assert (update.status, update.resolved_by) == ("accepted", "rule:0")
    assert order_of(ref).accounting_state == "unposted"


def test_a_batch_reports_each_order(make_session, demo, ledger):
    session = polled(beancount_session(make_session, ledger))
    refs = [ref_of(i) for i in paid_ids(demo, 4)]
    posting.post(session, refs[:1])
    seen = []
    result = posting.post(session, refs, progress=lambda done, total: seen.append((done, total)))
    assert result.summary() == (f"3 posted, 1 failed: {refs[0]} is already posted as "
                                f"{order_of(refs[0]).accounting_ref}")
    assert seen[-1] == (4, 4)
    assert transactions(ledger) == 4
    clean(ledger)


def test_an_order_named_twice_in_a_batch_is_posted_once(make_session, demo, ledger):
    session = polled(beancount_session(make_session, ledger))
    ref = ref_of(paid_ids(demo, 1)[0])
    result = posting.post(session, [ref, str(order_of(ref).id)])
    document = order_of(ref).accounting_ref
    assert result.summary() == f"1 posted, 1 failed: {ref} is already posted as {document}"
    assert transactions(ledger) == 1


def _without_transaction(text: str, posting_id: str) -> str:
    """The journal with one transaction cut out, as a person editing it would."""
    blocks = text.split("\n\n")
    kept = [b for b in blocks if f'posting_id: "{posting_id}"' not in b]
    assert len(kept) == len(blocks) - 1
    return "\n\n".join(kept)


def test_a_store_change_merges_into_a_books_update_and_accepting_does_both(
    make_session, demo, ledger
):
    session = polled(beancount_session(make_session, ledger))
    (remote_id,) = paid_ids(demo, 1)
    ref = ref_of(remote_id)
    posting.post(session, [ref])
    ledger.write_text(_without_transaction(ledger_text(ledger), order_of(ref).accounting_ref))
    sync.poll_once(session)
    assert pending_update(ref).source == "accounting"

    demo.control.change(remote_id, "edit_note")
    results = sync.poll_once(session)
    assert not results.failed
    merged = pending_update(ref)
    assert merged.source == "store"
    assert set(merged.kinds.split(",")) == {"note", "accounting_status"}
    assert {c["kind"] for c in json.loads(merged.changes)} == {"note", "accounting_status"}

    accepted = review(session, [ref], "accept")
    assert accepted.exit_code == OK, accepted.summary()
    order = order_of(ref)
    assert (order.accounting_state, order.pending) == ("unposted", False)
    assert json.loads(order.data)["note"] == demo.control.order(remote_id)["note"]
    assert [p.state for p in postings_of(ref)] == ["missing"]
    clean(ledger)

"""Posting demo-store orders to QuickBooks Online and Xero through the service, via the fakes.

The fakes are real HTTP servers on 127.0.0.1 that can lose answers, stall,
rate-limit and fault on demand; the service must come out of each with
exactly one document per order and one clear line for the user.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from orderupd_tui.db.models import Event, Order, Posting
from orderupd_tui.demo.process import DemoProcess
from orderupd_tui.services import posting, sync
from orderupd_tui.services.review import FAILED, OK, review
from orderupd_tui.services.session import Session
from tests.fakes.quickbooks_server import QuickBooksFake
from tests.fakes.xero_server import XeroFake
from tests.integration.posting_support import (
    actions_of,
    change_and_poll,
    demo_store,
    order_of,
    paid_ids,
    pending_update,
    polled,
    postings_of,
    ref_of,
)


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with demo_store() as server:
        yield server


@pytest.fixture
def qbo_fake() -> Iterator[QuickBooksFake]:
    with QuickBooksFake() as fake:
        yield fake


@pytest.fixture
def xero_fake() -> Iterator[XeroFake]:
    with XeroFake() as fake:
        yield fake


def qbo_session(make_session: Any, fake: QuickBooksFake, **settings: Any) -> Session:
    accounting = {"backend": "quickbooks", "url": fake.url, "realm_id": fake.realm_id,
                  "token": fake.token, "item_ref": "1", "customer_ref": "1", "timeout": 1,
                  "on_reset": "void", **settings}
    return polled(make_session(accounting=accounting))


def xero_session(make_session: Any, fake: XeroFake, **settings: Any) -> Session:
    accounting = {"backend": "xero", "url": fake.url, "tenant_id": fake.tenant_id,
                  "token": fake.token, "account_code": "200",
                  "contact_name": "Online store customers", "timeout": 1, "on_reset": "void",
                  **settings}
    return polled(make_session(accounting=accounting))


def fake_key(document: str) -> tuple[str, str]:
    entity, _, doc_id = document.partition(":")
    return entity, doc_id


# -- QuickBooks Online --------------------------------------------------------------------


def test_quickbooks_create_then_void_through_a_stale_sync_token(make_session, demo, qbo_fake):
    session = qbo_session(make_session, qbo_fake)
    remote_id = paid_ids(demo, 1)[0]
    ref = ref_of(remote_id)
    assert posting.post(session, [ref]).exit_code == OK
    document = order_of(ref).accounting_ref
    assert document.startswith("SalesReceipt:")  # a paid order gets a sales receipt
    doc = qbo_fake.documents[fake_key(document)]
    assert doc["DocNumber"] == order_of(ref).number
    assert Decimal(str(doc["TotalAmt"])).quantize(Decimal("0.01")) == order_of(ref).total
    assert not [line for line in doc["Line"] if "Adjustment" in line.get("Description", "")]
    (create,) = qbo_fake.seen("create")
    assert create.params["requestid"].startswith("orderupd-")

    change_and_poll(demo, session, remote_id)
    qbo_fake.inject("stale", on="void")  # someone saves the receipt just before our void
    result = review(session, [ref], "accept", confirmed=True, void=posting.void_in_books)
    assert result.exit_code == OK, result.summary()
    assert [r.body["SyncToken"] for r in qbo_fake.seen("void")] == ["0", "1"]
    assert doc["PrivateNote"] == "Voided" and doc["TotalAmt"] == 0
    assert [p.state for p in postings_of(ref)] == ["voided"]
    assert qbo_fake.count("SalesReceipt") == 1


def test_an_unpaid_order_becomes_an_invoice(make_session, demo, qbo_fake):
    session = qbo_session(make_session, qbo_fake)
    remote_id = demo.control.orders(eligible="capture_payment", limit=1)[0]["id"]
    ref = ref_of(remote_id)
    assert posting.post(session, [ref]).exit_code == OK
    assert order_of(ref).accounting_ref.startswith("Invoice:")


@pytest.mark.parametrize("settle_by", ["post", "reconcile", "poll"])
def test_a_timeout_after_create_is_settled_into_exactly_one_document(make_session, demo,
                                                                   qbo_fake, settle_by):
    session = qbo_session(make_session, qbo_fake)
    ref = ref_of(paid_ids(demo, 1)[0])
    qbo_fake.inject("stall_after_store", on="create")
    lost = posting.post(session, [ref])
    assert lost.exit_code == FAILED
    assert lost.outcomes[0].message.startswith("outcome unknown: QuickBooks did not answer")
    assert order_of(ref).accounting_state == "unknown"
    assert [p.state for p in postings_of(ref)] == ["unknown"]
    assert qbo_fake.count("SalesReceipt") == 1  # it did land
    qbo_fake.release()
    creates = len(qbo_fake.seen("create"))

    if settle_by == "post":
        assert posting.post(session, [ref]).exit_code == OK
    elif settle_by == "reconcile":
        assert posting.reconcile(session).summary() == "1 settled"
    else:
        results = sync.poll_once(session)
        assert results.books is not None and results.books.settled == 1
    assert len(qbo_fake.seen("create")) == creates  # found, not sent again
    assert qbo_fake.count("SalesReceipt") == 1
    (row,) = postings_of(ref)
    assert row.state == "posted" and order_of(ref).accounting_ref == row.document_ref
    assert qbo_fake.documents[fake_key(row.document_ref)]["DocNumber"] == order_of(ref).number
    assert "posting settled" in actions_of(ref)


def test_ten_posts_through_faults_leave_exactly_one_document(make_session, demo, qbo_fake):
    """Lost answers, 500s, rate limits and a search index that lags behind the creates."""
    session = qbo_session(make_session, qbo_fake)
    ref = ref_of(paid_ids(demo, 1)[0])
    qbo_fake.hide_new_from_queries = True
    qbo_fake.inject("drop_after_store", on="create", times=5)
    qbo_fake.inject("server_error", on="create", times=2)
    qbo_fake.inject("rate_limit", times=2, retry_after="0")
    qbo_fake.inject("server_error", on="query", times=2)
    codes = [posting.post(session, [ref]).exit_code for _ in range(10)]
    assert len(qbo_fake.seen("create")) >= 5
    assert qbo_fake.count("SalesReceipt") == 1
    assert OK in codes and order_of(ref).accounting_state == "posted"
    (document,) = {d for d in qbo_fake.documents}
    assert order_of(ref).accounting_ref == f"{document[0]}:{document[1]}"
    assert Posting.select().where(Posting.state == "posted").count() == 1


def test_a_rate_limit_is_waited_out(make_session, demo, qbo_fake):
    session = qbo_session(make_session, qbo_fake)
    ref = ref_of(paid_ids(demo, 1)[0])
    qbo_fake.inject("rate_limit", on="create", retry_after="0")
    assert posting.post(session, [ref]).exit_code == OK
    assert len(qbo_fake.seen("create")) == 2 and qbo_fake.count("SalesReceipt") == 1


def test_a_fault_is_one_line_and_leaves_the_order_in_error(make_session, demo, qbo_fake):
    session = qbo_session(make_session, qbo_fake, item_ref="99")
    ref = ref_of(paid_ids(demo, 1)[0])
    result = posting.post(session, [ref])
    assert result.exit_code == FAILED
    message = result.outcomes[0].message
    assert message.startswith(f"QuickBooks could not create SalesReceipt {order_of(ref).number} "
                              f"for order {ref}: Object Not Found")
    assert message.endswith("[610]") and "\n" not in message
    assert result.summary() == f"0 posted, 1 failed: {ref} {message}"
    (row,) = postings_of(ref)
    assert (row.state, row.detail) == ("failed", message)
    assert order_of(ref).accounting_state == "error"
    assert "posting failed" in actions_of(ref)


def test_an_expired_token_is_named_but_never_stored(make_session, demo, qbo_fake):
    session = qbo_session(make_session, qbo_fake, token="expired-access-token-0042")
    ref = ref_of(paid_ids(demo, 1)[0])
    result = posting.post(session, [ref])
    assert result.exit_code == FAILED and "AuthenticationFailed" in result.outcomes[0].message
    assert "expired-access-token-0042" not in result.outcomes[0].message
    assert not any("expired-access-token-0042" in (e.detail or "") for e in Event.select())


@pytest.mark.parametrize(("how", "state"), [("void", "voided"), ("delete", "missing")])
def test_a_document_changed_on_the_server_raises_an_accounting_update(make_session, demo,
                                                                     qbo_fake, how, state):
    session = qbo_session(make_session, qbo_fake)
    refs = [ref_of(i) for i in paid_ids(demo, 2)]
    posting.post(session, refs)
    document = order_of(refs[0]).accounting_ref
    if how == "void":
        qbo_fake.void_in_books(*fake_key(document))
    else:
        qbo_fake.delete_in_books(*fake_key(document))

    results = sync.poll_once(session)
    assert results.books is not None and results.books.changed == 1
    update = pending_update(refs[0])
    assert update is not None and update.kinds == "accounting_status"
    assert pending_update(refs[1]) is None
    assert review(session, refs[:1], "accept").exit_code == OK
    assert [p.state for p in postings_of(refs[0])] == [state]
    assert order_of(refs[0]).accounting_state == "unposted"
    assert qbo_fake.seen("void") == []  # the books did it; nothing was sent


# -- Xero ---------------------------------------------------------------------------------


def test_xero_create_then_void(make_session, demo, xero_fake):
    session = xero_session(make_session, xero_fake)
    remote_id = paid_ids(demo, 1)[0]
    ref = ref_of(remote_id)
    assert posting.post(session, [ref]).exit_code == OK
    document = order_of(ref).accounting_ref
    invoice = xero_fake.invoices[document.partition(":")[2]]
    assert invoice["Status"] == "AUTHORISED" and invoice["Reference"].startswith(f"{ref} posting ")
    (create,) = xero_fake.seen("create")
    assert create.headers["idempotency-key"].startswith("orderupd-")

    assert review(session, [ref], "refresh", confirmed=True,
                  void=posting.void_in_books).exit_code == OK
    assert invoice["Status"] == "VOIDED"
    assert [p.state for p in postings_of(ref)] == ["voided"]


def test_xero_a_paid_invoice_cannot_be_voided_so_nothing_changes(make_session, demo, xero_fake):
    session = xero_session(make_session, xero_fake)
    ref = ref_of(paid_ids(demo, 1)[0])
    posting.post(session, [ref])
    xero_fake.pay(order_of(ref).accounting_ref.partition(":")[2])
    result = review(session, [ref], "refresh", confirmed=True, void=posting.void_in_books)
    assert result.exit_code == FAILED
    assert "has a payment or credit applied" in result.outcomes[0].message
    assert order_of(ref).accounting_state == "posted"


def test_xero_timeout_after_create_then_reconcile(make_session, demo, xero_fake):
    session = xero_session(make_session, xero_fake)
    ref = ref_of(paid_ids(demo, 1)[0])
    xero_fake.inject("stall_after_store", on="create")
    assert posting.post(session, [ref]).exit_code == FAILED
    assert order_of(ref).accounting_state == "unknown"
    xero_fake.release()
    assert posting.reconcile(session, [ref]).exit_code == OK
    assert xero_fake.count() == 1 and len(xero_fake.seen("create")) == 1
    assert order_of(ref).accounting_state == "posted"


def test_xero_rate_limit_and_a_refusal(make_session, demo, xero_fake):
    session = xero_session(make_session, xero_fake)
    first, second = (ref_of(i) for i in paid_ids(demo, 2))
    xero_fake.inject("rate_limit", on="create", retry_after="0")
    xero_fake.refuse_next_create("The document date cannot be before the period lock date")
    result = posting.post(session, [first, second])
    assert result.summary() == (f"1 posted, 1 failed: {first} Xero could not create the invoice "
                                f"for order {first}: The document date cannot be before the "
                                "period lock date")
    assert order_of(first).accounting_state == "error"
    assert order_of(second).accounting_state == "posted" and xero_fake.count() == 1
    assert posting.post(session, [first]).exit_code == OK  # a failed posting may be retried
    assert [p.state for p in postings_of(first)] == ["failed", "posted"]


def test_xero_voided_in_the_books_raises_an_accounting_update(make_session, demo, xero_fake):
    session = xero_session(make_session, xero_fake)
    ref = ref_of(paid_ids(demo, 1)[0])
    posting.post(session, [ref])
    xero_fake.void_in_books(order_of(ref).accounting_ref.partition(":")[2])
    sync.poll_once(session)
    update = pending_update(ref)
    assert update is not None and update.source == "accounting"
    assert Order.get_by_id(order_of(ref).id).pending

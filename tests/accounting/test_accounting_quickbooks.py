"""QuickBooks Online against the fake company: create, void, stale tokens, lost answers, limits."""

from __future__ import annotations

import json
import socket
from decimal import Decimal
from pathlib import Path

import pytest

from orderupd_tui.accounting.base import (
    AccountingConfigError,
    AccountingError,
    DocumentGone,
    OutcomeUnknown,
    idempotency_key,
    make_backend,
)
from orderupd_tui.accounting.quickbooks import QuickBooksBackend, parse_fault
from tests.accounting.conftest import MakeOrder
from tests.fakes.quickbooks_server import QuickBooksFake


def _key(ref: str) -> tuple[str, str]:
    """The fake's (entity, Id) key of a document ref."""
    entity, _, doc_id = ref.partition(":")
    return entity, doc_id


def test_a_paid_order_becomes_a_sales_receipt(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    ref = qbo.post(make_order(), "main:1001", "p-1")
    assert ref.startswith("SalesReceipt:")
    doc = qbo_fake.documents[_key(ref)]
    assert doc["DocNumber"] == "1001"
    assert doc["TxnDate"] == "2026-01-05"
    assert doc["CustomerRef"] == {"value": "1"}
    assert Decimal(str(doc["TotalAmt"])) == Decimal("113.45")
    items = [line for line in doc["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert {line["SalesItemLineDetail"]["ItemRef"]["value"] for line in items} == {"1"}
    assert [line["Description"] for line in items] == ["Widget", "Gadget", "Shipping",
                                                       "Sales tax"]
    creates = qbo_fake.seen("create")
    assert len(creates) == 1
    assert creates[0].params["requestid"] == idempotency_key("p-1")
    assert creates[0].params["minorversion"] == "75"
    lookups = qbo_fake.seen("query")
    assert "where DocNumber = '1001'" in lookups[0].params["query"]
    assert qbo_fake.requests.index(lookups[0]) < qbo_fake.requests.index(creates[0])
    assert qbo.status(ref) == "posted"


def test_an_unpaid_order_becomes_an_invoice_for_the_configured_customer(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    ref = qbo.post(make_order(payment_status="pending"), "main:1001", "p-1")
    assert ref.startswith("Invoice:")
    assert qbo_fake.documents[_key(ref)]["CustomerRef"] == {"value": "1"}


def test_the_document_setting_overrides_the_payment_status(
        qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    backend = make_backend({"backend": "quickbooks", "url": qbo_fake.url,
                            "realm_id": qbo_fake.realm_id, "token": qbo_fake.token,
                            "item_ref": "2", "customer_ref": "1", "document": "invoice"})
    assert isinstance(backend, QuickBooksBackend)
    try:
        assert backend.post(make_order(), "main:1001", "p-1").startswith("Invoice:")
    finally:
        backend.close()


def test_posting_again_finds_the_first_document(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    first = qbo.post(make_order(), "main:1001", "p-1")
    assert qbo.post(make_order(), "main:1001", "p-1") == first
    assert len(qbo_fake.seen("create")) == 1
    found = qbo.find("main:1001", make_order(), "p-1")
    assert found is not None and (found.ref, found.status, found.number) == (first, "posted",
                                                                             "1001")
    assert qbo.find("main:1001", make_order(), "p-2") is None


def test_void_sends_the_current_sync_token(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    ref = qbo.post(make_order(), "main:1001", "p-1")
    key = _key(ref)
    qbo_fake.edit_in_books(*key)
    qbo.void(ref)
    voids = qbo_fake.seen("void")
    assert len(voids) == 1
    assert voids[0].params == {"operation": "update", "include": "void", "minorversion": "75"}
    assert voids[0].body["SyncToken"] == "1"
    assert qbo_fake.documents[key]["PrivateNote"] == "Voided"
    assert qbo.status(ref) == "voided"
    qbo.void(ref)
    assert len(qbo_fake.seen("void")) == 1


def test_an_invoice_is_voided_with_operation_void(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    ref = qbo.post(make_order(payment_status="pending"), "main:1001", "p-1")
    qbo.void(ref)
    assert qbo_fake.seen("void")[0].params["operation"] == "void"
    assert qbo.status(ref) == "voided"


def test_a_stale_sync_token_is_read_again_once(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    ref = qbo.post(make_order(), "main:1001", "p-1")
    qbo_fake.inject("stale", on="void")
    qbo.void(ref)
    tokens = [r.body["SyncToken"] for r in qbo_fake.seen("void")]
    assert tokens == ["0", "1"]
    assert qbo.status(ref) == "voided"


def test_a_token_stale_twice_is_one_clear_error(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    ref = qbo.post(make_order(), "main:1001", "p-1")
    qbo_fake.inject("stale", on="void", times=2)
    with pytest.raises(AccountingError) as caught:
        qbo.void(ref)
    message = str(caught.value)
    assert message.startswith(f"QuickBooks could not void {ref.replace(':', ' ')}: "
                              "Stale Object Error : You and root")
    assert message.endswith("[5010]") and "\n" not in message
    assert len(qbo_fake.seen("void")) == 2
    assert qbo.status(ref) == "posted"


def test_voiding_a_document_deleted_in_the_books_says_it_is_gone(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    ref = qbo.post(make_order(), "main:1001", "p-1")
    qbo_fake.delete_in_books(*ref.split(":"))
    assert qbo.status(ref) == "deleted"
    with pytest.raises(DocumentGone, match="deleted there"):
        qbo.void(ref)


def test_statuses_are_read_in_one_query_per_kind(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    refs = [qbo.post(make_order(str(n)), f"main:{n}", f"p-{n}") for n in (1, 2, 3)]
    invoice = qbo.post(make_order("4", payment_status="pending"), "main:4", "p-4")
    qbo_fake.void_in_books(*refs[1].split(":"))
    qbo_fake.delete_in_books(*refs[2].split(":"))
    before = len(qbo_fake.seen("query"))
    assert qbo.statuses([*refs, invoice]) == {refs[0]: "posted", refs[1]: "voided",
                                              refs[2]: "deleted", invoice: "posted"}
    assert len(qbo_fake.seen("query")) - before == 2


def test_a_lost_answer_is_outcome_unknown_and_find_settles_it(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    qbo_fake.inject("drop_after_store", on="create")
    with pytest.raises(OutcomeUnknown, match="reconcile"):
        qbo.post(make_order(), "main:1001", "p-1")
    found = qbo.find("main:1001", make_order(), "p-1")
    assert found is not None and found.status == "posted"
    assert qbo_fake.count("SalesReceipt", "1001") == 1


def test_a_timeout_after_create_is_outcome_unknown(
        qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    backend = QuickBooksBackend(url=qbo_fake.url, realm_id=qbo_fake.realm_id,
                                token=qbo_fake.token, item_ref="1", customer_ref="1",
                                timeout=0.3)
    try:
        qbo_fake.inject("stall_after_store", on="create")
        with pytest.raises(OutcomeUnknown, match="timed out"):
            backend.post(make_order(), "main:1001", "p-1")
        qbo_fake.release()
        found = backend.find("main:1001", make_order(), "p-1")
        assert found is not None
        assert qbo_fake.count("SalesReceipt") == 1
    finally:
        backend.close()


def test_ten_retries_through_faults_leave_exactly_one_document(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    """The worst case: every retry loses its answer and the query index lags behind."""
    qbo_fake.hide_new_from_queries = True
    qbo_fake.inject("server_error", on="query", times=2)
    qbo_fake.inject("drop_after_store", on="create", times=5)
    qbo_fake.inject("rate_limit", times=2)
    qbo_fake.inject("server_error", on="create", times=2)
    refs = set()
    for _ in range(10):
        try:
            refs.add(qbo.post(make_order(), "main:1001", "p-1"))
        except OutcomeUnknown:
            try:
                found = qbo.find("main:1001", make_order(), "p-1")
            except AccountingError:
                continue
            if found is not None:
                refs.add(found.ref)
        except AccountingError:
            continue
    assert len(qbo_fake.seen("create")) >= 5
    assert qbo_fake.count("SalesReceipt") == 1
    qbo_fake.show_hidden()
    found = qbo.find("main:1001", make_order(), "p-1")
    assert found is not None
    assert refs <= {found.ref}
    assert qbo.post(make_order(), "main:1001", "p-1") == found.ref


def test_a_rate_limit_is_waited_out(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, sleeps: list[float],
        make_order: MakeOrder) -> None:
    qbo_fake.inject("rate_limit", on="create", retry_after="3")
    qbo.post(make_order(), "main:1001", "p-1")
    assert sleeps == [3.0]
    assert len(qbo_fake.seen("create")) == 2
    assert qbo_fake.count("SalesReceipt") == 1


def test_a_rate_limit_too_long_to_wait_is_a_clear_error(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, sleeps: list[float],
        make_order: MakeOrder) -> None:
    qbo_fake.inject("rate_limit", on="query", retry_after="7200")
    with pytest.raises(AccountingError, match=r"rate-limiting requests .* try again later"):
        qbo.post(make_order(), "main:1001", "p-1")
    assert sleeps == []
    assert qbo_fake.seen("create") == []


def test_a_fault_becomes_one_line_naming_the_document(
        qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    backend = QuickBooksBackend(url=qbo_fake.url, realm_id=qbo_fake.realm_id,
                                token=qbo_fake.token, item_ref="99", customer_ref="1")
    try:
        with pytest.raises(AccountingError) as caught:
            backend.post(make_order(), "main:1001", "p-1")
    finally:
        backend.close()
    assert not isinstance(caught.value, OutcomeUnknown)
    message = str(caught.value)
    assert message.startswith("QuickBooks could not create SalesReceipt 1001 for order "
                              "main:1001: Object Not Found : Something you're trying to use")
    assert message.endswith("[610]") and "\n" not in message


def test_a_bad_token_is_named_without_being_shown(
        qbo_fake: QuickBooksFake, make_order: MakeOrder) -> None:
    backend = QuickBooksBackend(url=qbo_fake.url, realm_id=qbo_fake.realm_id,
                                token="expired-secret-token", item_ref="1", customer_ref="1")
    try:
        with pytest.raises(AccountingError) as caught:
            backend.post(make_order(), "main:1001", "p-1")
    finally:
        backend.close()
    assert "AuthenticationFailed" in str(caught.value)
    assert "expired-secret-token" not in str(caught.value)


def test_an_unreachable_server_is_a_plain_error(make_order: MakeOrder) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = QuickBooksBackend(url=f"http://127.0.0.1:{port}", realm_id="1", token="test-token",
                                item_ref="1", customer_ref="1")
    try:
        with pytest.raises(AccountingError, match="could not be reached") as caught:
            backend.post(make_order(), "main:1001", "p-1")
    finally:
        backend.close()
    assert not isinstance(caught.value, OutcomeUnknown)


def test_the_fixture_faults_read_as_one_line_each(fixtures_dir: Path) -> None:
    batch = json.loads((fixtures_dir / "quickbooks" / "docs_batch_response_faults_and_query.json")
                       .read_text())
    parsed = [parse_fault(item) for item in batch["BatchItemResponse"]]
    assert parsed[3] is None  # the QueryResponse item
    texts = {codes[0]: text for text, codes in filter(None, parsed)}
    assert set(texts) == {"6240", "610", "5010"}
    assert texts["6240"].startswith("Duplicate Name Exists Error: The name supplied")
    assert all("\n" not in text for text in texts.values())


def test_the_fake_answers_in_the_fixture_shapes(
        qbo: QuickBooksBackend, qbo_fake: QuickBooksFake, make_order: MakeOrder,
        fixtures_dir: Path) -> None:
    folder = fixtures_dir / "quickbooks"
    created = json.loads((folder / "docs_salesreceipt_create_response.json").read_text())
    voided = json.loads((folder / "docs_salesreceipt_void_response.json").read_text())
    ref = qbo.post(make_order(), "main:1001", "p-1")
    doc = qbo_fake.documents[_key(ref)]
    assert set(created["SalesReceipt"]) - set(doc) <= {
        "DepositToAccountRef", "PrintStatus", "EmailStatus", "ApplyTaxAfterDiscount",
        "CustomField", "TxnTaxDetail"}
    qbo.void(ref)
    assert {k: doc[k] for k in ("PrivateNote", "TotalAmt", "SyncToken")} == {
        k: voided["SalesReceipt"][k] for k in ("PrivateNote", "TotalAmt", "SyncToken")}


@pytest.mark.parametrize(("settings", "message"), [
    ({}, "accounting.realm_id: required for the quickbooks backend"),
    ({"realm_id": "1", "token": "t"}, "accounting.item_ref: required"),
    ({"realm_id": "1", "token": "t", "item_ref": "1"}, "accounting.customer_ref: required"),
    ({"realm_id": "1", "token": "t", "item_ref": "1", "document": "receipt"},
     "accounting.document: 'receipt' is not one of"),
    ({"realm_id": "1", "token": "t", "item_ref": "1", "account_code": "200"},
     "accounting.account_code: unknown key for the quickbooks backend"),
])
def test_bad_settings_name_the_key(settings: dict[str, str], message: str) -> None:
    with pytest.raises(AccountingConfigError) as caught:
        make_backend({"backend": "quickbooks", **settings})
    assert str(caught.value).startswith(message)

"""Xero against the fake organisation, and the recorded demo company page."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.accounting.base import (
    AccountingConfigError,
    AccountingError,
    DocumentGone,
    OutcomeUnknown,
    idempotency_key,
    make_backend,
)
from orderupd_tui.accounting.xero import XeroBackend, parse_date, parse_invoices
from tests.accounting.conftest import MakeOrder
from tests.fakes.xero_server import XeroFake


def _recorded(fixtures_dir: Path) -> dict[str, Any]:
    path = fixtures_dir / "xero" / "recorded_demo_company_get_invoices_page1.json"
    return json.loads(path.read_text())


def _id(ref: str) -> str:
    return ref.split(":", 1)[1]


def test_an_order_is_put_as_an_approved_accrec_invoice(
        xero: XeroBackend, xero_fake: XeroFake, make_order: MakeOrder) -> None:
    ref = xero.post(make_order(), "main:1001", "p-1")
    assert ref.startswith("Invoice:")
    invoice = xero_fake.invoices[_id(ref)]
    assert invoice["Type"] == "ACCREC"
    assert invoice["Status"] == "AUTHORISED"
    assert invoice["Reference"] == "main:1001 posting p-1"
    assert invoice["Contact"]["Name"] == "Online store customers"
    assert invoice["DateString"] == "2026-01-05T00:00:00"
    assert invoice["CurrencyCode"] == "USD"
    assert Decimal(str(invoice["Total"])) == Decimal("113.45")
    assert {line["AccountCode"] for line in invoice["LineItems"]} == {"200"}
    (create,) = xero_fake.seen("create")
    assert create.method == "PUT"
    assert create.headers["idempotency-key"] == idempotency_key("p-1")
    assert create.headers["xero-tenant-id"] == xero_fake.tenant_id
    assert xero.status(ref) == "posted"


def test_posting_again_finds_the_first_invoice(
        xero: XeroBackend, xero_fake: XeroFake, make_order: MakeOrder) -> None:
    first = xero.post(make_order(), "main:1001", "p-1")
    assert xero.post(make_order(), "main:1001", "p-1") == first
    assert len(xero_fake.seen("create")) == 1
    found = xero.find("main:1001", make_order(), "p-1")
    assert found is not None
    assert (found.ref, found.status) == (first, "posted")
    assert found.number == xero_fake.invoices[_id(first)]["InvoiceNumber"]


def test_void_sets_voided(xero: XeroBackend, xero_fake: XeroFake, make_order: MakeOrder) -> None:
    ref = xero.post(make_order(), "main:1001", "p-1")
    xero.void(ref)
    (update,) = xero_fake.seen("update")
    assert update.method == "POST"
    assert update.body == {"Invoices": [{"InvoiceID": _id(ref), "Status": "VOIDED"}]}
    assert xero.status(ref) == "voided"
    xero.void(ref)
    assert len(xero_fake.seen("update")) == 1


def test_a_draft_is_deleted_instead(
        xero: XeroBackend, xero_fake: XeroFake, make_order: MakeOrder) -> None:
    ref = xero.post(make_order(), "main:1001", "p-1")
    xero_fake.set_status(_id(ref), "DRAFT")
    xero.void(ref)
    assert xero_fake.seen("update")[0].body["Invoices"][0]["Status"] == "DELETED"
    assert xero.status(ref) == "deleted"
    with pytest.raises(DocumentGone):
        xero.void(ref)


def test_a_paid_invoice_is_not_voided(
        xero: XeroBackend, xero_fake: XeroFake, make_order: MakeOrder) -> None:
    ref = xero.post(make_order(), "main:1001", "p-1")
    xero_fake.pay(_id(ref))
    invoice_number = xero_fake.invoices[_id(ref)]["InvoiceNumber"]
    with pytest.raises(AccountingError) as caught:
        xero.void(ref)
    assert str(caught.value) == (f"Xero invoice {invoice_number} has a payment or credit "
                                 "applied: remove it in Xero before voiding the invoice")
    assert xero_fake.seen("update") == []
    assert xero.status(ref) == "posted"


def test_statuses_of_invoices_changed_in_the_books(
        xero: XeroBackend, xero_fake: XeroFake, make_order: MakeOrder) -> None:
    refs = [xero.post(make_order(str(n)), f"main:{n}", f"p-{n}") for n in (1, 2, 3)]
    xero_fake.void_in_books(_id(refs[1]))
    xero_fake.set_status(_id(refs[2]), "DELETED")
    unknown = "Invoice:00000000-0000-0000-0000-000000000000"
    assert xero.statuses([*refs, unknown]) == {refs[0]: "posted", refs[1]: "voided",
                                               refs[2]: "deleted", unknown: "missing"}


def test_a_rate_limit_honours_retry_after(
        xero: XeroBackend, xero_fake: XeroFake, sleeps: list[float],
        make_order: MakeOrder) -> None:
    xero_fake.inject("rate_limit", on="create", retry_after="2")
    xero.post(make_order(), "main:1001", "p-1")
    assert sleeps == [2.0]
    assert len(xero_fake.seen("create")) == 2
    assert xero_fake.count() == 1


def test_a_lost_answer_is_outcome_unknown_and_find_settles_it(
        xero: XeroBackend, xero_fake: XeroFake, make_order: MakeOrder) -> None:
    xero_fake.inject("drop_after_store", on="create")
    with pytest.raises(OutcomeUnknown):
        xero.post(make_order(), "main:1001", "p-1")
    found = xero.find("main:1001", make_order(), "p-1")
    assert found is not None
    assert xero_fake.count() == 1


def test_a_timeout_after_create_is_outcome_unknown(
        xero_fake: XeroFake, make_order: MakeOrder) -> None:
    backend = XeroBackend(url=xero_fake.url, tenant_id=xero_fake.tenant_id,
                          token=xero_fake.token, account_code="200", contact_name="Shop",
                          timeout=0.3)
    try:
        xero_fake.inject("stall_after_store", on="create")
        with pytest.raises(OutcomeUnknown, match="timed out"):
            backend.post(make_order(), "main:1001", "p-1")
        xero_fake.release()
        assert backend.find("main:1001", make_order(), "p-1") is not None
        assert xero_fake.count() == 1
    finally:
        backend.close()


def test_ten_retries_through_faults_leave_exactly_one_invoice(
        xero: XeroBackend, xero_fake: XeroFake, make_order: MakeOrder) -> None:
    xero_fake.hide_new_from_queries = True
    xero_fake.inject("server_error", on="list", times=2)
    xero_fake.inject("drop_after_store", on="create", times=5)
    xero_fake.inject("rate_limit", times=2)
    xero_fake.inject("server_error", on="create", times=2)
    refs = set()
    for _ in range(10):
        try:
            refs.add(xero.post(make_order(), "main:1001", "p-1"))
        except OutcomeUnknown:
            try:
                found = xero.find("main:1001", make_order(), "p-1")
            except AccountingError:
                continue
            if found is not None:
                refs.add(found.ref)
        except AccountingError:
            continue
    assert len(xero_fake.seen("create")) >= 5
    assert xero_fake.count() == 1
    xero_fake.show_hidden()
    found = xero.find("main:1001", make_order(), "p-1")
    assert found is not None
    assert refs <= {found.ref}


def test_a_validation_error_is_one_line(
        xero: XeroBackend, xero_fake: XeroFake, make_order: MakeOrder) -> None:
    xero_fake.refuse_next_create("The document date cannot be before the end of year lock date")
    with pytest.raises(AccountingError) as caught:
        xero.post(make_order(), "main:1001", "p-1")
    assert not isinstance(caught.value, OutcomeUnknown)
    assert str(caught.value) == ("Xero could not create the invoice for order main:1001: The "
                                 "document date cannot be before the end of year lock date")


def test_a_wrong_tenant_is_named_without_the_token(
        xero_fake: XeroFake, make_order: MakeOrder) -> None:
    backend = XeroBackend(url=xero_fake.url, tenant_id="someone-else", token=xero_fake.token,
                          account_code="200", contact_name="Shop")
    try:
        with pytest.raises(AccountingError, match="HTTP 403: AuthenticationUnsuccessful") as c:
            backend.post(make_order(), "main:1001", "p-1")
    finally:
        backend.close()
    assert xero_fake.token not in str(c.value)


def test_the_recorded_page_parses_with_correct_dates(fixtures_dir: Path) -> None:
    payload = _recorded(fixtures_dir)
    invoices = parse_invoices(payload)
    assert len(invoices) == 79
    for raw, invoice in zip(payload["Invoices"], invoices, strict=True):
        assert invoice.date == date.fromisoformat(raw["DateString"][:10])
        assert invoice.total == Decimal(str(raw["Total"])).quantize(Decimal("0.01"))
    first = invoices[0]
    assert (first.invoice_id, first.number, first.status, first.type) == (
        "22b3fab4-ef56-4d70-a110-a7cc3c1a26cd", "Elec.", "VOIDED", "ACCPAY")
    assert first.updated == datetime(2010, 11, 12, 12, 55, 16, 347000, tzinfo=UTC)
    assert parse_date(payload["DateTimeUTC"]) == datetime(2020, 5, 4, 23, 3, 17, 422000,
                                                          tzinfo=UTC)


def test_the_recorded_invoices_served_by_the_fake(
        xero: XeroBackend, xero_fake: XeroFake, fixtures_dir: Path) -> None:
    payload = _recorded(fixtures_dir)
    xero_fake.seed(payload["Invoices"])
    refs = [f"Invoice:{raw['InvoiceID']}" for raw in payload["Invoices"]]
    result = xero.statuses(refs)
    expected = {f"Invoice:{raw['InvoiceID']}": "voided" if raw["Status"] == "VOIDED" else "posted"
                for raw in payload["Invoices"]}
    assert result == expected
    assert len(xero_fake.seen("list")) == 2  # 79 invoices, fifty IDs a request
    paid = next(raw for raw in payload["Invoices"]
                if raw["Type"] == "ACCREC" and raw["Status"] == "PAID")
    with pytest.raises(AccountingError, match=f"{paid['InvoiceNumber']} has a payment"):
        xero.void(f"Invoice:{paid['InvoiceID']}")
    draft = next(raw for raw in payload["Invoices"] if raw["Status"] == "DRAFT")
    xero.void(f"Invoice:{draft['InvoiceID']}")
    assert xero.status(f"Invoice:{draft['InvoiceID']}") == "deleted"


def test_the_openapi_examples_parse(fixtures_dir: Path) -> None:
    folder = fixtures_dir / "xero"
    listed = parse_invoices(json.loads((folder / "openapi_get_invoices_200.json").read_text()))
    assert [(i.number, i.status, i.date) for i in listed] == [
        ("INV-0001", "VOIDED", date(2018, 10, 20)), ("INV-0002", "PAID", date(2018, 10, 20)),
        ("INV-0003", "AUTHORISED", date(2018, 11, 2))]
    assert listed[1].amount_paid == Decimal("46.00")
    (created,) = parse_invoices(json.loads((folder / "openapi_put_invoices_200.json")
                                           .read_text()))
    assert (created.type, created.status, created.total) == ("ACCREC", "AUTHORISED",
                                                             Decimal("40.00"))


@pytest.mark.parametrize(("text", "expected"), [
    ("/Date(1518685950940+0000)/", datetime(2018, 2, 15, 9, 12, 30, 940000, tzinfo=UTC)),
    ("/Date(1552326816230)/", datetime(2019, 3, 11, 17, 53, 36, 230000, tzinfo=UTC)),
    ("/Date(-86400000+0000)/", datetime(1969, 12, 31, tzinfo=UTC)),
    ("2019-03-11T00:00:00", datetime(2019, 3, 11, tzinfo=UTC)),
])
def test_xero_dates(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected


def test_a_date_offset_keeps_the_instant() -> None:
    parsed = parse_date("/Date(1518685950940+1300)/")
    assert parsed.utcoffset() == timedelta(hours=13)
    assert parsed == datetime(2018, 2, 15, 9, 12, 30, 940000, tzinfo=UTC)
    assert parsed.tzinfo == timezone(timedelta(hours=13))
    with pytest.raises(ValueError, match="not a Xero date"):
        parse_date("yesterday")


@pytest.mark.parametrize(("settings", "message"), [
    ({}, "accounting.token: required for the xero backend (or client_id and client_secret)"),
    ({"tenant_id": "t", "token": "x", "account_code": "200"}, "accounting.contact_name"),
    ({"tenant_id": "t", "token": "x", "account_code": "200", "contact_name": "c",
      "item_ref": "1"}, "accounting.item_ref: unknown key for the xero backend"),
])
def test_bad_settings_name_the_key(settings: dict[str, str], message: str) -> None:
    with pytest.raises(AccountingConfigError) as caught:
        make_backend({"backend": "xero", **settings})
    assert str(caught.value).startswith(message)

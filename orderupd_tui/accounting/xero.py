"""Xero over its Accounting API: one ACCREC invoice per posting.

Every create carries an ``Idempotency-Key`` derived from the posting id, so
Xero answers a repeat with the first invoice; before creating, the invoice
is looked up by its ``Reference``, which holds the order ref and the posting
id.  Xero numbers the invoice itself (``InvoiceNumber`` is left to the
organisation's settings) because it keeps numbers unique across voided
invoices too, and a repost after a void must not be refused for reusing one.

A void is ``Status: VOIDED`` for an approved invoice and ``DELETED`` for a
draft, which Xero cannot void; an invoice with money applied to it is
refused, since Xero would only void it once the payment is removed there.
Dates arrive in the Microsoft JSON form ``/Date(1518685950940+0000)/``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx

from orderupd_tui.accounting.apiclient import ApiClient, SleepFn, json_body
from orderupd_tui.accounting.base import (
    AccountingError,
    Document,
    DocumentGone,
    checked_amounts,
    idempotency_key,
)
from orderupd_tui.accounting.lines import DocLine, document_lines
from orderupd_tui.accounting.oauth import XeroTenant, books_auth
from orderupd_tui.accounting.options import XERO_URL, XeroOptions
from orderupd_tui.domain.order import NormalizedOrder, UnreadableField, decimal, rounded, utc

DEFAULT_URL = XERO_URL
STATUS_MAP = {"DRAFT": "posted", "SUBMITTED": "posted", "AUTHORISED": "posted", "PAID": "posted",
              "VOIDED": "voided", "DELETED": "deleted"}
"""Xero invoice status -> document status."""

_BATCH = 50
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS_DATE = re.compile(r"/Date\((-?\d+)(?:([+-])(\d\d)(\d\d))?\)/")


@dataclass(frozen=True)
class XeroInvoice:
    """The parts of a Xero invoice the backend reads."""

    invoice_id: str
    type: str
    number: str
    reference: str
    status: str
    date: date | None
    updated: datetime | None
    total: Decimal
    amount_paid: Decimal
    amount_credited: Decimal
    currency: str


def parse_date(value: str) -> datetime:
    """A Xero date: ``/Date(ms[+hhmm])/`` (milliseconds since the epoch, UTC) or ISO-8601.

    The offset only says which zone the value was written for; the instant
    is the same, so the result is that instant shown in that zone.
    """
    match = _MS_DATE.fullmatch(value.strip())
    if match:
        instant = _EPOCH + timedelta(milliseconds=int(match.group(1)))
        if match.group(2):
            sign = -1 if match.group(2) == "-" else 1
            offset = timedelta(hours=int(match.group(3)), minutes=int(match.group(4)))
            return instant.astimezone(timezone(sign * offset))
        return instant
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not a Xero date: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_invoice(raw: Mapping[str, Any]) -> XeroInvoice:
    """One invoice of a Xero payload."""

    def when(key: str) -> datetime | None:
        value = raw.get(key)
        return parse_date(value) if isinstance(value, str) and value else None

    day = when("Date")
    return XeroInvoice(
        invoice_id=str(raw.get("InvoiceID", "")),
        type=str(raw.get("Type", "")),
        number=str(raw.get("InvoiceNumber") or ""),
        reference=str(raw.get("Reference") or ""),
        status=str(raw.get("Status", "")),
        date=day.date() if day else None,
        updated=when("UpdatedDateUTC"),
        total=_amount(raw, "Total"),
        amount_paid=_amount(raw, "AmountPaid"),
        amount_credited=_amount(raw, "AmountCredited"),
        currency=str(raw.get("CurrencyCode", "")),
    )


def _amount(raw: Mapping[str, Any], key: str) -> Decimal:
    """An amount of an invoice Xero sent, at its currency's precision (absent is zero)."""
    value = raw.get(key)
    if value in (None, ""):
        return Decimal(0)
    try:
        return rounded(decimal(value, key), str(raw.get("CurrencyCode") or ""))
    except UnreadableField as exc:
        raise AccountingError(f"Xero sent an invoice whose {exc}") from None


def parse_invoices(payload: Any) -> list[XeroInvoice]:
    """The invoices of a Xero ``{"Invoices": [...]}`` answer (a page, a create, an update)."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("Invoices"), list):
        raise AccountingError("Xero sent an answer without an Invoices list")
    return [parse_invoice(raw) for raw in payload["Invoices"] if isinstance(raw, Mapping)]


class XeroBackend:
    """An :class:`~orderupd_tui.accounting.base.AccountingBackend` for one Xero organisation.

    Document refs are ``Invoice:<InvoiceID>``.
    """

    name = "xero"

    def __init__(
        self,
        *,
        tenant_id: str | None = None,
        token: str | None = None,
        account_code: str,
        contact_name: str,
        url: str = DEFAULT_URL,
        shipping_account_code: str | None = None,
        tax_account_code: str | None = None,
        tax_type: str = "NONE",
        timeout: float = 30.0,
        deadline: float = 120.0,
        sleep: SleepFn = time.sleep,
        auth: httpx.Auth | None = None,
    ) -> None:
        self.account_code = account_code
        self.contact_name = contact_name
        self.shipping_account_code = shipping_account_code or account_code
        self.tax_account_code = tax_account_code or account_code
        self.tax_type = tax_type
        self._api = ApiClient(
            "Xero",
            f"{url.rstrip('/')}/api.xro/2.0",
            headers={"xero-tenant-id": tenant_id} if tenant_id else None,
            token=token,
            auth=auth,
            timeout=timeout,
            deadline=deadline,
            sleep=sleep,
        )

    @classmethod
    def from_options(cls, options: XeroOptions) -> XeroBackend:
        """Build from the validated ``accounting:`` section."""
        return cls(
            url=options.url,
            auth=XeroTenant(books_auth(options), options.tenant_id, options.connections_url),
            account_code=options.account_code,
            contact_name=options.contact_name,
            shipping_account_code=options.shipping_account_code,
            tax_account_code=options.tax_account_code,
            tax_type=options.tax_type,
            timeout=options.timeout,
            deadline=options.deadline,
        )

    # -- the protocol ---------------------------------------------------------------------

    def post(self, order: NormalizedOrder, ref: str, posting_id: str) -> str:
        """PUT an approved ACCREC invoice, unless this posting already made one."""
        checked_amounts(order, ref)
        reference = _reference(ref, posting_id)
        existing = self._by_reference(reference)
        if existing is not None:
            return f"Invoice:{existing.invoice_id}"
        body = {"Invoices": [self._invoice(order, ref, reference)]}
        data = self._call("PUT", "/Invoices", what=f"create the invoice for order {ref}",
                          body=body, headers={"Idempotency-Key": idempotency_key(posting_id)},
                          creating=True)
        invoices = parse_invoices(data)
        if not invoices or not invoices[0].invoice_id:
            raise AccountingError(f"Xero created no invoice for order {ref}")
        return f"Invoice:{invoices[0].invoice_id}"

    def void(self, document_ref: str) -> None:
        """VOIDED for an approved invoice, DELETED for a draft; a paid one is refused."""
        invoice_id = _parse_ref(document_ref)
        invoice = self._get(invoice_id)
        if invoice is None or invoice.status == "DELETED":
            raise DocumentGone(f"Xero no longer has invoice {invoice_id} (deleted there): "
                               "nothing to void")
        label = f"Xero invoice {invoice.number or invoice_id}"
        if invoice.status == "VOIDED":
            return
        if invoice.status == "PAID" or invoice.amount_paid or invoice.amount_credited:
            raise AccountingError(f"{label} has a payment or credit applied: remove it in Xero "
                                  "before voiding the invoice")
        new_status = "DELETED" if invoice.status in ("DRAFT", "SUBMITTED") else "VOIDED"
        self._call("POST", f"/Invoices/{invoice_id}", what=f"void {label}",
                   body={"Invoices": [{"InvoiceID": invoice_id, "Status": new_status}]})

    def find(self, ref: str, order: NormalizedOrder, posting_id: str) -> Document | None:
        """The invoice this posting created, found by its Reference."""
        invoice = self._by_reference(_reference(ref, posting_id))
        if invoice is None:
            return None
        return Document(f"Invoice:{invoice.invoice_id}", STATUS_MAP.get(invoice.status, "posted"),
                        invoice.number)

    def status(self, document_ref: str) -> str:
        return self.statuses([document_ref])[document_ref]

    def statuses(self, document_refs: Iterable[str]) -> dict[str, str]:
        """Read the invoices fifty at a time by ``IDs``; one not returned is ``missing``."""
        refs = list(document_refs)
        ids = [_parse_ref(ref) for ref in refs]
        found: dict[str, str] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start:start + _BATCH]
            data = self._call("GET", "/Invoices", what="read invoices",
                              params={"IDs": ",".join(chunk)})
            for invoice in parse_invoices(data):
                found[invoice.invoice_id.lower()] = STATUS_MAP.get(invoice.status, "posted")
        return {ref: found.get(i.lower(), "missing") for ref, i in zip(refs, ids, strict=True)}

    def close(self) -> None:
        self._api.close()

    # -- requests -------------------------------------------------------------------------

    def _by_reference(self, reference: str) -> XeroInvoice | None:
        escaped = reference.replace("\\", "\\\\").replace('"', '\\"')
        data = self._call("GET", "/Invoices", what=f"look up invoice {reference}",
                          params={"where": f'Type=="ACCREC" AND Reference=="{escaped}"'})
        matches = [i for i in parse_invoices(data) if i.reference == reference]
        return matches[0] if matches else None

    def _get(self, invoice_id: str) -> XeroInvoice | None:
        response = self._api.request("GET", f"/Invoices/{invoice_id}",
                                     what=f"read invoice {invoice_id}")
        if response.status_code == 404:
            return None
        invoices = parse_invoices(self._checked(response, f"read invoice {invoice_id}"))
        return invoices[0] if invoices else None

    def _call(self, method: str, path: str, *, what: str, params: Mapping[str, str] | None = None,
              body: Any = None, headers: Mapping[str, str] | None = None,
              creating: bool = False) -> Any:
        response = self._api.request(method, path, what=what, params=params, body=body,
                                     headers=headers, creating=creating)
        return self._checked(response, what)

    def _checked(self, response: Any, what: str) -> Any:
        data = json_body(response)
        status = response.status_code
        if status in (401, 403):
            detail = _error_text(data) or response.reason_phrase
            raise self._api.error(f"Xero refused the token or tenant (HTTP {status}: {detail}) "
                                  f"to {what}: renew the access token or check tenant_id")
        if status >= 400:
            detail = _error_text(data) or f"HTTP {status} {response.reason_phrase}"
            raise self._api.error(f"Xero could not {what}: {detail}")
        if not isinstance(data, dict):
            raise self._api.error(f"Xero sent an answer that is not JSON to {what}")
        problems = _validation_errors(data.get("Invoices"))
        if problems:
            raise self._api.error(f"Xero could not {what}: {problems}")
        return data

    # -- what is sent ---------------------------------------------------------------------

    def _invoice(self, order: NormalizedOrder, ref: str, reference: str) -> dict[str, Any]:
        day = utc(order.created_at).date().isoformat()
        return {
            "Type": "ACCREC",
            "Contact": {"Name": self.contact_name},
            "Date": day,
            "DueDate": day,
            "Reference": reference,
            "CurrencyCode": order.currency,
            "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive",
            "LineItems": [self._line(line, order.currency)
                          for line in document_lines(order, ref)],
        }

    def _line(self, line: DocLine, currency: str) -> dict[str, Any]:
        account = {"shipping": self.shipping_account_code, "tax": self.tax_account_code}.get(
            line.kind, self.account_code)
        return {
            "Description": line.description[:4000],
            "Quantity": float(line.quantity),
            "UnitAmount": float(rounded(line.unit_price, currency)),
            "LineAmount": float(rounded(line.amount, currency)),
            "AccountCode": account,
            "TaxType": self.tax_type,
        }


def _reference(ref: str, posting_id: str) -> str:
    """The invoice's Reference: the order ref a person reads, and the posting that made it."""
    return f"{ref} posting {posting_id}"


def _parse_ref(document_ref: str) -> str:
    kind, _, invoice_id = document_ref.partition(":")
    if kind != "Invoice" or not re.fullmatch(r"[0-9A-Fa-f-]{1,64}", invoice_id):
        raise AccountingError(f"{document_ref!r} is not a Xero document ref (Invoice:ID)")
    return invoice_id


def _error_text(data: Any) -> str:
    """Xero's own words from an error body: validation messages first, then Message/Detail."""
    if not isinstance(data, dict):
        return ""
    problems = _validation_errors(data.get("Elements"))
    if problems:
        return problems
    for key in ("Message", "Detail", "Title"):
        if data.get(key):
            return str(data[key])
    return ""


def _validation_errors(elements: Any) -> str:
    if not isinstance(elements, list):
        return ""
    messages = []
    for element in elements:
        if isinstance(element, dict):
            for error in element.get("ValidationErrors") or []:
                if isinstance(error, dict) and error.get("Message"):
                    messages.append(str(error["Message"]))
    return "; ".join(dict.fromkeys(messages))

"""A fake Xero organisation speaking the Accounting API shapes in ../shared/fixtures/xero/.

What it does as Xero does (per the OpenAPI examples and the recorded demo
company page): ``PUT /api.xro/2.0/Invoices`` creates from
``{"Invoices": [...]}`` and a repeated ``Idempotency-Key`` answers with the
first response; ``GET /api.xro/2.0/Invoices`` filters by ``IDs`` and by a
``where`` of ``Field=="value"`` terms joined by ``AND``; ``GET
.../Invoices/{id}`` reads (404 when unknown); ``POST .../Invoices/{id}``
with ``Status`` VOIDED voids an approved invoice without payments and
DELETED deletes a draft, anything else is a ``ValidationException``.  Dates
are sent back as ``/Date(ms+0000)/``.  Both the ``Authorization`` bearer
token and the ``xero-tenant-id`` header are checked.

Test hooks: :meth:`seed` (load invoices, e.g. the recorded page),
:meth:`pay`, :meth:`set_status`, :meth:`void_in_books`,
:meth:`refuse_next_create`, ``hide_new_from_queries``, and the faults of :mod:`httpfake`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.fakes.httpfake import FakeApi, Reply, Request

_BASE = "/api.xro/2.0/Invoices"
_TERM = re.compile(r'^\s*([A-Za-z.]+)\s*==\s*"((?:[^"\\]|\\.)*)"\s*$')


def ms_date(value: datetime) -> str:
    """``/Date(ms+0000)/`` as Xero writes it."""
    return f"/Date({int(value.timestamp() * 1000)}+0000)/"


def validation_error(*messages: str) -> dict[str, Any]:
    return {"ErrorNumber": 10, "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [{"ValidationErrors": [{"Message": m} for m in messages]}]}


class XeroFake(FakeApi):
    """One Xero organisation; ``invoices`` maps InvoiceID to the stored invoice."""

    def __init__(self, *, tenant_id: str = "6f1c4c52-0000-4000-8000-00000000000a",
                 token: str = "xero-test-token") -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self.token = token
        self.accept: Callable[[str | None], bool] | None = None
        """Also accept what this says is live (an :class:`OAuthFake`'s tokens)."""
        self.invoices: dict[str, dict[str, Any]] = {}
        self.hide_new_from_queries = False
        self._hidden: set[str] = set()
        self._by_key: dict[str, dict[str, Any]] = {}
        self._refusals: list[str] = []
        self._number = 0

    # -- test hooks -----------------------------------------------------------------------

    def seed(self, invoices: list[dict[str, Any]]) -> None:
        with self.lock:
            for invoice in invoices:
                self.invoices[invoice["InvoiceID"]] = invoice

    def count(self, reference: str | None = None) -> int:
        with self.lock:
            return sum(1 for i in self.invoices.values()
                       if reference in (None, i.get("Reference")))

    def pay(self, invoice_id: str) -> None:
        """The customer pays in full, as a payment entered in Xero would record it."""
        with self.lock:
            invoice = self.invoices[invoice_id]
            invoice["Payments"] = [{"PaymentID": str(uuid.uuid4()), "Amount": invoice["Total"],
                                    "Date": ms_date(datetime.now(UTC))}]
            invoice.update(Status="PAID", AmountPaid=invoice["Total"], AmountDue=0.0)

    def set_status(self, invoice_id: str, status: str) -> None:
        with self.lock:
            self.invoices[invoice_id]["Status"] = status

    def void_in_books(self, invoice_id: str) -> None:
        self.set_status(invoice_id, "VOIDED")

    def refuse_next_create(self, message: str) -> None:
        """The next create fails validation with ``message`` (a lock date, a closed period)."""
        with self.lock:
            self._refusals.append(message)

    def show_hidden(self) -> None:
        with self.lock:
            self._hidden.clear()

    # -- the API --------------------------------------------------------------------------

    def operation(self, request: Request) -> str:
        if request.path == _BASE:
            return {"PUT": "create", "GET": "list"}.get(request.method, "unknown")
        if request.path.startswith(_BASE + "/"):
            return {"GET": "read", "POST": "update"}.get(request.method, "unknown")
        return "unknown"

    def rate_limited(self, fault_retry_after: str | None) -> Reply:
        reply = super().rate_limited(fault_retry_after)
        reply.headers["X-Rate-Limit-Problem"] = "minute"
        return reply

    def authorized(self, header: str | None) -> bool:
        return header == f"Bearer {self.token}" or (self.accept is not None
                                                     and self.accept(header))

    def handle(self, request: Request) -> Reply:
        if not self.authorized(request.headers.get("authorization")):
            return Reply(401, {"Type": None, "Title": "Unauthorized", "Status": 401,
                               "Detail": "AuthenticationUnsuccessful", "Extensions": {}})
        if request.headers.get("xero-tenant-id") != self.tenant_id:
            return Reply(403, {"Type": None, "Title": "Forbidden", "Status": 403,
                               "Detail": "AuthenticationUnsuccessful", "Extensions": {}})
        if request.op == "create":
            return self._create(request)
        if request.op == "list":
            return self._list(request.params)
        invoice_id = request.path[len(_BASE) + 1:]
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            return Reply(404, "The resource you're looking for cannot be found")
        if request.op == "read":
            return Reply(200, self._envelope([invoice]))
        if request.op == "update":
            return self._update(invoice, request.body)
        return Reply(405, "Method not allowed")

    def _envelope(self, invoices: list[dict[str, Any]]) -> dict[str, Any]:
        return {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "orderupd-tui tests",
                "DateTimeUTC": f"/Date({int(datetime.now(UTC).timestamp() * 1000)})/",
                "Invoices": invoices}

    def _create(self, request: Request) -> Reply:
        key = request.headers.get("idempotency-key")
        if key and key in self._by_key:
            return Reply(200, self._by_key[key])
        if self._refusals:
            return Reply(400, validation_error(self._refusals.pop(0)))
        body = request.body if isinstance(request.body, dict) else {}
        created = []
        for raw in body.get("Invoices") or []:
            problems = []
            if raw.get("Type") not in ("ACCREC", "ACCPAY"):
                problems.append("Invoice Type must be specified")
            contact = raw.get("Contact") or {}
            if not (contact.get("Name") or contact.get("ContactID")):
                problems.append("A Contact must be specified for this type of transaction")
            lines = raw.get("LineItems") or []
            if raw.get("Status", "DRAFT") == "AUTHORISED" and not raw.get("DueDate"):
                problems.append("Due Date is required.")
            for line in lines:
                if not line.get("AccountCode"):
                    problems.append("Account code must be specified")
                amount = Decimal(str(line.get("LineAmount", 0)))
                expected = (Decimal(str(line.get("Quantity", 1)))
                            * Decimal(str(line.get("UnitAmount", 0))))
                if abs(amount - expected) >= Decimal("0.01"):
                    problems.append("The LineAmount does not match Quantity x UnitAmount")
            if problems:
                return Reply(400, validation_error(*problems))
            created.append(self._store(raw, lines))
        envelope = self._envelope(created)
        if key:
            self._by_key[key] = envelope
        return Reply(200, envelope)

    def _store(self, raw: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
        self._number += 1
        now = datetime.now(UTC)
        day = datetime.fromisoformat(raw.get("Date") or now.date().isoformat()).replace(tzinfo=UTC)
        due = datetime.fromisoformat(raw.get("DueDate") or day.date().isoformat()).replace(
            tzinfo=UTC)
        subtotal = sum((Decimal(str(line.get("LineAmount", 0))) for line in lines), Decimal(0))
        invoice = {
            "Type": raw["Type"],
            "InvoiceID": str(uuid.uuid4()),
            "InvoiceNumber": raw.get("InvoiceNumber") or f"INV-{self._number:04d}",
            "Reference": raw.get("Reference", ""),
            "Payments": [], "CreditNotes": [], "Prepayments": [], "Overpayments": [],
            "AmountDue": float(subtotal), "AmountPaid": 0.0, "AmountCredited": 0.0,
            "CurrencyRate": 1.0, "IsDiscounted": False, "HasAttachments": False,
            "HasErrors": False,
            "Contact": {"ContactID": str(uuid.uuid5(uuid.NAMESPACE_OID, str(raw["Contact"]))),
                        **raw["Contact"]},
            "DateString": day.strftime("%Y-%m-%dT00:00:00"),
            "Date": ms_date(day),
            "DueDateString": due.strftime("%Y-%m-%dT00:00:00"),
            "DueDate": ms_date(due),
            "Status": raw.get("Status", "DRAFT"),
            "LineAmountTypes": raw.get("LineAmountTypes", "Exclusive"),
            "LineItems": [{**line, "LineItemID": str(uuid.uuid4()), "TaxAmount": 0.0}
                          for line in lines],
            "SubTotal": float(subtotal), "TotalTax": 0.0, "Total": float(subtotal),
            "UpdatedDateUTC": ms_date(now),
            "CurrencyCode": raw.get("CurrencyCode", "NZD"),
        }
        self.invoices[invoice["InvoiceID"]] = invoice
        if self.hide_new_from_queries:
            self._hidden.add(invoice["InvoiceID"])
        return invoice

    def _list(self, params: dict[str, str]) -> Reply:
        rows = [i for i in self.invoices.values() if i["InvoiceID"] not in self._hidden]
        if params.get("IDs"):
            ids = {part.strip().lower() for part in params["IDs"].split(",")}
            rows = [i for i in rows if i["InvoiceID"].lower() in ids]
        for term in filter(None, re.split(r"\s+AND\s+", params.get("where", ""))):
            match = _TERM.match(term)
            if not match:
                return Reply(400, {"ErrorNumber": 16, "Type": "QueryParseException",
                                   "Message": f"could not parse where term {term!r}"})
            field, value = match.group(1), re.sub(r"\\(.)", r"\1", match.group(2))
            rows = [i for i in rows if str(i.get(field, "")) == value]
        page = int(params.get("page", "1"))
        return Reply(200, self._envelope(rows[(page - 1) * 100:page * 100]))

    def _update(self, invoice: dict[str, Any], body: Any) -> Reply:
        changes = (body or {}).get("Invoices") or [{}]
        status = changes[0].get("Status")
        current = invoice["Status"]
        if status == "VOIDED":
            if invoice.get("AmountPaid") or invoice.get("Payments"):
                return Reply(400, validation_error(
                    "This document cannot be edited as it has a payment or credit note "
                    "allocated to it."))
            if current not in ("AUTHORISED", "VOIDED"):
                return Reply(400, validation_error("Invoice not of valid status for "
                                                   "modification"))
        elif status == "DELETED":
            if current not in ("DRAFT", "SUBMITTED", "DELETED"):
                return Reply(400, validation_error("Invoice not of valid status for "
                                                   "modification"))
        elif status is not None:
            return Reply(400, validation_error(f"Status {status} cannot be set by this fake"))
        if status:
            invoice["Status"] = status
            invoice["UpdatedDateUTC"] = ms_date(datetime.now(UTC))
            if status == "VOIDED":
                invoice["AmountDue"] = 0.0
        return Reply(200, self._envelope([invoice]))

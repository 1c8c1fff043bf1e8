"""QuickBooks Online over its v3 REST API: a SalesReceipt for a paid order, else an Invoice.

Double posts are kept out three ways, because a lost answer must never
become a second document: every create carries ``requestid`` derived from
the posting id (QuickBooks answers a repeated requestid with the first
document); before creating, the document is looked up by ``DocNumber`` and
the posting marker it carries in ``PrivateNote``; and a create whose answer
was lost raises :class:`OutcomeUnknown` for the caller to reconcile.

QuickBooks has no status field for a voided sales form: a void zeroes its
amounts and sets its memo to "Voided", which is what is read back.  A
deleted document reads as fault 610, "Object Not Found".
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import httpx

from orderupd_tui.accounting.apiclient import ApiClient, SleepFn, json_body
from orderupd_tui.accounting.base import (
    AccountingConfigError,
    AccountingError,
    Document,
    DocumentGone,
    checked_amounts,
    idempotency_key,
)
from orderupd_tui.accounting.lines import DocLine, document_lines
from orderupd_tui.accounting.oauth import books_auth
from orderupd_tui.accounting.options import QUICKBOOKS_URL, QuickBooksOptions
from orderupd_tui.domain.order import NormalizedOrder, rounded, utc

DEFAULT_URL = QUICKBOOKS_URL
DEFAULT_MINORVERSION = "75"
ENTITIES = ("SalesReceipt", "Invoice")
DOCUMENT_CHOICES = {"auto": None, "sales_receipt": "SalesReceipt", "invoice": "Invoice"}
PAID = ("paid", "partially_refunded", "refunded")
"""Payment statuses meaning the money was received: the order gets a sales receipt."""

_DOCNUMBER_MAX = 21
_BATCH = 100
_NOT_FOUND = "610"
_STALE = "5010"


class QuickBooksFault(AccountingError):
    """A fault body from QuickBooks, with its error codes kept for the few that are handled."""

    def __init__(self, message: str, codes: list[str]) -> None:
        super().__init__(message)
        self.codes = codes


class QuickBooksBackend:
    """An :class:`~orderupd_tui.accounting.base.AccountingBackend` for one QuickBooks company.

    Document refs are ``Entity:Id`` (``SalesReceipt:123``), since an Id
    alone does not say which endpoint reads it.
    """

    name = "quickbooks"

    def __init__(
        self,
        *,
        realm_id: str,
        token: str | None = None,
        item_ref: str,
        customer_ref: str | None = None,
        document: str = "auto",
        url: str = DEFAULT_URL,
        minorversion: str = DEFAULT_MINORVERSION,
        shipping_item_ref: str | None = None,
        tax_item_ref: str | None = None,
        timeout: float = 30.0,
        deadline: float = 120.0,
        sleep: SleepFn = time.sleep,
        auth: httpx.Auth | None = None,
    ) -> None:
        if document not in DOCUMENT_CHOICES:
            raise AccountingConfigError(
                f"accounting.document: {document!r} is not one of {', '.join(DOCUMENT_CHOICES)}"
            )
        if document != "sales_receipt" and not customer_ref:
            raise AccountingConfigError(
                "accounting.customer_ref: required unless document is sales_receipt "
                "(QuickBooks invoices need a customer)"
            )
        self.document = document
        self.item_ref = item_ref
        self.customer_ref = customer_ref
        self.shipping_item_ref = shipping_item_ref or item_ref
        self.tax_item_ref = tax_item_ref or item_ref
        self.minorversion = minorversion
        self._api = ApiClient(
            "QuickBooks",
            f"{url.rstrip('/')}/v3/company/{realm_id}",
            token=token,
            auth=auth,
            timeout=timeout,
            deadline=deadline,
            sleep=sleep,
        )

    @classmethod
    def from_options(cls, options: QuickBooksOptions) -> QuickBooksBackend:
        """Build from the validated ``accounting:`` section."""
        return cls(
            url=options.url,
            realm_id=options.realm_id,
            auth=books_auth(options),
            item_ref=options.item_ref,
            document=options.document,
            minorversion=options.minorversion,
            customer_ref=options.customer_ref,
            shipping_item_ref=options.shipping_item_ref,
            tax_item_ref=options.tax_item_ref,
            timeout=options.timeout,
            deadline=options.deadline,
        )

    # -- the protocol ---------------------------------------------------------------------

    def post(self, order: NormalizedOrder, ref: str, posting_id: str) -> str:
        """Create the sales receipt or invoice, unless this posting already made it."""
        checked_amounts(order, ref)
        number = _doc_number(order, ref)
        existing = self._lookup(number, posting_id)
        if existing is not None:
            return existing.ref
        entity = self._entity_for(order)
        data = self._call(
            "POST", f"/{entity.lower()}", what=f"create {entity} {number} for order {ref}",
            params={"requestid": idempotency_key(posting_id)},
            body=self._document(entity, order, ref, number, posting_id), creating=True,
        )
        return f"{entity}:{data[entity]['Id']}"

    def void(self, document_ref: str) -> None:
        """Void with the current SyncToken; re-read it once if someone edited meanwhile."""
        entity, doc_id = _parse_ref(document_ref)
        for attempt in (1, 2):
            doc = self._read(entity, doc_id)
            if doc is None:
                raise DocumentGone(f"QuickBooks no longer has {entity} {doc_id} "
                                   "(deleted there): nothing to void")
            if _is_voided(doc):
                return
            try:
                self._void(entity, doc_id, str(doc.get("SyncToken", "0")))
                return
            except QuickBooksFault as fault:
                if _STALE not in fault.codes or attempt == 2:
                    raise

    def find(self, ref: str, order: NormalizedOrder, posting_id: str) -> Document | None:
        """The document this posting created, found by DocNumber and its posting marker."""
        return self._lookup(_doc_number(order, ref), posting_id)

    def status(self, document_ref: str) -> str:
        return self.statuses([document_ref])[document_ref]

    def statuses(self, document_refs: Iterable[str]) -> dict[str, str]:
        """Read the documents a hundred at a time; one that is not returned was deleted."""
        refs = list(document_refs)
        wanted: dict[str, list[str]] = {}
        for ref in refs:
            entity, doc_id = _parse_ref(ref)
            wanted.setdefault(entity, []).append(doc_id)
        found: dict[str, str] = {}
        for entity, ids in wanted.items():
            for start in range(0, len(ids), _BATCH):
                chunk = ids[start:start + _BATCH]
                listed = ", ".join(f"'{i}'" for i in chunk)
                for doc in self._query(f"select * from {entity} where Id in ({listed}) "
                                       f"maxresults {_BATCH}", entity):
                    found[f"{entity}:{doc['Id']}"] = "voided" if _is_voided(doc) else "posted"
        return {ref: found.get(ref, "deleted") for ref in refs}

    def close(self) -> None:
        self._api.close()

    # -- requests -------------------------------------------------------------------------

    def _lookup(self, number: str, posting_id: str) -> Document | None:
        marker = _marker(posting_id)
        chosen = DOCUMENT_CHOICES[self.document]
        for entity in (chosen,) if chosen else ENTITIES:
            for doc in self._query(f"select * from {entity} where DocNumber = "
                                   f"'{_quote(number)}'", entity):
                if marker in str(doc.get("PrivateNote", "")):
                    status = "voided" if _is_voided(doc) else "posted"
                    return Document(f"{entity}:{doc['Id']}", status, str(doc.get("DocNumber")))
        return None

    def _query(self, sql: str, entity: str) -> list[dict[str, Any]]:
        data = self._call("GET", "/query", what=f"look up {entity}s", params={"query": sql})
        rows = data.get("QueryResponse", {}).get(entity, [])
        return [row for row in rows if isinstance(row, dict)]

    def _read(self, entity: str, doc_id: str) -> dict[str, Any] | None:
        try:
            data = self._call("GET", f"/{entity.lower()}/{doc_id}", what=f"read {entity} {doc_id}")
        except QuickBooksFault as fault:
            if _NOT_FOUND in fault.codes:
                return None
            raise
        doc = data.get(entity)
        if not isinstance(doc, dict) or doc.get("status") == "Deleted":
            return None
        return doc

    def _void(self, entity: str, doc_id: str, sync_token: str) -> None:
        if entity == "SalesReceipt":
            params = {"operation": "update", "include": "void"}
            body: dict[str, Any] = {"Id": doc_id, "SyncToken": sync_token, "sparse": True}
        else:
            params = {"operation": "void"}
            body = {"Id": doc_id, "SyncToken": sync_token}
        self._call("POST", f"/{entity.lower()}", what=f"void {entity} {doc_id}", params=params,
                   body=body)

    def _call(self, method: str, path: str, *, what: str, params: Mapping[str, str] | None = None,
              body: Any = None, creating: bool = False) -> dict[str, Any]:
        response = self._api.request(
            method, path, what=what, params={**(params or {}), "minorversion": self.minorversion},
            body=body, creating=creating,
        )
        data = json_body(response)
        fault = parse_fault(data)
        if fault is not None:
            text, codes = fault
            raise QuickBooksFault(self._api.scrub(f"QuickBooks could not {what}: {text}"), codes)
        if response.status_code == 401:
            raise self._api.error(f"QuickBooks refused the token (HTTP 401) to {what}: "
                                  "renew the access token")
        if response.status_code >= 400 or not isinstance(data, dict):
            raise self._api.error(f"QuickBooks answered HTTP {response.status_code} "
                                  f"{_reason(response)} to {what}")
        return data

    # -- what is sent ---------------------------------------------------------------------

    def _entity_for(self, order: NormalizedOrder) -> str:
        chosen = DOCUMENT_CHOICES[self.document]
        if chosen:
            return chosen
        return "SalesReceipt" if order.payment_status in PAID else "Invoice"

    def _document(self, entity: str, order: NormalizedOrder, ref: str, number: str,
                  posting_id: str) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "DocNumber": number,
            "TxnDate": utc(order.created_at).date().isoformat(),
            "PrivateNote": f"Order {ref} posted by orderupd-tui {_marker(posting_id)}",
            "CurrencyRef": {"value": order.currency},
            "Line": [self._line(line, order.currency) for line in document_lines(order, ref)],
        }
        if self.customer_ref:
            doc["CustomerRef"] = {"value": self.customer_ref}
        elif entity == "Invoice":
            raise AccountingError("QuickBooks invoices need accounting.customer_ref")
        return doc

    def _line(self, line: DocLine, currency: str) -> dict[str, Any]:
        amount, price = rounded(line.amount, currency), rounded(line.unit_price, currency)
        if line.kind == "discount":
            return {"DetailType": "DiscountLineDetail", "Amount": _num(-amount),
                    "DiscountLineDetail": {"PercentBased": False}}
        item = {"shipping": self.shipping_item_ref, "tax": self.tax_item_ref}.get(
            line.kind, self.item_ref)
        return {
            "DetailType": "SalesItemLineDetail",
            "Amount": _num(amount),
            "Description": line.description[:4000],
            "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": _num(line.quantity),
                                    "UnitPrice": _num(price)},
        }


def parse_fault(data: Any) -> tuple[str, list[str]] | None:
    """``(one line, codes)`` from a fault body, ``None`` if it is not one.

    QuickBooks spells it ``Fault``/``Error`` (validation) or ``fault``/``error``
    (authentication), and its details may span lines.
    """
    if not isinstance(data, dict):
        return None
    fault = data.get("Fault") or data.get("fault")
    if not isinstance(fault, dict):
        return None
    errors = fault.get("Error") or fault.get("error") or []
    parts, codes = [], []
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, dict):
            continue
        message = str(error.get("Message") or error.get("message") or "").strip()
        detail = str(error.get("Detail") or error.get("detail") or "").strip()
        code = str(error.get("code") or error.get("Code") or "")
        text = detail if detail.startswith(message) else f"{message}: {detail}".strip(": ")
        parts.append(f"{text} [{code}]" if code else text)
        codes.append(code)
    kind = fault.get("type") or fault.get("Type") or "fault"
    return " ".join(("; ".join(parts) or str(kind)).split()), codes


def _is_voided(doc: Mapping[str, Any]) -> bool:
    note = str(doc.get("PrivateNote", ""))
    return note.startswith("Voided") and Decimal(str(doc.get("TotalAmt", 0))) == 0


def _doc_number(order: NormalizedOrder, ref: str) -> str:
    number = order.number.lstrip("#")
    if not number or len(number) > _DOCNUMBER_MAX:
        raise AccountingError(f"order {ref}: number {order.number!r} cannot be a QuickBooks "
                              f"DocNumber (1 to {_DOCNUMBER_MAX} characters)")
    return number


def _parse_ref(document_ref: str) -> tuple[str, str]:
    entity, _, doc_id = document_ref.partition(":")
    if entity not in ENTITIES or not doc_id.isdigit():
        raise AccountingError(f"{document_ref!r} is not a QuickBooks document ref "
                              "(SalesReceipt:ID or Invoice:ID)")
    return entity, doc_id


def _marker(posting_id: str) -> str:
    return f"[posting {posting_id}]"


def _quote(text: str) -> str:
    """A value made safe inside a quoted string of the QuickBooks query language."""
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _num(value: Decimal) -> float | int:
    """A JSON number; amounts have at most 3 decimals and 15 digits, which a float's
    shortest ``repr`` writes exactly."""
    return int(value) if value == value.to_integral_value() else float(value)


def _reason(response: httpx.Response) -> str:
    return response.reason_phrase or ""

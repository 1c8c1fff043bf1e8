"""A fake QuickBooks Online company speaking the v3 shapes in ../shared/fixtures/quickbooks/.

What it does as QuickBooks does (per Intuit's reference pages and the
fixtures): ``POST /v3/company/{realm}/salesreceipt|invoice`` creates, and a
repeated ``requestid`` answers with the first document instead of a second;
``GET .../query?query=select * from E where DocNumber = '...'`` (or
``where Id in (...)``) answers ``{"QueryResponse": {E: [...]}}``; ``GET
.../E/{id}`` reads; a void (``operation=update&include=void`` for a sales
receipt, ``operation=void`` for an invoice) checks the ``SyncToken`` and
answers fault 5010 when it is stale, else zeroes the amounts and sets the
memo to "Voided"; a deleted or unknown document reads as fault 610.  A bad
token gets the lower-case ``fault`` body QuickBooks sends with a 401.

Test hooks: :meth:`void_in_books`, :meth:`delete_in_books`,
:meth:`edit_in_books` (bumps the SyncToken), ``hide_new_from_queries`` (the
query index lagging behind creates), and the faults of :mod:`httpfake`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.fakes.httpfake import FakeApi, Reply, Request

_PATH = re.compile(r"^/v3/company/([^/]+)/(salesreceipt|invoice|query)(?:/(\d+))?$")
_ENTITY = {"salesreceipt": "SalesReceipt", "invoice": "Invoice"}
_QUERY = re.compile(
    r"^\s*select \* from (\w+)(?: where (.+?))?(?: startposition (\d+))?(?: maxresults (\d+))?\s*$",
    re.IGNORECASE,
)
_BY_NUMBER = re.compile(r"^DocNumber = '((?:[^'\\]|\\.)*)'$", re.IGNORECASE)
_BY_IDS = re.compile(r"^Id in \(([^)]*)\)$", re.IGNORECASE)


def fault(code: str, message: str, detail: str, kind: str = "ValidationFault") -> dict[str, Any]:
    """A fault body in the shape of the fixtures' ``Fault`` objects."""
    return {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code,
                                 "element": ""}], "type": kind}, "time": _now()}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class QuickBooksFake(FakeApi):
    """One QuickBooks company; ``documents`` maps (entity, Id) to the stored document."""

    def __init__(self, *, realm_id: str = "9130355555555555", token: str = "qbo-test-token",
                 items: tuple[str, ...] = ("1", "2", "3"), customers: tuple[str, ...] = ("1",)
                 ) -> None:
        super().__init__()
        self.realm_id = realm_id
        self.token = token
        self.accept: Callable[[str | None], bool] | None = None
        """Also accept what this says is live (an :class:`OAuthFake`'s tokens)."""
        self.items = set(items)
        self.customers = set(customers)
        self.documents: dict[tuple[str, str], dict[str, Any]] = {}
        self.hide_new_from_queries = False
        self._hidden: set[tuple[str, str]] = set()
        self._by_requestid: dict[str, tuple[str, str]] = {}
        self._next_id = 100

    # -- test hooks -----------------------------------------------------------------------

    def count(self, entity: str, doc_number: str | None = None) -> int:
        """How many documents of ``entity`` (with this DocNumber) the company holds."""
        with self.lock:
            return sum(1 for (e, _), doc in self.documents.items()
                       if e == entity and doc_number in (None, doc.get("DocNumber")))

    def void_in_books(self, entity: str, doc_id: str) -> None:
        """Void a document as a person would in QuickBooks."""
        with self.lock:
            self._void(self.documents[(entity, doc_id)])

    def delete_in_books(self, entity: str, doc_id: str) -> None:
        with self.lock:
            del self.documents[(entity, doc_id)]

    def edit_in_books(self, entity: str, doc_id: str) -> None:
        """Someone else saves the document: its SyncToken moves on."""
        with self.lock:
            doc = self.documents[(entity, doc_id)]
            doc["SyncToken"] = str(int(doc["SyncToken"]) + 1)

    def show_hidden(self) -> None:
        """The query index catches up with the creates."""
        with self.lock:
            self._hidden.clear()

    # -- the API --------------------------------------------------------------------------

    def operation(self, request: Request) -> str:
        match = _PATH.match(request.path)
        if not match:
            return "unknown"
        if match.group(2) == "query":
            return "query"
        if request.method == "GET":
            return "read"
        operation = request.params.get("operation")
        if operation is None:
            return "create"
        return {"void": "void", "delete": "delete"}.get(operation, "void" if
                                                        request.params.get("include") == "void"
                                                        else "update")

    def stale(self, request: Request) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        match = _PATH.match(request.path)
        if match and match.group(2) in _ENTITY:
            key = (_ENTITY[match.group(2)], str(body.get("Id")))
            if key in self.documents:
                self.edit_in_books(*key)

    def authorized(self, header: str | None) -> bool:
        return header == f"Bearer {self.token}" or (self.accept is not None
                                                     and self.accept(header))

    def handle(self, request: Request) -> Reply:
        if not self.authorized(request.headers.get("authorization")):
            return Reply(401, {"fault": {"error": [{
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": "Token expired: the access token is invalid or has expired",
                "code": "3200"}], "type": "AUTHENTICATION"}, "time": _now()})
        match = _PATH.match(request.path)
        if not match or match.group(1) != self.realm_id:
            return Reply(400, fault("2010", "Request has invalid or unsupported property",
                                    f"unknown path {request.path}"))
        op = request.op
        if op == "query":
            return self._query(request.params.get("query", ""))
        entity = _ENTITY[match.group(2)]
        if op == "read":
            doc = self.documents.get((entity, match.group(3) or ""))
            if doc is None:
                return _not_found()
            return Reply(200, {entity: doc, "time": _now()})
        if op == "create":
            return self._create(entity, request)
        if op == "void":
            return self._void_request(entity, request)
        if op == "delete":
            body = request.body or {}
            doc_id = str(body.get("Id"))
            if self.documents.pop((entity, doc_id), None) is None:
                return _not_found()
            return Reply(200, {entity: {"status": "Deleted", "domain": "QBO", "Id": doc_id},
                               "time": _now()})
        return Reply(400, fault("2010", "Request has invalid or unsupported property",
                                f"operation {request.params.get('operation')} is not supported"))

    def _create(self, entity: str, request: Request) -> Reply:
        requestid = request.params.get("requestid")
        if requestid and requestid in self._by_requestid:
            key = self._by_requestid[requestid]
            return Reply(200, {entity: self.documents.get(key, {}), "time": _now()})
        body = request.body if isinstance(request.body, dict) else {}
        lines = body.get("Line") or []
        if not lines:
            return Reply(400, fault("2020", "Required param missing, need to supply the "
                                    "required value for the API",
                                    "Required parameter Line is missing in the request"))
        customer = (body.get("CustomerRef") or {}).get("value")
        if entity == "Invoice" and not customer:
            return Reply(400, fault("2020", "Required param missing, need to supply the "
                                    "required value for the API",
                                    "Required parameter CustomerRef is missing in the request"))
        if customer and customer not in self.customers:
            return _not_found()  # what an inactive or unknown ref gets
        total = Decimal(0)
        for line in lines:
            amount = Decimal(str(line.get("Amount", 0)))
            if line.get("DetailType") == "DiscountLineDetail":
                total -= amount
            elif line.get("DetailType") == "SalesItemLineDetail":
                item = line.get("SalesItemLineDetail", {}).get("ItemRef", {}).get("value")
                if item not in self.items:
                    return _not_found()  # what an inactive or unknown ref gets
                total += amount
        self._next_id += 1
        doc_id = str(self._next_id)
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        doc = {
            **body,
            "Id": doc_id,
            "SyncToken": "0",
            "domain": "QBO",
            "sparse": False,
            "TotalAmt": float(total),
            "Balance": float(total) if entity == "Invoice" else 0,
            "Line": [*lines, {"DetailType": "SubTotalLineDetail", "Amount": float(total),
                              "SubTotalLineDetail": {}}],
            "TxnDate": body.get("TxnDate") or datetime.now(UTC).date().isoformat(),
            "MetaData": {"CreateTime": stamp, "LastUpdatedTime": stamp},
        }
        self.documents[(entity, doc_id)] = doc
        if self.hide_new_from_queries:
            self._hidden.add((entity, doc_id))
        if requestid:
            self._by_requestid[requestid] = (entity, doc_id)
        return Reply(200, {entity: doc, "time": _now()})

    def _void_request(self, entity: str, request: Request) -> Reply:
        body = request.body if isinstance(request.body, dict) else {}
        doc = self.documents.get((entity, str(body.get("Id"))))
        if doc is None:
            return _not_found()
        if str(body.get("SyncToken")) != doc["SyncToken"]:
            return Reply(400, fault("5010", "Stale Object Error",
                                    "Stale Object Error : You and root were working on this at "
                                    "the same time. root finished before you did, so your work "
                                    "was not saved."))
        self._void(doc)
        return Reply(200, {entity: doc, "time": _now()})

    def _void(self, doc: dict[str, Any]) -> None:
        doc["PrivateNote"] = "Voided"
        doc["TotalAmt"] = 0
        doc["Balance"] = 0
        for line in doc["Line"]:
            line["Amount"] = 0
            if "SalesItemLineDetail" in line:
                line["SalesItemLineDetail"]["Qty"] = 0
        doc["SyncToken"] = str(int(doc["SyncToken"]) + 1)

    def _query(self, sql: str) -> Reply:
        match = _QUERY.match(sql)
        entity = _ENTITY.get(match.group(1).lower()) if match else None
        if not match or not entity:
            return Reply(400, fault("4000", "Error parsing query",
                                    f"QueryParserError: cannot parse {sql!r}"))
        where = match.group(2) or ""
        rows = [doc for (e, i), doc in self.documents.items()
                if e == entity and (e, i) not in self._hidden]
        by_number = _BY_NUMBER.match(where)
        by_ids = _BY_IDS.match(where)
        if by_number:
            number = re.sub(r"\\(.)", r"\1", by_number.group(1))
            rows = [doc for doc in rows if doc.get("DocNumber") == number]
        elif by_ids:
            ids = {part.strip().strip("'") for part in by_ids.group(1).split(",")}
            rows = [doc for doc in rows if doc["Id"] in ids]
        elif where:
            return Reply(400, fault("4000", "Error parsing query",
                                    f"QueryParserError: unsupported where {where!r}"))
        start = int(match.group(3) or 1)
        limit = int(match.group(4) or 100)
        rows = rows[start - 1:start - 1 + limit]
        response: dict[str, Any] = {}
        if rows:
            response = {entity: rows, "startPosition": start, "maxResults": len(rows)}
        return Reply(200, {"QueryResponse": response, "time": _now()})


def _not_found() -> Reply:
    return Reply(400, fault("610", "Object Not Found",
                            "Object Not Found : Something you're trying to use has been made "
                            "inactive. Check the fields with accounts, customers, items, vendors "
                            "or employees."))

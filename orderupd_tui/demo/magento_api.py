"""Magento 2 REST orders (``/rest/{store_code}/V1/orders``) over the demo store, with its quirks.

Routes (store code ``default`` or ``all``, or none: ``/rest/V1/...``):

- ``GET /V1/orders?searchCriteria[...]``: ``filter_groups`` (filters in a
  group are OR-ed, groups AND-ed) on ``entity_id``, ``increment_id``,
  ``created_at``, ``updated_at``, ``state`` and ``status`` with the
  condition types ``eq neq gt gteq lt lteq in nin``; ``sortOrders`` on
  ``entity_id``, ``increment_id``, ``created_at`` or ``updated_at`` (``ASC``
  or ``DESC``; entity id order by default and among ties); ``pageSize``
  (everything when absent) and ``currentPage``. The answer is ``{items,
  search_criteria, total_count}``. ``searchCriteria`` itself is required.
- ``GET /V1/orders/{entity_id}``.

**The pre-2.4 paging trap** (``legacy_paging``, on by default): a page past
the end repeats the last page instead of coming back empty, so a client
that reads until an empty page never stops; it must stop on ``total_count``.

Times, in answers and in filters, are ``Y-m-d H:i:s`` in UTC whatever the
store's locale zone (Magento converts only for its admin pages). Auth is an
integration's or an admin's Bearer token. Magento has no rate limit of its
own; the one in front of it (Fastly on Adobe Commerce Cloud) answers 429
with ``Retry-After``, as the leaky bucket does here. Errors are
``{"message", "parameters"}``, the message a template with ``%name`` holes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from orderupd_tui.demo import magento_shape
from orderupd_tui.demo.listing import Listings, Shapes, dumps, json_list, page_of
from orderupd_tui.demo.ratelimit import LeakyBucket
from orderupd_tui.demo.state import DemoStore, Entry
from orderupd_tui.demo.web import Request, Response, json_response

STORE_CODES = ("default", "all")
CONDITIONS = ("eq", "neq", "gt", "gteq", "lt", "lteq", "in", "nin")
UNAUTHORIZED = "The consumer isn't authorized to access %resources."

_ROUTE = re.compile(r"^/rest(?:/(?P<store>[a-z0-9_]+))?/V1/orders(?:/(?P<id>\d+))?/?$")
_BRACKETS = re.compile(r"\[([^\]]*)\]")


class _Problem(Exception):
    def __init__(self, status: int, message: str, parameters: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.parameters = parameters


Row = Callable[[Entry], Any]


def _state(entry: Entry) -> str:
    return magento_shape.state_of(entry.cancelled, entry.financial_status,
                                  entry.fulfillment_status)


#: What each filterable field reads off an entry, and how a filter value is parsed to match.
_FIELDS: dict[str, tuple[Row, Callable[[str], Any]]] = {
    "entity_id": (lambda e: e.order_id, int),
    "increment_id": (lambda e: int(e.name.lstrip("#")), int),
    "created_at": (lambda e: e.created_ts, lambda v: _utc_seconds(v)),
    "updated_at": (lambda e: e.updated_ts, lambda v: _utc_seconds(v)),
    "state": (_state, str),
    "status": (lambda e: magento_shape.status_of(_state(e)), str),
}
_SORTABLE = ("entity_id", "increment_id", "created_at", "updated_at")


class MagentoApi:
    """Answers Magento 2 REST order requests from a :class:`DemoStore`."""

    name = "magento"
    prefix = "/rest/"

    def __init__(self, store: DemoStore, token: str, bucket: LeakyBucket | None) -> None:
        self.store = store
        self.token = token
        self.bucket = bucket
        #: Before 2.4 a page past the end repeats the last page (see the module doc).
        self.legacy_paging = True
        self.listings = Listings(store)
        self.shapes: Shapes[bytes] = Shapes(
            lambda order, base: dumps(magento_shape.shape(order, base)))

    def endpoint(self, request: Request) -> str:
        match = _ROUTE.match(request.path)
        if not match:
            return "unknown"
        return "orders" if match["id"] is None else "order"

    def error(self, status: int, retry_after: float | None = None) -> Response:
        if status == 401:
            problem = _Problem(401, UNAUTHORIZED, {"resources": "Magento_Sales::actions_view"})
        elif status == 404:
            problem = _Problem(404, "Request does not match any route.")
        elif status == 429:
            problem = _Problem(429, "Too many requests. Retry after %1 seconds.",
                               [str(retry_after)])
        else:
            problem = _Problem(status, "Internal Error. Details are available in Magento log "
                                       "file. Report ID: %1", ["webapi-6a1f0c2b3d4e5"])
        response = _error(problem)
        if retry_after is not None:
            response.headers.append(("Retry-After", f"{retry_after:g}"))
        return response

    def handle(self, request: Request) -> Response:
        header = request.header("Authorization") or ""
        if header[:7].lower() != "bearer " or header[7:].strip() != self.token:
            return self.error(401)
        if self.bucket is not None:
            allowed, _ = self.bucket.take()
            if not allowed:  # whole seconds until the bucket has leaked one call
                return self.error(429, math.ceil(1 / self.bucket.leak_rate))
        try:
            match = _ROUTE.match(request.path)
            if match is None or request.method != "GET":
                raise _Problem(404, "Request does not match any route.")
            if match["store"] is not None and match["store"] not in STORE_CODES:
                raise _Problem(400, "The store that was requested wasn't found. Verify the "
                                    "store and try again.")
            if match["id"] is not None:
                entry = self.store.entry(int(match["id"]))
                if entry is None:
                    raise _Problem(404, "The entity that was requested doesn't exist. Verify "
                                        "the entity and try again.")
                return Response(200, self.shapes.get(entry, request.base_url))
            return self._search(request)
        except _Problem as problem:
            return _error(problem)

    def _search(self, request: Request) -> Response:
        criteria = _criteria(request)
        groups = _filter_groups(criteria.get("filter_groups"))
        sorts = _sort_orders(criteria.get("sortOrders"))
        size = _number(criteria, "pageSize")
        current = _number(criteria, "currentPage") or 1

        def keep(entry: Entry) -> bool:
            return all(any(test(entry) for test in group) for group in groups)

        def sort(entry: Entry) -> tuple[Any, ...]:
            keys = [-_FIELDS[f][0](entry) if desc else _FIELDS[f][0](entry) for f, desc in sorts]
            return (*keys, entry.order_id)

        key = ("search", tuple(tuple(sorted(g)) for g in _group_keys(criteria)),
               tuple(sorts))
        found = self.listings.matching(key, keep, sort)
        total = len(found)
        page = current
        if size is not None and self.legacy_paging and total:
            page = min(current, -(-total // size))
        chosen = found if size is None else page_of(found, page, size)
        echo: dict[str, Any] = {"filter_groups": _echo_groups(criteria.get("filter_groups")),
                                "sort_orders": [{"field": f, "direction": "DESC" if d else "ASC"}
                                                for f, d in sorts]}
        if size is not None:
            echo.update(page_size=size, current_page=current)
        body = (b'{"items":' + json_list([self.shapes.get(e, request.base_url) for e in chosen])
                + b',"search_criteria":' + dumps(echo)
                + b',"total_count":' + str(total).encode() + b"}")
        return Response(200, body)


def _criteria(request: Request) -> dict[str, Any]:
    """The ``searchCriteria[a][0][b]=v`` parameters as nested dicts; required, as in Magento."""
    criteria: dict[str, Any] = {}
    present = False
    for name, values in request.query.items():
        if not name.startswith("searchCriteria"):
            continue
        present = True
        parts = _BRACKETS.findall(name[len("searchCriteria"):])
        if not parts:
            continue
        node = criteria
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise _Problem(400, '"%fieldName" is malformed.', {"fieldName": name})
            node = child
        node[parts[-1]] = values[-1]
    if not present:
        raise _Problem(400, '"%fieldName" is required. Enter and try again.',
                       {"fieldName": "searchCriteria"})
    return criteria


def _indexed(node: Any) -> list[Any]:
    """A ``[0]``, ``[1]``... node as a list, in index order."""
    if not isinstance(node, dict):
        return []
    return [node[k] for k in sorted(node, key=lambda k: int(k) if k.isdigit() else 0)]


def _group_keys(criteria: dict[str, Any]) -> list[list[tuple[str, str, str]]]:
    return [[(str(f.get("field")), str(f.get("value")), str(f.get("condition_type", "eq")))
             for f in _indexed(g.get("filters")) if isinstance(f, dict)]
            for g in _indexed(criteria.get("filter_groups")) if isinstance(g, dict)]


def _filter_groups(node: Any) -> list[list[Callable[[Entry], bool]]]:
    groups = []
    for group in _indexed(node):
        tests = []
        for spec in _indexed(group.get("filters") if isinstance(group, dict) else None):
            if isinstance(spec, dict):
                tests.append(_test(spec))
        if tests:
            groups.append(tests)
    return groups


def _test(spec: dict[str, Any]) -> Callable[[Entry], bool]:
    field = spec.get("field")
    condition = spec.get("condition_type") or "eq"
    value = str(spec.get("value", ""))
    if field not in _FIELDS:
        raise _Problem(400, 'The "%1" field can\'t be used in a filter here.', [str(field)])
    if condition not in CONDITIONS:
        raise _Problem(400, 'Invalid condition type "%1".', [str(condition)])
    read, parse = _FIELDS[field]
    try:
        if condition in ("in", "nin"):
            options = {parse(v.strip()) for v in value.split(",") if v.strip()}
            inside = condition == "in"
            return lambda e: (read(e) in options) == inside
        target = parse(value)
    except ValueError:
        raise _Problem(400, 'Invalid value of "%value" provided for the %fieldName field.',
                       {"value": value, "fieldName": field}) from None
    compare: dict[str, Callable[[Any], bool]] = {
        "eq": lambda v: v == target, "neq": lambda v: v != target,
        "gt": lambda v: v > target, "gteq": lambda v: v >= target,
        "lt": lambda v: v < target, "lteq": lambda v: v <= target,
    }
    check = compare[condition]
    return lambda e: bool(check(read(e)))


def _sort_orders(node: Any) -> list[tuple[str, bool]]:
    sorts = []
    for spec in _indexed(node):
        if not isinstance(spec, dict):
            continue
        field = spec.get("field")
        direction = str(spec.get("direction") or "ASC").upper()
        if field not in _SORTABLE or direction not in ("ASC", "DESC"):
            raise _Problem(400, 'Sorting by "%1" %2 is not supported here.',
                           [str(field), direction])
        sorts.append((str(field), direction == "DESC"))
    return sorts


def _number(criteria: dict[str, Any], name: str) -> int | None:
    value = criteria.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.isdigit() or int(value) < 1:
        raise _Problem(400, 'Invalid value of "%value" provided for the %fieldName field.',
                       {"value": str(value), "fieldName": name})
    return int(value)


def _echo_groups(node: Any) -> list[dict[str, Any]]:
    return [{"filters": [{"field": f.get("field"), "value": f.get("value"),
                          "condition_type": f.get("condition_type") or "eq"}
                         for f in _indexed(g.get("filters")) if isinstance(f, dict)]}
            for g in _indexed(node) if isinstance(g, dict)]


def _utc_seconds(value: str) -> int:
    """A filter time: ``Y-m-d H:i:s`` (or ``Y-m-d``, or ISO 8601), UTC unless it says otherwise."""
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _error(problem: _Problem) -> Response:
    body: dict[str, Any] = {"message": str(problem)}
    if problem.parameters is not None:
        body["parameters"] = problem.parameters
    return json_response(problem.status, body)

"""The demo store's own control API, under ``/_demo/``, for tests and the app's demo mode.

No auth, no rate limit, no faults, not counted in the API stats. Answers
JSON; errors are ``{"error": "one line"}`` with 400 (bad request), 404
(unknown order) or 409 (the order's state forbids the change).

- ``GET    /_demo/info``                    platform, order count, store clock, and
  ``client``: the connector options (URL and credentials) for the platform
- ``GET    /_demo/orders``                  summaries; filters ``limit``, ``eligible=KIND``,
  ``financial_status``, ``fulfillment_status`` (``null`` for unfulfilled),
  ``cancelled``, ``closed`` (``true``/``false``)
- ``GET    /_demo/orders/{id}``             ``{"order": {...}}``
- ``POST   /_demo/orders``                  ``{"count": n}`` -> ``{"ids": [...]}`` (201)
- ``POST   /_demo/orders/{id}/change``      ``{"kind": K, "updated_at": ISO?}``
  -> ``{"order": {...}}``
- ``DELETE /_demo/orders/{id}``             ``{"deleted": id}``
- ``POST   /_demo/faults``                  ``{"status", "body", "retry_after", "count",
  "after"}`` -> ``{"pending": n}`` (201)
- ``DELETE /_demo/faults``                  drop queued faults
- ``POST   /_demo/client/revoke``            shopify: rotate the app's client secret, which
  ends its tokens too -> ``{"client": {..., "client_secret"}}``
- ``GET    /_demo/stats`` / ``DELETE /_demo/stats``   API request counts / reset them
- ``POST   /_demo/mals/send``               ``{"url", "count", "duplicate", "username"}``:
  create ``count`` orders and post their Mal's remote calls to ``url`` (on this
  machine only) -> ``{"calls": [{"id", "status", "answer"}]}``
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from orderupd_tui.demo.faults import Fault, FaultQueue
from orderupd_tui.demo.mals_calls import DEMO_MALS_ID, send_remote_calls
from orderupd_tui.demo.mutations import CHANGE_KINDS, ChangeRefused
from orderupd_tui.demo.state import DemoStore
from orderupd_tui.demo.stats import Stats
from orderupd_tui.demo.web import Request, Response, json_response

PREFIX = "/_demo/"
_ORDER = re.compile(r"^/_demo/orders/(?P<id>\d+)(?P<change>/change)?$")
_SUMMARY_FILTERS = ("financial_status", "fulfillment_status", "cancelled", "closed")


class _Problem(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ControlApi:
    def __init__(self, store: DemoStore, faults: FaultQueue, stats: Stats,
                 platform: str, client: dict[str, str] | None = None,
                 revoke: Callable[[], dict[str, str]] | None = None) -> None:
        self.store = store
        self.faults = faults
        self.stats = stats
        self.platform = platform
        self.client = client or {}
        self._revoke = revoke

    def handle(self, request: Request) -> Response:
        try:
            return self._route(request)
        except _Problem as problem:
            return json_response(problem.status, {"error": str(problem)})
        except ValueError as exc:  # bad JSON body or field values
            return json_response(400, {"error": f"bad request: {exc}"})

    def _route(self, request: Request) -> Response:
        method, path = request.method, request.path.rstrip("/")
        if path == "/_demo/info" and method == "GET":
            return json_response(200, {"platform": self.platform, "orders": len(self.store),
                                       "now": self.store.now().isoformat(),
                                       "client": self.client})
        if path == "/_demo/client/revoke" and method == "POST" and self._revoke is not None:
            self.client = {**self.client, **self._revoke()}
            return json_response(200, {"client": self.client})
        if path == "/_demo/mals/send" and method == "POST":
            return self._send_mals(_body(request))
        if path == "/_demo/orders":
            if method == "GET":
                return json_response(200, {"orders": self._summaries(request)})
            if method == "POST":
                count = int(_body(request).get("count", 1))
                if not 1 <= count <= 100_000:
                    raise _Problem(400, "count must be between 1 and 100000")
                return json_response(201, {"ids": self.store.add_orders(count)})
        if path == "/_demo/faults":
            if method == "POST":
                pending = self.faults.push(Fault.from_json(_body(request)))
                return json_response(201, {"pending": pending})
            if method == "DELETE":
                self.faults.clear()
                return json_response(200, {"pending": 0})
        if path == "/_demo/stats":
            if method == "GET":
                return json_response(200, {**self.stats.snapshot(),
                                           "faults_pending": self.faults.pending()})
            if method == "DELETE":
                self.stats.reset()
                return json_response(200, self.stats.snapshot())
        match = _ORDER.match(path)
        if match:
            return self._order(request, int(match["id"]), bool(match["change"]))
        raise _Problem(404, f"no control route {method} {request.path}")

    def _order(self, request: Request, order_id: int, change: bool) -> Response:
        if change and request.method == "POST":
            body = _body(request)
            kind = body.get("kind")
            if kind not in CHANGE_KINDS:
                raise _Problem(400, f"kind must be one of {', '.join(CHANGE_KINDS)}")
            stamp = body.get("updated_at")
            updated_at = datetime.fromisoformat(stamp) if stamp else None
            if updated_at is not None and updated_at.tzinfo is None:
                updated_at = updated_at.replace(tzinfo=self.store.tz)
            try:
                order = self.store.change(order_id, kind, updated_at=updated_at)
            except KeyError:
                raise _Problem(404, f"no order {order_id}") from None
            except ChangeRefused as refused:
                raise _Problem(409, str(refused)) from None
            return json_response(200, {"order": order})
        if not change and request.method == "GET":
            found = self.store.get(order_id)
            if found is None:
                raise _Problem(404, f"no order {order_id}")
            return json_response(200, {"order": found})
        if not change and request.method == "DELETE":
            if not self.store.delete(order_id):
                raise _Problem(404, f"no order {order_id}")
            return json_response(200, {"deleted": order_id})
        raise _Problem(404, f"no control route {request.method} {request.path}")

    def _send_mals(self, body: dict[str, Any]) -> Response:
        url = body.get("url")
        count = int(body.get("count", 1))
        if not isinstance(url, str) or not url:
            raise _Problem(400, "url is required: the receiver's remote-call URL")
        if not 1 <= count <= 1000:
            raise _Problem(400, "count must be between 1 and 1000")
        calls = send_remote_calls(self.store, url, count, duplicate=bool(body.get("duplicate")),
                                  username=str(body.get("username") or DEMO_MALS_ID))
        return json_response(200, {"calls": [c.to_json() for c in calls]})

    def _summaries(self, request: Request) -> list[dict[str, Any]]:
        limit = request.param("limit")
        filters: dict[str, Any] = {}
        for name in _SUMMARY_FILTERS:
            value = request.param(name)
            if value is not None:
                filters[name] = {"null": None, "true": True, "false": False}.get(value, value)
        eligible = request.param("eligible")
        if eligible is not None:
            if eligible not in CHANGE_KINDS:
                raise _Problem(400, f"eligible must be one of {', '.join(CHANGE_KINDS)}")
            allowed = set(self.store.eligible(eligible))
            rows = [r for r in self.store.summaries(**filters) if r["id"] in allowed]
            return rows[: int(limit)] if limit else rows
        return self.store.summaries(int(limit) if limit else None, **filters)


def _body(request: Request) -> dict[str, Any]:
    data = request.json()
    if not isinstance(data, dict):
        raise _Problem(400, "the body must be a JSON object")
    return data

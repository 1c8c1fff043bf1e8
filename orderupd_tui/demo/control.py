"""A typed client for the demo store's ``/_demo/`` control API (see ``control_api``).

Tests use it to change, add and delete orders, queue faults and read the
request counts, against a server in this process or in another one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx


class DemoControlError(Exception):
    """The control API refused a request; the message is its one-line reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class DemoControl:
    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/") + "/_demo", timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> DemoControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self) -> dict[str, Any]:
        """``{"platform", "orders", "now", "client"}``: ``now`` is the store clock, ISO with
        offset; ``client`` the connector options (URL, credentials) for the platform."""
        return self._call("GET", "/info")

    def orders(self, *, limit: int | None = None, eligible: str | None = None,
               financial_status: str | None = None, fulfillment_status: str | None = None,
               unfulfilled: bool = False, cancelled: bool | None = None,
               closed: bool | None = None) -> list[dict[str, Any]]:
        """Order summaries ``{id, name, order_number, financial_status, fulfillment_status,
        cancelled, closed, updated_at}``, id ascending, filtered on every argument given.

        ``eligible=KIND`` keeps orders that change kind can be applied to;
        ``unfulfilled=True`` keeps orders whose ``fulfillment_status`` is null.
        """
        params: dict[str, str | int] = {}
        if limit is not None:
            params["limit"] = limit
        if eligible is not None:
            params["eligible"] = eligible
        if financial_status is not None:
            params["financial_status"] = financial_status
        if fulfillment_status is not None or unfulfilled:
            params["fulfillment_status"] = fulfillment_status or "null"
        for name, flag in (("cancelled", cancelled), ("closed", closed)):
            if flag is not None:
                params[name] = "true" if flag else "false"
        return list(self._call("GET", "/orders", params=params)["orders"])

    def order(self, order_id: int) -> dict[str, Any] | None:
        """The store's copy of one order (no auth, no rate limit), or None."""
        try:
            return dict(self._call("GET", f"/orders/{order_id}")["order"])
        except DemoControlError as exc:
            if exc.status == 404:
                return None
            raise

    def change(self, order_id: int, kind: str, *, updated_at: datetime | str | None = None
               ) -> dict[str, Any]:
        """Apply a change kind (``mutations.CHANGE_KINDS``); returns the new order.

        ``updated_at`` stamps the change with an earlier time (a late commit).
        Raises DemoControlError: 404 unknown order, 409 state forbids it.
        """
        body: dict[str, Any] = {"kind": kind}
        if updated_at is not None:
            body["updated_at"] = (updated_at.isoformat() if isinstance(updated_at, datetime)
                                  else updated_at)
        return dict(self._call("POST", f"/orders/{order_id}/change", json=body)["order"])

    def delete(self, order_id: int) -> bool:
        """Delete an order from the store; False if it was not there."""
        try:
            self._call("DELETE", f"/orders/{order_id}")
        except DemoControlError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def add_orders(self, count: int) -> list[int]:
        """Create new orders (placed now); returns their ids."""
        return [int(i) for i in self._call("POST", "/orders", json={"count": count})["ids"]]

    def fault(self, status: int = 500, *, body: str = "json", retry_after: float | None = None,
              count: int = 1, after: int = 0) -> int:
        """Make the next ``count`` API requests fail; returns how many are now set to fail.

        ``body``: ``json`` (the platform's error body), ``html`` (an nginx error
        page) or ``malformed`` (a 200 with truncated JSON). A 429 carries
        ``Retry-After`` (``retry_after``, default 2.0). ``after=n``: the faults
        start only once ``n`` more API requests have succeeded.
        """
        payload: dict[str, Any] = {"status": status, "body": body, "count": count,
                                   "after": after}
        if retry_after is not None:
            payload["retry_after"] = retry_after
        return int(self._call("POST", "/faults", json=payload)["pending"])

    def send_mals(self, url: str, count: int = 1, *, duplicate: bool = False,
                  username: str | None = None) -> list[dict[str, Any]]:
        """Create ``count`` orders and post their Mal's remote calls to ``url`` (loopback only).

        Returns ``[{"id", "status", "answer"}]``, one per call made (two per
        order with ``duplicate``); ``status`` 0 means the receiver was unreachable.
        """
        body: dict[str, Any] = {"url": url, "count": count, "duplicate": duplicate}
        if username is not None:
            body["username"] = username
        return list(self._call("POST", "/mals/send", json=body)["calls"])

    def revoke_client(self) -> dict[str, str]:
        """Shopify: rotate the demo app's client secret (its tokens stop working too)."""
        return dict(self._call("POST", "/client/revoke")["client"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def stats(self) -> dict[str, Any]:
        """``{api_requests, faults_applied, faults_pending, rate_limited, by_status: {"200": n},
        by_endpoint: {"orders"|"order"|"count"|"unknown": n}}``."""
        return self._call("GET", "/stats")

    def reset_stats(self) -> None:
        self._call("DELETE", "/stats")

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._http.request(method, path, **kwargs)
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.is_error:
            raise DemoControlError(response.status_code,
                                   str(data.get("error") or f"HTTP {response.status_code}"))
        return dict(data)

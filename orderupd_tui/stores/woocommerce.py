"""WooCommerce (REST API v3): order payloads normalized, and the client that pages through them.

WooCommerce keeps one ``status`` per order that mixes payment and
fulfilment, so fulfilment and the order's state are read off a table, and
payment from what says money moved: ``date_paid_gmt``, which WooCommerce
sets when the payment completes, and the refunds the order lists.  Its
``_gmt`` dates carry no zone mark but are UTC; the unsuffixed ones are in
the shop's zone and are never used.

Payment status (first match wins; "set", "null" and "absent" are
``date_paid_gmt``, absent in APIs older than 3.0):

- refunds listed: ``refunded`` if they cover the total, else ``partially_refunded``;
- ``refunded``: refunded;
- date absent: the status alone (:data:`STATUSES`);
- date set: ``paid``, except ``pending`` and ``failed``, which it contradicts: ``unknown``;
- date null, ``processing`` by cod, bacs or cheque: ``pending``;
- date null otherwise: the status alone, except that a ``paid`` it implies
  (``processing``, ``completed``) is ``unknown``.

The cash-on-delivery gateway puts an order in ``processing`` before any
money arrives and completes payment only when the order is completed, and
bank transfer and cheque orders wait in ``on-hold`` until a person marks
them paid; so ``processing`` with no payment date is money still owed,
not money received.  A date that contradicts the status is ``unknown``:
a wrong ``paid`` would send a receipt for money nobody has.

Money is in ``currency``, quantized to its ISO 4217 minor unit; line
totals and ``price`` are before tax whatever ``prices_include_tax`` says,
so they add up with ``total_tax`` to ``total``.  Quantities are decimals
(weight-priced products sell 1.5 kg).  A line id listed twice (WooCommerce
3.4 did this) is kept once and noted.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from orderupd_tui.domain.order import (
    Address,
    LineItem,
    NormalizedOrder,
    UnreadableField,
    currency_code,
    money,
    money_or_zero,
    quantity,
    utc,
)
from orderupd_tui.stores.base import Fetched, Page, RemoteOrder, StoreError, Unreadable, read_orders
from orderupd_tui.stores.http import DEFAULT_DEADLINE, HttpStoreClient, JsonHttp, RetryPolicy
from orderupd_tui.stores.lines import unique_lines

#: status -> (payment, fulfillment, order), the payment being what the status
#: alone says; :func:`_payment` corrects it from the payment date and refunds.
#: ``failed`` stays open because the customer may still pay it from their account.
STATUSES: dict[str, tuple[str, str, str]] = {
    "pending": ("pending", "unfulfilled", "open"),
    "processing": ("paid", "unfulfilled", "open"),
    "on-hold": ("pending", "unfulfilled", "open"),
    "completed": ("paid", "fulfilled", "closed"),
    "cancelled": ("voided", "unfulfilled", "cancelled"),
    "refunded": ("refunded", "unknown", "closed"),
    "failed": ("failed", "unfulfilled", "open"),
}
#: Statuses added by plugins (``shipped``, ``checkout-draft``...) say nothing we can rely on.
UNKNOWN_STATUS = ("unknown", "unknown", "open")
#: Core gateways whose orders are placed before the money arrives.
OFFLINE_METHODS = frozenset({"cod", "bacs", "cheque"})
#: Statuses a payment date contradicts: the order is still waiting for, or failed, payment.
_UNPAID_STATUSES = frozenset({"pending", "failed"})


def normalize(raw: dict[str, Any]) -> NormalizedOrder:
    """Map one order of ``GET /wp-json/wc/v3/orders`` onto :class:`NormalizedOrder`.

    Raises :class:`UnreadableField` naming the field that is missing or
    cannot be read (a null total, ``"NaN"``, an unknown currency), else a
    ``ValueError`` with one line naming the order.
    """
    try:
        return _normalize(raw)
    except UnreadableField:
        raise
    except KeyError as exc:
        raise UnreadableField(str(exc.args[0]), "missing") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"WooCommerce order {raw.get('id', '?')}: {_problem(exc)}") from exc


def _normalize(raw: dict[str, Any]) -> NormalizedOrder:
    status = str(raw["status"])
    _, fulfillment, order_status = STATUSES.get(status, UNKNOWN_STATUS)
    currency = currency_code(raw.get("currency"))
    total = money(raw.get("total"), currency, "total")
    # Refund stubs carry negative totals; the order's own total is never reduced by them.
    zero = money_or_zero(0, currency)
    refunded = sum((-money(r.get("total"), currency, f"refunds[{i}].total")
                    for i, r in enumerate(raw.get("refunds") or ())), zero)
    items, notes = unique_lines(raw.get("line_items") or (), "id")
    return NormalizedOrder(
        remote_id=str(raw["id"]),
        number=str(raw.get("number") or raw["id"]),
        created_at=_gmt(raw["date_created_gmt"]),
        updated_at=_gmt(raw.get("date_modified_gmt") or raw["date_created_gmt"]),
        currency=currency,
        total=total,
        subtotal=sum((money_or_zero(li.get("subtotal"), currency, f"line_items[{i}].subtotal")
                      for i, li in items), zero),
        tax=money_or_zero(raw.get("total_tax"), currency, "total_tax"),
        shipping=money_or_zero(raw.get("shipping_total"), currency, "shipping_total"),
        discount=money_or_zero(raw.get("discount_total"), currency, "discount_total"),
        refunded=refunded,
        payment_status=_payment(raw, status, total, refunded),
        fulfillment_status=fulfillment,
        order_status=order_status,
        platform_status=status,
        customer=_person(raw.get("billing") or {}) or _person(raw.get("shipping") or {}),
        email=str((raw.get("billing") or {}).get("email") or ""),
        line_items=tuple(_line(li, currency, i) for i, li in items),
        shipping_address=_address(raw.get("shipping") or {}),
        billing_address=_address(raw.get("billing") or {}),
        note=str(raw.get("customer_note") or ""),
        extra=_extra(raw),
        notes=notes,
    )


def _payment(raw: dict[str, Any], status: str, total: Decimal, refunded: Decimal) -> str:
    """The module docstring's table: refunds, then the payment date, then the status."""
    if refunded > 0:
        return "refunded" if refunded >= total else "partially_refunded"
    by_status = STATUSES.get(status, UNKNOWN_STATUS)[0]
    if "date_paid_gmt" not in raw or status == "refunded":
        return by_status
    if raw["date_paid_gmt"]:
        return "unknown" if status in _UNPAID_STATUSES else "paid"
    if status == "processing" and str(raw.get("payment_method") or "") in OFFLINE_METHODS:
        return "pending"
    return "unknown" if by_status == "paid" else by_status


def _gmt(value: str) -> datetime:
    """WooCommerce's ``*_gmt`` fields: ISO-8601 without a zone mark, meaning UTC."""
    return utc(datetime.fromisoformat(value))


def _line(item: dict[str, Any], currency: str, index: int) -> LineItem:
    field = f"line_items[{index}]"
    count = quantity(item.get("quantity") or 0, f"{field}.quantity")
    price = item.get("price")
    if price in (None, ""):
        subtotal = money_or_zero(item.get("subtotal"), currency, f"{field}.subtotal")
        unit = money(subtotal / count, currency, f"{field}.price") if count else subtotal
    else:
        unit = money(price, currency, f"{field}.price")
    return LineItem(
        sku=str(item.get("sku") or ""),
        title=html.unescape(str(item.get("name") or "")),
        quantity=count,
        unit_price=unit,
        total=money_or_zero(item.get("total"), currency, f"{field}.total"),
    )


def _name(part: dict[str, Any]) -> str:
    return " ".join(str(part.get(k) or "").strip() for k in ("first_name", "last_name")).strip()


def _person(part: dict[str, Any]) -> str:
    return _name(part) or str(part.get("company") or "")


def _address(part: dict[str, Any]) -> Address | None:
    """The address, or None when the order has none (WooCommerce sends all fields empty)."""
    address = Address(
        name=_name(part),
        company=str(part.get("company") or ""),
        line1=str(part.get("address_1") or ""),
        line2=str(part.get("address_2") or ""),
        city=str(part.get("city") or ""),
        region=str(part.get("state") or ""),
        postal_code=str(part.get("postcode") or ""),
        country=str(part.get("country") or ""),
        phone=str(part.get("phone") or ""),
    )
    return address if address != Address() else None


def _extra(raw: dict[str, Any]) -> dict[str, str]:
    keys = ("payment_method_title", "transaction_id", "customer_id")
    return {k: str(raw[k]) for k in keys if raw.get(k) not in (None, "", 0)}


def _problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


# --- the client ---------------------------------------------------------------------------

#: WooCommerce's ceiling for ``per_page``, also used to chunk ``include=`` lists.
MAX_PAGE = 100
#: ``modified_after`` is exclusive and WooCommerce keeps whole seconds, so the
#: filter starts one second early to return orders modified *at* ``since`` too.
_INCLUSIVE = timedelta(seconds=1)


class WooCommerceClient(HttpStoreClient):
    """A :class:`~orderupd_tui.stores.base.StoreClient` for one WooCommerce store (REST v3).

    Pages are read in id order: an order modified while we page can only
    enter the filtered set (pushing later pages back, so one order is read
    twice), never leave it, so no order is skipped.  Sorting by modified
    date would move a re-modified order to the end and skip the one behind it.
    """

    supports_updates = True

    def __init__(
        self,
        name: str,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        query_string_auth: bool = False,
        page_size: int = MAX_PAGE,
        timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.page_size = max(1, min(page_size, MAX_PAGE))
        self._orders = "/wp-json/wc/v3/orders"
        # Servers that strip ``Authorization`` (some CGI setups) need the keys in the query.
        self._auth_params = (
            {"consumer_key": consumer_key, "consumer_secret": consumer_secret}
            if query_string_auth else {}
        )
        self._http = JsonHttp(
            name,
            url.rstrip("/"),
            auth=None if query_string_auth else httpx.BasicAuth(consumer_key, consumer_secret),
            secrets=(consumer_key, consumer_secret),
            auth_hint="check the consumer key and secret",
            timeout=timeout,
            deadline=deadline,
            retry=retry,
        )

    def changed_since(self, since: datetime) -> Iterator[Page]:
        """Every order (``status=any``: all but trash) modified at or after ``since``."""
        params: dict[str, Any] = {
            "status": "any",
            "modified_after": (utc(since) - _INCLUSIVE).strftime("%Y-%m-%dT%H:%M:%S"),
            "dates_are_gmt": "true",
            "orderby": "id",
            "order": "asc",
            "per_page": self.page_size,
        }
        page = 1
        while True:
            data, response = self._get({**params, "page": page})
            orders, unreadable = self._read(data, page)
            yield Page(orders, page, unreadable)
            read = len(orders) + len(unreadable)
            total_pages = _total_pages(response)
            last = read < self.page_size if total_pages is None else page >= total_pages
            if last or not read:
                return
            page += 1

    def fetch(self, remote_ids: Sequence[str]) -> Fetched:
        """Download these orders fresh, 100 per ``include=`` request; trashed ones are absent."""
        ids = list(dict.fromkeys(str(i) for i in remote_ids))
        found = Fetched()
        for start in range(0, len(ids), MAX_PAGE):
            chunk = ids[start : start + MAX_PAGE]
            params = {"include": ",".join(chunk), "status": "any", "per_page": MAX_PAGE}
            data, _ = self._get(params)
            found.add(*self._read(data, start // MAX_PAGE + 1))
        return found


    def _get(self, params: dict[str, Any]) -> tuple[Any, httpx.Response]:
        return self._http.get_json(self._orders, {**params, **self._auth_params})

    def _read(self, data: Any, page: int) -> tuple[list[RemoteOrder], list[Unreadable]]:
        if not isinstance(data, list):
            raise StoreError(f"store '{self.name}' answered without an orders list")
        return read_orders(data, normalize, page=page, number_key="number")


def _total_pages(response: httpx.Response) -> int | None:
    """``X-WP-TotalPages``, re-read on every page since the total grows while we read.

    None when a proxy dropped it; a short page then ends the read.
    """
    try:
        return int(response.headers["X-WP-TotalPages"])
    except (KeyError, ValueError):
        return None

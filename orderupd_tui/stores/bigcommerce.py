"""BigCommerce (Orders V2): order payloads normalized, and the client that pages through them.

A V2 order names its lines and shipping addresses only by sub-resource
links, so the client fetches ``/orders/{id}/products`` and
``/orders/{id}/shippingaddresses`` (the links the order gives) and embeds
the lists in the raw payload under the same keys; :func:`normalize` reads
them from there.  Money comes as strings with four decimals, rounded to the
currency's ISO 4217 minor unit, and dates as RFC 2822.

Payment status (first match wins):

- status Refunded (4), or ``refunded_amount`` >= total: ``refunded``;
- status Partially Refunded (14), or ``refunded_amount`` > 0: ``partially_refunded``;
- ``payment_method`` "Test Payment Gateway": ``unknown`` (no money moved);
- ``payment_status`` captured or paid while the status awaits payment
  (Incomplete, Pending, Awaiting Payment) or is Declined: ``unknown``;
- any other ``payment_status`` we know: :data:`PAYMENTS`;
- ``store_credit_amount`` + ``gift_certificate_amount`` >= total > 0: ``paid``;
- an offline ``payment_method`` (cash, bank deposit, check...) whose status
  implies paid: ``pending`` before shipping, ``unknown`` after;
- otherwise :data:`STATUSES`.

An empty ``payment_status`` is what offline methods and manual orders have:
the status table then guesses, and for money no gateway took it never
guesses ``paid``.

Lines, subtotal and shipping are read ``_ex_tax`` whatever
``is_tax_inclusive_pricing`` says, so that with ``total_tax`` they add up
to ``total_inc_tax`` once; the ``_inc_tax`` amounts hold the same tax again.
Quantities are decimals, and a product ``id`` listed twice is kept once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime, parsedate_to_datetime
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
from orderupd_tui.retry_after import retry_after
from orderupd_tui.stores.base import (
    Fetched,
    OrderGone,
    Page,
    RemoteOrder,
    StoreError,
    Unreadable,
    read_orders,
    remote_ident,
)
from orderupd_tui.stores.http import DEFAULT_DEADLINE, HttpStoreClient, JsonHttp, RetryPolicy
from orderupd_tui.stores.lines import unique_lines

#: status_id -> (payment, fulfillment, order), the fallbacks used when
#: ``payment_status`` is empty (older and manual orders) and the shipped counts
#: do not settle fulfilment.  Declined (6) is the seller refusing the order for
#: lack of payment, so it is cancelled like 5.
STATUSES: dict[int, tuple[str, str, str]] = {
    0: ("pending", "unfulfilled", "open"),  # Incomplete
    1: ("pending", "unfulfilled", "open"),  # Pending
    2: ("paid", "fulfilled", "closed"),  # Shipped
    3: ("paid", "partial", "open"),  # Partially Shipped
    4: ("refunded", "unknown", "closed"),  # Refunded
    5: ("voided", "unfulfilled", "cancelled"),  # Cancelled
    6: ("failed", "unfulfilled", "cancelled"),  # Declined
    7: ("pending", "unfulfilled", "open"),  # Awaiting Payment
    8: ("paid", "unfulfilled", "open"),  # Awaiting Pickup
    9: ("paid", "unfulfilled", "open"),  # Awaiting Shipment
    10: ("paid", "fulfilled", "closed"),  # Completed
    11: ("paid", "unfulfilled", "open"),  # Awaiting Fulfillment
    12: ("pending", "unfulfilled", "open"),  # Manual Verification Required
    13: ("unknown", "unknown", "open"),  # Disputed
    14: ("partially_refunded", "unknown", "open"),  # Partially Refunded
}
UNKNOWN_STATUS = ("unknown", "unknown", "open")

#: payment_status as the payment gateways report it; it is more precise than
#: the status table, which is used only when this is empty or unheard of.
PAYMENTS: dict[str, str] = {
    "authorized": "authorized",
    "capture pending": "authorized",
    "captured": "paid",
    "paid": "paid",
    "pending": "pending",
    "held for review": "pending",
    "declined": "failed",
    "partially refunded": "partially_refunded",
    "refunded": "refunded",
    "void": "voided",
    "void pending": "voided",
}

#: Statuses whose fulfilment is fixed whatever the shipped counts say
#: (Completed is typically a digital order that never ships).
FIXED_FULFILLMENT = {2, 3, 5, 6, 10}

#: Statuses that say the money has not come in (or was refused).
AWAITING_PAYMENT = frozenset({0, 1, 6, 7})
#: Statuses after the goods left: an unpaid offline order there may have been paid on delivery.
SHIPPED = frozenset({2, 3, 10})
#: ``payment_method`` values (lower-cased) of methods no gateway takes money for.
OFFLINE_METHODS = frozenset({"cash", "cash on delivery", "cod", "bank deposit", "check",
                             "cheque", "money order", "pay in store"})
TEST_GATEWAY = "test payment gateway"


def normalize(
    raw: dict[str, Any],
    products: list[dict[str, Any]] | None = None,
    shipping_addresses: list[dict[str, Any]] | None = None,
) -> NormalizedOrder:
    """Map one V2 order, with its products and shipping addresses, onto :class:`NormalizedOrder`.

    ``products``/``shipping_addresses`` default to the lists embedded in
    ``raw`` by the client; when ``raw`` only has the links (a bare order from
    the API), the order has no lines and no shipping address.  Raises
    :class:`UnreadableField` naming a field that is missing or cannot be read,
    else a ``ValueError`` with one line naming the order.
    """
    try:
        return _normalize(raw, _embedded(raw, "products", products),
                          _embedded(raw, "shipping_addresses", shipping_addresses))
    except UnreadableField:
        raise
    except KeyError as exc:
        raise UnreadableField(str(exc.args[0]), "missing") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"BigCommerce order {raw.get('id', '?')}: {_problem(exc)}") from exc


def _embedded(
    raw: dict[str, Any], key: str, given: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    if given is not None:
        return given
    value = raw.get(key)
    return value if isinstance(value, list) else []


def _normalize(
    raw: dict[str, Any], products: list[dict[str, Any]], addresses: list[dict[str, Any]]
) -> NormalizedOrder:
    status_id = int(raw["status_id"])
    _, fulfillment, order_status = STATUSES.get(status_id, UNKNOWN_STATUS)
    currency = _currency(raw)
    total = money(raw.get("total_inc_tax"), currency, "total_inc_tax")
    refunded = money_or_zero(raw.get("refunded_amount"), currency, "refunded_amount")
    if status_id not in FIXED_FULFILLMENT:
        fulfillment = _shipped(raw, fulfillment)
    listed, notes = unique_lines(products, "id")
    billing = raw.get("billing_address") or {}
    return NormalizedOrder(
        remote_id=str(raw["id"]),
        number=str(raw["id"]),
        created_at=_rfc2822(raw["date_created"]),
        updated_at=_rfc2822(raw.get("date_modified") or raw["date_created"]),
        currency=currency,
        total=total,
        subtotal=money_or_zero(raw.get("subtotal_ex_tax"), currency, "subtotal_ex_tax"),
        tax=money_or_zero(raw.get("total_tax"), currency, "total_tax"),
        shipping=money_or_zero(raw.get("shipping_cost_ex_tax"), currency,
                               "shipping_cost_ex_tax"),
        discount=money_or_zero(raw.get("discount_amount"), currency, "discount_amount"),
        refunded=refunded,
        payment_status=_payment(raw, status_id, currency, refunded, total),
        fulfillment_status=fulfillment,
        order_status=order_status,
        platform_status=str(raw.get("status") or status_id),
        customer=_person(billing),
        email=str(billing.get("email") or ""),
        line_items=tuple(_line(p, currency, i) for i, p in listed),
        shipping_address=_address(addresses[0]) if addresses else None,
        billing_address=_address(billing) if billing else None,
        note=str(raw.get("customer_message") or ""),
        extra=_extra(raw, addresses),
        notes=notes,
    )


def _payment(raw: dict[str, Any], status_id: int, currency: str, refunded: Decimal,
             total: Decimal) -> str:
    """The module docstring's table, row by row."""
    if status_id == 4 or (refunded > 0 and refunded >= total):
        return "refunded"
    if status_id == 14 or refunded > 0:
        return "partially_refunded"
    method = str(raw.get("payment_method") or "").strip().lower()
    if method == TEST_GATEWAY:
        return "unknown"
    gateway = PAYMENTS.get(str(raw.get("payment_status") or "").strip().lower())
    if gateway == "paid" and status_id in AWAITING_PAYMENT:
        return "unknown"
    if gateway is not None:
        return gateway
    credit = (money_or_zero(raw.get("store_credit_amount"), currency, "store_credit_amount")
              + money_or_zero(raw.get("gift_certificate_amount"), currency,
                              "gift_certificate_amount"))
    if total > 0 and credit >= total:
        return "paid"
    guess = STATUSES.get(status_id, UNKNOWN_STATUS)[0]
    if guess == "paid" and method in OFFLINE_METHODS:
        return "unknown" if status_id in SHIPPED else "pending"
    return guess


def _shipped(raw: dict[str, Any], fallback: str) -> str:
    total = quantity(raw.get("items_total") or 0, "items_total")
    shipped = quantity(raw.get("items_shipped") or 0, "items_shipped")
    if total <= 0:
        return fallback
    if shipped >= total:
        return "fulfilled"
    return "partial" if shipped > 0 else "unfulfilled"


def _currency(raw: dict[str, Any]) -> str:
    """The transaction currency, else the store default (one documented example drops the key)."""
    for key in ("currency_code", "default_currency_code", "store_default_currency_code"):
        if raw.get(key):
            return currency_code(raw[key], key)
    raise UnreadableField("currency_code", "missing")


def _rfc2822(value: str) -> datetime:
    try:
        return utc(parsedate_to_datetime(value))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not an RFC 2822 date: {value!r}") from exc


def _line(product: dict[str, Any], currency: str, index: int) -> LineItem:
    field = f"products[{index}]"
    return LineItem(
        sku=str(product.get("sku") or ""),
        title=str(product.get("name") or ""),
        quantity=quantity(product.get("quantity") or 0, f"{field}.quantity"),
        unit_price=money_or_zero(product.get("price_ex_tax"), currency, f"{field}.price_ex_tax"),
        total=money_or_zero(product.get("total_ex_tax"), currency, f"{field}.total_ex_tax"),
    )


def _person(part: dict[str, Any]) -> str:
    name = " ".join(str(part.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    return name or str(part.get("company") or "")


def _address(part: dict[str, Any]) -> Address:
    return Address(
        name=" ".join(str(part.get(k) or "").strip()
                      for k in ("first_name", "last_name")).strip(),
        company=str(part.get("company") or ""),
        line1=str(part.get("street_1") or ""),
        line2=str(part.get("street_2") or ""),
        city=str(part.get("city") or ""),
        region=str(part.get("state") or ""),
        postal_code=str(part.get("zip") or ""),
        country=str(part.get("country_iso2") or part.get("country") or ""),
        phone=str(part.get("phone") or ""),
    )


def _extra(raw: dict[str, Any], addresses: list[dict[str, Any]]) -> dict[str, str]:
    extra = {k: str(raw[k]) for k in ("payment_method", "payment_status", "staff_notes",
                                      "customer_id") if raw.get(k) not in (None, "", 0)}
    if len(addresses) > 1:
        extra["shipping_addresses"] = str(len(addresses))
    if raw.get("is_deleted"):
        extra["is_deleted"] = "yes"
    return extra


def _problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


# --- the client ---------------------------------------------------------------------------

#: BigCommerce's ceiling for ``limit``, on orders and on their sub-resources alike.
MAX_PAGE = 250
#: Requests in flight at once for the per-order sub-resources; BigCommerce's
#: limits are per store, so more only earns 429s.
MAX_IN_FLIGHT = 4
#: The filter starts a second early so that an order modified exactly at
#: ``since`` is returned whether BigCommerce compares inclusively or not.
_INCLUSIVE = timedelta(seconds=1)


def rate_limit_reset(response: httpx.Response) -> float | None:
    """Seconds until the quota refills: ``X-Rate-Limit-Time-Reset-Ms``, else ``Retry-After``."""
    value = response.headers.get("X-Rate-Limit-Time-Reset-Ms")
    if value:
        try:
            return max(0.0, int(value) / 1000)
        except ValueError:
            pass
    return retry_after(response)


class BigCommerceClient(HttpStoreClient):
    """A :class:`~orderupd_tui.stores.base.StoreClient` for one BigCommerce store (Orders V2).

    Orders are paged in id order until a short page or the 204 that stands
    for an empty one (a page boundary that falls exactly on the total).  Id
    order means an order modified during the read can only enter the
    filtered set, so orders are at worst read twice, never skipped.  Each
    page's products and shipping addresses are fetched by a pool of at most
    :data:`MAX_IN_FLIGHT` threads before the page is handed on.
    """

    supports_updates = True

    def __init__(
        self,
        name: str,
        store_hash: str,
        token: str,
        url: str = "https://api.bigcommerce.com",
        *,
        page_size: int = MAX_PAGE,
        in_flight: int = MAX_IN_FLIGHT,
        timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.page_size = max(1, min(page_size, MAX_PAGE))
        self._http = JsonHttp(
            name,
            f"{url.rstrip('/')}/stores/{store_hash}/v2",
            auth_headers={"X-Auth-Token": token},
            auth_hint="check the access token and the store hash",
            timeout=timeout,
            deadline=deadline,
            retry=retry,
            retry_after=rate_limit_reset,
        )
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(in_flight, MAX_IN_FLIGHT)),
                                        thread_name_prefix=f"bigcommerce-{name}")

    def changed_since(self, since: datetime) -> Iterator[Page]:
        """Every order modified at or after ``since``, with its lines and shipping addresses."""
        params: dict[str, Any] = {
            "min_date_modified": format_datetime(utc(since) - _INCLUSIVE),
            "sort": "id:asc",
            "limit": self.page_size,
        }
        page = 1
        while True:
            data, _ = self._http.get_json("/orders", {**params, "page": page})
            raws = self._list(data, "orders")
            if not raws:
                return
            orders, unreadable = self._complete(raws, page)
            yield Page(orders, page, unreadable)
            if len(raws) < self.page_size:
                return
            page += 1

    def fetch(self, remote_ids: Sequence[str]) -> Fetched:
        """Download these orders fresh, one request each (V2 has no id list filter)."""
        ids = list(dict.fromkeys(str(i) for i in remote_ids))
        raws = [r for r in self._pool.map(self._order, ids) if r is not None]
        found = Fetched()
        found.add(*self._complete(raws, 1))
        return found


    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        super().close()


    def _order(self, remote_id: str) -> dict[str, Any] | None:
        try:
            data, _ = self._http.get_json(f"/orders/{remote_id}", gone=f"order {remote_id}")
        except OrderGone:
            return None
        if not isinstance(data, dict) or not data:
            return None
        return data

    def _complete(self, raws: list[Any], page: int) -> tuple[list[RemoteOrder], list[Unreadable]]:
        """Fetch every order's sub-resources through the pool, then normalize the page.

        A payload that is not an order object gets no sub-resources: the
        page reader sets it aside like any other it cannot read.
        """
        jobs: list[tuple[Future[list[dict[str, Any]]], Future[list[dict[str, Any]]] | None]] = []
        try:
            for raw in raws:
                if not isinstance(raw, dict) or remote_ident(raw.get("id")) is None:
                    continue
                products = self._pool.submit(self._collection, _resource(raw, "products"))
                addresses = None
                if raw.get("shipping_address_count") != 0:
                    addresses = self._pool.submit(self._collection,
                                                  _resource(raw, "shipping_addresses"))
                jobs.append((products, addresses))
            results = iter(jobs)
            complete = []
            for raw in raws:
                if not isinstance(raw, dict) or remote_ident(raw.get("id")) is None:
                    complete.append(raw)
                    continue
                products, addresses = next(results)
                complete.append({**raw, "products": products.result(),
                                 "shipping_addresses": addresses.result() if addresses else []})
        finally:
            for products, addresses in jobs:
                products.cancel()
                if addresses:
                    addresses.cancel()
        return read_orders(complete, normalize, page=page)

    def _collection(self, path: str) -> list[dict[str, Any]]:
        """Every item of a paged sub-resource, up to the short or empty (204) page."""
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            data, _ = self._http.get_json(path, {"limit": MAX_PAGE, "page": page})
            batch = self._list(data, path)
            items.extend(batch)
            if len(batch) < MAX_PAGE:
                return items
            page += 1

    def _list(self, data: Any, what: str) -> list[dict[str, Any]]:
        """A collection page; None is the 204 (no body) that BigCommerce sends for an empty one."""
        if data is None:
            return []
        if not isinstance(data, list):
            raise StoreError(f"store '{self.name}' answered {what} without a list")
        return data


def _resource(raw: dict[str, Any], key: str) -> str:
    """The sub-resource path the order names (``/orders/1/products``), checked to stay local.

    Only a path under ``/orders/`` is taken, never the absolute ``url``, so
    the token can only ever go to the store's own API base.
    """
    link = raw.get(key)
    resource = link.get("resource") if isinstance(link, dict) else None
    if isinstance(resource, str) and resource.startswith("/orders/") and ".." not in resource:
        return resource
    return f"/orders/{raw['id']}/{_PATHS[key]}"


#: The sub-resources' own path names, for an order that came without its links.
_PATHS = {"products": "products", "shipping_addresses": "shippingaddresses"}

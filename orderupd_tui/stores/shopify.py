"""The Shopify connector: Admin REST orders, paged by cursor, mapped onto NormalizedOrder.

Shopify pages with opaque ``page_info`` cursors in the ``Link`` header and
rejects a cursor request carrying any filter but ``limit``, so the filters
go on the first request only.  ``status=any`` is always sent: the default
(``open``) would hide exactly the cancelled and closed orders whose changes
we are looking for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from orderupd_tui.domain.order import Address, LineItem, NormalizedOrder, money, utc
from orderupd_tui.stores.base import Fetched, Page, RemoteOrder, StoreError, Unreadable, read_orders
from orderupd_tui.stores.http import HttpStoreClient, JsonHttp, RetryPolicy

#: The most orders Shopify returns in one page, and the most ids one ``ids=`` filter takes.
MAX_PAGE = 250

_PAYMENT = {
    "pending": "pending",
    "authorized": "authorized",
    "partially_paid": "partially_paid",
    "paid": "paid",
    "partially_refunded": "partially_refunded",
    "refunded": "refunded",
    "voided": "voided",
    "expired": "failed",
}
# ``null`` means nothing shipped yet; ``restocked`` means shipped items came back.
_FULFILLMENT = {
    None: "unfulfilled",
    "unfulfilled": "unfulfilled",
    "partial": "partial",
    "fulfilled": "fulfilled",
    "restocked": "unfulfilled",
}
_ZERO = Decimal("0.00")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ABSENT = object()


class ShopifyClient(HttpStoreClient):
    """A :class:`~orderupd_tui.stores.base.StoreClient` for one Shopify store."""

    supports_updates = True

    def __init__(
        self,
        name: str,
        url: str,
        token: str,
        api_version: str = "2025-07",
        *,
        page_size: int = MAX_PAGE,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.page_size = max(1, min(page_size, MAX_PAGE))
        self._orders = f"/admin/api/{api_version}/orders"
        self._http = JsonHttp(
            name,
            url.rstrip("/"),
            auth_headers={"X-Shopify-Access-Token": token},
            timeout=timeout,
            retry=retry,
        )

    def changed_since(self, since: datetime) -> Iterator[Page]:
        """Every order updated at or after ``since``, any status, with no upper bound.

        No ``updated_at_max`` is sent: a change committed while we page is
        still returned now or on the next poll, never skipped.
        """
        params: dict[str, Any] = {
            "status": "any",
            "updated_at_min": utc(since).isoformat(timespec="seconds"),
            "limit": self.page_size,
        }
        number = 0
        seen: set[str] = set()
        while True:
            data, response = self._http.get_json(f"{self._orders}.json", params)
            number += 1
            orders, unreadable = self._read(data, number)
            yield Page(orders, number, unreadable)
            cursor = _next_page_info(response.links)
            if cursor is None:
                return
            if cursor in seen:
                raise StoreError(f"store '{self.name}' sent page {number}'s next link to a page "
                                 "it had already sent: the listing stopped there")
            seen.add(cursor)
            params = {"limit": self.page_size, "page_info": cursor}

    def fetch(self, remote_ids: Sequence[str]) -> Fetched:
        """Download these orders fresh, 250 a request; ids Shopify no longer has are absent."""
        ids = list(dict.fromkeys(str(i) for i in remote_ids))
        found = Fetched()
        for start in range(0, len(ids), MAX_PAGE):
            chunk = ids[start : start + MAX_PAGE]
            params = {"ids": ",".join(chunk), "status": "any", "limit": MAX_PAGE}
            data, _ = self._http.get_json(f"{self._orders}.json", params)
            found.add(*self._read(data, start // MAX_PAGE + 1))
        return found

    def _read(self, data: Any, page: int) -> tuple[list[RemoteOrder], list[Unreadable]]:
        raws = data.get("orders") if isinstance(data, dict) else None
        if not isinstance(raws, list):
            raise StoreError(f"store '{self.name}' answered without an orders list")
        return read_orders(raws, normalize, page=page, number_key="order_number")


def normalize(raw: dict[str, Any]) -> NormalizedOrder:
    """Map one Shopify order payload onto :class:`NormalizedOrder`.

    Tolerates the partial payloads of a ``fields=`` projection and older API
    shapes: a missing amount is zero, a missing status is ``unknown`` (while
    a present ``null`` fulfilment means unfulfilled, as Shopify means it).
    ``total`` is the order as sold (``total_price``); refunds are reported
    apart in ``refunded`` rather than netted, so a refund reads as a refund.
    """
    financial = raw.get("financial_status")
    fulfillment = raw.get("fulfillment_status", _ABSENT)
    if raw.get("cancelled_at"):
        order_status = "cancelled"
    elif raw.get("closed_at"):
        order_status = "closed"
    else:
        order_status = "open"

    platform = [financial] if financial else []
    if fulfillment is not _ABSENT:
        platform.append(fulfillment or "unfulfilled")
    if order_status != "open":
        platform.append(order_status)

    created = _time(raw.get("created_at") or raw.get("processed_at")) or _EPOCH
    customer = raw.get("customer") or {}
    billing = raw.get("billing_address")
    name = raw.get("name") or ""
    number = raw.get("order_number")

    extra = {"name": name} if name else {}
    if raw.get("cancel_reason"):
        extra["cancel_reason"] = str(raw["cancel_reason"])
    if raw.get("tags"):
        extra["tags"] = str(raw["tags"])

    return NormalizedOrder(
        remote_id=str(raw["id"]),
        number=str(number) if number is not None else (name.lstrip("#") or str(raw["id"])),
        created_at=created,
        updated_at=_time(raw.get("updated_at")) or created,
        currency=raw.get("currency") or _set_currency(raw.get("total_price_set")),
        total=_amount(raw, "total_price"),
        subtotal=_amount(raw, "subtotal_price"),
        tax=_amount(raw, "total_tax"),
        shipping=_shipping(raw),
        discount=_amount(raw, "total_discounts"),
        refunded=_refunded(raw.get("refunds")),
        payment_status=_PAYMENT.get(financial, "unknown"),  # type: ignore[arg-type]
        fulfillment_status="unknown" if fulfillment is _ABSENT
        else _FULFILLMENT.get(fulfillment, "unknown"),
        order_status=order_status,
        platform_status="/".join(platform),
        customer=_person(customer) or (_person(billing) if billing else ""),
        email=raw.get("email") or raw.get("contact_email") or customer.get("email") or "",
        line_items=tuple(_line(li) for li in raw.get("line_items") or ()),
        shipping_address=_address(raw.get("shipping_address")),
        billing_address=_address(billing),
        note=raw.get("note") or "",
        extra=extra,
    )


def _next_page_info(links: dict[str | None, dict[str, str]]) -> str | None:
    """The ``page_info`` cursor of the ``rel="next"`` link, if there is a next page.

    Only the cursor is taken, never the URL itself, so a link pointing
    elsewhere can never receive our token.
    """
    url = links.get("next", {}).get("url")
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("page_info")
    return values[0] if values else None


def _amount(raw: dict[str, Any], key: str) -> Decimal:
    """``raw[key]``, else the shop-currency amount of its ``<key>_set`` twin, else zero."""
    value = raw.get(key)
    if value is None:
        money_set = raw.get(key + "_set")
        if not money_set:
            return _ZERO
        value = money_set["shop_money"]["amount"]
    return money(value)


def _set_currency(money_set: dict[str, Any] | None) -> str:
    if not money_set:
        return ""
    return str(money_set.get("shop_money", {}).get("currency_code") or "")


def _shipping(raw: dict[str, Any]) -> Decimal:
    """What shipping was charged: the shipping lines (removed ones left out), else the total."""
    lines = raw.get("shipping_lines")
    if lines is None:
        return _amount(raw, "total_shipping_price")
    total = _ZERO
    for line in lines:
        if not line.get("is_removed"):
            total += money(line.get("price"))
    return total


def _refunded(refunds: list[dict[str, Any]] | None) -> Decimal:
    """Money actually given back: successful refund transactions, not refunds merely recorded."""
    total = _ZERO
    for refund in refunds or ():
        for tx in refund.get("transactions") or ():
            if tx.get("kind") == "refund" and tx.get("status") == "success":
                total += money(tx.get("amount"))
    return total


def _line(li: dict[str, Any]) -> LineItem:
    """One line at its sold quantity, net of the discounts allocated to it."""
    quantity = int(li.get("quantity") or 0)
    price = money(li.get("price"))
    allocations = li.get("discount_allocations")
    if allocations is None:
        discount = money(li.get("total_discount"))
    else:
        discount = _ZERO
        for allocation in allocations:
            discount += money(allocation.get("amount"))
    return LineItem(
        sku=li.get("sku") or "",
        title=li.get("name") or li.get("title") or "",
        quantity=quantity,
        unit_price=price,
        total=price * quantity - discount,
    )


def _person(data: dict[str, Any]) -> str:
    first = data.get("first_name") or ""
    last = data.get("last_name") or ""
    if first or last:
        return f"{first} {last}".strip()
    return data.get("name") or ""


def _address(data: dict[str, Any] | None) -> Address | None:
    if not data:
        return None
    return Address(
        name=data.get("name") or _person(data),
        company=data.get("company") or "",
        line1=data.get("address1") or "",
        line2=data.get("address2") or "",
        city=data.get("city") or "",
        region=data.get("province") or data.get("province_code") or "",
        postal_code=data.get("zip") or "",
        country=data.get("country") or data.get("country_code") or "",
        phone=data.get("phone") or "",
    )


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    return utc(datetime.fromisoformat(value))

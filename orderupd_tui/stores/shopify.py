"""The Shopify connector: Admin REST orders, paged by cursor, mapped onto NormalizedOrder.

Shopify pages with opaque ``page_info`` cursors in the ``Link`` header and
rejects a cursor request carrying any filter but ``limit``, so the filters
go on the first request only.  ``status=any`` is always sent: the default
(``open``) would hide exactly the cancelled and closed orders whose changes
we are looking for.

Payment status is Shopify's ``financial_status``, checked against the
amounts that say what money moved (first match wins):

- ``test: true``: ``unknown`` (a test gateway: no money moved);
- paid with ``total_outstanding`` > 0: ``unknown`` (the amounts disagree);
- paid with transactions listed that captured less than the total: ``unknown``;
- otherwise :data:`_PAYMENT` (``expired`` is ``failed``); absent (a
  ``fields=`` projection) or unheard of: ``unknown``.

"Captured" counts the successful ``sale`` and ``capture`` transactions in
the shop currency, gift cards and store credit included (they are
transactions of their own gateways).  REST orders carry no transactions;
payloads built by integrations often embed them, and then they are
believed over the status.

Amounts are the shop currency's (``currency``; the ``*_set`` twins'
``shop_money`` when the plain field is absent), never the
``presentment_money`` the customer saw, quantized to its minor unit.  With
``taxes_included`` the line and shipping prices include their tax, so the
lines' own ``tax_lines`` are taken off them: lines, shipping and
``total_tax`` then add up to the total once, as they do otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from orderupd_tui.credentials import CredentialStore
from orderupd_tui.domain.order import (
    Address,
    LineItem,
    NormalizedOrder,
    UnreadableField,
    currency_code,
    money,
    money_or_zero,
    quantity,
    rounded,
    utc,
)
from orderupd_tui.stores.base import Fetched, Page, RemoteOrder, StoreError, Unreadable, read_orders
from orderupd_tui.stores.http import DEFAULT_DEADLINE, HttpStoreClient, JsonHttp, RetryPolicy
from orderupd_tui.stores.lines import unique_lines
from orderupd_tui.stores.shopify_auth import shopify_auth

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
_ZERO = Decimal(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ABSENT = object()


class ShopifyClient(HttpStoreClient):
    """A :class:`~orderupd_tui.stores.base.StoreClient` for one Shopify store."""

    supports_updates = True

    def __init__(
        self,
        name: str,
        url: str,
        token: str | None,
        api_version: str = "2025-07",
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        credentials: CredentialStore | None = None,
        page_size: int = MAX_PAGE,
        timeout: float = 30.0,
        deadline: float = DEFAULT_DEADLINE,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.page_size = max(1, min(page_size, MAX_PAGE))
        self._orders = f"/admin/api/{api_version}/orders"
        self._http = JsonHttp(
            name,
            url.rstrip("/"),
            auth=shopify_auth(url, token, client_id, client_secret, timeout=timeout,
                              shared=(credentials, name) if credentials else None),
            auth_hint="check the token (or the app's client_id and client_secret)",
            timeout=timeout,
            deadline=deadline,
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
    shapes: a missing secondary amount is zero, a missing status is
    ``unknown`` (while a present ``null`` fulfilment means unfulfilled, as
    Shopify means it).  The total is required: it is what the books get.
    ``total`` is the order as sold (``total_price``); refunds are reported
    apart in ``refunded`` rather than netted, so a refund reads as a refund.
    Raises :class:`UnreadableField` naming a field that cannot be read.
    """
    try:
        return _normalize(raw)
    except UnreadableField:
        raise
    except KeyError as exc:
        raise UnreadableField(str(exc.args[0]), "missing") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"Shopify order {raw.get('id', '?')}: {exc}") from exc


def _normalize(raw: dict[str, Any]) -> NormalizedOrder:
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
    currency = currency_code(raw.get("currency") or _set_currency(raw.get("total_price_set")))
    total = _amount(raw, "total_price", currency, required=True)
    inclusive = bool(raw.get("taxes_included"))
    lines, notes = unique_lines(raw.get("line_items") or (), "id")

    extra = {"name": name} if name else {}
    if raw.get("cancel_reason"):
        extra["cancel_reason"] = str(raw["cancel_reason"])
    if raw.get("tags"):
        extra["tags"] = str(raw["tags"])
    if raw.get("test"):
        extra["test"] = "yes"
    presentment = raw.get("presentment_currency")
    if presentment and presentment != currency:
        extra["presentment_currency"] = str(presentment)

    return NormalizedOrder(
        remote_id=str(raw["id"]),
        number=str(number) if number is not None else (name.lstrip("#") or str(raw["id"])),
        created_at=created,
        updated_at=_time(raw.get("updated_at")) or created,
        currency=currency,
        total=total,
        subtotal=_amount(raw, "subtotal_price", currency),
        tax=_amount(raw, "total_tax", currency),
        shipping=_shipping(raw, currency, inclusive),
        discount=_amount(raw, "total_discounts", currency),
        refunded=_refunded(raw.get("refunds"), currency),
        payment_status=_payment(raw, financial, currency, total),
        fulfillment_status="unknown" if fulfillment is _ABSENT
        else _FULFILLMENT.get(fulfillment, "unknown"),
        order_status=order_status,
        platform_status="/".join(platform),
        customer=_person(customer) or (_person(billing) if billing else ""),
        email=raw.get("email") or raw.get("contact_email") or customer.get("email") or "",
        line_items=tuple(_line(li, currency, inclusive, i) for i, li in lines),
        shipping_address=_address(raw.get("shipping_address")),
        billing_address=_address(billing),
        note=raw.get("note") or "",
        extra=extra,
        notes=notes,
    )


def _payment(raw: dict[str, Any], financial: Any, currency: str, total: Decimal) -> str:
    """The module docstring's table: ``financial_status``, unless the amounts contradict it."""
    if raw.get("test"):
        return "unknown"
    status = _PAYMENT.get(financial, "unknown") if isinstance(financial, str) else "unknown"
    if status != "paid":
        return status
    outstanding = raw.get("total_outstanding")
    if outstanding is not None and money(outstanding, currency, "total_outstanding") > 0:
        return "unknown"
    transactions = raw.get("transactions")
    if isinstance(transactions, list) and _captured(transactions, currency) < total:
        return "unknown"
    return status


def _captured(transactions: list[Any], currency: str) -> Decimal:
    """What the successful sales and captures in the shop currency took."""
    taken = _ZERO
    for i, tx in enumerate(transactions):
        if not isinstance(tx, dict) or tx.get("status") != "success":
            continue
        if tx.get("kind") in ("sale", "capture") and (tx.get("currency") or currency) == currency:
            taken += money(tx.get("amount"), currency, f"transactions[{i}].amount")
    return taken


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


def _amount(raw: dict[str, Any], key: str, currency: str, *, required: bool = False) -> Decimal:
    """``raw[key]``, else the shop-currency amount of its ``<key>_set`` twin, else zero.

    ``required`` amounts (the total) have no "else zero": null there is unreadable.
    """
    value = raw.get(key)
    field = key
    if value is None:
        money_set = raw.get(key + "_set")
        if money_set:
            field = f"{key}_set.shop_money.amount"
            value = (money_set.get("shop_money") or {}).get("amount")
    if required:
        return money(value, currency, field)
    return money_or_zero(value, currency, field)


def _set_currency(money_set: dict[str, Any] | None) -> str:
    if not money_set:
        return ""
    return str(money_set.get("shop_money", {}).get("currency_code") or "")


def _shipping(raw: dict[str, Any], currency: str, inclusive: bool) -> Decimal:
    """What shipping was charged: the shipping lines (removed ones left out), else the total.

    With ``taxes_included`` a shipping line's price holds its tax, which is taken off.
    """
    lines = raw.get("shipping_lines")
    if lines is None:
        return _amount(raw, "total_shipping_price", currency)
    total = money_or_zero(0, currency)
    for i, line in enumerate(lines):
        if not line.get("is_removed"):
            total += money_or_zero(line.get("price"), currency, f"shipping_lines[{i}].price")
            if inclusive:
                total -= _taxes(line, currency, f"shipping_lines[{i}]")
    return total


def _taxes(line: dict[str, Any], currency: str, field: str) -> Decimal:
    return sum((money_or_zero(t.get("price"), currency, f"{field}.tax_lines[{n}].price")
                for n, t in enumerate(line.get("tax_lines") or ())), money_or_zero(0, currency))


def _refunded(refunds: list[dict[str, Any]] | None, currency: str) -> Decimal:
    """Money actually given back: successful refund transactions, not refunds merely recorded."""
    total = money_or_zero(0, currency)
    for i, refund in enumerate(refunds or ()):
        for n, tx in enumerate(refund.get("transactions") or ()):
            if tx.get("kind") == "refund" and tx.get("status") == "success":
                total += money(tx.get("amount"), currency,
                               f"refunds[{i}].transactions[{n}].amount")
    return total


def _line(li: dict[str, Any], currency: str, inclusive: bool, index: int) -> LineItem:
    """One line at its sold quantity, net of the discounts allocated to it (and of its tax,
    when prices include tax)."""
    field = f"line_items[{index}]"
    count = quantity(li.get("quantity") or 0, f"{field}.quantity")
    price = money_or_zero(li.get("price"), currency, f"{field}.price")
    allocations = li.get("discount_allocations")
    if allocations is None:
        discount = money_or_zero(li.get("total_discount"), currency, f"{field}.total_discount")
    else:
        discount = _ZERO
        for n, allocation in enumerate(allocations):
            discount += money_or_zero(allocation.get("amount"), currency,
                                      f"{field}.discount_allocations[{n}].amount")
    total = rounded(price * count - discount, currency)
    if inclusive:
        total -= _taxes(li, currency, field)
    return LineItem(
        sku=li.get("sku") or "",
        title=li.get("name") or li.get("title") or "",
        quantity=count,
        unit_price=price,
        total=total,
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

"""Magento 2 (REST V1): order payloads normalized, and the client that searches them.

Magento's ``state`` is the fixed lifecycle stage and ``status`` a label the
merchant can rename or add to, so the mapping reads ``state`` and keeps
``status`` as the platform status.  Payment and fulfilment are taken from
the amounts paid and refunded and the quantities shipped, which say more
than the state (``processing`` covers both "invoiced" and "half shipped").
Money arrives as JSON numbers; ``money()`` reads a float through its
shortest ``repr``, which is the decimal Magento wrote, so no float error
reaches a total.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from orderupd_tui.domain.order import Address, LineItem, NormalizedOrder, money, utc
from orderupd_tui.stores.base import Fetched, Page, RemoteOrder, StoreError, Unreadable, read_orders
from orderupd_tui.stores.http import HttpStoreClient, JsonHttp, RetryPolicy

#: state -> (payment, fulfillment, order): the fallbacks when the amounts and
#: quantities do not decide.  ``holded`` (on hold) and ``payment_review`` are
#: still open orders.
STATES: dict[str, tuple[str, str, str]] = {
    "new": ("pending", "unfulfilled", "open"),
    "pending_payment": ("pending", "unfulfilled", "open"),
    "payment_review": ("pending", "unfulfilled", "open"),
    "processing": ("paid", "unfulfilled", "open"),
    "holded": ("unknown", "unfulfilled", "open"),
    "complete": ("paid", "fulfilled", "closed"),
    "closed": ("refunded", "unknown", "closed"),
    "canceled": ("voided", "unfulfilled", "cancelled"),
}
UNKNOWN_STATE = ("unknown", "unknown", "open")

#: The ``Y-m-d H:i:s`` form Magento uses for times, always in UTC over REST.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def normalize(raw: dict[str, Any]) -> NormalizedOrder:
    """Map one order of ``GET /rest/{store}/V1/orders`` onto :class:`NormalizedOrder`.

    Raises ``ValueError`` with one line naming the order when a field the
    program relies on is missing or malformed (a ``fields=`` projection, say).
    """
    try:
        return _normalize(raw)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        ref = raw.get("increment_id") or raw.get("entity_id") or "?"
        raise ValueError(f"Magento order {ref}: {_problem(exc)}") from exc


def parse_time(value: str) -> datetime:
    """A Magento ``Y-m-d H:i:s`` time, which the REST API gives in UTC."""
    return utc(datetime.strptime(value, TIME_FORMAT))


def format_time(value: datetime) -> str:
    """The ``Y-m-d H:i:s`` UTC form that a ``searchCriteria`` date filter expects."""
    return utc(value).strftime(TIME_FORMAT)


def _normalize(raw: dict[str, Any]) -> NormalizedOrder:
    state = str(raw["state"])
    payment, fulfillment, order_status = STATES.get(state, UNKNOWN_STATE)
    total = money(raw["grand_total"])
    refunded = money(raw.get("total_refunded"))
    paid = money(raw.get("total_paid"))
    items = [i for i in raw.get("items") or () if not i.get("parent_item_id")]
    if state != "canceled":
        payment = _payment(payment, total, paid, refunded, raw.get("payment") or {})
    if state not in ("complete", "closed", "canceled"):
        fulfillment = _shipped(items, fulfillment)
    billing = raw.get("billing_address") or {}
    return NormalizedOrder(
        remote_id=str(raw["entity_id"]),
        number=str(raw.get("increment_id") or raw["entity_id"]),
        created_at=parse_time(raw["created_at"]),
        updated_at=parse_time(raw.get("updated_at") or raw["created_at"]),
        currency=str(raw.get("order_currency_code") or raw["base_currency_code"]),
        total=total,
        subtotal=money(raw.get("subtotal")),
        tax=money(raw.get("tax_amount")),
        shipping=money(raw.get("shipping_amount")),
        discount=abs(money(raw.get("discount_amount"))),  # Magento stores discounts negative
        refunded=refunded,
        payment_status=payment,
        fulfillment_status=fulfillment,
        order_status=order_status,
        platform_status=str(raw.get("status") or state),
        customer=_customer(raw, billing),
        email=str(raw.get("customer_email") or billing.get("email") or ""),
        line_items=tuple(_line(i) for i in items),
        shipping_address=_shipping_address(raw),
        billing_address=_address(billing) if billing else None,
        note=str(raw.get("customer_note") or ""),
        extra=_extra(raw),
    )


def _payment(fallback: str, total: Decimal, paid: Decimal, refunded: Decimal,
             payment: dict[str, Any]) -> str:
    if refunded > 0:
        return "refunded" if refunded >= total else "partially_refunded"
    if paid > 0:
        return "paid" if paid >= total else "partially_paid"
    if money(payment.get("amount_authorized")) > 0:
        return "authorized"
    return fallback


def _shipped(items: list[dict[str, Any]], fallback: str) -> str:
    ordered = sum((_qty(i.get("qty_ordered")) - _qty(i.get("qty_canceled")) for i in items),
                  Decimal(0))
    shipped = sum((_qty(i.get("qty_shipped")) for i in items), Decimal(0))
    if ordered <= 0:
        return fallback
    if shipped >= ordered:
        return "fulfilled"
    return "partial" if shipped > 0 else "unfulfilled"


def _qty(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _line(item: dict[str, Any]) -> LineItem:
    return LineItem(
        sku=str(item.get("sku") or ""),
        title=str(item.get("name") or ""),
        quantity=int(_qty(item.get("qty_ordered"))),
        unit_price=money(item.get("price")),
        total=money(item.get("row_total")),
    )


def _customer(raw: dict[str, Any], billing: dict[str, Any]) -> str:
    """The account's name; guests have none, so the billing name stands in."""
    parts = [raw.get("customer_firstname"), raw.get("customer_lastname")]
    name = " ".join(str(p).strip() for p in parts if p).strip()
    return name or _name(billing) or str(billing.get("company") or "")


def _name(part: dict[str, Any]) -> str:
    return " ".join(str(part.get(k) or "").strip() for k in ("firstname", "lastname")).strip()


def _shipping_address(raw: dict[str, Any]) -> Address | None:
    assignments = (raw.get("extension_attributes") or {}).get("shipping_assignments") or ()
    for assignment in assignments:
        address = (assignment.get("shipping") or {}).get("address")
        if address:
            return _address(address)
    return None


def _address(part: dict[str, Any]) -> Address:
    street = [str(s) for s in part.get("street") or () if s]
    return Address(
        name=_name(part),
        company=str(part.get("company") or ""),
        line1=street[0] if street else "",
        line2=", ".join(street[1:]),
        city=str(part.get("city") or ""),
        region=str(part.get("region_code") or part.get("region") or ""),
        postal_code=str(part.get("postcode") or ""),
        country=str(part.get("country_id") or ""),
        phone=str(part.get("telephone") or ""),
    )


def _extra(raw: dict[str, Any]) -> dict[str, str]:
    extra = {"state": str(raw["state"])}
    method = (raw.get("payment") or {}).get("method")
    if method:
        extra["payment_method"] = str(method)
    if raw.get("store_id") is not None:
        extra["store_id"] = str(raw["store_id"])
    return extra


def _problem(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]!r}"
    return str(exc) or type(exc).__name__


# --- the client ---------------------------------------------------------------------------

DEFAULT_PAGE = 200
#: How many times one poll re-reads the tail of the result after orders moved
#: under it before giving up (the cursor then stays put and the next poll retries).
MAX_SWEEPS = 5


class MagentoClient(HttpStoreClient):
    """A :class:`~orderupd_tui.stores.base.StoreClient` for one Magento 2 store view.

    Orders are searched with ``updated_at gteq`` and sorted by ``updated_at``
    (then ``entity_id``, so ties page stably).  Paging ends when the pages
    read cover ``total_count``, never on an empty page: before 2.4, a page
    past the end repeats the last one instead of coming back empty.

    Offset paging over a sort by ``updated_at`` has one trap: an order
    modified after its page was read jumps to the end, and every order
    behind it moves up one place, so the first order of the next page slides
    onto a page already read.  Such a move shows as the same order coming
    back later in the read with a newer ``updated_at``; the read then
    continues with another sweep from the order's old ``updated_at``, which
    covers everything that can have slid.
    """

    supports_updates = True

    def __init__(
        self,
        name: str,
        url: str,
        token: str,
        store_code: str = "default",
        *,
        page_size: int = DEFAULT_PAGE,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.name = name
        self.page_size = max(1, page_size)
        self._orders = f"/rest/{store_code}/V1/orders"
        self._http = JsonHttp(
            name,
            url.rstrip("/"),
            auth_headers={"Authorization": f"Bearer {token}"},
            auth_hint="check the access token (an integration's, or an admin token not expired)",
            timeout=timeout,
            retry=retry,
        )

    def changed_since(self, since: datetime) -> Iterator[Page]:
        """Every order updated at or after ``since``, re-sweeping the tail if orders moved."""
        start = utc(since)
        number = 0
        for _ in range(MAX_SWEEPS):
            seen: dict[str, datetime] = {}
            moved_from: datetime | None = None
            for batch, unreadable in self._sweep(start):
                fresh = []
                for remote in batch:
                    order = remote.order
                    before = seen.get(order.remote_id)
                    if before is not None and before == order.updated_at:
                        continue  # a repeated last page (before 2.4), not a change
                    if before is not None:
                        moved_from = before if moved_from is None else min(moved_from, before)
                    seen[order.remote_id] = order.updated_at
                    fresh.append(remote)
                number += 1
                yield Page(fresh, number, unreadable)
            if moved_from is None:
                return
            start = moved_from
        raise StoreError(
            f"store '{self.name}' kept changing orders while they were read: "
            "the next poll will read them again"
        )

    def fetch(self, remote_ids: Sequence[str]) -> Fetched:
        """Download these orders fresh with an ``entity_id in`` search; missing ones are absent."""
        ids = list(dict.fromkeys(str(i) for i in remote_ids))
        found = Fetched()
        for first in range(0, len(ids), self.page_size):
            chunk = ids[first : first + self.page_size]
            params = {
                **_filter("entity_id", ",".join(chunk), "in"),
                "searchCriteria[pageSize]": len(chunk),
                "searchCriteria[currentPage]": 1,
            }
            data, _ = self._http.get_json(self._orders, params)
            orders, unreadable, _ = self._page(data, first // self.page_size + 1)
            found.add(orders, unreadable)
        return found


    def _sweep(self, start: datetime) -> Iterator[tuple[list[RemoteOrder], list[Unreadable]]]:
        """One pass of pages from ``start``, up to the latest ``total_count``."""
        params: dict[str, Any] = {
            **_filter("updated_at", format_time(start), "gteq"),
            "searchCriteria[sortOrders][0][field]": "updated_at",
            "searchCriteria[sortOrders][0][direction]": "ASC",
            "searchCriteria[sortOrders][1][field]": "entity_id",
            "searchCriteria[sortOrders][1][direction]": "ASC",
            "searchCriteria[pageSize]": self.page_size,
        }
        page = 1
        while True:
            data, _ = self._http.get_json(
                self._orders, {**params, "searchCriteria[currentPage]": page}
            )
            orders, unreadable, total = self._page(data, page)
            yield orders, unreadable
            if page * self.page_size >= total:
                return
            page += 1

    def _page(self, data: Any, page: int) -> tuple[list[RemoteOrder], list[Unreadable], int]:
        items = data.get("items") if isinstance(data, dict) else None
        total = data.get("total_count") if isinstance(data, dict) else None
        if items is None and total == 0:
            items = []  # some versions leave "items" out of an empty result
        if not isinstance(items, list) or not isinstance(total, int):
            raise StoreError(f"store '{self.name}' answered a search without items and total_count")
        orders, unreadable = read_orders(items, normalize, page=page, id_key="entity_id",
                                         number_key="increment_id")
        return orders, unreadable, total


def _filter(field: str, value: str, condition: str) -> dict[str, str]:
    prefix = "searchCriteria[filter_groups][0][filters][0]"
    return {f"{prefix}[field]": field, f"{prefix}[value]": value,
            f"{prefix}[condition_type]": condition}

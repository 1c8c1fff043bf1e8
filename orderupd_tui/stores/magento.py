"""Magento 2 (REST V1): order payloads normalized, and the client that searches them.

Magento's ``state`` is the fixed lifecycle stage and ``status`` a label the
merchant can rename or add to, so the mapping reads ``state`` and keeps
``status`` as the platform status.  Payment and fulfilment are taken from
the amounts paid, due, invoiced and refunded and the quantities shipped,
which say more than the state: ``processing`` covers "invoiced", "half
shipped" and "shipped before anyone invoiced or paid".  Magento leaves
``total_paid``, ``total_invoiced`` and ``total_refunded`` null until an
invoice or credit memo sets them, so null there is zero.

Payment status (first match wins; "paid" is ``total_paid``, else the
payment's ``amount_paid``; "total" is ``grand_total``, which is already net
of gift cards and store credit in Adobe Commerce):

- ``total_refunded`` > 0: ``refunded`` if it covers what was paid (or the
  total), else ``partially_refunded``;
- paid >= total > 0: ``paid``, or ``unknown`` if ``total_due`` is still above 0;
- 0 < paid < total: ``partially_paid``;
- state ``canceled``: ``voided``;
- ``payment.amount_authorized`` > 0: ``authorized``;
- ``total_invoiced`` > 0 with nothing paid: ``pending`` (an invoice awaiting payment);
- total 0 in state ``processing`` or ``complete``: ``paid`` (nothing is owed);
- otherwise :data:`STATES`: ``processing`` with nothing paid is ``pending``
  (shipped or accepted before payment), ``complete`` is ``unknown`` (it
  means invoiced, so the amounts disagree).

Money arrives as JSON numbers in ``order_currency_code`` (the ``base_*``
twins are the base currency and are not used); ``money()`` reads a float
through its shortest ``repr``, which is the decimal Magento wrote, and
quantizes it to the currency's minor unit.  Quantities are decimals
(``qty_ordered`` is a decimal for products sold by weight).  An
``item_id`` listed twice is kept once and noted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

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

#: state -> (payment, fulfillment, order): the fallbacks when the amounts and
#: quantities do not decide.  With nothing paid, ``processing`` is an order
#: shipped or accepted before payment (money owed), and ``complete`` contradicts
#: the amounts (it means invoiced).  ``holded`` (on hold) and ``payment_review``
#: are still open orders.
STATES: dict[str, tuple[str, str, str]] = {
    "new": ("pending", "unfulfilled", "open"),
    "pending_payment": ("pending", "unfulfilled", "open"),
    "payment_review": ("pending", "unfulfilled", "open"),
    "processing": ("pending", "unfulfilled", "open"),
    "holded": ("unknown", "unfulfilled", "open"),
    "complete": ("unknown", "fulfilled", "closed"),
    "closed": ("refunded", "unknown", "closed"),
    "canceled": ("voided", "unfulfilled", "cancelled"),
}
UNKNOWN_STATE = ("unknown", "unknown", "open")

#: The ``Y-m-d H:i:s`` form Magento uses for times, always in UTC over REST.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def normalize(raw: dict[str, Any]) -> NormalizedOrder:
    """Map one order of ``GET /rest/{store}/V1/orders`` onto :class:`NormalizedOrder`.

    Raises :class:`UnreadableField` naming a field that is missing (a
    ``fields=`` projection, say) or cannot be read, else a ``ValueError``
    with one line naming the order.
    """
    try:
        return _normalize(raw)
    except UnreadableField:
        raise
    except KeyError as exc:
        raise UnreadableField(str(exc.args[0]), "missing") from exc
    except (TypeError, ValueError, ArithmeticError, AttributeError) as exc:
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
    _, fulfillment, order_status = STATES.get(state, UNKNOWN_STATE)
    currency = currency_code(raw.get("order_currency_code") or raw.get("base_currency_code"),
                             "order_currency_code")
    total = money(raw.get("grand_total"), currency, "grand_total")
    refunded = money_or_zero(raw.get("total_refunded"), currency, "total_refunded")
    listed, notes = unique_lines(raw.get("items") or (), "item_id")
    items = [(n, i) for n, i in listed if not i.get("parent_item_id")]
    if state not in ("complete", "closed", "canceled"):
        fulfillment = _shipped([i for _, i in items], fulfillment)
    billing = raw.get("billing_address") or {}
    return NormalizedOrder(
        remote_id=str(raw["entity_id"]),
        number=str(raw.get("increment_id") or raw["entity_id"]),
        created_at=parse_time(raw["created_at"]),
        updated_at=parse_time(raw.get("updated_at") or raw["created_at"]),
        currency=currency,
        total=total,
        subtotal=money_or_zero(raw.get("subtotal"), currency, "subtotal"),
        tax=money_or_zero(raw.get("tax_amount"), currency, "tax_amount"),
        shipping=money_or_zero(raw.get("shipping_amount"), currency, "shipping_amount"),
        # Magento stores discounts negative
        discount=abs(money_or_zero(raw.get("discount_amount"), currency, "discount_amount")),
        refunded=refunded,
        payment_status=_payment(raw, state, currency, total, refunded),
        fulfillment_status=fulfillment,
        order_status=order_status,
        platform_status=str(raw.get("status") or state),
        customer=_customer(raw, billing),
        email=str(raw.get("customer_email") or billing.get("email") or ""),
        line_items=tuple(_line(i, currency, n) for n, i in items),
        shipping_address=_shipping_address(raw),
        billing_address=_address(billing) if billing else None,
        note=str(raw.get("customer_note") or ""),
        extra=_extra(raw),
        notes=notes,
    )


def _payment(raw: dict[str, Any], state: str, currency: str, total: Decimal,
             refunded: Decimal) -> str:
    """The module docstring's table, row by row."""
    payment = raw.get("payment") or {}
    if raw.get("total_paid") is not None:
        paid = money(raw["total_paid"], currency, "total_paid")
    else:
        paid = money_or_zero(payment.get("amount_paid"), currency, "payment.amount_paid")
    if refunded > 0:
        return "refunded" if refunded >= (paid or total) else "partially_refunded"
    if paid > 0 and paid >= total:
        due = raw.get("total_due")
        owed = due is not None and money(due, currency, "total_due") > 0
        return "unknown" if owed else "paid"
    if paid > 0:
        return "partially_paid"
    if state == "canceled":
        return "voided"
    if money_or_zero(payment.get("amount_authorized"), currency,
                     "payment.amount_authorized") > 0:
        return "authorized"
    if money_or_zero(raw.get("total_invoiced"), currency, "total_invoiced") > 0:
        return "pending"
    if total == 0 and state in ("processing", "complete"):
        return "paid"
    return STATES.get(state, UNKNOWN_STATE)[0]


def _shipped(items: list[dict[str, Any]], fallback: str) -> str:
    ordered = sum((_qty(i.get("qty_ordered")) - _qty(i.get("qty_canceled")) for i in items),
                  Decimal(0))
    shipped = sum((_qty(i.get("qty_shipped")) for i in items), Decimal(0))
    if ordered <= 0:
        return fallback
    if shipped >= ordered:
        return "fulfilled"
    return "partial" if shipped > 0 else "unfulfilled"


def _qty(value: Any, field: str = "qty") -> Decimal:
    return quantity(value, field) if value not in (None, "") else Decimal(0)


def _line(item: dict[str, Any], currency: str, index: int) -> LineItem:
    field = f"items[{index}]"
    return LineItem(
        sku=str(item.get("sku") or ""),
        title=str(item.get("name") or ""),
        quantity=_qty(item.get("qty_ordered"), f"{field}.qty_ordered"),
        unit_price=money_or_zero(item.get("price"), currency, f"{field}.price"),
        total=money_or_zero(item.get("row_total"), currency, f"{field}.row_total"),
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
        deadline: float = DEFAULT_DEADLINE,
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
            deadline=deadline,
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

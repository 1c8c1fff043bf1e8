"""Translating between domain orders and database rows, and finding orders by reference.

Kept in one place so the sync, review and posting services all write the
same columns the same way.
"""

from __future__ import annotations

import json
from typing import Any

from orderupd_tui.db.models import Order, Store, db_time, utcnow
from orderupd_tui.domain.order import NormalizedOrder
from orderupd_tui.stores.base import RemoteOrder


class UnknownRef(LookupError):
    """No order matches the reference the user gave."""


def order_columns(remote: RemoteOrder, digest: str) -> dict[str, Any]:
    """The columns that mirror a store copy: everything a re-download replaces."""
    order = remote.order
    return {
        "number": order.number,
        "created_at": db_time(order.created_at),
        "updated_at": db_time(order.updated_at),
        "customer": order.customer,
        "email": order.email,
        "total": order.total,
        "currency": order.currency,
        "payment_status": order.payment_status,
        "fulfillment_status": order.fulfillment_status,
        "order_status": order.order_status,
        "platform_status": order.platform_status,
        "data": json.dumps(order.to_dict(), separators=(",", ":")),
        "payload": json.dumps(remote.raw, separators=(",", ":")),
        "digest": digest,
        "downloaded_at": utcnow(),
    }


def local_copy(row: Order) -> NormalizedOrder:
    return NormalizedOrder.from_dict(json.loads(row.data))


def find(ref: str) -> Order:
    """An order by ``STORE:NUMBER`` (the number without ``#``) or by its internal id."""
    query = Order.select(Order, Store).join(Store)
    if ":" in ref:
        store, number = ref.split(":", 1)
        row = query.where(Store.name == store, Order.number == number.lstrip("#")).first()
    elif ref.isdigit():
        row = query.where(Order.id == int(ref)).first()
    else:
        raise UnknownRef(f"{ref!r} is not an order reference: use STORE:NUMBER or an order id")
    if row is None:
        raise UnknownRef(f"{ref}: no such order")
    return row

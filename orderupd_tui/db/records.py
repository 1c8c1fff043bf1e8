"""Translating between domain orders and database rows, and finding orders by reference.

Kept in one place so the sync, review and posting services all write the
same columns the same way.
"""

from __future__ import annotations

from typing import Any

import orjson

from orderupd_tui.db.models import Order, Store, db_time, utcnow
from orderupd_tui.domain.order import NormalizedOrder
from orderupd_tui.stores.base import RemoteOrder


class UnknownRef(LookupError):
    """No order matches the reference the user gave."""


#: The width of the short text columns (peewee's ``CharField`` default).
_SHORT = 255


def order_columns(remote: RemoteOrder, digest: str) -> dict[str, Any]:
    """The columns that mirror a store copy: everything a re-download replaces.

    The short text columns are cut to their width (the full values stay in
    ``data``): PostgreSQL would refuse a longer value, and that one order
    would then fail every poll of its store.
    """
    order = remote.order
    return {
        "number": order.number[:_SHORT],
        "created_at": db_time(order.created_at),
        "updated_at": db_time(order.updated_at),
        "customer": order.customer[:_SHORT],
        "email": order.email[:_SHORT],
        "total": order.total,
        "currency": order.currency,
        "payment_status": order.payment_status,
        "fulfillment_status": order.fulfillment_status,
        "order_status": order.order_status,
        "platform_status": order.platform_status[:_SHORT],
        "data": dumps(order.to_dict()),
        "payload": dumps(remote.raw),
        "digest": digest,
        "downloaded_at": utcnow(),
    }


def insert_orders(rows: list[dict[str, Any]]) -> None:
    """Insert new orders with one prepared statement run over every row.

    A first import writes thousands of orders a second; peewee's generic
    ``insert_many`` spent more time building SQL than the database spent
    storing.  Values still go through each field's ``db_value``, so they are
    stored exactly as peewee would store them.
    """
    if not rows:
        return
    columns = list(rows[0])
    defaults = {f.name: f.default for f in Order._meta.sorted_fields
                if f.name not in columns and f.default is not None}
    fields = [Order._meta.fields[name] for name in [*columns, *defaults]]
    db = Order._meta.database
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        f'"{Order._meta.table_name}"',
        ", ".join(f'"{f.column_name}"' for f in fields),
        ", ".join([db.param] * len(fields)),
    )
    convert = [f.db_value for f in fields]
    constant = tuple(f.db_value(v) for f, v in zip(fields[len(columns):], defaults.values(),
                                                    strict=True))
    values = [
        tuple(c(row[n]) for c, n in zip(convert, columns, strict=False)) + constant
        for row in rows
    ]
    db.cursor().executemany(sql, values)


def dumps(value: Any) -> str:
    """Compact JSON text; orjson, because every stored order is serialized twice."""
    return orjson.dumps(value).decode()


def local_copy(row: Order) -> NormalizedOrder:
    return NormalizedOrder.from_dict(orjson.loads(row.data))


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

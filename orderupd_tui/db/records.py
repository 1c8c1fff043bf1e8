"""Translating between domain orders and database rows, and finding orders by reference.

Kept in one place so the sync, review and posting services all write the
same columns the same way.
"""

from __future__ import annotations

from typing import Any

import orjson

from orderupd_tui.db.models import Order, Store, db_time, utcnow
from orderupd_tui.domain.order import NormalizedOrder
from orderupd_tui.domain.remote import RemoteOrder


class UnknownRef(LookupError):
    """No order matches the reference the user gave."""


class AmbiguousRef(UnknownRef):
    """``STORE:NUMBER`` matches several orders (a store renumbered, or an import repeated one).

    A kind of :class:`UnknownRef`, so every verb refuses it the same way
    (exit 2); the message lists the internal ids, which are never ambiguous.
    """


#: The largest id an ``INTEGER`` primary key holds (SQLite and PostgreSQL ``bigint``):
#: a bigger number cannot be an order, and passing it on would overflow the driver.
MAX_ID = 2**63 - 1

#: SQL true for an order ``o`` whose store has another order with the same number.
SHARED_NUMBER = ("EXISTS (SELECT 1 FROM orders d WHERE d.store_id = o.store_id "
                 "AND d.number = o.number AND d.id <> o.id)")


#: The width of the short text columns (peewee's ``CharField`` default).
_SHORT = 255


#: The short text columns a store's text goes into, by the order field it comes from.
SHORT_COLUMNS = ("number", "customer", "email", "platform_status")


def short_text(value: str) -> str:
    """A store's text as a short column holds it on either database.

    PostgreSQL refuses a NUL byte in text and a value longer than the column,
    and that one order would then fail every poll of its store; SQLite would
    take both.  So NULs are dropped and the value cut to the width, the same
    on both (the full values stay in ``data``, JSON-escaped).
    """
    return value.replace("\x00", "")[:_SHORT]


def column_repairs(order: NormalizedOrder) -> list[str]:
    """What :func:`short_text` changed in this order, for its history: never a silent cut."""
    notes = []
    for name in SHORT_COLUMNS:
        value: str = getattr(order, name)
        if "\x00" in value:
            notes.append(f"{name}: a NUL byte removed")
        if len(value.replace("\x00", "")) > _SHORT:
            notes.append(f"{name}: cut to {_SHORT} characters (of {len(value)}) in the listing "
                         "column; the full text is kept")
    return notes


def order_columns(remote: RemoteOrder, digest: str) -> dict[str, Any]:
    """The columns that mirror a store copy: everything a re-download replaces."""
    order = remote.order
    return {
        "number": short_text(order.number),
        "created_at": db_time(order.created_at),
        "updated_at": db_time(order.updated_at),
        "customer": short_text(order.customer),
        "email": short_text(order.email),
        "total": order.total,
        "currency": order.currency,
        "payment_status": order.payment_status,
        "fulfillment_status": order.fulfillment_status,
        "order_status": order.order_status,
        "platform_status": short_text(order.platform_status),
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


def order_id(ref: str) -> int | None:
    """The internal id ``ref`` names, or None when it is not an id (``main:1001``, ``x``).

    An id too big for the database is still an id: of no order.
    """
    return int(ref) if ref.isascii() and ref.isdigit() else None


def find(ref: str) -> Order:
    """An order by ``STORE:NUMBER`` (the number without ``#``) or by its internal id.

    Raises :class:`UnknownRef` for no match and :class:`AmbiguousRef` for
    several.
    """
    query = Order.select(Order, Store).join(Store)
    ident = order_id(ref)
    if ":" in ref:
        store, number = ref.split(":", 1)
        rows = list(query.where(Store.name == store, Order.number == number.lstrip("#"))
                    .order_by(Order.id).limit(_LISTED + 1))
        if len(rows) > 1:
            raise ambiguous(ref, [r.id for r in rows])
        row = rows[0] if rows else None
    elif ident is not None:
        row = query.where(Order.id == ident).first() if ident <= MAX_ID else None
    else:
        raise UnknownRef(f"{ref!r} is not an order reference: use STORE:NUMBER or an order id")
    if row is None:
        raise UnknownRef(f"{ref}: no such order")
    return row


def ambiguous(ref: str, ids: list[int]) -> AmbiguousRef:
    """The refusal of a ref that matches the orders ``ids`` (the first few of them)."""
    listed = ", ".join(str(i) for i in ids[:_LISTED]) + (", ..." if len(ids) > _LISTED else "")
    return AmbiguousRef(f"{ref} matches several orders (ids {listed}): name one by its id")


#: How many ids an ambiguous ref's message lists.
_LISTED = 10

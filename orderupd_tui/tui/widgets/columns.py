"""What each pane's columns show, and how they share the width of the terminal.

A column has a preferred width; the flexible one takes what is left, and
when the terminal is narrow (80 columns) columns shrink to their minimum
and formatters switch to shorter forms, so every column stays readable.

Each cell may name a style (a component class of the table) on top of the
row's style: that is how a posted order's document reference stands out.
State never rests on colour alone: pending and cancelled rows carry a
glyph, marked rows a ``*``, so ``NO_COLOR`` and monochrome terminals show
everything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from orderupd_tui.domain.labels import document_label
from orderupd_tui.domain.order import rounded
from orderupd_tui.domain.states import BooksState
from orderupd_tui.services.inbox import OrderRow, UpdateRow

PENDING_GLYPH = "●"
CANCELLED_GLYPH = "✗"
MARK_GLYPH = "*"

Cell = tuple[str, str | None]
"""A cell's text and the component class that styles it (None: the row's style)."""


@dataclass(frozen=True)
class Column:
    """A column: a title, its preferred and narrowest widths, and how to draw a cell."""

    title: str
    width: int
    cell: Callable[[Any, int], Cell]
    min_width: int = 0
    flex: bool = False
    right: bool = False
    sort: str | None = None
    short: str = ""

    def heading(self, width: int) -> str:
        """The title, or its short form when the column is narrower than the title."""
        return self.short if self.short and len(self.title) > width else self.title

    @property
    def narrowest(self) -> int:
        return self.min_width or self.width


def layout(columns: Sequence[Column], width: int) -> list[int]:
    """Widths for ``columns`` in ``width`` cells (one space between columns).

    Spare room goes to the flexible column.  Short of room, the other
    columns give up their slack first (the most slack first), so names stay
    readable longest; the flexible column shrinks last.
    """
    widths = [c.width for c in columns]
    spare = width - sum(widths) - (len(columns) - 1)
    flex = [i for i, c in enumerate(columns) if c.flex]
    if spare >= 0:
        for i in flex[:1]:
            widths[i] += spare
        return widths
    rigid = sorted((i for i in range(len(columns)) if i not in flex),
                   key=lambda i: columns[i].narrowest - columns[i].width)
    for i in rigid + flex:
        give = min(widths[i] - columns[i].narrowest, -spare)
        widths[i] -= give
        spare += give
        if spare >= 0:
            break
    return widths


def local(moment: datetime) -> datetime:
    """Times are kept in UTC and shown in the reviewer's own time zone."""
    return moment.astimezone()


def day(moment: datetime, width: int) -> str:
    """A date, with the time when there is room: orders span years."""
    if width >= 16:
        return local(moment).strftime("%Y-%m-%d %H:%M")
    return local(moment).strftime("%Y-%m-%d" if width >= 10 else "%y-%m-%d")


def recent(moment: datetime, width: int) -> str:
    """A time of the last days: the year gives way first."""
    return local(moment).strftime("%Y-%m-%d %H:%M" if width >= 16 else "%m-%d %H:%M")


def amount(total: Decimal, currency: str) -> str:
    return f"{rounded(total, currency):,} {currency}"


#: Short forms for narrow terminals, still unambiguous.
SHORT = {
    "partially_paid": "part paid",
    "partially_refunded": "part rfnd",
    "authorized": "authorizd",
    "unfulfilled": "unfulfild",
}


def status(value: str, width: int) -> str:
    text = value.replace("_", " ")
    if len(text) > width:
        return SHORT.get(value, text)
    return text


def accounting(row: OrderRow | UpdateRow, width: int) -> Cell:
    """The order's books state in words, with the document where there is one.

    A posted order shows its document; a kept one ``kept`` and the document
    still in the books (reposting it is refused until it is voided or forced).
    Documents lose the store and order the row already shows, so two of them
    never look alike (see :func:`~orderupd_tui.domain.labels.document_label`).
    """
    books = row.books
    if books == BooksState.POSTED:
        if not row.accounting_ref:
            return (str(books), "table--posted")
        return (document_label(row.accounting_ref, row.store, row.number, width),
                "table--posted")
    if books == BooksState.KEPT:
        word = f"{books} "
        document = document_label(row.kept_ref or "", row.store, row.number, width - len(word))
        return (word + document if width - len(word) >= 4 else str(books), "table--warning")
    if books in (BooksState.ERROR, BooksState.UNKNOWN):
        return (str(books), "table--warning")
    if books == BooksState.VOIDED:
        return (str(books), None)
    return ("", None)


def order_glyph(row: OrderRow, _width: int) -> Cell:
    if row.pending:
        return (PENDING_GLYPH, "table--glyph")
    if row.cancelled:
        return (CANCELLED_GLYPH, "table--cancelled-glyph")
    return (" ", None)


def order_number(row: OrderRow, _width: int) -> Cell:
    """The number, and the id where another order of the store has the same number."""
    return (f"{row.number} id {row.id}" if row.shared_number else row.number, None)


def order_date(row: OrderRow, width: int) -> Cell:
    return (day(row.created_at, width), None)


def order_columns(store_width: int) -> tuple[Column, ...]:
    """The Inbox's columns; the store column is as wide as the longest store name."""
    return (
        Column("", 1, order_glyph),
        Column("Order", 9, order_number, min_width=7, right=True, sort="number"),
        Column("Store", store_width, lambda r, w: (r.store, None), min_width=5, sort="store",
               short="Stor"),
        Column("Date", 16, order_date, min_width=8, sort="date"),
        Column("Customer", 16, lambda r, w: (r.customer, None), min_width=8, flex=True,
               sort="customer"),
        Column("Total", 14, lambda r, w: (amount(r.total, r.currency), None), min_width=12,
               right=True, sort="total"),
        Column("Payment", 18, lambda r, w: (status(r.payment_status, w), None), min_width=9,
               sort="payment"),
        Column("Fulfilment", 11, lambda r, w: (status(r.fulfillment_status, w), None),
               min_width=9, sort="fulfilment", short="Fulfil"),
        Column("Accounting", 17, accounting, min_width=11, sort="accounting", short="Acct"),
    )


def update_glyph(row: UpdateRow, _width: int) -> Cell:
    return (CANCELLED_GLYPH, "table--cancelled-glyph") if row.cancelled else (" ", None)


def update_columns(store_width: int) -> tuple[Column, ...]:
    """The Updates pane's columns; the change summary takes the room left."""
    return (
        Column("", 1, update_glyph),
        Column("Order", 9, lambda r, w: (r.number, None), min_width=7, right=True,
               sort="number"),
        Column("Store", store_width, lambda r, w: (r.store, None), min_width=5, sort="store",
               short="Stor"),
        Column("Detected", 16, lambda r, w: (recent(r.detected_at, w), None), min_width=11,
               sort="detected"),
        Column("Customer", 16, lambda r, w: (r.customer, None), min_width=8, sort="customer"),
        Column("Changes", 30, lambda r, w: (r.summary, None), min_width=20, flex=True),
        Column("Accounting", 17, accounting, min_width=11, short="Acct"),
    )


def store_width(names: Sequence[str]) -> int:
    """Room for the longest store name, within reason, and for the title with its sort arrow."""
    return max(6, min(12, max((len(n) for n in names), default=6)))

"""How changes, line items and documents are named to people: one vocabulary for every screen.

The change kinds and field names are a contract (DESIGN §4): config files,
rules, the JSON output and the database keep ``payment_status`` and
``line_items``.  People read ``Payment: partially paid → paid`` instead;
this module is the one place that turns the first into the second, so the
Updates pane, the detail and the confirmations say the same thing.

Pure functions over the stored shapes (change dicts, the normalized
order's line dicts, document strings): nothing here knows a screen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from orderupd_tui.domain.states import Action

#: Each change kind as a heading (``updates.detect`` names them; people read these).
KIND_LABELS: dict[str, str] = {
    "payment_status": "Payment",
    "order_status": "Order status",
    "fulfillment_status": "Fulfilment",
    "cancelled": "Cancelled",
    "totals": "Totals",
    "line_items": "Line items",
    "shipping_address": "Shipping address",
    "billing_address": "Billing address",
    "customer": "Customer",
    "note": "Note",
    "accounting_status": "Books",
}

#: Each compared field; a field that is also a kind reads as its kind.
FIELD_LABELS: dict[str, str] = {
    **KIND_LABELS,
    "platform_status": "Store status",
    "currency": "Currency",
    "total": "Total",
    "subtotal": "Subtotal",
    "tax": "Tax",
    "shipping": "Shipping",
    "discount": "Discount",
    "refunded": "Refunded",
    "email": "Email",
}

#: Fields whose values are status words (``partially_paid``), shown with spaces.
_STATUS_FIELDS = frozenset({"payment_status", "order_status", "fulfillment_status",
                            "accounting_status"})
#: Kinds whose values are too long for one line: a summary says only that they changed.
_LONG_KINDS = frozenset({"line_items", "shipping_address", "billing_address", "note"})
#: What an empty value reads as.
NOTHING = "—"
ARROW = "→"
TIMES = "\N{MULTIPLICATION SIGN}"


def kind_label(kind: str) -> str:
    """``payment_status`` → ``Payment``; an unknown kind (a newer database) as it is."""
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def field_label(field: str) -> str:
    """``platform_status`` → ``Store status``; an unknown field as it is, spaced."""
    return FIELD_LABELS.get(field, field.replace("_", " ").capitalize())


def value_label(field: str, value: str | None) -> str:
    """A stored value as shown: status words spaced, nothing as a dash."""
    if value is None or value == "":
        return NOTHING
    return value.replace("_", " ") if field in _STATUS_FIELDS else value


def event_label(action: str) -> str:
    """An event's action as people read it (``un-cancel``); stored as the verb names it."""
    try:
        return Action(action).verb
    except ValueError:  # not a reviewer's action (a repair, a dismissal): its word as stored
        return action


def change_label(change: Mapping[str, Any]) -> str:
    """One change in words: ``Payment: partially paid → paid``, ``Cancelled``,
    ``Line items changed``."""
    field, kind = str(change.get("field") or ""), str(change.get("kind") or "")
    if field == "cancelled":
        return "Cancelled" if change.get("new") == "yes" else "Un-cancelled"
    if kind in _LONG_KINDS:
        return f"{field_label(field)} changed"
    old = value_label(field, change.get("old"))
    new = value_label(field, change.get("new"))
    return f"{field_label(field)}: {old} {ARROW} {new}"


def summary(changes: Sequence[Mapping[str, Any]]) -> str:
    """Every change on one line, each said once: ``Payment: pending → paid · Cancelled``."""
    return " · ".join(dict.fromkeys(change_label(c) for c in changes))


# -- line items ------------------------------------------------------------------------------


class LineDelta(StrEnum):
    """How a line of the order changed; the member is the sign a diff line starts with."""

    ADDED = "+"
    REMOVED = "-"
    CHANGED = "~"


@dataclass(frozen=True)
class LineChange:
    """One line of a line-items diff: its sign and its words."""

    delta: LineDelta
    text: str

    def __str__(self) -> str:
        return f"{self.delta} {self.text}"


#: The line fields compared, each with how a change of it is named.
_LINE_FIELDS = (("title", "name"), ("sku", "SKU"), ("quantity", "qty"),
                ("unit_price", "price"), ("total", "total"))


def line_diff(old: Sequence[Mapping[str, Any]] | None,
              new: Sequence[Mapping[str, Any]] | None) -> list[LineChange]:
    """The lines added, removed and changed between two line lists (unchanged ones left out).

    Lines carry no id of their own: a line is known by its SKU, or its name
    when it has no SKU.  Lines sharing that key (the same SKU twice) are
    paired identical ones first, then in order, so one of two equal lines
    changing shows as one change rather than a remove and an add.  Changed
    and added lines come in the new order, removed ones after, in the old.
    """
    old_lines = [_clean(line) for line in old or () if isinstance(line, Mapping)]
    new_lines = [_clean(line) for line in new or () if isinstance(line, Mapping)]
    unpaired: dict[tuple[str, str], list[int]] = {}
    for index, line in enumerate(old_lines):
        unpaired.setdefault(_key(line), []).append(index)
    pairs: dict[int, int] = {}  # new index -> old index
    for exact in (True, False):
        for index, line in enumerate(new_lines):
            if index in pairs:
                continue
            candidates = unpaired.get(_key(line), [])
            match = next((o for o in candidates if not exact or old_lines[o] == line), None)
            if match is not None:
                candidates.remove(match)
                pairs[index] = match
    result: list[LineChange] = []
    for index, line in enumerate(new_lines):
        if index not in pairs:
            result.append(LineChange(LineDelta.ADDED, _whole(line)))
        elif (edits := _edits(old_lines[pairs[index]], line)):
            result.append(LineChange(LineDelta.CHANGED, f"{_name(line)}: {edits}"))
    paired = set(pairs.values())
    result += [LineChange(LineDelta.REMOVED, _whole(line))
               for index, line in enumerate(old_lines) if index not in paired]
    return result


def _clean(line: Mapping[str, Any]) -> dict[str, str]:
    """A line's compared fields as stripped text ('' for null), quantities without trailing
    zeros, so ``"2"`` and ``"2.000"`` compare equal."""
    clean = {name: "" if line.get(name) is None else str(line.get(name)).strip()
             for name, _ in _LINE_FIELDS}
    clean["quantity"] = quantity_label(clean["quantity"])
    return clean


def _key(line: Mapping[str, str]) -> tuple[str, str]:
    return ("sku", line["sku"]) if line["sku"] else ("title", line["title"])


def _name(line: Mapping[str, str]) -> str:
    return line["title"] or line["sku"] or "(unnamed line)"


def _whole(line: Mapping[str, str]) -> str:
    """Quantity, times sign, name, SKU and amount: ``2 \N{MULTIPLICATION SIGN} Blue mug
    (MUG-1) 24.00``."""
    text = f"{line['quantity'] or '?'} {TIMES} {_name(line)}"
    if line["sku"] and line["title"]:
        text += f" ({line['sku']})"
    if line["total"]:
        text += f" {line['total']}"
    return text


def _edits(old: Mapping[str, str], new: Mapping[str, str]) -> str:
    """``qty 1 → 2, total 12.00 → 24.00``: each compared field that differs."""
    return ", ".join(f"{label} {old[name] or NOTHING} {ARROW} {new[name] or NOTHING}"
                     for name, label in _LINE_FIELDS if old[name] != new[name])


def quantity_label(value: Any) -> str:
    """``2.000`` → ``2``, ``1.50`` → ``1.5``; text that is not a number as it is."""
    number = _number(value)
    if number is None:
        return "" if value is None else str(value).strip()
    return f"{number.normalize():f}"


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


# -- documents -------------------------------------------------------------------------------

ELLIPSIS = "…"
#: What the program's own posting ids replace in an order's ref (see services.posting).
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def document_label(ref: str, store: str, number: str, width: int) -> str:
    """A document id in ``width`` cells, still telling documents apart.

    The program's own ids (``shop-1300-97a1350469``) start with the store and
    order already in the row: that part goes (``…97a1350469``), and a narrow
    column keeps the tail, where documents differ.  Any other id that is too
    long keeps its head and its tail and loses the middle.
    """
    stem = _UNSAFE.sub("-", f"{store}-{number}")[:60] + "-"
    if ref.startswith(stem) and len(ref) > len(stem):
        tail = ref[len(stem):]
        return ELLIPSIS + tail[-(width - 1):] if width > 1 else ELLIPSIS
    return middle(ref, width)


def middle(text: str, width: int) -> str:
    """``text`` in ``width`` cells, the middle elided: a third of the head, the rest tail."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    head = (width - 1) // 3
    tail = width - 1 - head
    return text[:head] + ELLIPSIS + text[len(text) - tail:]

"""Field-level differences between two copies of an order, labelled with change kinds.

The kinds are a contract (DESIGN §4): config files name them in
``updates.detect`` and in rules, and the JSON output reports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orderupd_tui.domain.order import Address, LineItem, NormalizedOrder

CHANGE_KINDS = (
    "payment_status",
    "order_status",
    "fulfillment_status",
    "cancelled",
    "totals",
    "line_items",
    "shipping_address",
    "billing_address",
    "customer",
    "note",
    "accounting_status",
)

#: Which kind a change to each compared field is reported as.
FIELD_KINDS: dict[str, str] = {
    "payment_status": "payment_status",
    "order_status": "order_status",
    "fulfillment_status": "fulfillment_status",
    "cancelled": "cancelled",
    "platform_status": "order_status",
    "currency": "totals",
    "total": "totals",
    "subtotal": "totals",
    "tax": "totals",
    "shipping": "totals",
    "discount": "totals",
    "refunded": "totals",
    "line_items": "line_items",
    "shipping_address": "shipping_address",
    "billing_address": "billing_address",
    "customer": "customer",
    "email": "customer",
    "note": "note",
}


@dataclass(frozen=True)
class Change:
    """One field that differs, with printable old and new values."""

    kind: str
    field: str
    old: str
    new: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "field": self.field, "old": self.old, "new": self.new}


def diff(old: NormalizedOrder, new: NormalizedOrder) -> list[Change]:
    """Every compared field that differs, in a fixed order.

    Moving between open and cancelled is reported as ``cancelled`` only, so
    that a rule on ``order_status`` never fires for a cancellation by
    accident.  The platform's own status string counts as an
    ``order_status`` change only when no normalized status explains it:
    Shopify's "pending/unfulfilled" becoming "paid/unfulfilled" is a
    payment change and nothing more.
    """
    changes: list[Change] = []
    for name, kind in FIELD_KINDS.items():
        before = getattr(old, name)
        after = getattr(new, name)
        if before == after:
            continue
        if name == "order_status" and "cancelled" in (before, after):
            continue
        if name == "platform_status" and any(c.field in _STATUS_FIELDS for c in changes):
            continue
        changes.append(Change(kind, name, render(before), render(after)))
    return changes


_STATUS_FIELDS = ("payment_status", "order_status", "fulfillment_status", "cancelled")


def kinds_of(changes: list[Change]) -> list[str]:
    """The distinct kinds among ``changes``, in contract order."""
    present = {c.kind for c in changes}
    return [k for k in CHANGE_KINDS if k in present]


def render(value: Any) -> str:
    """A short, human-readable form of a field value for diffs and summaries."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Address):
        return value.one_line()
    if isinstance(value, tuple):
        return "; ".join(_line(li) for li in value if isinstance(li, LineItem))
    return str(value)


def _line(item: LineItem) -> str:
    label = item.sku or item.title
    return f"{item.quantity} x {label} @ {item.unit_price}"

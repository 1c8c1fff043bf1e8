"""Order lines as a store lists them, with a line listed twice kept once.

WooCommerce 3.4 sent one line id twice in an order: read as two lines they
sum to twice the order's total, and the books get a second item and a
negative adjustment.  Every connector passes its lines through here; what
was collapsed goes into the order's notes, which the poll writes to its
history, so the repair is never silent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def unique_lines(lines: Iterable[Any], key: str
                 ) -> tuple[list[tuple[int, dict[str, Any]]], tuple[str, ...]]:
    """``(position, line)`` for each ``key`` value at its first listing, and a note per repeat.

    The position is the line's place in the payload, so an error names the
    line the store has.  Lines without the key (or that are not objects) are
    kept as they are: without an id nothing says two equal-looking lines are one.
    """
    kept: list[tuple[int, dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for position, line in enumerate(lines):
        ident = line.get(key) if isinstance(line, dict) else None
        if ident in (None, ""):
            kept.append((position, line))
            continue
        name = str(ident)
        if name in seen:
            seen[name] += 1
            continue
        seen[name] = 1
        kept.append((position, line))
    notes = tuple(f"line {name} was listed {count} times: kept once"
                  for name, count in seen.items() if count > 1)
    return kept, notes

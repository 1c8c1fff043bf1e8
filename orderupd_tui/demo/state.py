"""The demo shop's orders: a thread-safe in-memory set, fast to page through.

Every platform API module serves this one store. Orders are kept as their
serialized JSON bytes (about 3 KB each), not as dicts: a page of 250 is then
one ``b",".join`` and 200,000 orders fit in well under a gigabyte. A change
parses one order, edits it and serializes it again.

Two sorted indexes answer the list queries without scanning everything:
ids ascending (the API's sort order and its cursor) and ``(updated_at, id)``
for ``updated_at_min``/``max`` ranges. :meth:`DemoStore.select` picks
whichever visits fewer orders.

The offset-paged platforms (WooCommerce, BigCommerce, Magento) instead take
a :meth:`DemoStore.snapshot` of every entry and filter and sort it
themselves; ``version`` tells them when a cached result went stale.
"""

from __future__ import annotations

import bisect
import json
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from orderupd_tui.demo import generator
from orderupd_tui.demo.mutations import ChangeContext, apply_change, refusal

STATUSES = ("open", "closed", "cancelled", "any")


def encode(order: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, as Shopify sends it."""
    return json.dumps(order, ensure_ascii=False, separators=(",", ":")).encode()


class Entry:
    """One stored order: its bytes plus what the indexes and filters need.

    Never changed once made (a change stores a new one), so an entry read
    under the store's lock can be used after it is released.
    """

    __slots__ = ("blob", "cancelled", "closed", "created_ts", "financial_status",
                 "fulfillment_status", "name", "order_id", "updated_ts")

    def __init__(self, order: dict[str, Any], blob: bytes) -> None:
        self.order_id: int = order["id"]
        self.name: str = order["name"]
        self.blob = blob
        self.updated_ts = int(datetime.fromisoformat(order["updated_at"]).timestamp())
        self.created_ts = int(datetime.fromisoformat(order["created_at"]).timestamp())
        self.cancelled = order["cancelled_at"] is not None
        self.closed = order["closed_at"] is not None
        self.financial_status: str = order["financial_status"]
        self.fulfillment_status: str | None = order["fulfillment_status"]


@dataclass(frozen=True)
class OrderQuery:
    """The filters of a list or count request; times are Unix seconds, bounds inclusive.

    ``status``: ``open`` (neither archived nor cancelled, Shopify's default),
    ``closed`` (archived), ``cancelled`` or ``any``.
    """

    status: str = "open"
    updated_min: float | None = None
    updated_max: float | None = None
    created_min: float | None = None
    created_max: float | None = None
    since_id: int = 0
    ids: frozenset[int] | None = None

    def matches(self, entry: Entry) -> bool:
        if self.status == "open" and (entry.closed or entry.cancelled):
            return False
        if self.status == "closed" and not entry.closed:
            return False
        if self.status == "cancelled" and not entry.cancelled:
            return False
        if self.updated_min is not None and entry.updated_ts < self.updated_min:
            return False
        if self.updated_max is not None and entry.updated_ts > self.updated_max:
            return False
        if self.created_min is not None and entry.created_ts < self.created_min:
            return False
        return not (self.created_max is not None and entry.created_ts > self.created_max)


@dataclass(frozen=True)
class Selection:
    """One page: ids ascending, their JSON, and whether matching orders lie beyond either end."""

    ids: list[int]
    blobs: list[bytes]
    more_before: bool
    more_after: bool


class DemoStore:
    """The demo shop's orders and the changes applied to them.

    ``clock`` gives the store's "now" (Unix seconds); every change stamps
    ``updated_at`` with it, in whole seconds as Shopify does, rendered in the
    shop's UTC offset ``tz_offset_minutes``. All methods are thread-safe.
    """

    def __init__(self, orders: int = 0, *, seed: int = 1, tz_offset_minutes: int = -300,
                 clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.tz = generator.shop_timezone(tz_offset_minutes)
        self._lock = threading.RLock()
        self._factory = generator.OrderFactory(seed, self.tz)
        self._rng = random.Random(seed + 1)
        self._entries: dict[int, Entry] = {}
        self._ids: list[int] = []
        self._by_updated: list[tuple[int, int]] = []
        self._next_id = generator.FIRST_ORDER_ID
        self._next_number = generator.FIRST_ORDER_NUMBER
        self._version = 0
        if orders:
            now = self.clock()
            start = now - generator.HISTORY_DAYS * 86400
            self._insert(self._factory.batch(orders, self._next_id, self._next_number,
                                             start, now - 60, now))

    # --- reading ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """The store clock, in the shop's offset, in whole seconds."""
        return datetime.fromtimestamp(int(self.clock()), self.tz)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def version(self) -> int:
        """A number that grows with every change, addition and deletion."""
        return self._version

    def snapshot(self) -> tuple[int, list[Entry]]:
        """``(version, every entry in id order)``, taken at one instant."""
        with self._lock:
            return self._version, [self._entries[i] for i in self._ids]

    def get(self, order_id: int) -> dict[str, Any] | None:
        """A copy of one order, or None."""
        blob = self.get_bytes(order_id)
        return None if blob is None else json.loads(blob)

    def entry(self, order_id: int) -> Entry | None:
        """One order's entry (its JSON and indexed fields), or None."""
        with self._lock:
            return self._entries.get(order_id)

    def get_bytes(self, order_id: int) -> bytes | None:
        """One order's cached JSON, or None."""
        with self._lock:
            entry = self._entries.get(order_id)
            return None if entry is None else entry.blob

    def count(self, query: OrderQuery) -> int:
        with self._lock:
            return sum(1 for order_id in self._candidates(query, query.since_id, None)
                       if query.matches(self._entries[order_id]))

    def select(self, query: OrderQuery, limit: int, *, after: int = 0,
               before: int | None = None, last: bool = False) -> Selection:
        """The first ``limit`` matching ids above ``after`` (or the last ones below ``before``).

        Results are in id order whatever filter is used; ``after`` and
        ``before`` are the cursor's bounds (exclusive), ``query.since_id`` a
        filter of its own.
        """
        with self._lock:
            low = max(after, query.since_id)
            found = self._matching(query, low, before, limit + 1, last)
            if last:
                more_before = len(found) > limit
                page = found[-limit:] if more_before else found
                more_after = bool(page) and self._any(query, page[-1], None)
            else:
                more_after = len(found) > limit
                page = found[:limit]
                more_before = bool(page) and self._any(query, query.since_id, page[0])
            return Selection(page, [self._entries[i].blob for i in page], more_before,
                             more_after)

    def summaries(self, limit: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Id, number and state of orders (equality filters on those fields), for test control."""
        with self._lock:
            rows = []
            for order_id in self._ids:
                e = self._entries[order_id]
                row = {
                    "id": e.order_id,
                    "name": e.name,
                    "order_number": int(e.name.lstrip("#")),
                    "financial_status": e.financial_status,
                    "fulfillment_status": e.fulfillment_status,
                    "cancelled": e.cancelled,
                    "closed": e.closed,
                    "updated_at": generator.iso(e.updated_ts, self.tz),
                }
                if all(row.get(k) == v for k, v in filters.items()):
                    rows.append(row)
                    if limit is not None and len(rows) >= limit:
                        break
            return rows

    def eligible(self, kind: str, limit: int | None = None) -> list[int]:
        """Ids of orders ``kind`` can be applied to now, lowest first (parses each: for tests)."""
        with self._lock:
            found = []
            for order_id in self._ids:
                if refusal(json.loads(self._entries[order_id].blob), kind) is None:
                    found.append(order_id)
                    if limit is not None and len(found) >= limit:
                        break
            return found

    def pick(self, kind: str, rng: random.Random, tries: int = 200) -> int | None:
        """A random order ``kind`` can be applied to, probing at most ``tries`` orders."""
        with self._lock:
            for _ in range(min(tries, len(self._ids))):
                order_id = rng.choice(self._ids)
                if refusal(json.loads(self._entries[order_id].blob), kind) is None:
                    return order_id
            return None

    # --- changing --------------------------------------------------------------------------

    def change(self, order_id: int, kind: str, *, updated_at: datetime | None = None
               ) -> dict[str, Any]:
        """Apply one change kind (see ``mutations``) and return the new order.

        ``updated_at`` overrides the store clock, to simulate a write that
        commits late carrying an earlier timestamp. Raises KeyError for an
        unknown order and ``ChangeRefused`` when the order's state forbids it.
        """
        with self._lock:
            entry = self._entries.get(order_id)
            if entry is None:
                raise KeyError(order_id)
            order = json.loads(entry.blob)
            when = updated_at.astimezone(self.tz) if updated_at else self.now()
            stamp = generator.iso(when.timestamp(), self.tz)
            apply_change(order, kind, ChangeContext(stamp, self._rng, self._factory.ids))
            self._replace(order)
            return order

    def delete(self, order_id: int) -> bool:
        """Remove an order (as a merchant deleting it); False if it was not there."""
        with self._lock:
            entry = self._entries.pop(order_id, None)
            if entry is None:
                return False
            self._ids.pop(bisect.bisect_left(self._ids, order_id))
            self._by_updated.pop(bisect.bisect_left(self._by_updated,
                                                    (entry.updated_ts, order_id)))
            self._version += 1
            return True

    def dump(self) -> list[dict[str, Any]]:
        """Every order as it is now, in id order: what :meth:`load` restores."""
        _, entries = self.snapshot()
        return [json.loads(entry.blob) for entry in entries]

    def load(self, orders: list[dict[str, Any]]) -> None:
        """Take back the orders of an earlier :meth:`dump`, into a store created empty.

        So that ``--demo`` verbs run one after another see one shop, whose
        orders the demo database already holds, rather than a regenerated one.
        """
        with self._lock:
            if self._entries:
                raise ValueError("load() needs an empty store")
            self._insert(sorted(orders, key=lambda order: int(order["id"])))

    def add_orders(self, count: int) -> list[int]:
        """Create ``count`` new orders placed over the last minute; returns their ids."""
        with self._lock:
            now = self.clock()
            return self._insert(self._factory.batch(count, self._next_id, self._next_number,
                                                    now - min(60, count), now, now))

    # --- internals -------------------------------------------------------------------------

    def _insert(self, orders: Iterable[dict[str, Any]]) -> list[int]:
        """Add orders whose ids are above every stored id (so ``_ids`` stays sorted)."""
        added = []
        for order in orders:
            entry = Entry(order, encode(order))
            self._entries[entry.order_id] = entry
            self._ids.append(entry.order_id)
            self._by_updated.append((entry.updated_ts, entry.order_id))
            added.append(entry.order_id)
            self._next_number = order["order_number"] + 1
        self._by_updated.sort()
        if added:
            self._next_id = added[-1] + self._rng.randint(1, 2000)
            self._version += 1
        return added

    def _replace(self, order: dict[str, Any]) -> None:
        old = self._entries[order["id"]]
        self._by_updated.pop(bisect.bisect_left(self._by_updated,
                                                (old.updated_ts, old.order_id)))
        entry = Entry(order, encode(order))
        self._entries[entry.order_id] = entry
        bisect.insort(self._by_updated, (entry.updated_ts, entry.order_id))
        self._version += 1

    def _candidates(self, query: OrderQuery, low: int, high: int | None) -> list[int]:
        """Ids in (low, high) that may match, ascending, from the cheaper index.

        Walking ids visits about ``span / in_range`` orders per match; taking
        the ``updated_at`` slice visits ``in_range`` orders and sorts them.
        """
        if query.ids is not None:
            return sorted(i for i in query.ids
                          if i in self._entries and low < i and (high is None or i < high))
        start = bisect.bisect_right(self._ids, low)
        stop = len(self._ids) if high is None else bisect.bisect_left(self._ids, high)
        span = stop - start
        if query.updated_min is not None or query.updated_max is not None:
            first = (0 if query.updated_min is None
                     else bisect.bisect_left(self._by_updated, (query.updated_min, 0)))
            end = (len(self._by_updated) if query.updated_max is None
                   else bisect.bisect_right(self._by_updated, (query.updated_max, float("inf"))))
            in_range = end - first
            if in_range * in_range < span * 250:
                return sorted(order_id for _, order_id in self._by_updated[first:end]
                              if low < order_id and (high is None or order_id < high))
        return self._ids[start:stop]

    def _matching(self, query: OrderQuery, low: int, high: int | None, want: int,
                  last: bool) -> list[int]:
        candidates = self._candidates(query, low, high)
        found: list[int] = []
        for order_id in reversed(candidates) if last else candidates:
            if query.matches(self._entries[order_id]):
                found.append(order_id)
                if len(found) >= want:
                    break
        return found[::-1] if last else found

    def _any(self, query: OrderQuery, low: int, high: int | None) -> bool:
        return bool(self._matching(query, low, high, 1, False))

"""Filtered, sorted, page-numbered views of the demo store, and per-order translation caches.

Shopify pages by cursor, which :meth:`DemoStore.select` answers from its
indexes. WooCommerce, BigCommerce and Magento page by number (``page=3``)
and each filters and sorts its own way, so their modules filter and sort a
:meth:`DemoStore.snapshot` and slice it. The sorted result is kept until the
store changes (its ``version``): a whole import then costs one sort, not
one per page. Likewise each order is translated into a platform's shape
once per version of the order, not once per request, so the store is never
what limits an import benchmark.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from orderupd_tui.demo.state import DemoStore, Entry

T = TypeVar("T")
#: Results kept per store version; a client reads one or two listings at a time.
MAX_LISTINGS = 16


class Listings:
    """Sorted lists of the orders a filter keeps, cached until the store changes."""

    def __init__(self, store: DemoStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._version = -1
        self._found: dict[Hashable, list[Entry]] = {}

    def matching(self, key: Hashable, keep: Callable[[Entry], bool],
                 sort: Callable[[Entry], Any], *, descending: bool = False) -> list[Entry]:
        """Every order ``keep`` accepts, sorted by ``sort``.

        ``key`` must name the filter and the sort completely (it is the cache key).
        """
        with self._lock:
            if self.store.version == self._version and key in self._found:
                return self._found[key]
        version, entries = self.store.snapshot()
        found = sorted((e for e in entries if keep(e)), key=sort, reverse=descending)
        with self._lock:
            if version != self._version or len(self._found) >= MAX_LISTINGS:
                self._found.clear()
                self._version = version
            self._found[key] = found
        return found


def page_of(items: list[T], page: int, size: int) -> list[T]:
    """Items of the 1-based page ``page`` of ``size`` items (empty past the end)."""
    return items[(page - 1) * size : page * size]


class Shapes(Generic[T]):
    """Each order translated once per version of it (and per base URL, for absolute links)."""

    def __init__(self, translate: Callable[[dict[str, Any], str], T]) -> None:
        self._translate = translate
        self._done: dict[int, tuple[Entry, str, T]] = {}

    def get(self, entry: Entry, base_url: str) -> T:
        hit = self._done.get(entry.order_id)
        if hit is not None and hit[0] is entry and hit[1] == base_url:
            return hit[2]
        shaped = self._translate(json.loads(entry.blob), base_url)
        self._done[entry.order_id] = (entry, base_url, shaped)
        return shaped


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON, as the platforms send it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def json_list(blobs: list[bytes]) -> bytes:
    """A JSON array of already-encoded items."""
    return b"[" + b",".join(blobs) + b"]"

"""Reading a store's next page while the last one is stored.

A poll alternates between waiting on the store (its server builds the
page, the bytes cross the network) and storing what came (SQLite and
PostgreSQL release the GIL while they write).  Running the listing one page
ahead in a thread overlaps the two; a first import was bound by their sum.
At most :data:`AHEAD` pages wait in memory, so a fast store cannot flood us.
A listing whose first page is short (the few orders a routine poll re-reads)
is read on without a thread: starting one would cost more than it saves.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from orderupd_tui.stores.base import Page, StoreClient

#: Pages read ahead of the one being stored.
AHEAD = 1
#: A first page with fewer orders than this is not worth a thread for the rest.
WORTH_A_THREAD = 50

_DONE = object()


class Prefetched:
    """Iterate a listing's pages, read in a thread; ``clock`` is the store's clock at page 1.

    The clock is taken as soon as the first page arrives, before the next
    request goes out, so it is the clock of the listing's start however far
    the thread has read ahead.  An error in the thread is raised here, at the
    page it happened; leaving the loop early stops the thread.
    """

    def __init__(self, client: StoreClient, since: datetime) -> None:
        self.clock: datetime | None = None
        self._client = client
        self._since = since
        self._pages: queue.Queue[Any] = queue.Queue(maxsize=AHEAD)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="poll-prefetch", daemon=True)
        self._listing: Iterator[Page] = iter(())

    def __iter__(self) -> Iterator[Page]:
        listing = self._client.changed_since(self._since)
        first = next(listing, None)
        if first is None:
            return
        self.clock = self._client.store_clock()
        if len(first.orders) + len(first.unreadable) < WORTH_A_THREAD:
            yield first
            yield from listing
            return
        self._listing = listing
        self._thread.start()
        try:
            yield first
            while True:
                item = self._pages.get()
                if item is _DONE:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self._stop.set()  # a thread waiting to hand over a page sees it within 0.1 s
            self._thread.join()

    def _read(self) -> None:
        listing = self._listing
        try:
            for page in listing:
                if not self._hand_over(page):
                    return
            self._hand_over(_DONE)
        except BaseException as exc:  # handed to the poll, which decides what it means
            self._hand_over(exc)
        finally:
            close = getattr(listing, "close", None)
            if close is not None:
                close()

    def _hand_over(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._pages.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

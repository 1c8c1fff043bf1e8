"""Whether anyone wrote to the database since the last look: how open apps stay live.

Several reviewers' apps and a ``poll --watch`` daemon may share one
database.  Each app asks :meth:`ChangeWatch.changed` about once a second
(from a worker) and reloads what it shows when the answer is yes, so a
colleague's accept or the daemon's poll shows within about two seconds
without the app polling the stores itself.

- **SQLite:** ``PRAGMA data_version``, which changes when another
  connection commits.  It is per connection, so the watch keeps one of its
  own, opened read-only; the question costs no I/O beyond the WAL index.
- **PostgreSQL:** a change counter read in one round trip: the newest
  event, update, order and posting ids and the stores' poll times.  Every
  review action and posting writes an event, a poll writes its store's
  lease and times, and new orders and updates get new ids, so every change
  a pane shows moves one of them.  All are index ends or a tiny table.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from peewee import Database, SqliteDatabase

COUNTER_SQL = (
    "SELECT (SELECT max(id) FROM event), (SELECT max(id) FROM order_update), "
    "(SELECT max(id) FROM orders), (SELECT max(id) FROM posting), "
    "(SELECT max(last_poll_at) FROM store), (SELECT max(last_success_at) FROM store), "
    "(SELECT max(lease_until) FROM store)"
)


_UNSET = object()


class ChangeWatch:
    """Answers "did the database change since I last asked?" cheaply.

    Making one does no I/O (the app makes it on its UI thread); the first
    question opens what it needs and answers yes, since whatever was read
    before it began may already be stale.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._lock = threading.Lock()  # asked from worker threads, one at a time
        self._own: sqlite3.Connection | None = None
        self._last: Any = _UNSET

    def _mark(self) -> Any:
        if not isinstance(self.db, SqliteDatabase):
            return tuple(self.db.execute_sql(COUNTER_SQL).fetchone())
        if self.db.database == ":memory:":
            return None  # an in-memory database has no other writers
        if self._own is None:
            path = quote(str(Path(self.db.database).resolve()))
            self._own = sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                        check_same_thread=False)
        return self._own.execute("PRAGMA data_version").fetchone()[0]

    def changed(self) -> bool:
        """Whether another connection has written since the last call (yes, the first time)."""
        with self._lock:
            mark = self._mark()
            if mark == self._last:
                return False
            self._last = mark
            return True

    def close(self) -> None:
        with self._lock:
            if self._own is not None:
                self._own.close()
                self._own = None

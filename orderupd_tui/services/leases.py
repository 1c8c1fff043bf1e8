"""The poll lease: at most one process polls a store at a time, and a dead one never blocks it.

The lease is a pair of columns on the store's row: who holds it
(``host:pid:start``, the process start time telling a reused pid from the
holder) and until when.  A live holder renews it every :data:`HEARTBEAT`
from a thread of its own, so the lease can be short: a holder that died on
another host loses it within :data:`LEASE`.  A holder that died on this host
is seen to be dead (its pid is gone, or belongs to a younger process) and
its lease is taken over at once, which is what lets a supervisor restart a
killed ``poll --watch`` without a pause.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from orderupd_tui.db.models import Store, as_utc, database, db_time, utcnow
from orderupd_tui.stores.base import StoreError

log = logging.getLogger(__name__)

#: How long a lease lasts without renewal.
LEASE = timedelta(seconds=60)
#: How often a holder renews it while it polls.
HEARTBEAT = timedelta(seconds=10)


@dataclass(frozen=True)
class Holder:
    """Who a lease names, parsed from ``host:pid:start``."""

    host: str
    pid: int | None
    start: str | None

    @classmethod
    def parse(cls, owner: str) -> Holder:
        host, _, rest = owner.partition(":")
        pid, _, start = rest.partition(":")
        return cls(host, int(pid) if pid.isdecimal() else None, start or None)

    def __str__(self) -> str:
        return f"{self.host} (pid {self.pid})" if self.pid is not None else self.host

    def is_dead_here(self) -> bool:
        """True only when this host can tell the holder is gone: never a guess about others."""
        if self.host != socket.gethostname() or self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # a live process of another user
        start = _start_time(self.pid)
        return self.start is not None and start is not None and start != self.start


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), to tell a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def this_process() -> str:
    """The lease owner this process writes: ``host:pid:start``."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid) or ''}"


class Lease:
    """One store's poll lease as held by this process."""

    def __init__(self, store: str) -> None:
        self.store = store
        self.owner = this_process()
        self._lost = threading.Event()

    def take(self) -> str | None:
        """Take the lease; None when taken, else one line saying who holds it and until when."""
        if self._claim(Store.lease_owner.is_null() | (Store.lease_until < utcnow())
                       | (Store.lease_owner == self.owner)):
            return None
        row = Store.get_or_none(Store.name == self.store)
        if row is None or row.lease_owner is None:
            return self.take() if row is not None else f"store {self.store!r} is not known"
        holder = Holder.parse(row.lease_owner)
        if holder.is_dead_here() and self._claim(Store.lease_owner == row.lease_owner):
            return None
        until = as_utc(row.lease_until)
        when = f" until {until:%Y-%m-%dT%H:%M:%SZ}" if until else ""
        return (f"store {self.store!r} is being polled by {holder}{when}; "
                "this poll of it was skipped")

    def _claim(self, condition: object) -> bool:
        now = utcnow()
        return bool(Store.update(lease_owner=self.owner, lease_until=now + LEASE,
                                 last_poll_at=now)
                    .where((Store.name == self.store) & condition).execute())

    def renew(self) -> None:
        """Extend the lease; a lease taken over meanwhile stops this poll with one line."""
        if self._lost.is_set() or not self._extend():
            raise StoreError(f"store {self.store!r}: another process took over its poll; "
                             "stopped here")

    def _extend(self) -> bool:
        return bool(Store.update(lease_until=utcnow() + LEASE).where(
            (Store.name == self.store) & (Store.lease_owner == self.owner)).execute())

    @contextmanager
    def heartbeat(self) -> Iterator[None]:
        """Renew the lease from the heartbeat thread while the body runs, however long."""
        _HEARTBEAT.hold(self)
        try:
            yield
        finally:
            _HEARTBEAT.release(self)

    def beat(self) -> None:
        """One renewal by the heartbeat thread; a lease taken over is marked lost."""
        if not self._extend():
            self._lost.set()

    def finish(self, *, cursor: datetime | None = None, error: str | None = None,
               warning: str | None = None) -> bool:
        """Release the lease and record the outcome; False if the lease was no longer ours."""
        values: dict[object, object] = {Store.lease_owner: None, Store.lease_until: None}
        if error is None:
            values.update({Store.last_success_at: utcnow(), Store.last_error: None,
                           Store.last_warning: warning})
            if cursor is not None:
                values[Store.cursor] = db_time(cursor)
        else:
            values[Store.last_error] = error
        return bool(Store.update(values).where(
            (Store.name == self.store) & (Store.lease_owner == self.owner)).execute())


class _Heartbeat:
    """One thread per process renews every lease the process holds, every :data:`HEARTBEAT`.

    Started with the first lease and kept: a poll every few seconds would
    otherwise pay for a thread start each time.  It opens its own database
    connection for each round and closes it after, so it holds none between.
    """

    def __init__(self) -> None:
        self._held: set[Lease] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def hold(self, lease: Lease) -> None:
        with self._lock:
            self._held.add(lease)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lease-heartbeat",
                                                daemon=True)
                self._thread.start()

    def release(self, lease: Lease) -> None:
        with self._lock:
            self._held.discard(lease)

    def _run(self) -> None:
        while True:
            time.sleep(HEARTBEAT.total_seconds())
            with self._lock:
                held = list(self._held)
            if not held:
                continue
            try:
                for lease in held:
                    lease.beat()
            except Exception:  # the database away for a moment: the poll itself will say so
                log.warning("could not renew a poll lease", exc_info=True)
            finally:
                database.close()


_HEARTBEAT = _Heartbeat()

"""One poll of the stores: new orders in, changes detected, cursors moved only when safe.

The cursor is the heart of not missing anything.  Each poll asks for every
order updated at or after the cursor, with no upper bound.  The next cursor
is the newest ``updated_at`` seen, but never later than the store's own
clock minus a safety margin, so every poll re-reads that margin and an
order committed late with an earlier timestamp is still picked up.  Re-read
orders are recognised by digest and raise nothing.  The cursor is written
only after every page up to it is stored: a failure anywhere leaves it
where it was.

After the stores, a poll checks the books (:mod:`orderupd_tui.services.books`)
once: documents voided or deleted there raise updates like the stores' do.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from orderupd_tui.db.models import Event, Order, Store, Update, as_utc, db_time, utcnow
from orderupd_tui.db.records import insert_orders, local_copy, order_columns
from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.domain.rules import choose
from orderupd_tui.errorlog import log_unexpected
from orderupd_tui.services import books, resolution
from orderupd_tui.services.session import Session
from orderupd_tui.stores.base import Page, RemoteOrder, StoreError

#: How far behind the store's clock the cursor stays, so late commits are re-read.
SAFETY_MARGIN = timedelta(minutes=5)
#: How long a poll may hold a store's lease before another process may take it over.
LEASE = timedelta(minutes=10)

ProgressFn = Callable[[str, int, int], None]
"""Called with (store name, pages read, orders read) as a poll goes on."""


@dataclass
class StoreResult:
    """What one store's poll did; ``errors`` is empty when it succeeded."""

    name: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    cursor: datetime | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "cursor": self.cursor.isoformat().replace("+00:00", "Z") if self.cursor else None,
        }


class PollResult(list[StoreResult]):
    """Each store's result, in order, plus what the check of the books found.

    A list, so callers that only look at the stores need not change.
    """

    books: books.BooksResult | None = None

    @property
    def failed(self) -> bool:
        """Whether any store, or the books, reported an error (exit 1)."""
        return any(r.errors for r in self) or bool(self.books and self.books.errors)


def lease_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def poll_once(
    session: Session, store: str | None = None, progress: ProgressFn | None = None
) -> PollResult:
    """Poll every configured store, or one, then the books; a failure never stops the rest."""
    names = [store] if store else [s.name for s in session.settings.stores]
    result = PollResult(_poll_store(session, name, progress) for name in names)
    result.books = books.check(session)
    return result


def _poll_store(session: Session, name: str, progress: ProgressFn | None) -> StoreResult:
    result = StoreResult(name)
    owner = lease_owner()
    if not _take_lease(name, owner):
        result.errors.append(f"store {name!r} is being polled by another process")
        return result
    row = session.store_row(name)
    result.cursor = as_utc(row.cursor)
    try:
        client = session.client(name)
        since = result.cursor or session.settings.store(name).since
        newest: datetime | None = None
        clock: datetime | None = None
        orders = 0
        for pages, page in enumerate(client.changed_since(since), 1):
            if pages == 1:
                # The clock when the listing began: a change made while later
                # pages were read may be older than the last page's clock.
                clock = client.store_clock()
            newest = _store_page(session, row, page, result, newest)
            _renew_lease(name, owner)
            orders += len(page.orders)
            if progress:
                progress(name, pages, orders)
        cursor = next_cursor(result.cursor, newest, clock)
    except StoreError as exc:
        result.errors.append(str(exc))
        _finish(name, owner, error=str(exc))
        return result
    except Exception:  # one store's surprise must not stop the others: logged, one line
        message = log_unexpected(session.settings.secrets())
        result.errors.append(f"store {name!r}: {message}")
        _finish(name, owner, error=message)
        return result
    except BaseException:
        _finish(name, owner, error="interrupted")
        raise
    result.cursor = cursor
    if not _finish(name, owner, cursor=cursor):
        result.errors.append(f"store {name!r} lost its poll lease: the cursor was not saved")
    return result


def next_cursor(
    old: datetime | None, newest: datetime | None, clock: datetime | None
) -> datetime | None:
    """Where the next poll starts: the newest change seen, held back by the safety margin.

    ``clock`` is the store's clock when the listing began.  With nothing
    seen, a known clock still lets the cursor advance to the margin, since
    everything before it was read.  Without a clock (Mal's sends no Date) the
    margin is kept behind the newest change instead.  The cursor never moves
    backwards.
    """
    reference = clock or newest
    limit = reference - SAFETY_MARGIN if reference else None
    candidates = [t for t in (newest, limit) if t is not None]
    if not candidates:
        return old
    cursor = min(candidates)
    return max(cursor, old) if old else cursor


def _take_lease(name: str, owner: str) -> bool:
    """At most one process polls a store at a time; a lease row in the database says who."""
    now = utcnow()
    taken = (
        Store.update(lease_owner=owner, lease_until=now + LEASE, last_poll_at=now)
        .where(
            (Store.name == name)
            & (
                Store.lease_owner.is_null()
                | (Store.lease_until < now)
                | (Store.lease_owner == owner)
            )
        )
        .execute()
    )
    return bool(taken)


def _renew_lease(name: str, owner: str) -> None:
    """Extend the lease after each page; a lease taken over meanwhile stops this poll."""
    renewed = Store.update(lease_until=utcnow() + LEASE).where(
        (Store.name == name) & (Store.lease_owner == owner)).execute()
    if not renewed:
        raise StoreError(f"store {name!r}: another process took over its poll; stopped here")


def _finish(
    name: str, owner: str, *, cursor: datetime | None = None, error: str | None = None
) -> bool:
    """Release the lease and record the outcome; False if the lease was no longer ours."""
    values: dict[object, object] = {Store.lease_owner: None, Store.lease_until: None}
    if error is None:
        values.update({Store.last_success_at: utcnow(), Store.last_error: None})
        if cursor is not None:
            values[Store.cursor] = db_time(cursor)
    else:
        values[Store.last_error] = error
    return bool(Store.update(values).where(
        (Store.name == name) & (Store.lease_owner == owner)).execute())


def _store_page(
    session: Session, store: Store, page: Page, result: StoreResult, newest: datetime | None
) -> datetime | None:
    """Store one page in one transaction; returns the newest ``updated_at`` seen so far."""
    latest = {r.order.remote_id: r for r in _newest_copies(page.orders)}
    if not latest:
        return newest
    page_newest = max(r.order.updated_at for r in latest.values())
    newest = page_newest if newest is None else max(newest, page_newest)
    with session.db.atomic():
        known = {
            row.remote_id: row
            for row in Order.select(
                Order.id, Order.remote_id, Order.digest, Order.ignored_digest, Order.pending
            ).where((Order.store == store) & (Order.remote_id.in_(list(latest))))
        }
        fresh = []
        for remote_id, remote in latest.items():
            digest = remote.order.digest()
            row = known.get(remote_id)
            if row is None:
                fresh.append({**order_columns(remote, digest), "store": store.id,
                              "remote_id": remote_id})
            elif digest in (row.digest, row.ignored_digest):
                if row.pending:
                    _withdraw_store_update(row.id)
                result.unchanged += 1
            elif _apply_change(session, store, row.id, remote, digest):
                result.updated += 1
            else:
                result.unchanged += 1
        insert_orders(fresh)
        result.new += len(fresh)
    return newest


def _newest_copies(orders: list[RemoteOrder]) -> Iterator[RemoteOrder]:
    """Orders changing while a poll pages may appear twice; keep the newest copy of each."""
    best: dict[str, RemoteOrder] = {}
    for remote in orders:
        seen = best.get(remote.order.remote_id)
        if seen is None or remote.order.updated_at >= seen.order.updated_at:
            best[remote.order.remote_id] = remote
    return iter(best.values())


def _withdraw_store_update(order_id: int) -> None:
    """The store undid its change (its copy is the local or the ignored one again)."""
    pending = Update.get_or_none((Update.order == order_id) & (Update.status == "pending")
                                 & (Update.source == "store"))
    if pending is None:
        return
    order = Order.get_by_id(order_id)
    reason = "the store's copy is back to the local one"
    resolution.close_update(order, pending, "ignored", "poll", reason)
    Event.create(at=utcnow(), actor="poll", order=order, action="update withdrawn", detail=reason)


def _apply_change(session: Session, store: Store, order_id: int, remote: RemoteOrder,
                  digest: str) -> bool:
    """Handle a store copy that differs from the local one; False if it was already raised.

    A pending update from the books is merged with the store's change rather
    than overwritten: the update becomes a store update that still carries
    what the books did, so accepting it does both and neither is lost.
    """
    order = Order.select(Order, Store).join(Store).where(Order.id == order_id).get()
    pending = Update.get_or_none((Update.order == order) & (Update.status == "pending"))
    if pending is not None and pending.new_digest == digest:
        return False
    books = resolution.books_facts(pending)
    changes = diff(local_copy(order), remote.order)
    detected = [k for k in kinds_of(changes) if k in session.settings.detect]
    if not detected:
        resolution.replace_copy(order, remote, digest)
        if pending is not None and books is None:
            reason = "the store's newer copy differs only in undetected kinds"
            resolution.close_update(order, pending, "accepted", "poll", reason)
            Event.create(at=utcnow(), actor="poll", order=order, action="update withdrawn",
                         detail=reason)
        return True
    posted = order.accounting_state in ("posted", "unknown")
    rule_kinds = [*detected, resolution.BOOKS_KIND] if books else detected
    rule = choose(session.settings.rules, rule_kinds, posted)
    record = [c.to_dict() for c in changes]
    new_data = remote.order.to_dict()
    if pending is not None and books is not None:
        record += [c for c in json.loads(pending.changes) if c["kind"] == resolution.BOOKS_KIND]
        new_data["books"] = books
    fields = {
        "source": "store",
        "kinds": ",".join(rule_kinds),
        "changes": json.dumps(record),
        "new_data": json.dumps(new_data, separators=(",", ":")),
        "new_payload": json.dumps(remote.raw, separators=(",", ":")),
        "new_digest": digest,
    }
    # Merge into the pending update only while it is still pending: a reviewer
    # may have resolved it since it was read, and must not see it reopened.
    if pending is not None and Update.update(**fields).where(
            (Update.id == pending.id) & (Update.status == "pending")).execute():
        pending = Update.get_by_id(pending.id)
    else:
        pending = Update.create(order=order, detected_at=utcnow(), status="pending", **fields)
        Order.update(pending=True).where(Order.id == order.id).execute()
        order.pending = True
    Event.create(at=utcnow(), actor="poll", order=order, action="update detected",
                 detail=" · ".join(f"{c.field} {c.old}→{c.new}" for c in changes)[:500])
    if rule is not None and _rule_may_act(session, rule.action, posted, order.accounting_state):
        resolution.apply(order, pending, remote, rule.action, actor=rule.actor,
                         reason=f"automatic: rule {rule.index} ({rule.action})")
    return True


def _rule_may_act(session: Session, action: str, posted: bool, order_state: str) -> bool:
    """A rule resets a posted order's books only when the config says to keep the document.

    With ``on_reset: ask`` a person must decide, and ``void`` needs the
    accounting backend, which a poll does not drive: both stay in review.
    """
    if action == "review":
        return False
    if posted and order_state == "unknown":
        return False  # a posting in flight or unsettled: nobody resets it blind
    if posted and action != "ignore":
        return session.settings.accounting.on_reset == "keep"
    return True


"""One poll of the stores: new orders in, changes detected, cursors moved only when safe.

The cursor is the heart of not missing anything.  Each poll asks for every
order updated at or after the cursor, with no upper bound.  The next cursor
is the newest ``updated_at`` seen, but never later than the store's own
clock minus a safety margin, so every poll re-reads that margin and an
order committed late with an earlier timestamp is still picked up.  Re-read
orders are recognised by digest and raise nothing.  The cursor is written
only after every page up to it is stored: a failure anywhere leaves it
where it was.

A payload that cannot be read as an order never stops its page, its store
or the poll: it is set aside (:mod:`orderupd_tui.services.setaside`) in the
same transaction as its page, which is what lets the cursor move past it,
and fetched again by id at every later poll until it reads.  While any is
set aside the poll names it and reports failure (exit 1).

The cursor also never passes this machine's clock less the margin, however
far ahead a store's ``Date`` header or its orders' timestamps are; a store
clock more than :data:`CLOCK_SKEW` away from ours is reported once a poll.

Leases: the lease row names ``host:pid:start``; a lease whose holder is a
dead process on this host is taken over at once, and a live holder renews
it every :data:`HEARTBEAT`, so a holder that died elsewhere loses it within
:data:`LEASE`.

After the stores, a poll checks the books (:mod:`orderupd_tui.services.books`)
once: documents voided or deleted there raise updates like the stores' do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from orderupd_tui.db import bulk
from orderupd_tui.db.models import Event, Order, Store, Update, as_utc, utcnow
from orderupd_tui.db.records import column_repairs, insert_orders, local_copy, order_columns
from orderupd_tui.domain import labels
from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.domain.rules import choose
from orderupd_tui.domain.states import (
    AccountingState,
    OnReset,
    RuleAction,
    UpdateSource,
    UpdateStatus,
)
from orderupd_tui.errorlog import log_unexpected
from orderupd_tui.services import books, leases, resolution, setaside
from orderupd_tui.services.prefetch import Prefetched
from orderupd_tui.services.session import Session
from orderupd_tui.stores.base import Page, RemoteOrder, StoreClient, StoreError

#: How far behind the store's clock the cursor stays, so late commits are re-read.
SAFETY_MARGIN = timedelta(minutes=5)
#: A store clock further than this from ours is reported (once a poll).
CLOCK_SKEW = timedelta(minutes=10)
#: The most pages one poll reads of one store, unless its ``max_pages`` says otherwise: far
#: more than a first import of a million orders needs (4,000 of Shopify's, 10,000 of
#: WooCommerce's), and still an end to a listing that never ends.
MAX_PAGES = 20_000

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
    #: The store's orders that are set aside after this poll, one line each.
    set_aside: list[str] = field(default_factory=list)
    #: What went wrong without failing the poll (a store clock far from ours).
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """The poll failed, or some order could not be read (both exit 1)."""
        return bool(self.errors or self.set_aside)

    def to_json(self) -> dict[str, object]:
        """DESIGN §6's object: set-aside orders are among the errors; warnings go to stderr."""
        return {
            "name": self.name,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": [*self.errors, *self.set_aside],
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
        return any(r.failed for r in self) or bool(self.books and self.books.errors)


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
    lease = leases.Lease(name)
    refusal = lease.take()
    if refusal:
        result.errors.append(refusal)
        return result
    row = session.store_row(name)
    result.cursor = as_utc(row.cursor)
    warning: str | None = None
    try:
        with lease.heartbeat(), _first_import(session):
            client = session.client(name)
            settings = session.settings.store(name)
            since = result.cursor or settings.since
            max_pages = int(settings.options.get("max_pages", MAX_PAGES))
            intake = _Intake(setaside.open_keys(row))
            newest: datetime | None = None
            clock: datetime | None = None
            now = datetime.now(UTC)
            orders = 0
            listing = Prefetched(client, since)
            for pages, page in enumerate(listing, 1):
                if pages == 1:
                    # The clocks when the listing began: a change made while later
                    # pages were read may be older than the last page's clock.
                    clock = listing.clock
                    now = datetime.now(UTC)
                if pages > max_pages:
                    raise StoreError(f"store {name!r} was still sending pages after {max_pages} "
                                     "(max_pages): the listing stopped there, the cursor stays")
                page_newest = _store_page(session, row, page, result, intake)
                if page_newest is not None:
                    newest = page_newest if newest is None else max(newest, page_newest)
                lease.renew()
                orders += len(page.orders)
                if progress:
                    progress(name, pages, orders)
            _retry_set_aside(session, row, client, intake, result)
            cursor = next_cursor(result.cursor, newest, clock, now)
            warning = clock_warning(name, clock, now)
    except StoreError as exc:
        result.errors.append(str(exc))
        lease.finish(error=str(exc))
        return result
    except Exception:  # one store's surprise must not stop the others: logged, one line
        message = log_unexpected(session.settings.secrets())
        result.errors.append(f"store {name!r}: {message}")
        lease.finish(error=message)
        return result
    except BaseException:
        lease.finish(error="interrupted")
        raise
    result.cursor = cursor
    if warning:
        result.warnings.append(warning)
    result.set_aside = [e.line() for e in setaside.open_entries(session, name)]
    if not lease.finish(cursor=cursor, warning=warning):
        result.errors.append(f"store {name!r} lost its poll lease: the cursor was not saved")
    return result


@dataclass
class _Intake:
    """One poll's view of a store's set-aside entries."""

    #: The open entries, key to remote id; kept current as pages read or set orders aside.
    open: dict[str, str | None]
    #: Keys the listing brought this poll (read or not): those need no retry by id.
    listed: set[str] = field(default_factory=set)


@contextmanager
def _first_import(session: Session) -> Iterator[bool]:
    """Into an empty database, store first and build the inbox's indexes once at the end."""
    deferred = bulk.defer_indexes(session.db)
    try:
        yield deferred
    finally:
        if deferred:
            bulk.restore_indexes(session.db)


def _retry_set_aside(session: Session, store: Store, client: StoreClient, intake: _Intake,
                     result: StoreResult) -> None:
    """Ask the store again, by id, for the set-aside orders this poll's listing did not bring.

    A store may fix an order without touching its ``updated_at``, so waiting
    for the listing to bring it back is not enough.  What reads now is
    stored like any page (its changes raise updates as usual) but never
    moves the cursor.
    """
    ids = [remote_id for key, remote_id in intake.open.items()
           if remote_id and key not in intake.listed]
    if not ids or not client.supports_updates:
        return
    fetched = client.fetch(ids)
    _store_page(session, store, Page(list(fetched.values()), 0, fetched.unreadable), result,
                intake)
    unread = {u.key for u in fetched.unreadable}
    gone = [i for i in ids if i not in fetched and i not in unread]
    if gone:
        with session.db.atomic():
            setaside.still_missing(store, gone, "the store no longer returns this order by id")


def clock_warning(name: str, clock: datetime | None, now: datetime) -> str | None:
    """One line when the store's clock is far from ours: its cursor then follows ours."""
    if clock is None or abs(clock - now) <= CLOCK_SKEW:
        return None
    skew = clock - now
    minutes = int(abs(skew).total_seconds() // 60)
    amount = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    side = "ahead of" if skew > timedelta(0) else "behind"
    return (f"store {name!r}: its clock is {amount} {side} this machine's "
            f"(Date: {clock:%Y-%m-%dT%H:%M:%SZ}); the cursor follows ours")


def next_cursor(
    old: datetime | None, newest: datetime | None, clock: datetime | None,
    now: datetime | None = None,
) -> datetime | None:
    """Where the next poll starts: the newest change seen, held back by the safety margin.

    ``clock`` is the store's clock and ``now`` ours, both when the listing
    began.  The earlier of the two is the reference, so a store clock (or an
    order's ``updated_at``) in the future can never carry the cursor past
    ours.  With nothing seen, a known clock still lets the cursor advance to
    the margin, since everything before it was read.  Without a store clock
    (Mal's sends no Date) the margin is kept behind the newest change
    instead.  The cursor never moves backwards.
    """
    now = now or datetime.now(UTC)
    if clock is not None:
        reference: datetime | None = min(clock, now)
    else:
        reference = min(newest, now) if newest else None
    limit = reference - SAFETY_MARGIN if reference else None
    candidates = [t for t in (newest, limit) if t is not None]
    if not candidates:
        return old
    cursor = min(candidates)
    return max(cursor, old) if old else cursor


def _store_page(
    session: Session, store: Store, page: Page, result: StoreResult, intake: _Intake
) -> datetime | None:
    """Store one page in one transaction; returns the page's newest ``updated_at``.

    The page's unreadable payloads are recorded in the same transaction, and
    set-aside entries whose orders read now are closed.
    """
    latest = {r.order.remote_id: r for r in _newest_copies(page.orders)}
    intake.listed.update(latest)
    intake.listed.update(u.key for u in page.unreadable)
    if not latest and not page.unreadable:
        return None
    with session.db.atomic():
        if page.unreadable:
            setaside.record(store, page.unreadable, session.settings.secrets())
            intake.open.update((u.key, u.remote_id) for u in page.unreadable)
        if not latest:
            return None
        _store_orders(session, store, latest, result)
        read = [key for key in latest if key in intake.open]
        if read:
            setaside.resolve(store, read)
            for key in read:
                del intake.open[key]
    return max(r.order.updated_at for r in latest.values())


def _store_orders(session: Session, store: Store, latest: dict[str, RemoteOrder],
                  result: StoreResult) -> None:
    """Insert the new orders of a page and compare the known ones with their local copies."""
    known = {
        row.remote_id: row
        for row in Order.select(
            Order.id, Order.remote_id, Order.digest, Order.ignored_digest, Order.pending
        ).where((Order.store == store) & (Order.remote_id.in_(list(latest))))
    }
    fresh = []
    repaired: dict[str, list[str]] = {}
    for remote_id, remote in latest.items():
        digest = remote.order.digest()
        row = known.get(remote_id)
        if row is None or digest not in (row.digest, row.ignored_digest):
            notes = [*remote.order.notes, *column_repairs(remote.order)]
            if notes:
                repaired[remote_id] = notes
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
    if repaired:
        _record_repairs(store, repaired)


def _record_repairs(store: Store, repaired: dict[str, list[str]]) -> None:
    """Whatever reading had to repair in a new or changed copy goes in the order's history."""
    ids = {o.remote_id: o.id for o in Order.select(Order.id, Order.remote_id).where(
        (Order.store == store) & Order.remote_id.in_(list(repaired)))}
    now = utcnow()
    Event.insert_many([
        {"at": now, "actor": "poll", "order": ids[remote_id], "action": "read with repairs",
         "detail": "; ".join(notes)[:2000]}
        for remote_id, notes in repaired.items() if remote_id in ids
    ]).execute()


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
    pending = Update.get_or_none((Update.order == order_id)
                                 & (Update.status == UpdateStatus.PENDING)
                                 & (Update.source == UpdateSource.STORE))
    if pending is None:
        return
    order = Order.get_by_id(order_id)
    reason = "the store's copy is back to the local one"
    resolution.close_update(order, pending, UpdateStatus.IGNORED, "poll", reason)
    Event.create(at=utcnow(), actor="poll", order=order, action="update withdrawn", detail=reason)


def _apply_change(session: Session, store: Store, order_id: int, remote: RemoteOrder,
                  digest: str) -> bool:
    """Handle a store copy that differs from the local one; False if it was already raised.

    A pending update from the books is merged with the store's change rather
    than overwritten: the update becomes a store update that still carries
    what the books did, so accepting it does both and neither is lost.
    """
    order = Order.select(Order, Store).join(Store).where(Order.id == order_id).get()
    pending = Update.get_or_none((Update.order == order) & (Update.status == UpdateStatus.PENDING))
    if pending is not None and pending.new_digest == digest:
        return False
    books = resolution.books_facts(pending)
    changes = diff(local_copy(order), remote.order)
    detected = [k for k in kinds_of(changes) if k in session.settings.detect]
    if not detected:
        resolution.replace_copy(order, remote, digest)
        if pending is not None and books is None:
            reason = "the store's newer copy differs only in undetected kinds"
            resolution.close_update(order, pending, UpdateStatus.ACCEPTED, "poll", reason)
            Event.create(at=utcnow(), actor="poll", order=order, action="update withdrawn",
                         detail=reason)
        return True
    posted = order.accounting_state in (AccountingState.POSTED, AccountingState.UNKNOWN)
    rule_kinds = [*detected, resolution.BOOKS_KIND] if books else detected
    rule = choose(session.settings.rules, rule_kinds, posted)
    record = [c.to_dict() for c in changes]
    new_data = remote.order.to_dict()
    if pending is not None and books is not None:
        record += [c for c in json.loads(pending.changes) if c["kind"] == resolution.BOOKS_KIND]
        new_data["books"] = books
    fields = {
        "source": UpdateSource.STORE,
        "kinds": ",".join(rule_kinds),
        "changes": json.dumps(record),
        "new_data": json.dumps(new_data, separators=(",", ":")),
        "new_payload": json.dumps(remote.raw, separators=(",", ":")),
        "new_digest": digest,
    }
    # Merge into the pending update only while it is still pending: a reviewer
    # may have resolved it since it was read, and must not see it reopened.
    if pending is not None and Update.update(**fields).where(
            (Update.id == pending.id) & (Update.status == UpdateStatus.PENDING)).execute():
        pending = Update.get_by_id(pending.id)
    else:
        pending = Update.create(order=order, detected_at=utcnow(), status=UpdateStatus.PENDING,
                                **fields)
        Order.update(pending=True).where(Order.id == order.id).execute()
        order.pending = True
    Event.create(at=utcnow(), actor="poll", order=order, action="update detected",
                 detail=labels.summary(record)[:500])
    if rule is not None and _rule_may_act(session, rule.action, posted, order.accounting_state):
        resolution.apply(order, pending, remote, rule.action, actor=rule.actor,
                         reason=f"automatic: rule {rule.index} ({rule.action})")
    return True


def _rule_may_act(session: Session, action: str, posted: bool, order_state: str) -> bool:
    """A rule resets a posted order's books only when the config says to keep the document.

    With ``on_reset: ask`` a person must decide, and ``void`` needs the
    accounting backend, which a poll does not drive: both stay in review.
    """
    if action == RuleAction.REVIEW:
        return False
    if posted and order_state == AccountingState.UNKNOWN:
        return False  # a posting in flight or unsettled: nobody resets it blind
    if posted and action != RuleAction.IGNORE:
        return session.settings.accounting.on_reset == OnReset.KEEP
    return True


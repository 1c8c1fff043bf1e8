"""The state changes shared by reviewers and rules: replace a copy, close an update, detach.

Callers hold the transaction; these functions only write rows, so that an
accept (replace + resolve + detach + event) commits or fails as one.

An update whose source is ``accounting`` says what the books did to a
posted document (voided or deleted it there).  Accepting it brings the
local accounting state in line with the books; it downloads nothing and
voids nothing, and ignoring it leaves the store copy's ignore mark alone.
"""

from __future__ import annotations

import json

from orderupd_tui.db.models import Event, Order, Posting, Update, utcnow
from orderupd_tui.db.records import order_columns
from orderupd_tui.domain.states import (
    CLOSED_AS,
    AccountingState,
    Action,
    LocalStatus,
    PostingState,
    UpdateSource,
    UpdateStatus,
)
from orderupd_tui.stores.base import RemoteOrder

#: The posting state that records each status the books can report for a document.
BOOKS_STATES = {"voided": PostingState.VOIDED, "deleted": PostingState.MISSING,
                "missing": PostingState.MISSING}


#: The change kind of what the books did to a document.
BOOKS_KIND = "accounting_status"


def seen_of(update_id: int | None, digest: str | None) -> str | None:
    """A pending update as a confirmation showed it: its id and the store copy it holds.

    A poll merges a newer change into the pending update in place, so the id
    alone would let a confirmed batch take a change nobody was shown.
    """
    return None if update_id is None else f"{update_id}/{digest or ''}"


def from_books(update: Update | None) -> bool:
    """Whether the update reports a change in the books only, with nothing from the store."""
    return update is not None and update.source == UpdateSource.ACCOUNTING


def books_facts(update: Update | None) -> dict[str, str] | None:
    """What the books did (document, status, backend), if the update carries it.

    An update from the books holds it as its data; a store update that a
    later store change merged into one from the books keeps it under
    ``books``.
    """
    if update is None or not update.new_data:
        return None
    data = json.loads(update.new_data)
    if update.source == UpdateSource.ACCOUNTING:
        return dict(data)
    books = data.get("books")
    return dict(books) if books else None


def align_with_books(order: Order, document: str, status: str, actor: str) -> None:
    """Record that the books voided or lost ``document``: its posting leaves, the order unposts."""
    state = BOOKS_STATES[status]
    for posting in Posting.select().where(
        (Posting.order == order) & (Posting.state == PostingState.POSTED)
        & (Posting.document_ref == document)
    ):
        posting.state = state
        posting.settled_at = utcnow()
        posting.save()
        Event.create(at=utcnow(), actor=actor, order=order, action=f"posting {state}",
                     detail=f"{document}: {status} in the books")
    if order.accounting_ref == document:
        Order.update(accounting_state=AccountingState.UNPOSTED, accounting_ref=None,
                     posted_at=None).where(
            Order.id == order.id).execute()
        order.accounting_state = AccountingState.UNPOSTED
        order.accounting_ref = None


def replace_copy(order: Order, remote: RemoteOrder, digest: str) -> None:
    """Make the store copy the local copy; a replaced order has nothing left to ignore."""
    columns = order_columns(remote, digest)
    Order.update(**columns, ignored_digest=None).where(Order.id == order.id).execute()
    for name, value in columns.items():
        setattr(order, name, value)
    order.ignored_digest = None


def resolved_by_whom(order_id: int) -> str | None:
    """``accepted by alice at 10:02:11 UTC``: how the order's last update was resolved, for
    a reviewer who acts on a row someone else just resolved; None if it never had one."""
    last = (Update.select().where((Update.order == order_id)
                                  & (Update.status != UpdateStatus.PENDING))
            .order_by(Update.resolved_at.desc(), Update.id.desc()).first())
    if last is None:
        return None
    when = f" at {last.resolved_at:%H:%M:%S} UTC" if last.resolved_at else ""
    return f"{last.status} by {last.resolved_by or 'someone'}{when}"


class UpdateMoved(Exception):
    """The pending update changed or was resolved by someone else since it was read."""


def close_update(
    order: Order, update: Update, status: str, actor: str, reason: str | None = None
) -> None:
    """Resolve ``update`` as it was read: if another process merged a newer change into it
    or resolved it meanwhile, raise :class:`UpdateMoved` so the caller's transaction
    rolls back instead of overwriting that change."""
    now = utcnow()
    same = (Update.new_digest.is_null() if update.new_digest is None
            else Update.new_digest == update.new_digest)
    closed = Update.update(status=status, resolved_at=now, resolved_by=actor, reason=reason).where(
        (Update.id == update.id) & (Update.status == UpdateStatus.PENDING) & same
    ).execute()
    if not closed:
        raise UpdateMoved("its update changed meanwhile")
    update.status, update.resolved_at, update.resolved_by, update.reason = (
        status, now, actor, reason)
    Order.update(pending=False).where(Order.id == order.id).execute()
    order.pending = False


def detach_postings(order: Order, actor: str, *, voided: bool = False) -> list[str]:
    """Unpost the order but keep every posting in its history, with its document.

    ``voided`` records that the document was voided in the books first;
    otherwise the posting is *detached*: still in the books, and a repost is
    guarded against until it is voided or forced.
    """
    state = PostingState.VOIDED if voided else "detached"
    postings = list(Posting.select().where((Posting.order == order)
                                           & (Posting.state == PostingState.POSTED)))
    for posting in postings:
        posting.state = state
        posting.settled_at = utcnow()
        posting.save()
        Event.create(at=utcnow(), actor=actor, order=order, action=f"posting {state}",
                     detail=posting.document_ref or posting.posting_id)
    Order.update(accounting_state=AccountingState.UNPOSTED, accounting_ref=None,
                 posted_at=None).where(
        Order.id == order.id
    ).execute()
    order.accounting_state = AccountingState.UNPOSTED
    return [p.document_ref or p.posting_id for p in postings]


def apply(
    order: Order,
    update: Update | None,
    remote: RemoteOrder | None,
    action: str,
    *,
    actor: str,
    reason: str | None = None,
    voided: bool = False,
) -> None:
    """Carry out accept, ignore, cancel or refresh on one order, inside the caller's transaction.

    ``remote`` is the fresh download for refresh, and for accept of a store
    update.  A posted order is detached (or recorded as voided) by accept,
    refresh and cancel, after an update from the books was brought in line.
    """
    books = from_books(update)
    facts = books_facts(update)
    if action == Action.REFRESH or (action == Action.ACCEPT and not books):
        assert remote is not None, "accept and refresh need the re-downloaded order"
        replace_copy(order, remote, remote.order.digest())
    elif action == Action.IGNORE and not books:
        assert update is not None
        Order.update(ignored_digest=update.new_digest).where(Order.id == order.id).execute()
    elif action == Action.CANCEL:
        ignored = update.new_digest if update is not None and not books else order.ignored_digest
        Order.update(local_status=LocalStatus.CANCELLED, ignored_digest=ignored).where(
            Order.id == order.id
        ).execute()
        order.local_status = LocalStatus.CANCELLED
    if facts is not None and action != Action.IGNORE:
        align_with_books(order, facts["document_ref"], facts["status"], actor)
    if action != Action.IGNORE and order.accounting_state == AccountingState.POSTED:
        detach_postings(order, actor, voided=voided)
    if update is not None:
        closed = CLOSED_AS.get(Action(action), UpdateStatus.ACCEPTED)
        close_update(order, update, closed, actor, reason)
    Event.create(at=utcnow(), actor=actor, order=order, action=action, detail=reason or "")

"""The books' side of posted orders, checked once per poll.

A person may void or delete a document in QuickBooks or Xero, or delete a
transaction from the journal by hand.  Each poll asks the backend for the
status of every document the database believes is in the books, in as few
reads as it allows (the Beancount backend reads only what was appended to
the journal since the last poll), and acts on what differs:

- **A posted order's document** voided, deleted or missing raises an update
  with source ``accounting`` and kind ``accounting_status``: the order is
  dimmed and blocked like any other, and accepting the update records what
  the books did.  When ``accounting_status`` is not in ``updates.detect``
  it is recorded at once, as undetected store changes are; a rule may
  accept, ignore or cancel it like any other update.
- **A detached document** (reset here, still counted in the books) is
  checked too, because it is what blocks a repost: once the books void or
  lose it, the posting is marked so and the guard lifts, with an event but
  no update, since nothing about the order itself is left to decide.

Postings whose outcome is unknown are settled first (see
:func:`orderupd_tui.services.posting.reconcile`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import cast

from orderupd_tui.accounting.base import AccountingError
from orderupd_tui.db.models import Event, Order, Posting, Update, utcnow
from orderupd_tui.domain.rules import choose
from orderupd_tui.domain.states import PostingState, RuleAction, UpdateSource, UpdateStatus
from orderupd_tui.services import posting, resolution
from orderupd_tui.services.review import OK
from orderupd_tui.services.session import Session

KIND = "accounting_status"
#: Local posting states whose documents should still be in the books.
CHECKED_STATES = (PostingState.POSTED, PostingState.DETACHED)


@dataclass
class BooksResult:
    """What one check of the books found; ``errors`` holds one line per problem."""

    backend: str
    checked: int = 0
    changed: int = 0
    """Posted documents found voided or gone (each raised or recorded as an update)."""
    released: int = 0
    """Detached documents found voided or gone: they no longer block a repost."""
    settled: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        """``beancount: 120 documents checked, 1 changed in the books``.

        The errors are not in it: they are warnings, said once on stderr.
        """
        parts = [f"{self.checked} documents checked"]
        for count, text in ((self.changed, "changed in the books"),
                            (self.released, "detached ones gone from the books"),
                            (self.settled, "unknown outcomes settled")):
            if count:
                parts.append(f"{count} {text}")
        return f"{self.backend}: " + ", ".join(parts)


def check(session: Session, actor: str = "poll") -> BooksResult | None:
    """Settle unknown postings, then compare the books with the database; ``None`` without books.

    Never raises for the books being unreachable or refusing: that is an
    error line in the result, as a store's is.
    """
    if not session.has_books:
        return None
    books = session.books()
    result = BooksResult(books.name)
    settled = posting.reconcile(session, actor=actor)
    result.settled = sum(o.code == OK for o in settled.outcomes)
    result.errors += [f"{o.ref} {o.message}" for o in settled.outcomes if o.code != OK]
    query = (Posting.select(Posting.order, Posting.document_ref, Posting.state)
             .where(Posting.state.in_(CHECKED_STATES) & Posting.document_ref.is_null(False)
                    & (Posting.backend == books.name)))
    rows = cast("list[tuple[int, str, str]]", list(query.tuples()))
    result.checked = len(rows)
    if not rows:
        return result
    try:
        found = books.statuses(dict.fromkeys(ref for _, ref, _ in rows))
    except AccountingError as exc:
        result.errors.append(str(exc))
        return result
    raised = _pending_from_books()
    for order_id, document, state in rows:
        status = found.get(document, "posted")
        if status == "posted":
            if order_id in raised and raised[order_id].document == document:
                _withdraw(session, raised[order_id].update, document)
            continue
        if state == PostingState.DETACHED:
            _release(session, order_id, document, status)
            result.released += 1
        elif _raise(session, order_id, document, status, books.name):
            result.changed += 1
    return result


@dataclass
class _Raised:
    update: Update
    document: str


def _pending_from_books() -> dict[int, _Raised]:
    """Pending updates from the books, by order: few, read once per check."""
    pending = Update.select().where((Update.status == UpdateStatus.PENDING)
                                    & (Update.source == UpdateSource.ACCOUNTING))
    return {u.order_id: _Raised(u, json.loads(u.new_data or "{}").get("document_ref", ""))
            for u in pending}


def _digest(document: str, status: str) -> str:
    return hashlib.md5(f"{document}\0{status}".encode()).hexdigest()


def _raise(session: Session, order_id: int, document: str, status: str, backend: str) -> bool:
    """Raise (or record) the change for a posted order's document; False if already known.

    An order that already has a pending update is left alone this time: one
    pending update per order, and the next poll sees the books again.  A
    change ignored before is not raised again.
    """
    digest = _digest(document, status)
    with session.db.atomic():
        order = Order.get_by_id(order_id)
        if order.pending or order.accounting_ref != document:
            return False
        ignored = Update.select().where(
            (Update.order == order) & (Update.source == UpdateSource.ACCOUNTING)
            & (Update.status == UpdateStatus.IGNORED) & (Update.new_digest == digest)).exists()
        if ignored:
            return False
        now = utcnow()
        what = f"{document} {status} in the books"
        if KIND not in session.settings.detect:
            resolution.align_with_books(order, document, status, "poll")
            Event.create(at=now, actor="poll", order=order, action="accounting changed",
                         detail=f"{what} (not in updates.detect: recorded)")
            return True
        update = Update.create(
            order=order, detected_at=now, source="accounting", kinds=KIND,
            changes=json.dumps([{"kind": KIND, "field": KIND, "old": "posted", "new": status}]),
            new_data=json.dumps({"document_ref": document, "status": status, "backend": backend}),
            new_digest=digest, status=UpdateStatus.PENDING)
        Order.update(pending=True).where(Order.id == order.id).execute()
        order.pending = True
        Event.create(at=now, actor="poll", order=order, action="update detected", detail=what)
        rule = choose(session.settings.rules, [KIND], posted=True)
        if rule is not None and rule.action != RuleAction.REVIEW:
            resolution.apply(order, update, None, rule.action, actor=rule.actor,
                             reason=f"automatic: rule {rule.index} ({rule.action})")
    return True


def _withdraw(session: Session, update: Update, document: str) -> None:
    """The books hold the document again (restored, or a lagging search caught up)."""
    with session.db.atomic():
        order = Order.get_by_id(update.order_id)
        resolution.close_update(order, update, UpdateStatus.ACCEPTED, "poll",
                                f"{document} is posted in the books again")
        Event.create(at=utcnow(), actor="poll", order=order, action="update withdrawn",
                     detail=f"{document} is posted in the books again")


def _release(session: Session, order_id: int, document: str, status: str) -> None:
    state = resolution.BOOKS_STATES[status]
    now = utcnow()
    with session.db.atomic():
        Posting.update(state=state, settled_at=now).where(
            (Posting.order == order_id) & (Posting.document_ref == document)
            & (Posting.state == PostingState.DETACHED)).execute()
        Event.create(at=now, actor="poll", order=order_id, action=f"posting {state}",
                     detail=f"{document}: {status} in the books; it no longer blocks a repost")

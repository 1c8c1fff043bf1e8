"""Posting orders to the books without ever posting one twice or forgetting one.

Three things make that hold, whatever fails and wherever:

- **A claim before the call.**  The order is moved to ``unknown`` by a
  conditional UPDATE (only from ``unposted`` or ``error``, only when it has
  no pending update and is not cancelled) together with a ``pending``
  posting row, in one committed transaction.  Two processes cannot both
  claim the same order, and a crash mid-call leaves a posting that says so.
- **A posting id the books know.**  Every backend deduplicates on it (the
  journal's index, QuickBooks' ``requestid``, Xero's ``Idempotency-Key``),
  and can find the document it made again.
- **Unknown is never guessed.**  A create whose answer was lost leaves the
  posting ``unknown``.  It is *settled* (by the next post of that order,
  by a poll, or by ``post --reconcile``): the document is looked up, and
  only if the books have none is the create sent again, under the same
  posting id, which the books deduplicate even when their search lags.

Posting states: ``pending`` (the call is out), ``posted``, ``failed``,
``unknown``; later ``detached`` (reset by a review action, still in the
books), ``voided`` (voided in the books) or ``missing`` (deleted from them).
An order's ``accounting_state`` is ``unposted``, ``posted``, ``error`` (its
last attempt failed) or ``unknown``.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from orderupd_tui.accounting.base import AccountingBackend, AccountingError, OutcomeUnknown
from orderupd_tui.db.models import Event, Order, Posting, Store, utcnow
from orderupd_tui.db.records import MAX_ID, UnknownRef, find, local_copy, order_id
from orderupd_tui.domain.order import rounded
from orderupd_tui.domain.states import AccountingState, LocalStatus, PostingState
from orderupd_tui.services import queries
from orderupd_tui.services.review import FAILED, OK, REFUSED, USAGE, BatchResult, Outcome
from orderupd_tui.services.session import Session

#: A ``pending`` posting older than this was cut off mid-call (a crash): settle it like ``unknown``.
#: Younger ones are another process's call still in flight, and are left to it.
STALE_PENDING = timedelta(minutes=5)
#: Order states a new posting may start from.
POSTABLE_STATES = (AccountingState.UNPOSTED, AccountingState.ERROR)
#: Orders looked up per query when a batch is posted.
CHUNK = 500

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")

ProgressFn = Callable[[int, int], None]


def post(
    session: Session,
    refs: Sequence[str],
    *,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> BatchResult:
    """Post each order, one at a time, and report each one's outcome.

    ``force`` allows a repost over a detached earlier posting that is still
    in the books; the override is written to the order's events.
    """
    books = session.books()
    result = BatchResult("post")
    seen: set[int] = set()
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start:start + CHUNK]
        orders = _resolve(chunk)
        detached = _detached([o.id for o in orders.values()])
        for ref in chunk:
            order = orders.get(ref)
            if order is not None and order.id not in seen:
                seen.add(order.id)
                outcome = _post_order(session, books, order, detached.get(order.id, []), force)
            else:
                try:  # read afresh (named twice), or for the reason: not a ref, no such order
                    order = find(ref)
                except UnknownRef as exc:
                    outcome = Outcome(ref, USAGE, str(exc))
                else:
                    outcome = _post_order(session, books, order, None, force)
            result.outcomes.append(outcome)
            if progress:
                progress(len(result.outcomes), len(refs))
    return result


def reconcile(
    session: Session,
    refs: Sequence[str] | None = None,
    *,
    actor: str | None = None,
    progress: ProgressFn | None = None,
) -> BatchResult:
    """Settle the postings whose outcome is unknown: of these orders, or all of them.

    A poll runs this with ``actor="poll"``.
    """
    books = session.books()
    result = BatchResult("reconcile")
    who = actor or session.actor
    if refs is None:
        todo = list(_unsettled().where(Posting.backend == books.name))
        labels = [_label(p.order) for p in todo]
    else:
        todo, labels = [], []
        for ref in refs:
            try:
                order = find(ref)
            except UnknownRef as exc:
                result.outcomes.append(Outcome(ref, USAGE, str(exc)))
                continue
            posting = _unsettled().where(Posting.order == order).first()
            if posting is None:
                result.outcomes.append(Outcome(order.ref, FAILED,
                                               "has no posting whose outcome is unknown"))
                continue
            todo.append(posting)
            labels.append(order.ref)
    for done, (posting, label) in enumerate(zip(todo, labels, strict=True), 1):
        result.outcomes.append(_settle(session, books, posting, label, who))
        if progress:
            progress(done, len(todo))
    return result


def void_in_books(session: Session, posting: Posting) -> None:
    """Void a posting's document in the books: the ``void`` callback of review actions.

    Raises :class:`AccountingError` (one line) when it cannot; the review
    action then changes nothing.  A document the books no longer hold is
    not treated as voided: the next poll records that, and the reviewer
    decides with the facts in front of them.
    """
    books = session.books()
    document = posting.document_ref or posting.posting_id
    if posting.backend != books.name:
        raise AccountingError(f"{document} was posted to {posting.backend}, not to the "
                              f"configured {books.name}: void it there by hand, or use --keep")
    books.void(document)
    _event(at=utcnow(), actor=session.actor, order=posting.order_id,
           action="voided in the books", detail=f"{document} ({books.name})")


def refusal(order: Order, *, force: bool = False, detached: list[str] | None = None
            ) -> str | None:
    """Why ``order`` may not be posted now, or ``None``; the words name what is in the way.

    ``detached`` is :func:`detached_documents` of the order, when the caller has it already.
    """
    if order.pending:
        return "has a pending update: review it before posting"
    if order.local_status == LocalStatus.CANCELLED or order.order_status == "cancelled":
        return "is cancelled: cancelled orders are never posted"
    if order.accounting_state == AccountingState.POSTED:
        return f"is already posted as {order.accounting_ref}"
    if order.accounting_state not in POSTABLE_STATES:
        return (f"its last posting's outcome is {order.accounting_state}: settle it with "
                "'post --reconcile'")
    if not force:
        earlier = detached_documents(order) if detached is None else detached
        if earlier:
            return (f"has an earlier posting {', '.join(earlier)} that was detached but is "
                    "still in the books: void it there, or force the post (--force; F in the "
                    "app's posting confirmation)")
    return None


def detached_documents(order: Order) -> list[str]:
    """Documents of this order's detached postings: reset here, still counted in the books."""
    query = Posting.select(Posting.document_ref, Posting.posting_id).where(
        (Posting.order == order) & (Posting.state == PostingState.DETACHED)).order_by(Posting.id)
    return [p.document_ref or p.posting_id for p in query]


def batch_total(refs: Iterable[str]) -> tuple[int, str]:
    """How many of ``refs`` are orders, and their total per currency ("120.00 USD + 9.00 EUR").

    What a confirmation states before a batch is posted.
    """
    totals: dict[str, Decimal] = defaultdict(Decimal)
    count = 0
    for ref in refs:
        try:
            order = find(ref)
        except UnknownRef:
            continue
        count += 1
        totals[order.currency] += order.total
    return count, " + ".join(f"{rounded(amount, currency)} {currency}"
                             for currency, amount in totals.items())


def accounting_json(order: Order) -> dict[str, Any]:
    """The order's ``accounting`` object of the JSON contract (DESIGN §6)."""
    previous = [
        {"ref": p.document_ref, "state": p.state, "posted_at": queries.iso(p.posted_at)}
        for p in Posting.select(Posting.document_ref, Posting.state, Posting.posted_at)
        .where((Posting.order == order) & Posting.state.in_(queries.PREVIOUS_STATES))
        .order_by(Posting.id)
    ]
    return {"state": order.accounting_state, "ref": order.accounting_ref,
            "posted_at": queries.iso(order.posted_at), "previous": previous}


# -- one order ----------------------------------------------------------------------------


def _post_order(session: Session, books: AccountingBackend, order: Order,
                detached: list[str] | None, force: bool) -> Outcome:
    """Post one order; ``detached`` is its detached documents, or ``None`` to look them up."""
    label = order.ref
    if order.accounting_state == AccountingState.UNKNOWN:
        posting = _unsettled().where(Posting.order == order).first()
        if posting is None:
            return Outcome(label, REFUSED, "a posting of this order is in progress elsewhere; "
                                           "try again in a few minutes")
        return _settle(session, books, posting, label, session.actor)
    why = refusal(order, force=force, detached=detached)
    if why:
        return Outcome(label, REFUSED, why)
    forced = detached_documents(order) if detached is None else detached
    posting = _claim(session, books, order, forced=forced)
    if posting is None:  # changed since it was read: by this batch (listed twice) or another
        why = refusal(Order.get_by_id(order.id), force=force)
        return Outcome(label, REFUSED, why or "changed while it was being posted; try again")
    return _send(session, books, order, posting, label, session.actor)


def _resolve(refs: Sequence[str]) -> dict[str, Order]:
    """The orders ``refs`` name, in a query per store rather than one per ref.

    Refs that match nothing, or more than one order, are left out, for
    :func:`find` to say why.
    """
    numbers: dict[str, dict[str, str]] = defaultdict(dict)
    ids: dict[int, str] = {}
    for ref in refs:
        ident = order_id(ref)
        if ":" in ref:
            store, number = ref.split(":", 1)
            numbers[store][number.lstrip("#")] = ref
        elif ident is not None and ident <= MAX_ID:
            ids[ident] = ref
    found: dict[str, Order] = {}
    shared: set[str] = set()
    base = Order.select(Order, Store).join(Store)
    for store, wanted in numbers.items():
        for order in base.where((Store.name == store) & Order.number.in_(list(wanted))):
            ref = wanted[order.number]
            if ref in found:
                shared.add(ref)
            found[ref] = order
    if ids:
        for order in base.where(Order.id.in_(list(ids))):
            found[ids[order.id]] = order
    return {ref: order for ref, order in found.items() if ref not in shared}


def _detached(order_ids: list[int]) -> dict[int, list[str]]:
    """:func:`detached_documents` of many orders in one query."""
    found: dict[int, list[str]] = defaultdict(list)
    if order_ids:
        query = Posting.select(Posting.order, Posting.document_ref, Posting.posting_id).where(
            Posting.order.in_(order_ids) & (Posting.state == PostingState.DETACHED)
        ).order_by(Posting.id)
        for row in query:
            found[row.order_id].append(row.document_ref or row.posting_id)
    return found


def _claim(session: Session, books: AccountingBackend, order: Order,
           forced: list[str]) -> Posting | None:
    """Take the order for posting and write the posting row, before anything is sent."""
    now = utcnow()
    with session.db.atomic():
        taken = Order.update(accounting_state=AccountingState.UNKNOWN).where(
            (Order.id == order.id)
            & Order.accounting_state.in_(POSTABLE_STATES)
            & (Order.pending == False)  # noqa: E712 (peewee expression)
            & (Order.local_status != LocalStatus.CANCELLED)
        ).execute()
        if not taken:
            return None
        posting = Posting.create(posting_id=_new_posting_id(order.ref), order=order.id,
                                 backend=books.name, state="pending", amount=order.total,
                                 currency=order.currency, created_at=now)
        if forced:
            _event(at=now, actor=session.actor, order=order.id, action="repost forced",
                   detail=f"earlier posting still in the books: {', '.join(forced)}")
        _event(at=now, actor=session.actor, order=order.id, action="posting started",
               detail=f"{posting.posting_id} to {books.name}")
    order.accounting_state = AccountingState.UNKNOWN
    return posting


def _send(session: Session, books: AccountingBackend, order: Order, posting: Posting,
          label: str, actor: str) -> Outcome:
    """Send the create and record what came back; a lost answer stays ``unknown``."""
    try:
        document = books.post(local_copy(order), label, posting.posting_id)
    except OutcomeUnknown as exc:
        _unknown(session, posting, actor, str(exc))
        return Outcome(label, FAILED, f"outcome unknown: {exc}")
    except AccountingError as exc:
        _failed(session, posting, actor, str(exc))
        return Outcome(label, FAILED, str(exc))
    except BaseException as exc:  # a bug or ^C mid-call: the create may have landed
        _unknown(session, posting, actor, f"interrupted: {type(exc).__name__}")
        raise
    _posted(session, posting, document, actor, "posted")
    return Outcome(label, OK, f"posted as {document}")


def _settle(session: Session, books: AccountingBackend, posting: Posting, label: str,
            actor: str) -> Outcome:
    """Find the document an unknown posting may have made; send it again only if there is none."""
    if posting.backend != books.name:
        return Outcome(label, FAILED, f"its unknown posting {posting.posting_id} went to "
                                      f"{posting.backend}, not to the configured {books.name}")
    order = Order.get_by_id(posting.order_id)
    try:
        found = books.find(label, local_copy(order), posting.posting_id)
    except AccountingError as exc:
        return Outcome(label, FAILED, f"outcome still unknown: {exc}")
    if found is None:
        _event(at=utcnow(), actor=actor, order=order.id, action="posting resent",
               detail=f"{posting.posting_id}: not found in the books; sent again under "
                      "the same posting id")
        return _send(session, books, order, posting, label, actor)
    if found.status == "posted":
        _posted(session, posting, found.ref, actor, "posting settled")
        return Outcome(label, OK, f"found in the books as {found.ref}")
    state = PostingState.VOIDED if found.status == "voided" else "missing"
    now = utcnow()
    with session.db.atomic():
        Posting.update(state=state, document_ref=found.ref, settled_at=now,
                       detail=f"found {found.status} in the books when settled").where(
            Posting.id == posting.id).execute()
        Order.update(accounting_state=AccountingState.UNPOSTED, accounting_ref=None,
                     posted_at=None).where(
            Order.id == order.id).execute()
        _event(at=now, actor=actor, order=order.id, action="posting settled",
               detail=f"{found.ref} was made but is {found.status} in the books")
    return Outcome(label, FAILED, f"its document {found.ref} is {found.status} in the books; "
                                  "the order is unposted")


# -- recording outcomes -------------------------------------------------------------------


def _posted(session: Session, posting: Posting, document: str, actor: str, action: str) -> None:
    now = utcnow()
    with session.db.atomic():
        Posting.update(state=PostingState.POSTED, document_ref=document, posted_at=now,
                       settled_at=now,
                       detail=None).where(Posting.id == posting.id).execute()
        Order.update(accounting_state=AccountingState.POSTED, accounting_ref=document,
                     posted_at=now).where(
            Order.id == posting.order_id).execute()
        _event(at=now, actor=actor, order=posting.order_id, action=action,
               detail=f"{document} ({posting.backend})")


def _unknown(session: Session, posting: Posting, actor: str, message: str) -> None:
    now = utcnow()
    with session.db.atomic():
        Posting.update(state=PostingState.UNKNOWN,
                       detail=message).where(Posting.id == posting.id).execute()
        Order.update(accounting_state=AccountingState.UNKNOWN).where(
            Order.id == posting.order_id).execute()
        _event(at=now, actor=actor, order=posting.order_id,
               action="posting outcome unknown", detail=message[:500])


def _failed(session: Session, posting: Posting, actor: str, message: str) -> None:
    now = utcnow()
    with session.db.atomic():
        Posting.update(state=PostingState.FAILED, detail=message, settled_at=now).where(
            Posting.id == posting.id).execute()
        Order.update(accounting_state=AccountingState.ERROR, accounting_ref=None,
                     posted_at=None).where(
            Order.id == posting.order_id).execute()
        _event(at=now, actor=actor, order=posting.order_id, action="posting failed",
               detail=message[:500])


def _unsettled() -> Any:
    """Postings to settle: ``unknown`` ones, and ``pending`` ones cut off long ago."""
    stale = utcnow() - STALE_PENDING
    return (Posting.select(Posting, Order, Store).join(Order).join(Store)
            .where((Posting.state == PostingState.UNKNOWN)
                   | ((Posting.state == PostingState.PENDING) & (Posting.created_at < stale)))
            .order_by(Posting.id))


def _label(order: Order) -> str:
    return f"{order.store.name}:{order.number}"


def _new_posting_id(label: str) -> str:
    """Readable in the ledger (``main-1001-…``) and unique: a random tail."""
    stem = _UNSAFE.sub("-", label.replace(":", "-"))[:60]
    return f"{stem}-{uuid.uuid4().hex[:10]}"


def _event(**values: Any) -> None:
    """Write one event row; a plain INSERT, as a batch of a thousand posts writes two thousand."""
    Event.insert(**values).execute()

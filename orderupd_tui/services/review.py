"""Accept, ignore, cancel and refresh, for a batch of orders, each succeeding on its own.

Downloads happen first, in bulk per store; only then does each order's
replacement run, in one transaction per order.  A store that cannot be
reached therefore changes nothing.  Actions that would reset a posted
order's books are refused unless the caller confirmed them (``--yes`` or
the app's modal) and chose what happens to the document.  An update from
the books (source ``accounting``) needs neither a download nor that
confirmation: accepting it only records what the books already did.
Un-cancel undoes a local cancel (see :func:`_uncancel`); it downloads
nothing and never touches the books.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from orderupd_tui.config import ConfigError
from orderupd_tui.db.models import Event, Order, Posting, Store, Update, utcnow
from orderupd_tui.db.records import UnknownRef, find
from orderupd_tui.domain import labels
from orderupd_tui.domain.states import (
    RESETTING,
    AccountingState,
    Action,
    ExitCode,
    LocalStatus,
    OnReset,
    PostingState,
    UpdateSource,
    UpdateStatus,
)
from orderupd_tui.errorlog import log_unexpected
from orderupd_tui.services import resolution
from orderupd_tui.services.session import Session
from orderupd_tui.stores.base import RemoteOrder, StoreError

ACTIONS = (Action.ACCEPT, Action.IGNORE, Action.CANCEL, Action.REFRESH, Action.UNCANCEL)

#: Each order's outcome code is the exit code it alone would give.
OK, FAILED, USAGE, REFUSED = ExitCode.OK, ExitCode.FAILED, ExitCode.USAGE, ExitCode.REFUSED

#: ``seen`` for an order the caller showed nobody (the CLI names orders by ref).
UNSEEN = "unseen"

VoidFn = Callable[[Session, Posting], None]
"""Voids a posting's document in the books; raises with a one-line message on failure."""


@dataclass
class Outcome:
    ref: str
    code: int
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.code == OK


@dataclass
class BatchResult:
    action: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        codes = {o.code for o in self.outcomes}
        for code in (REFUSED, USAGE, FAILED):
            if code in codes:
                return code
        return OK

    def summary(self) -> str:
        """One line: ``18 accepted, 2 failed: main:1012 store unreachable; ...``."""
        done = sum(o.ok for o in self.outcomes)
        bad = [o for o in self.outcomes if not o.ok]
        line = f"{done} {Action(self.action).past}"
        if bad:
            line += f", {len(bad)} failed: " + "; ".join(f"{o.ref} {o.message}" for o in bad)
        return line


@dataclass
class _Item:
    ref: str
    order: Order
    update: Update | None
    remote: RemoteOrder | None = None
    #: The books already voided or lost the document: nothing to void or confirm.
    books_settled: bool = False


def review(
    session: Session,
    refs: Sequence[str],
    action: str,
    *,
    confirmed: bool = False,
    reset: str | None = None,
    reason: str | None = None,
    void: VoidFn | None = None,
    progress: Callable[[int, int], None] | None = None,
    seen: Mapping[str, str | None] | None = None,
) -> BatchResult:
    """Run ``action`` on every ref and report each order's outcome.

    ``reset`` is what happens to a posted order's document: ``keep``
    (detach) or ``void``; when ``None`` the configured ``on_reset`` decides,
    and ``ask`` without a choice is refused.  ``seen`` maps a ref to the
    pending update its confirmation showed (``resolution.seen_of``); an
    order whose update a poll changed since, gave one, or someone else
    resolved, is refused, so a confirmed batch acts only on what the
    reviewer was shown.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    result = BatchResult(action)
    if action == Action.UNCANCEL:
        for done, ref in enumerate(dict.fromkeys(refs), 1):
            result.outcomes.append(_uncancel(session, ref, reason))
            if progress:
                progress(done, len(result.outcomes))
        return result
    items = []
    for ref in dict.fromkeys(refs):
        # A ref the caller showed but left out of ``seen`` showed no update: fail closed.
        item = _prepare(session, ref, action, confirmed, reset, result,
                        seen.get(ref) if seen is not None else UNSEEN)
        if item is not None:
            items.append(item)
    if action in (Action.ACCEPT, Action.REFRESH):
        local = [i for i in items if action == Action.ACCEPT and resolution.from_books(i.update)]
        items = local + _download(session, [i for i in items if i not in local], result)
    mode = reset or session.settings.accounting.on_reset
    for done, item in enumerate(items, 1):
        result.outcomes.append(_carry_out(session, item, action, mode, reason, void))
        if progress:
            progress(done, len(items))
    return result


def uncancel_refusal(local_status: str, order_status: str) -> str | None:
    """Why an order cannot be un-cancelled, or None: only a cancel made here can be undone."""
    if order_status == "cancelled":
        return ("was cancelled by its store: it stays cancelled; "
                "if the store reopens it, accept that update, then un-cancel")
    if local_status != LocalStatus.CANCELLED:
        return "is not cancelled here"
    return None


def _uncancel(session: Session, ref: str, reason: str | None) -> Outcome:
    """Undo a local cancel: the order is active again, and recorded as an ``uncancel`` event.

    - **The books.** A cancel of a posted order unposted it (its document
      voided, or detached and still in the books), so an un-cancelled order
      is unposted and stays out of the books until someone posts it again.
      Nothing is voided or reposted here.  A detached document still guards
      the repost: posting is refused until it is voided there or forced.
    - **Pending updates.** A cancel closes the pending update and remembers
      its store copy as ignored, so that change would never come back; but
      the cancel is what dismissed it, and an active order must not be
      posted over a store change nobody reviewed (a refund, say).  So if the
      cancel closed a store change that the local copy never took, and no
      newer update is pending, that change is raised again as a pending
      update and the order is blocked until it is reviewed.  A newer pending
      update (raised since the cancel) simply stays pending.
    - **Refused** (exit 3), with one line: an order its store cancelled (the
      cancel is the store's, not ours to undo).  One not cancelled here has
      nothing to undo (exit 2, as accepting an order with no pending update).
    """
    try:
        order = find(ref)
    except UnknownRef as exc:
        return Outcome(ref, USAGE, str(exc))
    label = order.ref
    try:
        with session.db.atomic():
            order = Order.select(Order, Store).join(Store).where(Order.id == order.id).get()
            refusal = uncancel_refusal(order.local_status, order.order_status)
            if refusal:  # the store's cancel is refused; one not cancelled here is nothing to do
                code = REFUSED if order.order_status == "cancelled" else USAGE
                return Outcome(label, code, refusal)
            Order.update(local_status=LocalStatus.ACTIVE).where(Order.id == order.id).execute()
            reopened = _reraise_cancelled_change(order, session.actor)
            notes = [reason] if reason else []
            if reopened:
                notes.append(f"the store change the cancel closed is pending again ({reopened})")
            detail = "; ".join(notes)
            Event.create(at=utcnow(), actor=session.actor, order=order, action=Action.UNCANCEL,
                         detail=detail)
    except Exception:  # one order's surprise must not stop the batch: logged, one line
        return Outcome(label, FAILED, log_unexpected(session.settings.secrets()))
    return Outcome(label, OK)


def _reraise_cancelled_change(order: Order, actor: str) -> str | None:
    """Raise again the store change a cancel closed without taking it; its kinds, or None."""
    if order.pending or not order.ignored_digest or order.ignored_digest == order.digest:
        return None
    closed = (Update.select().where((Update.order == order)
                                    & (Update.status == UpdateStatus.CANCELLED)
                                    & (Update.source == UpdateSource.STORE)
                                    & (Update.new_digest == order.ignored_digest))
              .order_by(Update.id.desc()).first())
    if closed is None:
        return None
    # What the books did was recorded by the cancel itself: only the store's change returns.
    changes = [c for c in json.loads(closed.changes) if c["kind"] != resolution.BOOKS_KIND]
    kinds = [k for k in closed.kinds.split(",") if k and k != resolution.BOOKS_KIND]
    data = json.loads(closed.new_data) if closed.new_data else None
    if data is not None:
        data.pop("books", None)
    Update.create(order=order, detected_at=utcnow(), source=UpdateSource.STORE,
                  kinds=",".join(kinds), changes=json.dumps(changes),
                  new_data=json.dumps(data, separators=(",", ":")) if data is not None else None,
                  new_payload=closed.new_payload, new_digest=closed.new_digest,
                  status=UpdateStatus.PENDING)
    Order.update(pending=True, ignored_digest=None).where(Order.id == order.id).execute()
    return ", ".join(labels.kind_label(k) for k in kinds)


def _prepare(session: Session, ref: str, action: str, confirmed: bool, reset: str | None,
             result: BatchResult, seen: str | None) -> _Item | None:
    """Look the order up and check it may be acted on; records a refusal otherwise."""
    try:
        order = find(ref)
    except UnknownRef as exc:
        result.outcomes.append(Outcome(ref, USAGE, str(exc)))
        return None
    label = order.ref
    update = Update.get_or_none((Update.order == order) & (Update.status == UpdateStatus.PENDING))
    if action != Action.REFRESH and update is None:
        # Nothing to do is not a failure to reach anything: the order named does not need it.
        resolved = resolution.resolved_by_whom(order.id)
        result.outcomes.append(Outcome(label, USAGE, f"was already {resolved}" if resolved
                                       else "has no pending update"))
        return None
    if seen not in (UNSEEN, None) and update is None:
        # Resolved by someone else since: a refresh now would write over their decision a
        # store copy nobody here was shown.
        resolved = resolution.resolved_by_whom(order.id) or "resolved"
        result.outcomes.append(Outcome(label, REFUSED, (
            f"was {resolved} since the confirmation: look at it again")))
        return None
    if update is not None and seen != UNSEEN and seen != resolution.seen_of(
            update.id, update.new_digest):
        result.outcomes.append(Outcome(label, REFUSED, (
            "changed since the confirmation (a poll brought a newer change): review it again")))
        return None
    books = resolution.from_books(update)
    if action in (Action.ACCEPT, Action.REFRESH) and not (books and action == Action.ACCEPT) and (
            not _supports_updates(session, order)):
        result.outcomes.append(Outcome(label, REFUSED, (
            f"store {order.store.name!r} is Mal's E-Commerce: it cannot re-download orders")))
        return None
    # An update carrying what the books did to this order's own document: accepting
    # or cancelling records that, so there is no posting left to reset or void.
    facts = resolution.books_facts(update)
    settled = facts is not None and facts.get("document_ref") == order.accounting_ref
    if action in RESETTING and not (settled and action != Action.REFRESH):
        refusal = _reset_refusal(session, order, action, confirmed, reset)
        if refusal:
            result.outcomes.append(Outcome(label, REFUSED, refusal))
            return None
    return _Item(label, order, update, books_settled=settled and action != Action.REFRESH)


def _supports_updates(session: Session, order: Order) -> bool:
    """False for Mal's, and for a store no longer in the config (nothing to download from)."""
    try:
        return session.settings.store(order.store.name).supports_updates
    except ConfigError:
        return False


def _reset_refusal(session: Session, order: Order, action: str, confirmed: bool,
                   reset: str | None) -> str | None:
    if order.accounting_state == AccountingState.UNKNOWN:
        return "its posting's outcome is unknown: settle it first with 'post --reconcile'"
    if order.accounting_state != AccountingState.POSTED:
        return None
    document = order.accounting_ref or "its posting"
    if not confirmed:
        return (f"is posted as {document}: {action} resets its accounting state; "
                f"confirm with --yes (and --void or --keep)")
    if (reset or session.settings.accounting.on_reset) == OnReset.ASK:
        if action == Action.CANCEL:
            return (f"is posted as {document}: say --void to void it in the books "
                    "(recommended: the order is cancelled) or --keep to leave it there, "
                    "still counting the sale")
        return (f"is posted as {document}: say --void to void it in the books or --keep to "
                "leave it there (reposting is then blocked until it is voided there or forced)")
    return None


def _download(session: Session, items: list[_Item], result: BatchResult) -> list[_Item]:
    """Re-download every order first, one bulk request per store and chunk."""
    by_store: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        by_store[item.order.store.name].append(item)
    ready = []
    for store, group in by_store.items():
        try:
            fetched = session.client(store).fetch([i.order.remote_id for i in group])
        except StoreError as exc:
            result.outcomes.extend(Outcome(i.ref, FAILED, str(exc)) for i in group)
            continue
        unreadable = {u.key: u.error for u in fetched.unreadable}
        for item in group:
            item.remote = fetched.get(item.order.remote_id)
            if item.order.remote_id in unreadable:
                result.outcomes.append(Outcome(
                    item.ref, FAILED, "the store's copy cannot be read "
                    f"({unreadable[item.order.remote_id]}); the local copy is kept"))
            elif item.remote is None:
                result.outcomes.append(Outcome(
                    item.ref, FAILED, "the store no longer has this order; the local copy is kept"))
            else:
                ready.append(item)
    return ready


def _carry_out(session: Session, item: _Item, action: str, mode: str, reason: str | None,
               void: VoidFn | None) -> Outcome:
    voided = False
    if (action in RESETTING and item.order.accounting_state == AccountingState.POSTED
            and mode == OnReset.VOID
            and not item.books_settled):
        if void is None:
            return Outcome(item.ref, FAILED, "voiding needs an accounting backend")
        try:
            for posting in Posting.select().where(
                (Posting.order == item.order) & (Posting.state == PostingState.POSTED)
            ):
                void(session, posting)
        except Exception as exc:  # the backend's one-line message; nothing was changed here
            return Outcome(item.ref, FAILED, f"could not void the document: {exc}")
        voided = True
    try:
        with session.db.atomic():
            # Another process may have posted the order or merged a newer change
            # while we downloaded: act only on what was checked and shown.
            order = Order.select(Order, Store).join(Store).where(Order.id == item.order.id).get()
            if order.accounting_state != item.order.accounting_state:
                raise resolution.UpdateMoved(
                    f"its accounting state changed meanwhile ({order.accounting_state})")
            resolution.apply(order, item.update, item.remote, action, actor=session.actor,
                             reason=reason, voided=voided)
    except resolution.UpdateMoved as exc:
        resolved = resolution.resolved_by_whom(item.order.id)
        latest = Update.get_or_none((Update.order == item.order.id)
                                    & (Update.status == UpdateStatus.PENDING))
        if latest is None and resolved:
            return Outcome(item.ref, FAILED, f"was just {resolved}")
        return Outcome(item.ref, FAILED, f"{exc}; look again")
    except Exception:  # a surprise on one order must not stop the batch: logged, one line
        return Outcome(item.ref, FAILED, log_unexpected(session.settings.secrets()))
    return Outcome(item.ref, OK)

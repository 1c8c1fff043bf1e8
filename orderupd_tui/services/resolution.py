"""The state changes shared by reviewers and rules: replace a copy, close an update, detach.

Callers hold the transaction; these functions only write rows, so that an
accept (replace + resolve + detach + event) commits or fails as one.
"""

from __future__ import annotations

from orderupd_tui.db.models import Event, Order, Posting, Update, utcnow
from orderupd_tui.db.records import order_columns
from orderupd_tui.stores.base import RemoteOrder

#: What each review action leaves the update as.
CLOSED_AS = {"accept": "accepted", "ignore": "ignored", "cancel": "cancelled"}


def replace_copy(order: Order, remote: RemoteOrder, digest: str) -> None:
    """Make the store copy the local copy; a replaced order has nothing left to ignore."""
    columns = order_columns(remote, digest)
    Order.update(**columns, ignored_digest=None).where(Order.id == order.id).execute()
    for name, value in columns.items():
        setattr(order, name, value)
    order.ignored_digest = None


def close_update(
    order: Order, update: Update, status: str, actor: str, reason: str | None = None
) -> None:
    update.status = status
    update.resolved_at = utcnow()
    update.resolved_by = actor
    update.reason = reason
    update.save()
    Order.update(pending=False).where(Order.id == order.id).execute()
    order.pending = False


def detach_postings(order: Order, actor: str, *, voided: bool = False) -> list[str]:
    """Unpost the order but keep every posting in its history, with its document.

    ``voided`` records that the document was voided in the books first;
    otherwise the posting is *detached*: still in the books, and a repost is
    guarded against until it is voided or forced.
    """
    state = "voided" if voided else "detached"
    postings = list(Posting.select().where((Posting.order == order) & (Posting.state == "posted")))
    for posting in postings:
        posting.state = state
        posting.settled_at = utcnow()
        posting.save()
        Event.create(at=utcnow(), actor=actor, order=order, action=f"posting {state}",
                     detail=posting.document_ref or posting.posting_id)
    Order.update(accounting_state="unposted", accounting_ref=None, posted_at=None).where(
        Order.id == order.id
    ).execute()
    order.accounting_state = "unposted"
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

    ``remote`` is the fresh download for accept and refresh.  A posted order
    is detached (or recorded as voided) by accept, refresh and cancel.
    """
    if action in ("accept", "refresh"):
        assert remote is not None, "accept and refresh need the re-downloaded order"
        replace_copy(order, remote, remote.order.digest())
    elif action == "ignore":
        assert update is not None
        Order.update(ignored_digest=update.new_digest).where(Order.id == order.id).execute()
    elif action == "cancel":
        ignored = update.new_digest if update is not None else order.ignored_digest
        Order.update(local_status="cancelled", ignored_digest=ignored).where(
            Order.id == order.id
        ).execute()
        order.local_status = "cancelled"
    if action != "ignore" and order.accounting_state == "posted":
        detach_postings(order, actor, voided=voided)
    if update is not None:
        close_update(order, update, CLOSED_AS.get(action, "accepted"), actor, reason)
    Event.create(at=utcnow(), actor=actor, order=order, action=action, detail=reason or "")

"""What ``p`` would do to each order, worked out before the reviewer is asked.

The posting confirmation must say how many orders will be posted and for
how much, which will be refused and why, and which have an earlier,
detached posting still in the books (the double-post this program exists
to prevent).  The reasons are the posting service's own (:func:`refusal`),
so the modal and the outcome never disagree.  Built in a worker: each
order is read once, which for a large marked set is worth keeping off
the interface's thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from orderupd_tui.db.records import UnknownRef, find
from orderupd_tui.domain.states import AccountingState
from orderupd_tui.services import posting
from orderupd_tui.services.inbox import Inbox, Target


@dataclass
class PostPlan:
    """The orders ``p`` was pressed on, sorted by what posting them will do."""

    #: Every order asked for, in the order given.
    targets: list[Target]
    #: Refs that will be posted (or, for an unknown outcome, looked up and posted if missing).
    ready: list[str] = field(default_factory=list)
    #: Of ``ready``, the refs whose last posting's outcome is unknown.
    settling: list[str] = field(default_factory=list)
    #: (ref, why) for each order that will be refused, forced or not.
    refused: list[tuple[str, str]] = field(default_factory=list)
    #: (ref, documents) for each order refused only for a detached, un-voided earlier posting.
    detached: list[tuple[str, list[str]]] = field(default_factory=list)
    #: ``batch_total`` of ``ready``: how many, and the total per currency.
    total: tuple[int, str] = (0, "")
    #: ``batch_total`` of ``ready`` and the detached ones: what forcing would post.
    forced_total: tuple[int, str] = (0, "")

    @property
    def can_force(self) -> bool:
        return bool(self.detached)

    @property
    def refs(self) -> list[str]:
        return [t.ref for t in self.targets]


def plan_post(inbox: Inbox, order_ids: Iterable[int]) -> PostPlan:
    """Sort the orders into ready, refused and refused-only-for-a-detached-posting."""
    plan = PostPlan(inbox.targets(order_ids))
    for target in plan.targets:
        try:
            order = find(str(target.id))
        except UnknownRef:
            plan.refused.append((target.ref, "is no longer in the database"))
            continue
        # posting settles it: looks before it sends
        if order.accounting_state == AccountingState.UNKNOWN:
            plan.ready.append(target.ref)
            plan.settling.append(target.ref)
            continue
        earlier = posting.detached_documents(order)
        why = posting.refusal(order, detached=earlier)
        if why is None:
            plan.ready.append(target.ref)
        elif earlier and posting.refusal(order, force=True, detached=earlier) is None:
            plan.detached.append((target.ref, earlier))
        else:
            plan.refused.append((target.ref, why))
    plan.total = posting.batch_total(plan.ready)
    if plan.detached:
        plan.forced_total = posting.batch_total(plan.ready + [ref for ref, _ in plan.detached])
    return plan

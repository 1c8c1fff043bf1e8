"""Read-only views for the CLI's listings, in the JSON shapes of DESIGN §6.

Listings are generators over server-side cursors in id order, so printing
a million orders never holds them all in memory.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from orderupd_tui.db.models import Event, Order, Posting, Store, Update, as_utc
from orderupd_tui.db.records import find
from orderupd_tui.domain.order import rounded
from orderupd_tui.domain.states import AccountingState, PostingState, UpdateStatus

#: Posting states that belong to an order's past rather than its current accounting state.
PREVIOUS_STATES = (PostingState.DETACHED, PostingState.VOIDED)
BATCH = 1000


#: Every time in the CLI's human output: ISO-8601 UTC, to the second (``2026-12-01T10:00:00Z``).
HUMAN_TIME = "%Y-%m-%dT%H:%M:%SZ"


def iso(value: datetime | None) -> str | None:
    stamp = as_utc(value)
    return stamp.isoformat().replace("+00:00", "Z") if stamp else None


def human_time(value: datetime | str | None) -> str:
    """A time as people read it in the CLI: :data:`HUMAN_TIME`, or ``""`` for none.

    Takes a datetime (naive ones are stored UTC) or a JSON contract's ISO string, so the
    listings built from the JSON objects print the same format as everything else.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    stamp = as_utc(value)
    return stamp.strftime(HUMAN_TIME) if stamp else ""


def orders_json(pending_only: bool = False) -> Iterator[dict[str, Any]]:
    """Every order as the contract's JSON object, in batches keyed on id."""
    last = 0
    while True:
        query = (Order.select(Order, Store).join(Store)
                 .where(Order.id > last).order_by(Order.id).limit(BATCH))
        if pending_only:
            query = query.where(Order.pending == True)  # noqa: E712 (peewee expression)
        rows = list(query)
        if not rows:
            return
        previous = _previous_postings([r.id for r in rows])
        for row in rows:
            yield order_json(row, previous.get(row.id, []))
        last = rows[-1].id


def _previous_postings(order_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    query = Posting.select(Posting.order, Posting.document_ref, Posting.state, Posting.posted_at)
    query = query.where(
        Posting.order.in_(order_ids) & Posting.state.in_(PREVIOUS_STATES)
    ).order_by(Posting.id)
    for p in query:
        found[p.order_id].append({"ref": p.document_ref, "state": p.state,
                                  "posted_at": iso(p.posted_at)})
    return found


def order_json(row: Order, previous: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": row.id,
        "ref": f"{row.store.name}:{row.number}",
        "store": row.store.name,
        "number": row.number,
        "remote_id": row.remote_id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "customer": row.customer,
        "email": row.email,
        "total": str(rounded(row.total, row.currency)),
        "currency": row.currency,
        "payment_status": row.payment_status,
        "fulfillment_status": row.fulfillment_status,
        "order_status": row.order_status,
        "platform_status": row.platform_status,
        "local_status": row.local_status,
        "pending_update": bool(row.pending),
        "accounting": {
            "state": row.accounting_state,
            "ref": row.accounting_ref,
            "posted_at": iso(row.posted_at),
            "previous": previous,
        },
    }


def updates_json(include_resolved: bool = False) -> Iterator[dict[str, Any]]:
    query = (Update.select(Update, Order, Store).join(Order).join(Store)
             .order_by(Update.detected_at, Update.id))
    if not include_resolved:
        query = query.where(Update.status == UpdateStatus.PENDING)
    for u in query.iterator():
        yield update_json(u)


def update_json(u: Update) -> dict[str, Any]:
    return {
        "id": u.id,
        "ref": f"{u.order.store.name}:{u.order.number}",
        "order_id": u.order.id,
        "detected_at": iso(u.detected_at),
        "source": u.source,
        "kinds": u.kinds.split(",") if u.kinds else [],
        "changes": json.loads(u.changes),
        "posted": u.order.accounting_state == AccountingState.POSTED,
        "status": u.status,
    }


def history_json(ref: str) -> dict[str, Any]:
    """An order's postings and events, oldest first."""
    order = find(ref)
    postings = [
        {"posting_id": p.posting_id, "backend": p.backend, "document_ref": p.document_ref,
         "state": p.state, "amount": str(rounded(p.amount, p.currency)), "currency": p.currency,
         "created_at": iso(p.created_at), "posted_at": iso(p.posted_at),
         "settled_at": iso(p.settled_at), "detail": p.detail}
        for p in Posting.select().where(Posting.order == order).order_by(Posting.id)
    ]
    events = [
        {"at": iso(e.at), "actor": e.actor, "action": e.action, "detail": e.detail}
        for e in Event.select().where(Event.order == order).order_by(Event.id)
    ]
    return {"id": order.id, "ref": order.ref, "postings": postings, "events": events}

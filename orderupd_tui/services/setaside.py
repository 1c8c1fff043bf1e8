"""Orders set aside as unreadable: recorded by the poll, listed by ``errors``, dismissed by people.

The poll records every payload it cannot read here, in the same
transaction as the rest of its page, which is what lets the cursor move
past it: the order is not lost, it is kept.  Each later poll asks the
store for the open entries again by id (a store may fix an order without
touching its ``updated_at``), and an entry is closed as ``resolved`` the
moment its order reads.  A person may dismiss one on purpose; that is an
event with the reason, like every other action.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from peewee import fn

from orderupd_tui.db.models import Event, Order, SetAside, Store, as_utc, utcnow
from orderupd_tui.domain.intake import SetAsideState
from orderupd_tui.services.session import Session
from orderupd_tui.stores.base import Unreadable


class NotSetAside(LookupError):
    """No open set-aside entry matches what the user named."""


@dataclass(frozen=True)
class SetAsideEntry:
    """One open entry as the CLI and the app show it."""

    id: int
    store: str
    key: str
    remote_id: str | None
    number: str | None
    position: str
    error: str
    first_seen: datetime
    last_seen: datetime
    attempts: int

    @property
    def ref(self) -> str:
        """``STORE:ID``, as ``errors dismiss`` takes it."""
        return f"{self.store}:{self.key}"

    def line(self) -> str:
        """One line naming the entry, for stderr and the status of a poll."""
        number = f" (#{self.number})" if self.number and self.number != self.remote_id else ""
        what = (f"order {self.remote_id}{number}" if self.remote_id
                else f"an order with no id at {self.position}")
        return f"store '{self.store}': {what} set aside: {self.error}"

    def to_json(self) -> dict[str, Any]:
        """DESIGN §6: ``{store, remote_id, number, error, first_seen, last_seen, attempts}``."""
        return {
            "id": self.id,
            "store": self.store,
            "key": self.key,
            "remote_id": self.remote_id,
            "number": self.number,
            "position": self.position,
            "error": self.error,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "attempts": self.attempts,
        }


def open_entries(session: Session, store: str | None = None) -> list[SetAsideEntry]:
    """Every open entry, oldest first (of one store, or all)."""
    query = (SetAside.select(SetAside, Store.name).join(Store)
             .where(SetAside.state == SetAsideState.OPEN).order_by(SetAside.id))
    if store is not None:
        query = query.where(Store.name == store)
    return [_entry(row) for row in query]


def open_count(session: Session) -> int:
    """How many entries are open: the app's status bar shows it."""
    return int(SetAside.select(fn.COUNT(SetAside.id))
               .where(SetAside.state == SetAsideState.OPEN).scalar() or 0)


def find_open(session: Session, ref: str) -> SetAsideEntry:
    """The open entry ``STORE:ID`` (the remote id, or the key ``errors`` lists) or its number."""
    store, sep, key = ref.partition(":")
    query = (SetAside.select(SetAside, Store.name).join(Store)
             .where(SetAside.state == SetAsideState.OPEN))
    if sep and store and key:
        query = query.where((Store.name == store) & (SetAside.key == key))
    elif ref.isdecimal() and len(ref) < 19:
        query = query.where(SetAside.id == int(ref))
    else:
        raise NotSetAside(f"{ref!r} is not STORE:ID (as 'orderupd-tui errors' lists it)")
    row = query.first()
    if row is None:
        raise NotSetAside(f"{ref}: no open set-aside order has that id "
                          "(see 'orderupd-tui errors')")
    return _entry(row)


def dismiss(session: Session, ref: str, reason: str, actor: str) -> SetAsideEntry:
    """Close an open entry on purpose; recorded as an event with the reason."""
    reason = reason.strip()
    if not reason:
        raise ValueError("dismissing a set-aside order needs a reason (--reason TEXT)")
    entry = find_open(session, ref)
    with session.db.atomic():
        closed = SetAside.update(state=SetAsideState.DISMISSED, closed_at=utcnow(),
                                 closed_by=actor, reason=reason).where(
            (SetAside.id == entry.id) & (SetAside.state == SetAsideState.OPEN)).execute()
        if not closed:
            raise NotSetAside(f"{entry.ref}: no longer set aside (it was read or dismissed "
                              "meanwhile)")
        Event.create(at=utcnow(), actor=actor, order=None, action="set-aside dismissed",
                     detail=f"{entry.ref}: {reason} (error was: {entry.error})"[:2000])
    return entry


# --- the poll's side -------------------------------------------------------------------------


def open_keys(store: Store) -> dict[str, str | None]:
    """The store's open entries, key to remote id: what the poll retries and may resolve."""
    query = SetAside.select(SetAside.key, SetAside.remote_id).where(
        (SetAside.store == store) & (SetAside.state == SetAsideState.OPEN))
    return {row.key: row.remote_id for row in query}


def record(store: Store, unreadable: Iterable[Unreadable], secrets: Iterable[str]) -> None:
    """Keep each unreadable payload; called inside the transaction that stores its page.

    A new problem is an event.  An entry someone dismissed stays dismissed
    while the store sends the same payload, and opens again once the
    store changes the order and it still cannot be read.
    """
    masks = [s for s in secrets if s]
    now = utcnow()
    for item in unreadable:
        payload = _payload(item.raw, masks)
        error = _clean(item.error)
        key = _short(item.key)
        number = _short(item.number) if item.number else None
        row = SetAside.get_or_none((SetAside.store == store) & (SetAside.key == key))
        if row is None:
            SetAside.create(store=store, key=key, remote_id=_short(item.remote_id or "") or None,
                            number=number, position=item.position, error=error,
                            payload=payload, first_seen=now, last_seen=now)
            _event(store, item, error)
            continue
        reopen = row.state == SetAsideState.RESOLVED or (
            row.state == SetAsideState.DISMISSED and row.payload != payload)
        values: dict[Any, Any] = {SetAside.last_seen: now, SetAside.number: number,
                                  SetAside.position: item.position}
        if row.state == SetAsideState.OPEN:
            values.update({SetAside.attempts: SetAside.attempts + 1, SetAside.error: error,
                           SetAside.payload: payload})
        elif reopen:
            values.update({SetAside.state: SetAsideState.OPEN, SetAside.attempts: 1,
                           SetAside.first_seen: now, SetAside.error: error,
                           SetAside.payload: payload, SetAside.closed_at: None,
                           SetAside.closed_by: None, SetAside.reason: None})
            _event(store, item, error)
        SetAside.update(values).where(SetAside.id == row.id).execute()


def still_missing(store: Store, keys: Iterable[str], error: str) -> None:
    """A retry found no copy at all: count the attempt and say so in the entry."""
    SetAside.update(attempts=SetAside.attempts + 1, last_seen=utcnow(), error=_clean(error)).where(
        (SetAside.store == store) & SetAside.key.in_(list(keys))
        & (SetAside.state == SetAsideState.OPEN)).execute()


def resolve(store: Store, keys: Iterable[str]) -> int:
    """Close the open entries of orders that have just been read and stored."""
    keys = list(keys)
    if not keys:
        return 0
    rows = list(SetAside.select(SetAside.id, SetAside.key, SetAside.error).where(
        (SetAside.store == store) & SetAside.key.in_(keys)
        & (SetAside.state == SetAsideState.OPEN)))
    if not rows:
        return 0
    now = utcnow()
    SetAside.update(state=SetAsideState.RESOLVED, closed_at=now, closed_by="poll").where(
        SetAside.id.in_([r.id for r in rows])).execute()
    orders = {o.remote_id: o.id for o in Order.select(Order.id, Order.remote_id).where(
        (Order.store == store) & Order.remote_id.in_([r.key for r in rows]))}
    Event.insert_many([
        {"at": now, "actor": "poll", "order": orders.get(r.key), "action": "set-aside read",
         "detail": f"read after being set aside ({r.error})"[:2000]}
        for r in rows
    ]).execute()
    return len(rows)


def _event(store: Store, item: Unreadable, error: str) -> None:
    what = item.remote_id or item.position
    Event.create(at=utcnow(), actor="poll", order=None, action="set aside",
                 detail=f"{store.name}:{item.key} ({what}): {error}"[:2000])


def _payload(raw: Any, masks: list[str]) -> str:
    """The payload as JSON text, with any configured secret masked and no NUL left raw."""
    try:
        text = orjson.dumps(raw, default=str).decode()
    except TypeError:  # an integer past 64 bits, say: the standard library writes any
        text = json.dumps(raw, default=str)
    for secret in masks:
        text = text.replace(secret, "***")
    return text


def _short(text: str) -> str:
    """A value for a short column: no NUL, at most its width (ids are not longer in practice)."""
    return text.replace("\x00", "")[:255]


def _clean(text: str) -> str:
    """One line, no NUL (PostgreSQL text refuses it), short enough to read."""
    return " ".join(text.replace("\x00", "\\0").split())[:1000]


def _entry(row: SetAside) -> SetAsideEntry:
    first = as_utc(row.first_seen)
    last = as_utc(row.last_seen)
    assert first is not None and last is not None
    return SetAsideEntry(id=row.id, store=row.store.name, key=row.key, remote_id=row.remote_id,
                         number=row.number, position=row.position, error=row.error,
                         first_seen=first, last_seen=last, attempts=row.attempts)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")

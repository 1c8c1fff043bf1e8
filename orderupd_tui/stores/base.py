"""What the sync and review services need from a store, whatever its platform.

A connector turns the platform's HTTP API into pages of
:class:`RemoteOrder` (normalized order plus the raw payload it came from).
The services own cursors, digests and the database; connectors own paging,
auth, rate limits and the platform's quirks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson

from orderupd_tui.domain.order import NormalizedOrder


class StoreError(Exception):
    """A store could not be read; the message is one line fit for the user."""


class StoreAuthError(StoreError):
    """The store refused our credentials (401/403)."""


class OrderGone(StoreError):
    """The store no longer has the order that was asked for."""


class StoreUnsupported(StoreError):
    """The platform cannot do what was asked (e.g. re-download on Mal's)."""


@dataclass(frozen=True)
class RemoteOrder:
    """A store's copy of one order: the normalized form and the payload behind it."""

    order: NormalizedOrder
    raw: dict[str, Any]


@dataclass(frozen=True)
class Unreadable:
    """A payload that could not become an order: set aside by the poll, never dropped.

    ``key`` identifies it across polls: the remote id, or for a payload with
    no usable id a hash of the payload (its ``position`` is kept for people).
    """

    key: str
    remote_id: str | None
    number: str | None
    position: str
    error: str
    raw: Any


@dataclass
class Page:
    """One page of a poll, with enough to report progress.

    ``unreadable`` holds the page's payloads that could not be read: the
    others on the page are stored all the same.
    """

    orders: list[RemoteOrder]
    number: int
    unreadable: list[Unreadable] = field(default_factory=list)


class Fetched(dict[str, RemoteOrder]):
    """What :meth:`StoreClient.fetch` found: orders read by remote id, and those unreadable.

    A dict, so a caller after good copies alone reads it as one.
    """

    def __init__(self) -> None:
        super().__init__()
        self.unreadable: list[Unreadable] = []

    def add(self, orders: list[RemoteOrder], unreadable: list[Unreadable]) -> None:
        self.update((r.order.remote_id, r) for r in orders)
        self.unreadable.extend(unreadable)


#: What a connector's ``normalize`` may raise for a payload it cannot read.  Beyond
#: ``ValueError`` (``UnreadableField`` among them) these are the slips of reading an odd
#: shape (``None["x"]``, ``"bob".get``), which name no field but must not stop a page.
READ_ERRORS = (ValueError, TypeError, KeyError, AttributeError, ArithmeticError, IndexError)


def read_orders(
    raws: Sequence[Any],
    normalize: Callable[[dict[str, Any]], NormalizedOrder],
    *,
    page: int,
    id_key: str = "id",
    number_key: str | None = None,
) -> tuple[list[RemoteOrder], list[Unreadable]]:
    """Normalize each payload of one page on its own, so one odd order never stops the rest."""
    orders: list[RemoteOrder] = []
    unreadable: list[Unreadable] = []
    for index, raw in enumerate(raws, 1):
        position = f"page {page}, item {index}"
        if not isinstance(raw, dict):
            unreadable.append(_unreadable(raw, None, None, position,
                                          f"not an order object but {_kind(raw)}"))
            continue
        remote_id = remote_ident(raw.get(id_key))
        number = remote_ident(raw.get(number_key)) if number_key else None
        if remote_id is None:
            unreadable.append(_unreadable(raw, None, number, position,
                                          f"{id_key}: missing or not an id"))
            continue
        try:
            orders.append(RemoteOrder(normalize(raw), raw))
        except READ_ERRORS as exc:
            unreadable.append(_unreadable(raw, remote_id, number, position, _problem(exc)))
    return orders, unreadable


def _unreadable(raw: Any, remote_id: str | None, number: str | None, position: str,
                error: str) -> Unreadable:
    if remote_id is None:
        blob = orjson.dumps(raw, option=orjson.OPT_SORT_KEYS, default=str)
        key = "payload:" + hashlib.blake2b(blob, digest_size=8).hexdigest()
    else:
        key = remote_id
    return Unreadable(key, remote_id, number, position, error, raw)


def remote_ident(value: Any) -> str | None:
    """An id as text; only a non-empty string or a whole number (never a bool) is one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _kind(value: Any) -> str:
    return "null" if value is None else f"a {type(value).__name__} ({str(value)[:40]!r})"


def _problem(exc: BaseException) -> str:
    """One line for the user: a ``KeyError`` names the missing field."""
    if isinstance(exc, KeyError):
        return f"{exc.args[0]}: missing" if exc.args else "a field is missing"
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


ProgressFn = Callable[[int, int], None]
"""Called with (pages read, orders read) as a poll goes on."""


class StoreClient(Protocol):
    """The connector protocol every platform module implements."""

    #: False for carts that only push new orders (Mal's): no updates, no refresh.
    supports_updates: bool

    def changed_since(self, since: datetime) -> Iterator[Page]:
        """Yield every order updated at or after ``since``, with no upper bound."""
        ...

    def store_clock(self) -> datetime | None:
        """The store's own clock, from the last response's ``Date`` header."""
        ...

    def fetch(self, remote_ids: Sequence[str]) -> Fetched:
        """Download these orders fresh; ids the store no longer has are absent.

        Copies that cannot be read are in ``unreadable``, never raised: the
        others asked for in the same request still arrive.
        """
        ...

    def close(self) -> None: ...

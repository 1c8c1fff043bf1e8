"""What the sync and review services need from a store, whatever its platform.

A connector turns the platform's HTTP API into pages of
:class:`RemoteOrder` (normalized order plus the raw payload it came from).
The services own cursors, digests and the database; connectors own paging,
auth, rate limits and the platform's quirks.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson

from orderupd_tui.domain.order import NormalizedOrder, UnreadableField
from orderupd_tui.domain.remote import RemoteOrder as RemoteOrder  # connectors' import


class StoreError(Exception):
    """A store could not be read; the message is one line fit for the user."""


class StoreAuthError(StoreError):
    """The store refused our credentials (401/403)."""


class OrderGone(StoreError):
    """The store no longer has the order that was asked for."""


class StoreUnsupported(StoreError):
    """The platform cannot do what was asked (e.g. re-download on Mal's)."""


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
            ids = {id_key, number_key} if number_key else {id_key}
            unreadable.append(_unreadable(raw, remote_id, number, position,
                                          _explain(exc, normalize, raw, ids)))
    return orders, unreadable


def _explain(exc: BaseException, normalize: Callable[[dict[str, Any]], NormalizedOrder],
             raw: dict[str, Any], ids: set[str]) -> str:
    """The error as one line that names the field, so the user can find it in the store.

    ``UnreadableField`` names it already.  Anything else (``fromisoformat:
    argument must be str``) is located by reading the payload once more
    through :class:`_Tracking`, which notes the last field read before the
    failure: only for a payload that failed, so good pages pay nothing.
    Reads of the order's id and number at the end of the trail are the
    connector naming the order in its message, after the failure: the id
    was checked before ``normalize`` ran, so it is never the culprit.
    """
    problem = _problem(exc)
    if isinstance(exc, UnreadableField) or isinstance(exc.__cause__, UnreadableField):
        return problem
    tracking = _Tracking(raw, "", [])
    with contextlib.suppress(*READ_ERRORS):
        normalize(tracking)
    trail = list(tracking.trail)
    while trail and trail[-1] in ids:
        trail.pop()
    field = trail[-1] if trail else None
    if field is None or problem.startswith(f"{field}:"):
        return problem
    return f"{field}: {problem}"


class _Tracking(dict[str, Any]):
    """A payload that records the path of every field read from it (``line_items[0].quantity``)."""

    def __init__(self, data: dict[str, Any], path: str, trail: list[str]) -> None:
        super().__init__(data)
        self.path = path
        self.trail = trail

    def _child(self, key: str, value: Any) -> Any:
        where = f"{self.path}.{key}" if self.path else str(key)
        self.trail.append(where)
        return _track(value, where, self.trail)

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            self.trail.append(f"{self.path}.{key}" if self.path else str(key))
        return self._child(key, super().__getitem__(key))

    def get(self, key: str, default: Any = None) -> Any:
        return self._child(key, super().get(key, default))


def _track(value: Any, path: str, trail: list[str]) -> Any:
    if isinstance(value, dict):
        return _Tracking(value, path, trail)
    if isinstance(value, list):
        return [_track(item, f"{path}[{i}]", trail) for i, item in enumerate(value)]
    return value


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


#: The prefix connectors put on their messages ("WooCommerce order 12: "): the set-aside
#: entry names the store and the order apart, so the line need not say them twice.
_ORDER_PREFIX = re.compile(r"^(?:Shopify|WooCommerce|Magento|BigCommerce|Mal's) order [^:]*: ")


def _problem(exc: BaseException) -> str:
    """One line for the user: a ``KeyError`` names the missing field."""
    if isinstance(exc, KeyError):
        return f"{exc.args[0]}: missing" if exc.args else "a field is missing"
    text = str(exc).strip().splitlines()
    return _ORDER_PREFIX.sub("", text[0]) if text else type(exc).__name__


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

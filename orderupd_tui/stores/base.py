"""What the sync and review services need from a store, whatever its platform.

A connector turns the platform's HTTP API into pages of
:class:`RemoteOrder` (normalized order plus the raw payload it came from).
The services own cursors, digests and the database; connectors own paging,
auth, rate limits and the platform's quirks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

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


@dataclass
class Page:
    """One page of a poll, with enough to report progress."""

    orders: list[RemoteOrder]
    number: int


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

    def fetch(self, remote_ids: Sequence[str]) -> dict[str, RemoteOrder]:
        """Download these orders fresh; ids the store no longer has are absent."""
        ...

    def close(self) -> None: ...

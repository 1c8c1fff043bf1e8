"""Messages that carry the results of background work back to the app's screens.

Workers run services in threads; they never touch widgets.  They post
these messages, and the handlers (on the main thread) update the display.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from orderupd_tui.services.inbox import Listing
from orderupd_tui.services.postplan import PostPlan
from orderupd_tui.services.review import BatchResult
from orderupd_tui.services.sync import PollResult


@dataclass
class PollProgress(Message):
    """A poll is reading a store: pages and orders so far."""

    store: str
    pages: int
    orders: int


@dataclass
class PollFinished(Message):
    """A poll ended; ``error`` is set when it failed as a whole (not per store or the books)."""

    results: PollResult = field(default_factory=PollResult)
    error: str | None = None


@dataclass
class BatchProgress(Message):
    """A batch action has done ``done`` of ``total`` orders."""

    action: str
    done: int
    total: int


@dataclass
class BatchFinished(Message):
    """A batch action ended, with each order's outcome; ``failed`` and ``acted`` are order ids."""

    result: BatchResult | None
    failed: set[int]
    acted: list[int]
    error: str | None = None


@dataclass
class PlanReady(Message):
    """What posting the chosen orders would do, for the confirmation; None if it failed."""

    plan: PostPlan | None
    error: str | None = None


@dataclass
class CountReady(Message):
    """A listing's exact count, computed in the background, is now known."""

    listing: Listing


class DataChanged(Message):
    """The database changed (a poll, a batch): panes reload what they show."""

"""The messages of the app: results of background work, and the reviewer's intents.

Workers run services in threads and never touch widgets: they post the
result messages here, and handlers on the main thread update the display.
Screens never call the App: they post an intent (``ActionRequested``,
``PostRequested``), which bubbles up to the App, the one place that runs
batches and owns the store connectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from orderupd_tui.domain.states import Action
from orderupd_tui.services.inbox import Detail, Listing, StoreState, Target
from orderupd_tui.services.postplan import PostPlan
from orderupd_tui.services.review import BatchResult
from orderupd_tui.services.setaside import SetAsideEntry
from orderupd_tui.services.sync import PollResult

# -- intents (screens to the App) ---------------------------------------------------------


@dataclass
class ActionRequested(Message):
    """The reviewer asked for ``action`` (accept, ignore, cancel, refresh) on these orders."""

    action: Action
    order_ids: list[int]


@dataclass
class PostRequested(Message):
    """The reviewer asked to post these orders."""

    order_ids: list[int]


@dataclass
class DismissRequested(Message):
    """The reviewer dismissed a set-aside entry, with a reason."""

    entry_id: int
    ref: str
    reason: str


# -- results of background work -----------------------------------------------------------


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
class StoresLoaded(Message):
    """Each store's last poll, as recorded in the database."""

    stores: list[StoreState]


@dataclass
class TargetsReady(Message):
    """The orders an action would touch, looked up for its confirmation.

    ``resolved`` says, for each asked order that has no pending update any
    more, who resolved it and how (another reviewer may just have).
    """

    action: Action
    targets: list[Target]
    resolved: dict[int, str]


@dataclass
class BatchProgress(Message):
    """A batch action has done ``done`` of ``total`` orders."""

    action: Action
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
class BatchDone(Message):
    """Sent to each screen after a batch: the orders acted on, and those that failed."""

    failed: set[int]
    acted: list[int]


@dataclass
class PlanReady(Message):
    """What posting the chosen orders would do, for the confirmation; None if it failed."""

    plan: PostPlan | None
    error: str | None = None


@dataclass
class ViewLoaded(Message):
    """A pane's listing is built and its first rows read.

    ``cursor`` is the cursor's position in the new listing; ``asked_at``
    the cursor's position when the load was asked for, so moves made while
    it loaded are kept.
    """

    pane: str
    listing: Listing
    start: int
    rows: list[Any]
    cursor: int
    screen_line: int
    asked_at: int
    reload: bool


@dataclass
class PageLoaded(Message):
    """Rows a pane was waiting for: the window ``base`` grown to hold them."""

    pane: str
    base: Any
    window: Any


@dataclass
class CountReady(Message):
    """A listing's exact count, computed in the background, is now known."""

    listing: Listing


@dataclass
class CountsReady(Message):
    """Every order and every pending update, counted for the count line and the tabs."""

    orders: int
    pending: int


@dataclass
class IdsLoaded(Message):
    """Every order id a listing shows, for ``*``."""

    listing: Listing
    ids: list[int]


@dataclass
class DetailLoaded(Message):
    """An order's detail, or the one-line reason it could not be read."""

    order_id: int
    detail: Detail | None
    error: str | None = None


@dataclass
class LoadFailed(Message):
    """A background read failed: the one line to show, and the worker group that read."""

    error: str
    group: str = ""


class DataChanged(Message):
    """The database changed (a poll, a batch, another process): views reload what they show."""


class ExternalChange(Message):
    """Someone (another process, or this one) wrote to the database since the last look."""


@dataclass
class SetAsideLoaded(Message):
    """The open set-aside entries, for the Errors view."""

    entries: list[SetAsideEntry]


@dataclass
class SetAsideCounted(Message):
    """How many entries are set aside, for the status bar."""

    count: int


@dataclass
class SetAsideDismissed(Message):
    """A dismissal was carried out (``error`` is None) or refused, with the one line why."""

    ref: str
    error: str | None = None


@dataclass
class HiddenCounted(Message):
    """How many of the marked orders a listing leaves out, for ``marked N (M hidden)``.

    ``version`` is the marks' version it was counted for: marks changed since make it stale.
    """

    listing: Listing
    version: int
    hidden: int

"""The one-line bars around the panes: tabs, counts, and the polling status.

Each is a ``Static`` given plain facts by its screen; none of them queries
anything itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static

#: Longest store error shown in the status bar; the notification has the whole text.
SHORT_ERROR = 48


def number(value: int) -> str:
    return f"{value:,}"


class _TabLabels(Static):
    """The tabs themselves; a click on one chooses its pane."""

    def __init__(self, id: str) -> None:
        super().__init__(id=id)
        #: Each tab's pane and the columns it covers, as last drawn.
        self.spans: list[tuple[str, int, int]] = []

    def on_click(self, event: events.Click) -> None:
        for name, start, end in self.spans:
            if start <= event.x < end:
                self.post_message(PaneTabs.Chosen(name))


class PaneTabs(Horizontal):
    """``1 Inbox  2 Updates 12`` on the left, the sort and filter on the right."""

    DEFAULT_CSS = """
    PaneTabs { height: 1; }
    PaneTabs > #tabs-left { width: 28; }
    PaneTabs > #tabs-right { width: 1fr; text-align: right; padding: 0 1; }
    """

    class Chosen(Message):
        """A tab was clicked: show its pane."""

        def __init__(self, pane: str) -> None:
            super().__init__()
            self.pane = pane

    def compose(self) -> ComposeResult:
        yield _TabLabels(id="tabs-left")
        yield Static(id="tabs-right")

    def show(self, active: str, pending: int, right: str = "") -> None:
        text = Text(no_wrap=True)
        spans = []
        for key, name, label in (("1", "inbox", "Inbox"), ("2", "updates", "Updates")):
            style = "reverse bold" if name == active else ""
            count = f" {number(pending)}" if name == "updates" and pending else ""
            start = text.cell_len
            text.append(f" {key} {label}{count} ", style)
            spans.append((name, start, text.cell_len))
            text.append(" ")
        # Fixed sizes: a repaint, never a layout of the whole screen, on every keystroke.
        labels = self.query_one("#tabs-left", _TabLabels)
        labels.spans = spans
        labels.update(text, layout=False)
        self.query_one("#tabs-right", Static).update(Text(right, no_wrap=True,
                                                           overflow="ellipsis"), layout=False)


class CountLine(Static):
    """``orders shown 60 / 1,000 · pending 12 · marked 3 (1 hidden)``.

    ``hidden``: marked orders the pane's listing leaves out (a filter, or an update
    resolved), so that marks kept across a filter change are never silent.
    """

    def show(self, shown: int, exact: bool, total: int, pending: int, marked: int,
             noun: str, hidden: int = 0) -> None:
        shown_text = number(shown) if exact else f"≥{number(shown)} (counting…)"
        hidden_text = f" ({number(hidden)} hidden)" if hidden else ""
        self.update(f"{noun} shown {shown_text} / {number(total)} · pending {number(pending)}"
                    f" · marked {number(marked)}{hidden_text}", layout=False)


@dataclass
class StoreStatus:
    """What the status bar knows about one store."""

    name: str
    error: str | None = None


@dataclass
class PollStatus:
    """The app's polling state, shown on every screen's status bar."""

    last: datetime | None = None
    next: datetime | None = None
    running: bool = False
    progress: str = ""
    batch: str = ""
    stores: dict[str, StoreStatus] = field(default_factory=dict)
    #: Orders set aside as unreadable (the Errors view, ``e``, lists them).
    set_aside: int = 0


class StatusBar(Static):
    """Last poll, next poll, polling progress, batch progress, and each store's last error.

    Given the app's one :class:`PollStatus`, so a screen pushed later shows it at once.
    """

    def __init__(self, status: PollStatus, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.status = status

    def on_mount(self) -> None:
        self.show(self.status)

    def show(self, status: PollStatus) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        if status.batch:
            text.append(status.batch, "bold")
            text.append(" │ ")
        if status.running:
            text.append(status.progress or "polling…", "bold")
        else:
            text.append("polled " + (_clock(status.last) if status.last else "never"))
            text.append(" · next " + (_clock(status.next) if status.next else "on s"))
        if status.set_aside:
            text.append(" │ ")
            text.append(f"⚠ {number(status.set_aside)} set aside (e)", "bold")
        for store in status.stores.values():
            if store.error:
                text.append(" │ ")
                text.append(f"⚠ {store.name}: {_short(store.error)}", "bold")
        self.update(text, layout=False)


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


def _short(error: str) -> str:
    line = error.strip().splitlines()[0] if error.strip() else "error"
    return line if len(line) <= SHORT_ERROR else line[:SHORT_ERROR - 1] + "…"

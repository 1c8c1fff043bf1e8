"""The two panes, Inbox and Updates, with their filter, sort, marks and count line.

Each pane is a :class:`VirtualTable` over a listing from
``services.inbox``; a new filter or sort makes a new listing, a poll or a
batch reloads the same view in place.  Marks are order ids, shared by both
panes, so an order marked in the Inbox is marked in Updates too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Input

from orderupd_tui.services.inbox import (
    ORDER_SORTS,
    UPDATE_SORTS,
    CountCancelled,
    Listing,
    OrderRow,
    View,
)
from orderupd_tui.tui.messages import CountReady, DataChanged
from orderupd_tui.tui.widgets.columns import order_columns, store_width, update_columns
from orderupd_tui.tui.widgets.status import CountLine, PaneTabs, StatusBar
from orderupd_tui.tui.widgets.table import VirtualTable

if TYPE_CHECKING:
    from orderupd_tui.tui.app import OrderApp

#: Seconds of quiet typing before a long count starts.
COUNT_AFTER = 0.3
#: Below this width the Footer leaves out the keys that do not apply, rather than grey them,
#: so that the ones that do (and ``q Quit`` at the end) fit in 80 columns.
NARROW = 90
REVIEW = ("accept", "ignore", "cancel")


def order_row_style(row: OrderRow) -> tuple[str, ...]:
    if row.cancelled:
        return ("table--pending", "table--cancelled") if row.pending else ("table--cancelled",)
    return ("table--pending",) if row.pending else ()


@dataclass
class Pane:
    """One pane's table and the view (filter and sort) it shows."""

    name: str
    table: VirtualTable
    view: View
    sorts: tuple[str, ...]


class MainScreen(Screen[None]):
    """Inbox and Updates, a filter line, the counts and the polling status."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show_pane('inbox')", "Inbox", show=False, id="show_inbox"),
        Binding("2", "show_pane('updates')", "Updates", show=False, id="show_updates"),
        Binding("tab", "switch_pane", "Switch pane", show=False, id="switch_pane"),
        Binding("enter", "open", "Open", show=False, id="open"),
        Binding("space", "mark", "Mark", id="mark"),
        Binding("asterisk", "mark_all", "Mark all shown", show=False, id="mark_all"),
        Binding("U", "unmark_all", "Unmark all", show=False, id="unmark_all"),
        # Priority: handled as the key arrives, so what is typed right after it reaches the filter.
        Binding("slash", "filter", "Filter", id="filter", priority=True),
        Binding("escape", "clear", "Clear filter, then marks", show=False, id="clear"),
        Binding("o", "sort", "Next sort column", show=False, id="sort"),
        Binding("O", "reverse_sort", "Reverse sort", show=False, id="reverse_sort"),
        Binding("r", "act('refresh')", "Refresh", id="refresh"),
        Binding("a", "act('accept')", "Accept", id="accept"),
        Binding("i", "act('ignore')", "Ignore", id="ignore"),
        Binding("c", "act('cancel')", "Cancel", id="cancel"),
        Binding("p", "post", "Post", id="post"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.marks: set[int] = set()
        self.active = "inbox"
        self.panes: dict[str, Pane] = {}
        self._count_timer: Timer | None = None
        #: Every order, counted when the data changes rather than on every keystroke.
        self._orders = 0
        self._enabled: tuple[bool, ...] = ()
        self.narrow = False

    @property
    def order_app(self) -> OrderApp:
        from orderupd_tui.tui.app import OrderApp

        assert isinstance(self.app, OrderApp)
        return self.app

    def compose(self) -> ComposeResult:
        width = store_width([s.name for s in self.order_app.inbox.stores()])
        yield PaneTabs(id="tabs")
        with ContentSwitcher(initial="inbox", id="panes"):
            yield VirtualTable(order_columns(width), self.marks, lambda r: r.id,
                               row_style=order_row_style, empty="no orders", id="inbox")
            yield VirtualTable(update_columns(width), self.marks, lambda r: r.order_id,
                               empty="no pending updates", id="updates")
        yield Input(placeholder="filter: number, customer, email or store (enter keeps it, "
                    "esc clears)", id="filter", compact=True)
        yield CountLine(id="counts")
        yield StatusBar(id="status")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        """On a narrow terminal the Footer packs its keys tighter, so ``?`` always shows."""
        footer = self.query_one(Footer)
        footer.compact = event.size.width < 110
        footer.show_command_palette = event.size.width >= 100
        self.narrow = event.size.width < NARROW
        self._enabled = ()  # the Footer's keys are worked out afresh for the new width
        if self.panes:
            self._refresh_bindings_if_changed()

    def on_mount(self) -> None:
        self.panes = {
            "inbox": Pane("inbox", self.query_one("#inbox", VirtualTable),
                          View(sort=ORDER_SORTS[0].name), tuple(s.name for s in ORDER_SORTS)),
            "updates": Pane("updates", self.query_one("#updates", VirtualTable),
                            View(sort=UPDATE_SORTS[0].name),
                            tuple(s.name for s in UPDATE_SORTS)),
        }
        filter_input = self.query_one("#filter", Input)
        filter_input.cursor_blink = self.order_app.cursor_blink
        filter_input.display = False
        self._orders = self.order_app.inbox.order_count()
        for pane in self.panes.values():
            self._show(pane)
        self.set_focus(self.pane.table)
        self.update_counts()
        self.order_app.show_status()

    # -- panes and listings -------------------------------------------------------------

    @property
    def pane(self) -> Pane:
        return self.panes[self.active]

    def _listing(self, pane: Pane) -> Listing:
        inbox = self.order_app.inbox
        return inbox.orders(pane.view) if pane.name == "inbox" else inbox.updates(pane.view)

    def _show(self, pane: Pane) -> None:
        """A new view of a pane: a new listing from the top; count it later if it is long."""
        listing = self._listing(pane)
        previous = pane.table.listing
        if previous is not None:
            previous.cancel()
        pane.table.show(listing)
        self._count_later(listing)

    def _count_later(self, listing: Listing) -> None:
        """A common filter's exact count takes a while: the rows show first, the count once
        typing pauses, so each keystroke does not start (and waste) a count of its own."""
        if listing.total is not None:
            return
        if self._count_timer is not None:
            self._count_timer.stop()
        self._count_timer = self.set_timer(COUNT_AFTER,
                                           lambda: self.count_in_background(listing))

    @work(thread=True, group="count", exit_on_error=False)
    def count_in_background(self, listing: Listing) -> None:
        try:
            listing.count()
        except CountCancelled:
            return
        finally:
            self.order_app.session.db.close()
        self.post_message(CountReady(listing))

    def on_count_ready(self, message: CountReady) -> None:
        for pane in self.panes.values():
            pane.table.count_ready(message.listing)
        self.update_counts()

    def on_data_changed(self, message: DataChanged) -> None:
        """A poll or a batch changed the database: the same views, reloaded in place."""
        self._orders = self.order_app.inbox.order_count()
        for pane in self.panes.values():
            listing = self._listing(pane)
            if pane.table.listing is not None:
                pane.table.listing.cancel()
            pane.table.reload(listing)
            self._count_later(listing)
        self.update_counts()

    def update_counts(self) -> None:
        inbox = self.order_app.inbox
        pending = inbox.pending_count()
        table = self.pane.table
        total = self._orders if self.active == "inbox" else pending
        noun = "orders" if self.active == "inbox" else "updates"
        self.query_one("#counts", CountLine).show(table.total, table.total_exact, total,
                                                  pending, len(self.marks), noun)
        sort = self.pane.view.sort + (" ↑" if table.listing and not table.listing.descending
                                      else " ↓")
        text = self.pane.view.text
        right = f"sort {sort}" + (f" · filter “{text}”" if text else "")
        self.query_one("#tabs", PaneTabs).show(self.active, pending, right)
        self._refresh_bindings_if_changed()

    def _refresh_bindings_if_changed(self) -> None:
        """The Footer greys out keys that do nothing now; recomputing it on every key is waste."""
        enabled = (self.active == "updates", self.pane.table.total > 0, bool(self.marks))
        if enabled != self._enabled:
            self._enabled = enabled
            self.refresh_bindings()

    # -- actions ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """True: the key applies now; None: it does not (greyed, or left out when narrow)."""
        applies = self._applies(action, parameters)
        return False if applies is None and self.narrow else applies

    def _applies(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.panes:
            return True
        rows = self.pane.table.total > 0
        if action == "act":
            if parameters and parameters[0] in REVIEW:
                return True if self.active == "updates" and (rows or self.marks) else None
            return True if rows or self.marks else None
        if action == "post":  # an Updates row is pending, never postable: only marks there
            return True if self.marks or (rows and self.active == "inbox") else None
        if action in ("open", "mark", "mark_all"):
            return True if rows else None
        if action == "unmark_all":
            return True if self.marks else None
        if action == "filter":
            return self.focused is not self.query_one("#filter", Input)
        return True

    def action_show_pane(self, name: str) -> None:
        if name == self.active:
            return
        self.active = name
        self.query_one("#panes", ContentSwitcher).current = name
        filter_input = self.query_one("#filter", Input)
        filter_input.value = self.pane.view.text
        filter_input.display = bool(self.pane.view.text)
        self.set_focus(self.pane.table)
        self.update_counts()

    def action_switch_pane(self) -> None:
        self.action_show_pane("updates" if self.active == "inbox" else "inbox")

    def action_open(self) -> None:
        from orderupd_tui.tui.screens.detail import DetailScreen

        row = self.pane.table.current_row
        if row is not None:
            self.app.push_screen(DetailScreen(self.pane.table.order_id(row)))

    def action_mark(self) -> None:
        table = self.pane.table
        if table.toggle_mark():
            table.action_cursor_down()
            self.update_counts()

    def action_mark_all(self) -> None:
        listing = self.pane.table.listing
        if listing is None:
            return
        self.marks.update(listing.ids())
        self.pane.table.refresh()
        self.update_counts()

    def action_unmark_all(self) -> None:
        self.marks.clear()
        for pane in self.panes.values():
            pane.table.refresh()
        self.update_counts()

    def action_filter(self) -> None:
        filter_input = self.query_one("#filter", Input)
        filter_input.display = True
        self.set_focus(filter_input)

    def action_clear(self) -> None:
        if self.pane.view.text:
            self._set_filter("")
            filter_input = self.query_one("#filter", Input)
            filter_input.value = ""
            filter_input.display = False
            self.set_focus(self.pane.table)
        elif self.marks:
            self.action_unmark_all()

    def action_sort(self) -> None:
        pane = self.pane
        names = pane.sorts
        following = names[(names.index(pane.view.sort) + 1) % len(names)]
        pane.view = replace(pane.view, sort=following, reverse=False)
        self._show(pane)
        self.update_counts()

    def action_reverse_sort(self) -> None:
        pane = self.pane
        pane.view = replace(pane.view, reverse=not pane.view.reverse)
        self._show(pane)
        self.update_counts()

    def action_act(self, action: str) -> None:
        """``r``, ``a``, ``i``, ``c``: the marked orders, or else the one under the cursor."""
        ids = self.chosen()
        if ids:
            self.order_app.request_action(action, ids)

    def action_post(self) -> None:
        """``p``: post the marked orders, or else the one under the cursor."""
        ids = self.chosen()
        if ids:
            self.order_app.request_post(ids)

    def chosen(self) -> list[int]:
        """The order ids an action applies to: the marked ones, or else the cursor's."""
        if self.marks:
            return sorted(self.marks)
        row = self.pane.table.current_row
        return [] if row is None else [self.pane.table.order_id(row)]

    # -- the filter line ----------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self._set_filter(event.value)

    @on(Input.Submitted, "#filter")
    def filter_submitted(self, event: Input.Submitted) -> None:
        event.input.display = bool(event.value.strip())
        self.set_focus(self.pane.table)

    def _set_filter(self, text: str) -> None:
        pane = self.pane
        if text == pane.view.text:
            return
        pane.view = replace(pane.view, text=text)
        self._show(pane)
        self.update_counts()

    def batch_finished(self, failed: set[int], acted: list[int]) -> None:
        """After a batch: failed orders stay marked, the others are unmarked."""
        if self.marks:
            self.marks.difference_update(i for i in acted if i not in failed)
        for pane in self.panes.values():
            pane.table.refresh()

"""The two panes, Inbox and Updates, with their filter, sort, marks and count line.

Each pane is a :class:`VirtualTable` over a listing from
``services.inbox``; a new filter or sort makes a new listing, a poll, a
batch or another process's change reloads the same view in place.  Every
read runs in a worker of its pane (see ``tui.context``) and comes back as
a message, so keys are handled while the database answers.  Marks are
order ids, shared by both panes, so an order marked in the Inbox is
marked in Updates too.  Intents (act, post) are posted as messages for
the App; batch results come back as :class:`BatchDone`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer, Input
from textual.worker import get_current_worker

from orderupd_tui.domain.states import REVIEW, Action
from orderupd_tui.services.inbox import ORDER_SORTS, UPDATE_SORTS, Listing, OrderRow, View
from orderupd_tui.tui.context import Context, in_background
from orderupd_tui.tui.messages import (
    ActionRequested,
    BatchDone,
    CountReady,
    CountsReady,
    DataChanged,
    IdsLoaded,
    LoadFailed,
    PageLoaded,
    PostRequested,
    ViewLoaded,
)
from orderupd_tui.tui.screens.detail import DetailScreen
from orderupd_tui.tui.screens.errors import ErrorsScreen
from orderupd_tui.tui.widgets.columns import order_columns, store_width, update_columns
from orderupd_tui.tui.widgets.status import CountLine, PaneTabs, StatusBar
from orderupd_tui.tui.widgets.table import PAGE, VirtualTable, Window

#: Seconds of quiet typing before a long count starts.
COUNT_AFTER = 0.3
#: Below this width the Footer leaves out the keys that do not apply, rather than grey them,
#: so that the ones that do (and ``q Quit`` at the end) fit in 80 columns.
NARROW = 90


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
        Binding("r", f"act('{Action.REFRESH}')", "Refresh", id="refresh"),
        Binding("a", f"act('{Action.ACCEPT}')", "Accept", id="accept"),
        Binding("i", f"act('{Action.IGNORE}')", "Ignore", id="ignore"),
        Binding("c", f"act('{Action.CANCEL}')", "Cancel", id="cancel"),
        Binding("C", f"act('{Action.UNCANCEL}')", "Un-cancel", show=False, id="uncancel"),
        Binding("p", "post", "Post", id="post"),
        Binding("e", "errors", "Errors: orders set aside", show=False, id="errors"),
    ]

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context
        self.inbox = context.inbox
        self.marks: set[int] = set()
        self.active = "inbox"
        self.panes: dict[str, Pane] = {}
        self._count_timer: Timer | None = None
        #: Every order and every pending update, counted when the data changes.
        self._orders = 0
        self._pending = 0
        self._enabled: tuple[bool, ...] = ()
        self.narrow = False

    def compose(self) -> ComposeResult:
        width = store_width(list(self.context.stores))
        yield PaneTabs(id="tabs")
        with ContentSwitcher(initial="inbox", id="panes"):
            yield VirtualTable(order_columns(width), self.marks, lambda r: r.id,
                               row_style=order_row_style, empty="no orders", id="inbox")
            yield VirtualTable(update_columns(width), self.marks, lambda r: r.order_id,
                               empty="no pending updates", id="updates")
        yield Input(placeholder="filter: number, customer, email or store (enter keeps it, "
                    "esc clears)", id="filter", compact=True)
        yield CountLine(id="counts")
        yield StatusBar(self.context.status, id="status")
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
        filter_input.cursor_blink = self.context.cursor_blink
        filter_input.display = False
        for pane in self.panes.values():  # the rows first: they are what is looked at
            self._load_view(pane)
        self._load_counts()
        self.set_focus(self.pane.table)
        self.update_counts()

    # -- panes and listings -------------------------------------------------------------

    @property
    def pane(self) -> Pane:
        return self.panes[self.active]

    def _pane_of(self, table: VirtualTable) -> Pane | None:
        return next((p for p in self.panes.values() if p.table is table), None)

    def _listing(self, pane: Pane) -> Listing:
        """A new listing of the pane's view, not yet counted: reads the database (planning)."""
        inbox = self.inbox
        if pane.name == "inbox":
            return inbox.orders(pane.view, count=False)
        return inbox.updates(pane.view, count=False)

    def _load_view(self, pane: Pane, *, reload: bool = False) -> None:
        """Build the pane's listing in its worker, with the rows the screen needs.

        A reload keeps the cursor's order: its new position is a range count by
        its key, and the rows around it are read by key, both in the worker.  The
        rows go first; an unfiltered list is counted right after (an index count,
        but of every order), a filtered one once typing pauses (see _count_later).
        """
        table = pane.table
        previous = table.listing
        if previous is not None and not reload:
            previous.cancel()
        anchor, screen_line = table.cursor_anchor() if reload else (None, 0)
        asked_at = table.cursor
        height = table.page_height

        def read() -> CountReady | None:
            listing = self._listing(pane)
            if anchor is None:
                rows = listing.after(None, height + PAGE)
                loaded = ViewLoaded(pane.name, listing, 0, rows, 0, 0, asked_at, reload)
            else:
                still = listing.find(anchor.id)
                key = still.key if still is not None else anchor.key
                cursor = listing.position(key)
                above = listing.before(key, screen_line + PAGE // 2)
                below = listing.after(key, height + PAGE, inclusive=True)
                loaded = ViewLoaded(pane.name, listing, cursor - len(above), above + below,
                                    cursor, screen_line, asked_at, reload)
            if get_current_worker().is_cancelled:
                return None
            self.post_message(loaded)
            if listing.text:
                return None
            listing.count()
            return CountReady(listing)

        in_background(self, self.context, f"view-{pane.name}", read)

    def on_view_loaded(self, message: ViewLoaded) -> None:
        pane = self.panes[message.pane]
        if message.listing.view != pane.view:
            return  # typed on: a newer view is on its way
        table = pane.table
        previous = table.listing
        if previous is not None and previous is not message.listing:
            previous.cancel()
        cursor = message.cursor
        if message.reload:
            cursor += table.cursor - message.asked_at  # moves made while it loaded
        table.show(Window(message.listing, message.start, message.rows), cursor,
                   message.screen_line)
        self._count_later(message.listing)
        if pane is self.pane:
            self.update_counts()

    def on_virtual_table_rows_wanted(self, message: VirtualTable.RowsWanted) -> None:
        pane = self._pane_of(message.table)
        if pane is None:
            return
        base, first, last = message.base, message.first, message.last
        total, exact = message.table.total, message.table.total_exact

        def read() -> PageLoaded:
            return PageLoaded(pane.name, base, base.grown(first, last, total, exact))

        in_background(self, self.context, f"rows-{pane.name}", read)

    def on_page_loaded(self, message: PageLoaded) -> None:
        self.panes[message.pane].table.rows_loaded(message.base, message.window)

    def on_virtual_table_count_wanted(self, message: VirtualTable.CountWanted) -> None:
        self._count_now(message.listing)

    def _count_later(self, listing: Listing) -> None:
        """A common filter's exact count takes a while: the rows show first, the count once
        typing pauses, so each keystroke does not start (and waste) a count of its own."""
        if listing.total is not None or not listing.text:
            return  # known, or being counted by the worker that read it
        if self._count_timer is not None:
            self._count_timer.stop()
        self._count_timer = self.set_timer(COUNT_AFTER, lambda: self._count_now(listing))

    def _count_now(self, listing: Listing) -> None:
        if listing.total is not None:
            self.post_message(CountReady(listing))
            return

        def read() -> CountReady:
            listing.count()
            return CountReady(listing)

        # Not exclusive per pane: a count may run while the pane's rows are read.
        in_background(self, self.context, f"count-{id(listing)}", read)

    def on_count_ready(self, message: CountReady) -> None:
        for pane in self.panes.values():
            pane.table.count_ready(message.listing)
        self.update_counts()

    def _load_counts(self) -> None:
        inbox = self.inbox

        def read() -> CountsReady:
            return CountsReady(inbox.order_count(), inbox.pending_count())

        in_background(self, self.context, "counts", read)

    def on_counts_ready(self, message: CountsReady) -> None:
        self._orders, self._pending = message.orders, message.pending
        self.update_counts()

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(message.error, title="database", severity="error", timeout=8)

    def on_data_changed(self, message: DataChanged) -> None:
        """A poll, a batch or another process changed the database: reload views in place."""
        self._load_counts()
        for pane in self.panes.values():
            self._load_view(pane, reload=True)

    def on_batch_done(self, message: BatchDone) -> None:
        """After a batch: failed orders stay marked, the others are unmarked."""
        if self.marks:
            self.marks.difference_update(i for i in message.acted if i not in message.failed)
        for pane in self.panes.values():
            pane.table.refresh()
        self.update_counts()

    def update_counts(self) -> None:
        pending = self._pending
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
        row = self._cursor_row()
        if row is not None:
            self.app.push_screen(DetailScreen(self.context, self.pane.table.order_id(row)))

    def action_errors(self) -> None:
        self.app.push_screen(ErrorsScreen(self.context))

    def _cursor_row(self) -> Any | None:
        """The cursor's row, or None with a word if it is still being read."""
        table = self.pane.table
        row = table.current_row
        if row is None and table.total > 0:
            self.notify("still reading this row; try again in a moment", timeout=2)
        return row

    def action_mark(self) -> None:
        table = self.pane.table
        if self._cursor_row() is not None and table.toggle_mark():
            table.action_cursor_down()
            self.update_counts()

    def action_mark_all(self) -> None:
        listing = self.pane.table.listing
        if listing is None:
            return

        def read() -> IdsLoaded:
            return IdsLoaded(listing, listing.ids())

        in_background(self, self.context, f"ids-{self.pane.name}", read)

    def on_ids_loaded(self, message: IdsLoaded) -> None:
        self.marks.update(message.ids)
        for pane in self.panes.values():
            pane.table.refresh()
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
        self._load_view(pane)
        self.update_counts()

    def action_reverse_sort(self) -> None:
        pane = self.pane
        pane.view = replace(pane.view, reverse=not pane.view.reverse)
        self._load_view(pane)
        self.update_counts()

    def action_act(self, action: str) -> None:
        """``r``, ``a``, ``i``, ``c``: the marked orders, or else the one under the cursor."""
        ids = self.chosen()
        if ids:
            self.post_message(ActionRequested(Action(action), ids))

    def action_post(self) -> None:
        """``p``: post the marked orders, or else the one under the cursor."""
        ids = self.chosen()
        if ids:
            self.post_message(PostRequested(ids))

    def chosen(self) -> list[int]:
        """The order ids an action applies to: the marked ones, or else the cursor's."""
        if self.marks:
            return sorted(self.marks)
        row = self._cursor_row()
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
        self._load_view(pane)
        self.update_counts()

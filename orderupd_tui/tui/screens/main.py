"""The two panes, Inbox and Updates, with their filter, sort, marks and count line.

Each pane is a :class:`VirtualTable` over a listing from
``services.inbox``; a new filter or sort makes a new listing, a poll, a
batch or another process's change reloads the same view in place.  Every
read runs in a worker of its pane (see ``tui.context``) and comes back as
a message, so keys are handled while the database answers.  Marks are
order ids, shared by both panes, so an order marked in the Inbox is
marked in Updates too.  Intents (act, post) are posted as messages for
the App; batch results come back as :class:`BatchDone`.

Trust rules kept here:

- A view is current after every change, with its filter applied: a change
  rebuilds each pane's listing of its view and counts it at once.
- Marks are kept across filter changes; the count line says how many of
  them the pane does not show (``marked 5 (2 hidden)``), counted in a
  worker.  ``*`` marks the rows of the listing on screen, and waits for
  the listing of a just-typed filter rather than mark a stale one.
- Every key acts or says in one line why not.  The Footer (and the
  palette) offer only what applies now: :attr:`active_bindings` leaves
  the rest out, while the key itself still runs and says why.
- Keys are handled in arrival order: every key of this screen is queued
  here (see ``widgets.table.keys_to_screen``) and :meth:`on_key` handles
  one at a time, so focus moving between the tables and the filter line
  mid-burst cannot reorder them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.cells import cell_len
from textual import events, on
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.keys import key_to_character
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
    HiddenCounted,
    IdsLoaded,
    LoadFailed,
    PageLoaded,
    PostRequested,
    ViewLoaded,
)
from orderupd_tui.tui.screens.detail import DetailScreen
from orderupd_tui.tui.screens.errors import ErrorsScreen
from orderupd_tui.tui.screens.whynot import WhyNotScreen
from orderupd_tui.tui.widgets.columns import order_columns, store_width, update_columns
from orderupd_tui.tui.widgets.status import CountLine, PaneTabs, StatusBar
from orderupd_tui.tui.widgets.table import PAGE, VirtualTable, Window, keys_to_screen

#: Seconds of quiet typing before a long count starts.
COUNT_AFTER = 0.3
#: The panes in the order ``tab`` goes through them (``shift+tab`` goes back).
PANES = ("inbox", "updates")
#: Below this width the Footer packs its keys tighter.
COMPACT = 110
#: When every key that applies does not fit in a narrow Footer, it leaves out these (still
#: in the palette and help), so that ``q Quit`` at the end shows.
LEFT_OUT_WHEN_NARROW = frozenset({"filter", "uncancel"})


def types_a_character(key: str) -> bool:
    """Whether the key types a character (into the filter line, when it has focus)."""
    character = key_to_character(key)
    return key == "slash" or (character is not None and character.isprintable())


class FilterInput(Input):
    """The filter line.  Its keys are queued on the screen with the others (see on_key)."""

    def _forward_event(self, event: events.Event) -> None:
        if not keys_to_screen(self, event):
            super()._forward_event(event)

    def type_character(self, character: str) -> None:
        """What Input does with a printable key: insert it, or replace the selection."""
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(character)
        else:
            self.replace(character, *selection)


def order_row_style(row: OrderRow) -> tuple[str, ...]:
    if row.cancelled:
        return ("table--pending", "table--cancelled") if row.pending else ("table--cancelled",)
    return ("table--pending",) if row.pending else ()


def nothing_shown(pane: Pane) -> str:
    """What an empty pane shows, and what a key that needs a row says: ``no orders here``,
    or ``no orders match “129”`` under a filter (the filter, not the data, is why)."""
    text = pane.view.text
    if pane.name == "inbox":
        return f"no orders match “{text}”" if text else "no orders here"
    return f"no updates match “{text}”" if text else "no pending updates here"


@dataclass
class Pane:
    """One pane's table and the view (filter and sort) it shows."""

    name: str
    table: VirtualTable
    view: View
    sorts: tuple[str, ...]


class MainScreen(WhyNotScreen):
    """Inbox and Updates, a filter line, the counts and the polling status."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show_pane('inbox')", "Inbox", show=False, id="show_inbox"),
        Binding("2", "show_pane('updates')", "Updates", show=False, id="show_updates"),
        Binding("tab", "switch_pane", "Switch pane", show=False, id="switch_pane"),
        Binding("shift+tab", "previous_pane", "Previous pane", show=False, id="previous_pane"),
        Binding("enter", "open", "Open", show=False, id="open"),
        Binding("space", "mark", "Mark", id="mark"),
        Binding("asterisk", "mark_all", "Mark all shown", show=False, id="mark_all"),
        Binding("U", "unmark_all", "Unmark all", show=False, id="unmark_all"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("escape", "clear", "Clear filter, then marks", show=False, id="clear"),
        Binding("o", "sort", "Next sort column", show=False, id="sort"),
        Binding("O", "reverse_sort", "Reverse sort", show=False, id="reverse_sort"),
        Binding("r", f"act('{Action.REFRESH}')", "Refresh", id="refresh"),
        Binding("a", f"act('{Action.ACCEPT}')", "Accept", id="accept"),
        Binding("i", f"act('{Action.IGNORE}')", "Ignore", id="ignore"),
        Binding("c", f"act('{Action.CANCEL}')", "Cancel", id="cancel"),
        Binding("C", f"act('{Action.UNCANCEL}')", "Un-cancel", id="uncancel"),
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
        self._count_timers: dict[str, Timer] = {}
        #: Every order and every pending update, counted when the data changes.
        self._orders = 0
        self._pending = 0
        self._enabled: tuple[object, ...] = ()
        #: Bumped whenever the marks change, so a hidden count knows what it counted.
        self.marks_version = 0
        #: The last hidden count, and the (listing, marks version) last asked for.
        self._hidden: HiddenCounted | None = None
        self._hidden_asked: tuple[Listing, int] | None = None
        #: A pane whose ``*`` waits for the listing of the view just typed.
        self._mark_all_waiting: set[str] = set()
        #: Panes whose new view (a filter or sort just set) is being read.
        self._reading: set[str] = set()
        #: Keys that came while the active pane's new view was being read, in arrival order.
        self._held: list[events.Key] = []

    def compose(self) -> ComposeResult:
        width = store_width(list(self.context.stores))
        yield PaneTabs(id="tabs")
        with ContentSwitcher(initial="inbox", id="panes"):
            yield VirtualTable(order_columns(width), self.marks, lambda r: r.id,
                               row_style=order_row_style, id="inbox")
            yield VirtualTable(update_columns(width), self.marks, lambda r: r.order_id,
                               id="updates")
        yield FilterInput(placeholder="filter: number, customer, email or store (enter keeps "
                          "it, esc clears)", id="filter", compact=True)
        yield CountLine(id="counts")
        yield StatusBar(self.context.status, id="status")
        yield Footer()

    def on_resize(self, event: events.Resize) -> None:
        """On a narrow terminal the Footer packs its keys tighter, so ``?`` always shows."""
        footer = self.query_one(Footer)
        footer.compact = event.size.width < COMPACT
        footer.show_command_palette = event.size.width >= 100
        self.refresh_bindings()  # what fits in the Footer may have changed

    def on_mount(self) -> None:
        self.panes = {
            "inbox": Pane("inbox", self.query_one("#inbox", VirtualTable),
                          View(sort=ORDER_SORTS[0].name), tuple(s.name for s in ORDER_SORTS)),
            "updates": Pane("updates", self.query_one("#updates", VirtualTable),
                            View(sort=UPDATE_SORTS[0].name),
                            tuple(s.name for s in UPDATE_SORTS)),
        }
        filter_input = self.filter_input
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

    @property
    def filter_input(self) -> FilterInput:
        return self.query_one("#filter", FilterInput)

    # -- keys, in the order they arrive ---------------------------------------------------

    async def on_key(self, event: events.Key) -> None:
        """Every key of this screen, one at a time, in arrival order.

        What Textual would do, but in this one queue: a printable key goes
        into the filter line when it has focus, any other key to the
        bindings of whatever has focus *now* (after the keys before it).
        ``enter`` in the filter line is taken here, at once, so the keys
        after it reach the table rather than the filter.  A key that comes
        while the active pane's new view is being read waits for its rows
        (see :meth:`_key_waits`), and so does every key after it.
        """
        event.stop()
        event.prevent_default()
        if self._held or self._key_waits():
            self._held.append(event)  # handled once the view's rows arrive (_let_keys_go)
            return
        await self._handle_key(event)

    def _key_waits(self) -> bool:
        """Whether a key must wait for the active pane's new view: after ``/129⏎`` a ``j``,
        ``space`` or ``a`` means a row of the filtered view, not one of the rows still
        shown, which the filter may leave out.  Typing in the filter line never waits."""
        return self.active in self._reading and self.focused is not self.filter_input

    async def _let_keys_go(self) -> None:
        """The keys held for a view, in order, until one of them sets a view to wait for.

        Held keys were typed for this screen: if another (a confirmation)
        opened meanwhile, they are dropped, never sent to its bindings, where
        an ``enter`` meant for the rows would confirm what nobody read.
        """
        while self._held and self.app.screen is self and not self._key_waits():
            await self._handle_key(self._held.pop(0))
        if self._held and self.app.screen is not self:  # opened first, or by a held key
            self._drop_held_keys("another screen opened first")

    def on_screen_suspend(self) -> None:
        """A screen opened over this one: keys held for the rows were not meant for it, nor
        for this screen once the reviewer has looked at another."""
        if self._held:
            self._drop_held_keys("another screen opened first")

    def _drop_held_keys(self, why: str) -> None:
        count = len(self._held)
        self._held.clear()
        self.notify(f"{count} key{'s' if count != 1 else ''} typed while the rows were read "
                    f"{'were' if count != 1 else 'was'} not used: {why}",
                    severity="warning", timeout=6)

    async def _handle_key(self, event: events.Key) -> None:
        filter_input = self.filter_input
        if self.app.screen is self and self.focused is filter_input:
            if event.key == "enter":
                self.keep_filter()
            elif event.is_printable and event.character is not None:
                filter_input.type_character(event.character)
            else:
                await self.app._check_bindings(event.key)  # the binding chain of what has focus
            self._set_filter(filter_input.value)
        else:
            await self.app._check_bindings(event.key)
        if self.panes:
            self._refresh_bindings_if_changed()

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
        # A reload that replaces a new view's read (a poll came while /129⏎ read) is that
        # new view still: the cursor the old view had means nothing in it.
        reload = reload and pane.name not in self._reading
        if previous is not None and not reload:
            previous.cancel()
        if not reload:
            self._reading.add(pane.name)
        anchor, screen_line = table.cursor_anchor() if reload else (None, 0)
        asked_at = table.cursor
        height = table.page_height

        def read() -> CountReady | None:
            listing = self._listing(pane)
            if anchor is None:
                rows = listing.after(None, height + PAGE)
                if len(rows) < height + PAGE:
                    listing.found_end(len(rows))
                loaded = ViewLoaded(pane.name, listing, 0, rows, 0, 0, asked_at, reload)
            else:
                still = listing.find(anchor.id)
                key = still.key if still is not None else anchor.key
                cursor = listing.position(key)
                above = listing.before(key, screen_line + PAGE // 2)
                below = listing.after(key, height + PAGE, inclusive=True)
                if len(below) < height + PAGE:
                    listing.found_end(cursor + len(below))
                loaded = ViewLoaded(pane.name, listing, cursor - len(above), above + below,
                                    cursor, screen_line, asked_at, reload)
            if get_current_worker().is_cancelled:
                return None
            self.post_message(loaded)
            if listing.text and not reload:
                return None  # counted once typing pauses (see _count_later)
            listing.count()
            return CountReady(listing)

        in_background(self, self.context, f"view-{pane.name}", read)

    async def on_view_loaded(self, message: ViewLoaded) -> None:
        pane = self.panes[message.pane]
        if message.listing.view != pane.view:
            return  # typed on: a newer view is on its way
        self._reading.discard(pane.name)
        table = pane.table
        previous = table.listing
        if previous is not None and previous is not message.listing:
            previous.cancel()
        table.empty = nothing_shown(pane)
        # Moves made while a reload read (keys wait only for a new view) count in it.
        cursor = message.cursor + table.cursor - message.asked_at
        table.show(Window(message.listing, message.start, message.rows), cursor,
                   message.screen_line)
        if not message.reload:
            self._count_later(pane, message.listing)
        if pane.name in self._mark_all_waiting:
            self._mark_all_waiting.discard(pane.name)
            self._mark_all(pane)
        if pane is self.pane:
            self.update_counts()
        await self._let_keys_go()

    def on_virtual_table_rows_wanted(self, message: VirtualTable.RowsWanted) -> None:
        pane = self._pane_of(message.table)
        if pane is None:
            return
        base, first, last = message.base, message.first, message.last
        total, exact = message.table.reach, message.table.total_exact

        def read() -> PageLoaded:
            return PageLoaded(pane.name, base, base.grown(first, last, total, exact))

        in_background(self, self.context, f"rows-{pane.name}", read)

    def on_page_loaded(self, message: PageLoaded) -> None:
        pane = self.panes[message.pane]
        exact = pane.table.total_exact
        pane.table.rows_loaded(message.base, message.window)
        if pane is self.pane and not exact:
            self.update_counts()  # the rows found so far, or the end found

    def on_virtual_table_cursor_moved(self, message: VirtualTable.CursorMoved) -> None:
        if self.panes and message.table is self.pane.table:
            self._refresh_bindings_if_changed()

    def on_virtual_table_count_wanted(self, message: VirtualTable.CountWanted) -> None:
        self._count_now(message.listing)

    def _count_later(self, pane: Pane, listing: Listing) -> None:
        """A common filter's exact count takes a while: the rows show first, the count once
        typing pauses, so each keystroke does not start (and waste) a count of its own.
        One timer per pane: a count of one pane never stops the other's."""
        if listing.total is not None or not listing.text:
            return  # known, or being counted by the worker that read it
        timer = self._count_timers.get(pane.name)
        if timer is not None:
            timer.stop()
        self._count_timers[pane.name] = self.set_timer(COUNT_AFTER,
                                                       lambda: self._count_now(listing))

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

    async def on_load_failed(self, message: LoadFailed) -> None:
        """One line.  Only a pane's own view read failing ends its wait; the keys held for
        it are dropped, since the rows shown are the old view's, which the keys were not
        meant for (any other read failing leaves the wait as it is)."""
        self.notify(message.error, title="database", severity="error", timeout=8)
        pane = message.group.removeprefix("view-")
        if message.group.startswith("view-") and pane in self._reading:
            self._reading.discard(pane)
            if self._held and pane == self.active:
                self._drop_held_keys("the filtered rows could not be read")

    def on_data_changed(self, message: DataChanged) -> None:
        """A poll, a batch or another process changed the database: reload views in place."""
        self._load_counts()
        for pane in self.panes.values():
            self._load_view(pane, reload=True)

    def on_batch_done(self, message: BatchDone) -> None:
        """After a batch: failed orders stay marked, the others are unmarked."""
        if self.marks:
            self.marks.difference_update(i for i in message.acted if i not in message.failed)
            self.marks_changed()
        for pane in self.panes.values():
            pane.table.refresh()
        self.update_counts()

    def marks_changed(self) -> None:
        self.marks_version += 1

    def _hidden_now(self) -> int:
        """Marked orders the active pane's listing leaves out; asked for in a worker when the
        listing or the marks changed.  Until it answers (a query or two), the count for the
        same view and marks before a reload stands; for a new view or new marks, 0."""
        listing = self.pane.table.listing
        if not self.marks or listing is None:
            return 0
        known = self._hidden
        if known is not None and known.listing is listing \
                and known.version == self.marks_version:
            return known.hidden
        same = known is not None and known.version == self.marks_version \
            and type(known.listing) is type(listing) and known.listing.view == listing.view
        if self._hidden_asked != (listing, self.marks_version):
            self._hidden_asked = (listing, self.marks_version)
            marks, version = list(self.marks), self.marks_version

            def read() -> HiddenCounted:
                return HiddenCounted(listing, version, len(marks) - len(listing.among(marks)))

            in_background(self, self.context, "hidden", read)
        return known.hidden if same and known is not None else 0

    def on_hidden_counted(self, message: HiddenCounted) -> None:
        self._hidden = message
        self.update_counts()

    def update_counts(self) -> None:
        pending = self._pending
        table = self.pane.table
        total = self._orders if self.active == "inbox" else pending
        noun = "orders" if self.active == "inbox" else "updates"
        self.query_one("#counts", CountLine).show(table.total, table.total_exact, total,
                                                  pending, len(self.marks), noun,
                                                  self._hidden_now())
        sort = self.pane.view.sort + (" ↑" if table.listing and not table.listing.descending
                                      else " ↓")
        text = self.pane.view.text
        right = f"sort {sort}" + (f" · filter “{text}”" if text else "")
        self.query_one("#tabs", PaneTabs).show(self.active, pending, right)
        self._refresh_bindings_if_changed()

    def _refresh_bindings_if_changed(self) -> None:
        """The Footer shows only the keys that apply; recomputing it on every key is waste."""
        row = self.pane.table.current_row
        enabled = (self.active, self.pane.table.total > 0, bool(self.marks),
                   None if row is None else (getattr(row, "pending", True), row.cancelled,
                                             row.cancelled_here, row.posted),
                   self.focused is self.filter_input, bool(self.pane.view.text),
                   self.filter_input.display)
        if enabled != self._enabled:
            self._enabled = enabled
            self.refresh_bindings()

    # -- what applies, and why not --------------------------------------------------------

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """What :class:`WhyNotScreen` offers, less (while the filter line has focus) every
        key that would type a character: the Footer and the palette hide them.  Each stays
        bound, so pressing it says why not (see :meth:`why_not`)."""
        bindings = super().active_bindings
        if not self.panes:
            return bindings
        typing = self.focused is self.filter_input
        shown = {key: active for key, active in bindings.items()
                 if not (typing and types_a_character(key))}
        if self.size.width < COMPACT and self._footer_width(shown) > self.size.width:
            for key, active in shown.items():
                if active.node is self and active.binding.id in LEFT_OUT_WHEN_NARROW:
                    shown[key] = active._replace(binding=replace(active.binding, show=False))
        return shown

    def _footer_width(self, bindings: dict[str, ActiveBinding]) -> int:
        """The cells a compact Footer needs for these keys: ``key description`` and a gap each."""
        return sum(cell_len(self.app.get_key_display(b.binding)) + cell_len(b.binding.description)
                   + 2 for b in bindings.values() if b.binding.show)

    def offers(self, action: str, parameters: tuple[object, ...]) -> bool:
        """Whether the key does something now: what the Footer offers."""
        if not self.panes:
            return True
        if self.why_not(action, parameters) is not None:
            return False
        marks = bool(self.marks)
        row = self.pane.table.current_row
        inbox = self.active == "inbox"
        if action == "act" and parameters and parameters[0] in REVIEW:
            # An Inbox row without a pending update has nothing to review.
            return marks or not inbox or row is None or bool(row.pending)
        if action == "act" and parameters and parameters[0] == Action.UNCANCEL:
            # Offered on a row cancelled here, the one cancel it can undo; it is seldom
            # needed, so marks alone (which may hold no such order) do not offer it.
            return row is not None and row.cancelled_here
        if action == "post":  # an order pending, cancelled or posted already is not postable
            return marks or (inbox and (row is None
                                        or not (row.pending or row.cancelled or row.posted)))
        return True

    def why_not(self, action: str, parameters: tuple[object, ...]) -> str | None:
        """The one line a key says when it cannot act here and now; None when it can.

        Whether a chosen order can be acted on (has it a pending update, can it
        be posted) needs the database: the App answers that, after the key.
        """
        table = self.pane.table
        empty = nothing_shown(self.pane)
        if action == "act":
            verb = Action(str(parameters[0])).verb if parameters else "act on"
            return None if self.marks or table.total else f"nothing to {verb}: {empty}"
        if action == "post":
            if self.marks:
                return None
            if self.active == "updates":
                return ("nothing to post: an order with a pending update is never posted; "
                        "accept or ignore it first, or post from the Inbox (1)")
            return None if table.total else f"nothing to post: {empty}"
        if action in ("open", "mark", "mark_all"):
            verb = "open" if action == "open" else "mark"
            return None if table.total else f"nothing to {verb}: {empty}"
        if action == "unmark_all":
            return None if self.marks else "nothing is marked"
        if action == "clear":
            if self.pane.view.text or self.filter_input.display or self.marks:
                return None
            return "nothing to clear: no filter and no marks"
        return None

    # -- actions ------------------------------------------------------------------------

    def action_show_pane(self, name: str) -> None:
        if name == self.active:
            return
        self.active = name
        self.query_one("#panes", ContentSwitcher).current = name
        filter_input = self.filter_input
        filter_input.value = self.pane.view.text
        filter_input.display = bool(self.pane.view.text)
        self.set_focus(self.pane.table)
        self.update_counts()

    def action_switch_pane(self) -> None:
        self.action_show_pane(PANES[(PANES.index(self.active) + 1) % len(PANES)])

    def action_previous_pane(self) -> None:
        self.action_show_pane(PANES[(PANES.index(self.active) - 1) % len(PANES)])

    def on_pane_tabs_chosen(self, message: PaneTabs.Chosen) -> None:
        self.action_show_pane(message.pane)

    def action_open(self) -> None:
        if self.refused("open"):
            return
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
        if self.refused("mark"):
            return
        table = self.pane.table
        if self._cursor_row() is not None and table.toggle_mark():
            self.marks_changed()
            table.action_cursor_down()
            self.update_counts()

    def action_mark_all(self) -> None:
        """``*``: mark every row of the listing on screen (once the view just typed is read)."""
        self._mark_all(self.pane)

    def _mark_all(self, pane: Pane) -> None:
        listing = pane.table.listing
        if listing is None or listing.view != pane.view:
            self._mark_all_waiting.add(pane.name)  # done when that view's rows arrive
            return
        if pane is self.pane and self.refused("mark_all"):
            return

        def read() -> IdsLoaded:
            return IdsLoaded(listing, listing.ids())

        in_background(self, self.context, f"ids-{pane.name}", read)

    def on_ids_loaded(self, message: IdsLoaded) -> None:
        """Only the ids of the listing still on screen, and only as many as it shows: if the
        data moved meanwhile, mark once the pane has read it again."""
        pane = next((p for p in self.panes.values() if p.table.listing is message.listing),
                    None)
        if pane is None or (pane.table.total_exact and len(message.ids) != pane.table.total):
            target = pane or next((p for p in self.panes.values()
                                   if p.view == message.listing.view), None)
            if target is not None:  # else the filter changed since: that view was not marked
                self._mark_all_waiting.add(target.name)
                self._load_view(target, reload=True)
            return
        self.marks.update(message.ids)
        self.marks_changed()
        for each in self.panes.values():
            each.table.refresh()
        self.update_counts()

    def action_unmark_all(self) -> None:
        if self.refused("unmark_all"):
            return
        self.marks.clear()
        self.marks_changed()
        for pane in self.panes.values():
            pane.table.refresh()
        self.update_counts()

    def action_filter(self) -> None:
        filter_input = self.filter_input
        filter_input.display = True
        self.set_focus(filter_input)

    def action_clear(self) -> None:
        """``esc``: the filter first (and back to the table), then the marks."""
        if self.refused("clear"):
            return
        filter_input = self.filter_input
        if self.pane.view.text or filter_input.display:
            filter_input.value = ""
            filter_input.display = False
            self._set_filter("")
            self.set_focus(self.pane.table)
        else:
            self.action_unmark_all()

    def keep_filter(self) -> None:
        """``enter`` in the filter line: keep the filter (hide an empty line), back to the table."""
        filter_input = self.filter_input
        self._set_filter(filter_input.value)
        filter_input.display = bool(filter_input.value.strip())
        self.set_focus(self.pane.table)

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
        """``r``, ``a``, ``i``, ``c``: the marked orders, or else the one under the cursor.

        In either pane: an Inbox row without a pending update goes to the App
        too, which says so (``nothing to accept: … has no pending update``)."""
        if self.refused("act", action):
            return
        ids = self.chosen()
        if ids:
            self.post_message(ActionRequested(Action(action), ids))

    def action_post(self) -> None:
        """``p``: post the marked orders, or else the one under the cursor."""
        if self.refused("post"):
            return
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
        """A paste (keys are applied in on_key).  The line's value now, not the event's: a
        pane switched since has put its own filter there."""
        self._set_filter(self.filter_input.value)

    def _set_filter(self, text: str) -> None:
        pane = self.pane
        if text == pane.view.text:
            return
        pane.view = replace(pane.view, text=text)
        self._load_view(pane)
        self.update_counts()

"""``e``: the orders set aside as unreadable, with their errors, and dismissing one with a reason.

A poll that cannot read an order keeps it aside and retries it by id at
every poll (``services.setaside``); the reviewer sees here which, why, and
since when.  Dismissing one (``d``) asks for a reason, which is recorded
as an event; the App carries it out (a :class:`DismissRequested` intent),
and the list is read again, in a worker, whenever the database changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Static

from orderupd_tui.services.setaside import SetAsideEntry
from orderupd_tui.tui.context import Context, in_background
from orderupd_tui.tui.messages import DataChanged, DismissRequested, LoadFailed, SetAsideLoaded
from orderupd_tui.tui.screens.whynot import WhyNotScreen
from orderupd_tui.tui.widgets.status import StatusBar

COLUMNS = ("Store", "Remote id", "Number", "Error", "First seen", "Last seen", "Tries")


def _seen(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class ErrorsScreen(WhyNotScreen):
    """The open set-aside entries, oldest first; the cursor row's error in full below.

    The table moves with the arrows; ``j``, ``k``, ``g``, ``G`` are bound here
    as in the panes.  An empty list cannot take focus, so that every key
    reaches this screen and says there is nothing set aside.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", id="errors_back"),
        Binding("d", "dismiss_entry", "Dismiss…", id="dismiss_set_aside"),
        Binding("down,j", "move('down')", "Down", show=False, id="errors_down"),
        Binding("up,k", "move('up')", "Up", show=False, id="errors_up"),
        Binding("home,g", "move('top')", "First", show=False, id="errors_first"),
        Binding("end,G", "move('bottom')", "Last", show=False, id="errors_last"),
        Binding("pagedown", "move('page_down')", "Page down", show=False,
                id="errors_page_down"),
        Binding("pageup", "move('page_up')", "Page up", show=False, id="errors_page_up"),
        Binding("enter", "open_entry", "What enter does here", show=False, id="errors_enter"),
    ]

    DEFAULT_CSS = """
    ErrorsScreen > #errors-title { height: 1; background: $panel; text-style: bold; }
    ErrorsScreen > #errors-table { height: 1fr; }
    ErrorsScreen > #errors-error { height: auto; max-height: 6; padding: 0 1;
                                   background: $boost; }
    """

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context
        self.entries: list[SetAsideEntry] | None = None

    def compose(self) -> ComposeResult:
        yield Static(" Set aside: reading…", id="errors-title")
        table: DataTable[str] = DataTable(id="errors-table", cursor_type="row",
                                          zebra_stripes=False)
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="errors-error")
        yield StatusBar(self.context.status, id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        entries = self.context.open_entries
        in_background(self, self.context, "set-aside", lambda: SetAsideLoaded(entries()))

    def on_set_aside_loaded(self, message: SetAsideLoaded) -> None:
        self.entries = message.entries
        table = self.query_one("#errors-table", DataTable)
        keep = table.cursor_row
        table.clear()
        for entry in message.entries:
            table.add_row(entry.store, entry.remote_id or entry.position, entry.number or "",
                          entry.error, _seen(entry.first_seen), _seen(entry.last_seen),
                          str(entry.attempts), key=str(entry.id))
        count = len(message.entries)
        table.can_focus = count > 0
        if not count:
            self.set_focus(None)
        elif self.focused is None:
            self.set_focus(table)
        title = (f" Set aside as unreadable: {count} order{'' if count == 1 else 's'}"
                 " (retried at every poll; d dismisses one, with a reason)" if count
                 else " Nothing is set aside: every order the stores sent was read.")
        self.query_one("#errors-title", Static).update(title)
        if count:
            table.move_cursor(row=min(keep, count - 1))
        self._show_error()
        self.refresh_bindings()

    @on(DataTable.RowHighlighted, "#errors-table")
    def _row_moved(self) -> None:
        self._show_error()

    def _show_error(self) -> None:
        entry = self.current()
        text = Text()
        if entry is not None:
            text.append(f"{entry.ref}: ", "bold")
            text.append(entry.error)
        self.query_one("#errors-error", Static).update(text)

    def current(self) -> SetAsideEntry | None:
        if not self.entries:
            return None
        row = self.query_one("#errors-table", DataTable).cursor_row
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def why_not(self, action: str, parameters: tuple[object, ...]) -> str | None:
        if action not in ("dismiss_entry", "move", "open_entry"):
            return None
        verb = {"dismiss_entry": "dismiss", "move": "move to"}.get(action, "open")
        if self.entries is None:
            return f"nothing to {verb} yet: the orders set aside are still being read"
        if not self.entries:
            return f"nothing to {verb}: nothing is set aside"
        return None

    def action_move(self, how: str) -> None:
        """``j``/``k``/``g``/``G`` as in the panes; an arrow reaches here only on an empty
        list (the table takes it otherwise)."""
        if self.refused("move", how):
            return
        table = self.query_one("#errors-table", DataTable)
        {"down": table.action_cursor_down, "up": table.action_cursor_up,
         "top": table.action_scroll_top, "bottom": table.action_scroll_bottom,
         "page_down": table.action_page_down, "page_up": table.action_page_up}[how]()

    @on(DataTable.RowSelected, "#errors-table")
    def _row_selected(self) -> None:
        self.action_open_entry()

    def action_open_entry(self) -> None:
        """``enter``: the row's error is already in full below; say what can be done."""
        if not self.refused("open_entry"):
            self.notify("its error is in full below; d dismisses it, with a reason", timeout=4)

    def action_dismiss_entry(self) -> None:
        entry = self.current()
        if self.refused("dismiss_entry") or entry is None:
            return

        def given(reason: str | None) -> None:
            if reason:
                self.post_message(DismissRequested(entry.id, entry.ref, reason))

        self.app.push_screen(ReasonScreen(entry), given)

    def on_data_changed(self, message: DataChanged) -> None:
        self.load()

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(message.error, title="database", severity="error", timeout=8)


class ReasonScreen(ModalScreen[str | None]):
    """Why the entry is dismissed: required, and recorded with the event."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "go_back", "Go back", id="reason_back"),
    ]

    DEFAULT_CSS = """
    ReasonScreen { align: center middle; }
    ReasonScreen > Vertical {
        width: 76; max-width: 100%; height: auto;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    ReasonScreen #reason-title { text-style: bold; }
    ReasonScreen #reason-keys { margin-top: 1; color: $text-muted; }
    """

    def __init__(self, entry: SetAsideEntry) -> None:
        super().__init__()
        self.entry = entry

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Dismiss {self.entry.ref}?", id="reason-title")
            yield Static(Text(self.entry.error))
            yield Static("It will no longer be retried or make a poll fail; if the store "
                         "changes the order and it still cannot be read, it is set aside again.")
            yield Input(placeholder="reason (required)", id="reason")
            yield Static("enter dismiss · esc go back", id="reason-keys")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _submitted(self, event: Input.Submitted) -> None:
        reason = event.value.strip()
        if not reason:
            self.query_one("#reason-keys", Static).update(
                "a reason is needed: it is recorded with the dismissal · esc go back")
            return
        self.dismiss(reason)

    def action_go_back(self) -> None:
        self.dismiss(None)

"""``?``: every key of every screen, as currently bound (the user's keymap applied).

Built from the same ``Binding`` objects the Footer and the command palette
read, so the three never disagree.  ``q`` closes the help rather than
quitting: someone who opened it to look a key up expects to get back to
where they were, as ``q`` leaves the detail and errors screens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from orderupd_tui.config import StoreSettings
from orderupd_tui.tui.widgets.columns import CANCELLED_GLYPH, MARK_GLYPH, PENDING_GLYPH

LEGEND = (
    (PENDING_GLYPH, "the order has a pending update: dimmed, and it cannot be posted"),
    (CANCELLED_GLYPH, "the order is cancelled (struck through)"),
    (MARK_GLYPH, "marked: r, a, i, c, C and p act on every marked order"),
    ("…a1f6e24548", "Accounting: the document a posted order is in. Our own ids lose the "
                    "store and order the row already shows; the detail gives them whole"),
    ("kept …", "a reset kept that document in the books: a repost is refused until it is "
               "voided there, or forced (F in the posting confirmation)"),
    ("voided", "the document was voided in the books; the order is unposted"),
    ("unknown", "a post's answer was lost: the books are asked before anything is sent "
                "again"),
    ("error", "the books refused the last post (the detail's history says why); p tries "
              "again"),
)

#: The team's rule for marks and filters, as the help states it (the binding ids name the keys,
#: so a keymap that moves them is followed).
MARKS = (
    (None, "Marks survive a filter change: the count line shows marked N (M hidden) "
           "for marked orders the filter hides."),
    (None, "Every confirmation names every order it will touch, hidden ones included."),
    ("clear", "clears the filter, then the marks"),
    ("unmark_all", "unmarks all"),
)


def effective(binding: Binding, keymap: Mapping[str, str]) -> Binding:
    """The binding as the user's keymap rebinds it."""
    if binding.id and binding.id in keymap:
        return replace(binding, key=keymap[binding.id])
    return binding


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys, by screen, and what the glyphs mean."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # q too: the app's own q (quit) would otherwise reach through the modal.
        Binding("escape,question_mark,q", "dismiss", "Close help", id="close_help"),
        Binding("down,j", "scroll('down')", "Scroll down", show=False, id="help_down"),
        Binding("up,k", "scroll('up')", "Scroll up", show=False, id="help_up"),
        Binding("pagedown,space", "scroll('page_down')", "Page down", show=False,
                id="help_page_down"),
        Binding("pageup", "scroll('page_up')", "Page up", show=False, id="help_page_up"),
        Binding("home,g", "scroll('home')", "Top of the help", show=False, id="help_top"),
        Binding("end,G", "scroll('end')", "End of the help", show=False, id="help_end"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 80; max-width: 100%; height: 100%; max-height: 100%;
        border: round $primary; background: $surface;
    }
    HelpScreen #help-title { text-style: bold; padding: 0 1; }
    HelpScreen VerticalScroll { padding: 0 1; }
    """

    def __init__(self, sections: Iterable[tuple[str, Iterable[Binding]]],
                 keymap: Mapping[str, str], stores: Iterable[StoreSettings] = ()) -> None:
        super().__init__()
        self.sections = [(title, list(bindings)) for title, bindings in sections]
        self.keymap = keymap
        self.stores = list(stores)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Keys  (esc closes; ctrl+p searches every action)", id="help-title")
            with VerticalScroll(id="help-body"):
                yield Static(self._table(), id="help-keys")

    def _table(self) -> Table:
        table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
        table.add_column("key", style="bold", no_wrap=True, width=18)
        table.add_column("does")
        for title, bindings in self.sections:
            table.add_row(Text(title, style="bold underline"), "")
            for binding in bindings:
                table.add_row(self._keys(binding), binding.description)
            table.add_row("", "")
        table.add_row(Text("Glyphs", style="bold underline"), "")
        for glyph, meaning in LEGEND:
            table.add_row(glyph, meaning)
        table.add_row("", "")
        table.add_row(Text("Marks", style="bold underline"), "")
        by_id = {b.id: b for _, bindings in self.sections for b in bindings if b.id}
        for binding_id, rule in MARKS:
            named = by_id.get(binding_id) if binding_id else None
            table.add_row(self._keys(named) if named else "", rule)
        if self.stores:
            table.add_row("", "")
            table.add_row(Text("Stores", style="bold underline"), "")
            for store in self.stores:
                what = store.platform
                if store.platform == "demo":
                    what = f"demo store speaking {store.options.get('as', 'shopify')}"
                if not store.supports_updates:
                    what += ": new orders only (no updates, no refresh)"
                table.add_row(store.name, what)
        return table

    def _keys(self, binding: Binding) -> str:
        """``g, home``: the binding's keys as the keymap sets them, as the footer shows them."""
        shown = effective(binding, self.keymap)
        return ", ".join(self.app.get_key_display(replace(shown, key=k.strip()))
                         for k in shown.key.split(","))

    def action_scroll(self, where: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        {"down": body.scroll_down, "up": body.scroll_up, "page_down": body.scroll_page_down,
         "page_up": body.scroll_page_up, "home": body.scroll_home,
         "end": body.scroll_end}[where](animate=False)

"""``?``: every key of every screen, as currently bound (the user's keymap applied).

Built from the same ``Binding`` objects the Footer and the command palette
read, so the three never disagree.
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
    (MARK_GLYPH, "marked: r, a, i, c and p act on every marked order"),
    ("INV-…", "Accounting shows the document a posted order is in"),
)


def effective(binding: Binding, keymap: Mapping[str, str]) -> Binding:
    """The binding as the user's keymap rebinds it."""
    if binding.id and binding.id in keymap:
        return replace(binding, key=keymap[binding.id])
    return binding


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys, by screen, and what the glyphs mean."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark", "dismiss", "Close help", id="close_help"),
        # A modal hides the app's own keys; q quits from here too (same id, same keymap entry).
        Binding("q", "app.quit", "Quit", id="quit"),
        Binding("down,j", "scroll('down')", "Scroll down", show=False, id="help_down"),
        Binding("up,k", "scroll('up')", "Scroll up", show=False, id="help_up"),
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
                shown = effective(binding, self.keymap)
                keys = ", ".join(self.app.get_key_display(replace(shown, key=k.strip()))
                                 for k in shown.key.split(","))
                table.add_row(keys, binding.description)
            table.add_row("", "")
        table.add_row(Text("Glyphs", style="bold underline"), "")
        for glyph, meaning in LEGEND:
            table.add_row(glyph, meaning)
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

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#help-body", VerticalScroll)
        if direction == "down":
            body.scroll_down(animate=False)
        else:
            body.scroll_up(animate=False)

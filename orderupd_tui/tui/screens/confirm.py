"""The one confirmation every destructive action goes through.

It states how many orders, in which stores, and for each posted order the
accounting consequence, naming the document: resetting a posted order's
books is the one mistake this program exists to prevent.  ``y``/``enter``
confirm and ``n``/``esc`` go back; with ``on_reset: ask`` and posted orders
in the batch, the reviewer must choose to void or keep the documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from orderupd_tui.services.inbox import Target, stores_of

#: Posted orders listed by name; beyond this the modal says how many more.
LISTED = 8

WHAT = {
    "accept": "Re-download each order from its store and replace the local copy.",
    "ignore": "Keep the local copy; this change will not be raised again.",
    "cancel": "Mark each order cancelled here; a cancelled order is never posted.",
    "refresh": "Delete the local copy of each order and download it again.",
}
NOUN = {"accept": "update", "ignore": "update", "cancel": "order", "refresh": "order"}
RESETTING = ("accept", "cancel", "refresh")


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def posted_warning(action: str, targets: Sequence[Target], on_reset: str) -> list[str]:
    """The lines that warn about posted orders, or none when the action leaves books alone."""
    posted = [t for t in targets if t.posted]
    if action not in RESETTING or not posted:
        return []
    lines = [f"⚠ {plural(len(posted), 'posted order')}: the accounting state will be reset."]
    for target in posted[:LISTED]:
        lines.append(f"  {target.ref} is posted as {target.document or 'an unnamed document'}")
    if len(posted) > LISTED:
        lines.append(f"  … and {len(posted) - LISTED:,} more")
    lines.append("The earlier transaction must not be reposted, or must be voided.")
    if on_reset == "void":
        lines.append("Configured (on_reset: void): each document will be voided in the books.")
    elif on_reset == "keep":
        lines.append("Configured (on_reset: keep): each document stays in the books; "
                     "do not post these orders again unless it is voided.")
    else:
        lines.append("Choose: void each document in the books, or keep it there.")
    return lines


class ConfirmScreen(ModalScreen[str | None]):
    """Dismissed with ``"confirm"``, ``"void"``, ``"keep"``, or None to go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "choose('confirm')", "Confirm", id="confirm"),
        Binding("v", "choose('void')", "Void and continue", id="void_continue"),
        Binding("k", "choose('keep')", "Keep and continue", id="keep_continue"),
        Binding("n,escape", "go_back", "Go back", id="go_back"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    ConfirmScreen #confirm-title { text-style: bold; }
    ConfirmScreen #confirm-body { height: auto; max-height: 16; }
    ConfirmScreen #confirm-warning { color: $text-warning; text-style: bold; }
    ConfirmScreen #confirm-keys { margin-top: 1; color: $text-muted; }
    """

    def __init__(self, action: str, targets: Sequence[Target], on_reset: str) -> None:
        super().__init__()
        self.action_name = action
        self.targets = list(targets)
        self.on_reset = on_reset
        self.warning = posted_warning(action, self.targets, on_reset)
        self.must_choose = bool(self.warning) and on_reset == "ask"

    def compose(self) -> ComposeResult:
        count = len(self.targets)
        stores = ", ".join(f"{name} ({n:,})" for name, n in sorted(stores_of(self.targets).items()))
        with Vertical():
            yield Static(f"{self.action_name.capitalize()} "
                         f"{plural(count, NOUN[self.action_name])}?", id="confirm-title")
            with VerticalScroll(id="confirm-body"):
                yield Static(Text(f"Stores: {stores}\n{WHAT[self.action_name]}"),
                             id="confirm-summary")
                if self.warning:
                    yield Static(Text("\n".join(self.warning)), id="confirm-warning")
            yield Static(self.keys_hint(), id="confirm-keys")

    def keys_hint(self) -> str:
        if self.must_choose:
            return "v void and continue · k keep and continue · n/esc go back"
        return "y/enter confirm · n/esc go back"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            choice = parameters[0] if parameters else None
            if choice == "confirm":
                return not self.must_choose
            return self.must_choose
        return True

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_go_back(self) -> None:
        self.dismiss(None)

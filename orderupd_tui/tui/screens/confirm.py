"""The confirmations every destructive action, and posting, go through.

A review action's states how many orders, in which stores, and for each
posted order the accounting consequence, naming the document: resetting a
posted order's books is the one mistake this program exists to prevent.
``y``/``enter`` confirm and ``n``/``esc`` go back; with ``on_reset: ask``
and posted orders in the batch, the reviewer must choose to void or keep
the documents.

Posting's states the count, the stores and the total, which orders will be
refused and why, and names any earlier document a reset left in the books:
confirming never forces a repost over it; ``f`` does, and only there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from orderupd_tui.domain.states import Action, OnReset
from orderupd_tui.services.inbox import Target, stores_of
from orderupd_tui.services.postplan import PostPlan

#: Posted orders listed by name; beyond this the modal says how many more.
LISTED = 8

WHAT = {
    Action.ACCEPT: "Re-download each order from its store and replace the local copy.",
    Action.IGNORE: "Keep the local copy; this change will not be raised again.",
    Action.CANCEL: "Mark each order cancelled here; a cancelled order is never posted.",
    Action.REFRESH: "Delete the local copy of each order and download it again.",
}
NOUN = {Action.ACCEPT: "update", Action.IGNORE: "update", Action.CANCEL: "order",
        Action.REFRESH: "order"}


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def posted_warning(action: Action, targets: Sequence[Target], on_reset: str) -> list[str]:
    """The lines that warn about posted orders, or none when the action leaves books alone."""
    posted = [t for t in targets if t.posted]
    if not action.resets_books or not posted:
        return []
    lines = [f"⚠ {plural(len(posted), 'posted order')}: the accounting state will be reset."]
    lines += listed(f"  {t.ref} is posted as {t.document or 'an unnamed document'}"
                    for t in posted)
    lines.append("The earlier transaction must not be reposted, or must be voided.")
    if on_reset == OnReset.VOID:
        lines.append("Configured (on_reset: void): each document will be voided in the books.")
    elif on_reset == OnReset.KEEP:
        lines.append("Configured (on_reset: keep): each document stays in the books; "
                     "do not post these orders again unless it is voided.")
    else:
        lines.append("Choose: void each document in the books, or keep it there.")
    return lines


class Confirmation(ModalScreen[str | None]):
    """A modal that states what is about to happen; dismissed with a choice, or None."""

    DEFAULT_CSS = """
    Confirmation { align: center middle; }
    Confirmation > Vertical {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    Confirmation #confirm-title { text-style: bold; }
    Confirmation #confirm-body { height: auto; max-height: 16; }
    Confirmation #confirm-warning { color: $text-warning; text-style: bold; }
    Confirmation #confirm-keys { margin-top: 1; color: $text-muted; }
    """

    def __init__(self, title: str, summary: list[str], warning: list[str], keys: str) -> None:
        super().__init__()
        self.title_line = title
        self.summary_lines = summary
        self.warning_lines = warning
        self.keys_line = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_line, id="confirm-title")
            with VerticalScroll(id="confirm-body"):
                yield Static(Text("\n".join(self.summary_lines)), id="confirm-summary")
                if self.warning_lines:
                    yield Static(Text("\n".join(self.warning_lines)), id="confirm-warning")
            yield Static(self.keys_line, id="confirm-keys")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_go_back(self) -> None:
        self.dismiss(None)


class ConfirmScreen(Confirmation):
    """Dismissed with ``"confirm"``, ``"void"``, ``"keep"``, or None to go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "choose('confirm')", "Confirm", id="confirm"),
        Binding("v", "choose('void')", "Void and continue", id="void_continue"),
        Binding("k", "choose('keep')", "Keep and continue", id="keep_continue"),
        Binding("n,escape", "go_back", "Go back", id="go_back"),
    ]

    def __init__(self, action: Action, targets: Sequence[Target], on_reset: str) -> None:
        warning = posted_warning(action, targets, on_reset)
        self.must_choose = bool(warning) and on_reset == OnReset.ASK
        super().__init__(
            f"{action.capitalize()} {plural(len(targets), NOUN[action])}?",
            [f"Stores: {stores_line(targets)}", WHAT[action]],
            warning,
            "v void and continue · k keep and continue · n/esc go back" if self.must_choose
            else "y/enter confirm · n/esc go back",
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            choice = parameters[0] if parameters else None
            if choice == "confirm":
                return not self.must_choose
            return self.must_choose
        return True


class PostConfirmScreen(Confirmation):
    """Dismissed with ``"post"``, ``"force"`` (repost over detached documents), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "choose('post')", "Post", id="confirm"),
        Binding("f", "choose('force')", "Force: post over an earlier document", id="force"),
        Binding("n,escape", "go_back", "Go back", id="go_back"),
    ]

    def __init__(self, plan: PostPlan, backend: str) -> None:
        self.plan = plan
        ready, asked = len(plan.ready), len(plan.targets)
        some = f"{ready:,} of " if ready != asked else ""
        if not ready:
            total = "Nothing to post without forcing."
        else:
            total = f"Total: {plan.total[1]}" + (
                "" if ready == asked else f" ({plural(ready, 'order')} to be posted)")
        summary = [f"Stores: {stores_line(plan.targets)}", total]
        if plan.settling:
            summary.append(f"{plural(len(plan.settling), 'order')} with an unknown outcome: "
                           "looked up in the books first, and sent only if missing.")
        keys = ["y/enter post"] if plan.ready else []
        if plan.can_force:
            keys.append("f force")
        super().__init__(f"Post {some}{plural(asked, 'order')} to {backend}?", summary,
                         post_warning(plan), " · ".join([*keys, "n/esc go back"]))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            choice = parameters[0] if parameters else None
            return bool(self.plan.ready) if choice == "post" else self.plan.can_force
        return True


def post_warning(plan: PostPlan) -> list[str]:
    """Refused orders and why; detached documents, and that confirming does not force."""
    lines: list[str] = []
    if plan.refused:
        lines.append(f"⚠ {plural(len(plan.refused), 'order')} will be refused:")
        lines += listed(f"  {ref} {why}" for ref, why in plan.refused)
    if plan.detached:
        one = len(plan.detached) == 1
        lines.append(f"⚠ {plural(len(plan.detached), 'order')} "
                     + ("was reset after posting; its document is" if one else
                        "were reset after posting; their documents are")
                     + " still in the books:")
        lines += listed(f"  {ref}: {', '.join(documents)}" for ref, documents in plan.detached)
        count, total = plan.forced_total
        lines.append("Confirming does NOT force: these stay unposted. To post them again "
                     f"anyway, press f ({plural(count, 'order')}, {total} in all; the override "
                     "is recorded as an event).")
    return lines


def stores_line(targets: Sequence[Target]) -> str:
    return ", ".join(f"{name} ({n:,})" for name, n in sorted(stores_of(targets).items()))


def listed(lines: Iterable[str]) -> list[str]:
    """The first :data:`LISTED` lines, then how many more."""
    every = list(lines)
    if len(every) <= LISTED:
        return every
    return [*every[:LISTED], f"  … and {len(every) - LISTED:,} more"]

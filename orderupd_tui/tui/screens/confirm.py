"""The confirmations every action that changes orders, and posting, go through.

Each one names every order it will touch, with enough to recognise it
(customer, total, what its pending change does), because a poll can move
rows under the cursor between a look and a key: a confirmation that only
counts orders lets the reviewer act on one they never saw.  The list is
complete and scrolls (``j``/``k``, arrows, ``g``/``G``, page keys); the
lines above it stay in view and say what else changes:

- a change that brings ``refunded`` or ``cancelled`` is called out, and
  its order is marked ``⚠`` in the list;
- refresh says which pending updates it takes (it accepts them);
- for posted orders, the accounting consequence, naming each document
  and the books it is in.

``y``/``enter`` confirm and ``n``/``esc`` go back.  With ``on_reset: ask``
and posted orders in the batch, the reviewer must choose with ``V`` (void
in the books) or ``K`` (keep there): shift letters, because ``k`` and
``j`` are how people move, and one reflexive ``k`` must never detach a
posting.  Movement keys only ever scroll.

Posting's states the count, the stores and the total, which orders will be
refused and why, and names any earlier document a reset left in the books:
confirming never forces a repost over it; ``F`` does, and only there: a
shift letter again, since a repost over a document still in the books is
the double-post this program exists to prevent (``f`` says which key).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from orderupd_tui.domain import labels
from orderupd_tui.domain.states import Action, OnReset
from orderupd_tui.services.inbox import Target, stores_of
from orderupd_tui.services.postplan import PostPlan

WHAT = {
    Action.ACCEPT: "Re-download each order from its store and replace the local copy.",
    Action.IGNORE: "Keep the local copy; this change will not be raised again.",
    Action.CANCEL: "Mark each order cancelled here; a cancelled order is never posted.",
    Action.REFRESH: "Delete the local copy of each order and download it again.",
    Action.UNCANCEL: "Make each order active again here: a store change its cancel closed comes "
                     "back for review, and it stays unposted until you post it.",
}
NOUN = {Action.ACCEPT: "update", Action.IGNORE: "update", Action.CANCEL: "order",
        Action.REFRESH: "order", Action.UNCANCEL: "order"}
VERB = {Action.UNCANCEL: "Un-cancel"}
#: What doing the action to a change that brings a refund or a cancellation means.
ALARMED = {
    Action.ACCEPT: "accepting takes it into the local copy",
    Action.IGNORE: "ignoring keeps the local copy as it is, though the store says otherwise",
    Action.CANCEL: "the order is cancelled here as well",
    Action.REFRESH: "refreshing takes it into the local copy",
}
#: Widest customer name a list line shows.
CUSTOMER = 18
#: Keys that move the list of orders; they never choose.
SCROLL: list[BindingType] = [
    Binding("j,down", "scroll_list('down')", "Scroll the list down", show=False,
            id="confirm_down"),
    Binding("k,up", "scroll_list('up')", "Scroll the list up", show=False, id="confirm_up"),
    Binding("pagedown", "scroll_list('page_down')", "Page the list down", show=False,
            id="confirm_page_down"),
    Binding("pageup", "scroll_list('page_up')", "Page the list up", show=False,
            id="confirm_page_up"),
    Binding("g,home", "scroll_list('home')", "Top of the list", show=False, id="confirm_top"),
    Binding("G,end", "scroll_list('end')", "End of the list", show=False, id="confirm_end"),
]
SCROLL_KEYS = "j/k g/G scroll"
#: The modal's width (its CSS says the same), for working out how its lines wrap.
WIDTH = 100


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def order_lines(targets: Sequence[Target], action: Action,
                notes: dict[str, str] | None = None,
                among: Sequence[Target] | None = None) -> list[Text]:
    """One line per order: ref, customer, total, and what is about to happen to it
    (its pending change, its document, and ``notes`` by ref); columns as wide as
    ``among`` (default: these orders) needs."""
    every = targets if among is None else among
    width = max((len(t.ref) for t in every), default=0)
    names = min(CUSTOMER, max((len(t.customer) for t in every), default=0))
    money = max((len(f"{t.total:,}") for t in every), default=0)
    lines = []
    for t in targets:
        customer = t.customer if len(t.customer) <= names else t.customer[:names - 1] + "…"
        said = [labels.summary([c.to_dict() for c in t.changes])] if t.changes else []
        if t.posted and action != Action.POST:
            said.append(f"posted as {t.document or 'an unnamed document'}")
        if action == Action.UNCANCEL and t.kept:
            said.append(f"{plural(t.kept, 'earlier document')} still in the books")
        if notes and notes.get(t.ref):
            said.append(notes[t.ref])
        line = Text("⚠ " if t.alarms else "  ", style="bold")
        line.append(f"{t.ref:<{width}}  {customer:<{names}}  {t.total:>{money},} {t.currency:<3}")
        if said:
            line.append("  " + " · ".join(said))
        lines.append(line)
    return lines


def alarm_warning(action: Action, targets: Sequence[Target]) -> list[str]:
    """The line that calls out changes bringing ``refunded`` or ``cancelled``, if any."""
    alarmed = [t for t in targets if t.alarms]
    if not alarmed or action not in ALARMED:
        return []
    counts = Counter(a for t in alarmed for a in t.alarms)
    # Counted apart: "2 changes bring refunded and cancelled" would read as both, twice.
    one = len(alarmed) == 1
    words = " and ".join(f"a {noun}" if one else plural(counts[a], noun) for a, noun in
                         (("refunded", "refund"), ("cancelled", "cancellation")) if counts[a])
    some = (f"1 change (⚠ below) brings {words}" if one else
            f"{len(alarmed):,} changes (⚠ below) bring {words}")
    then = ""
    if action == Action.IGNORE:
        # Ignoring touches no books: a posted order's document goes on counting the sale.
        posted = sum(t.posted for t in alarmed)
        then = (", and the order can then be posted as it was" if not posted else
                ("; the document already posted stays" if posted == 1 else
                 f"; the {posted:,} documents already posted stay")
                + " in the books, counting the sale as it was")
    return [f"⚠ {some}: {ALARMED[action]}{then}."]


def taken_updates(action: Action, targets: Sequence[Target]) -> list[str]:
    """What else a refresh changes: the pending updates it takes, how many and of what kinds."""
    pending = [t for t in targets if t.pending]
    if action != Action.REFRESH or not pending:
        return []
    kinds = Counter(k for t in pending for k in t.kinds)
    counted = ", ".join(f"{labels.kind_label(k)} {n:,}" for k, n in kinds.most_common())
    return [f"It also takes {plural(len(pending), 'pending update')} ({counted}): each is "
            "accepted with the fresh copy; their orders show the change below."]


def recommends_void(action: Action, targets: Sequence[Target]) -> bool:
    """Whether to recommend voiding posted documents: the sale is cancelled, here or by the
    store in a change this action takes (accept and refresh take the pending change)."""
    if action == Action.CANCEL:
        return True
    return action in (Action.ACCEPT, Action.REFRESH) and any(
        t.posted and "cancelled" in t.alarms for t in targets)


def posted_warning(action: Action, targets: Sequence[Target], on_reset: str,
                   books: str) -> list[str]:
    """The lines that warn about posted orders, or none when the action leaves books alone.

    They say, in plain words, what void and keep each do to a document in
    ``books`` (the configured backend), and recommend voiding on cancel:
    a cancelled order's sale should not stay counted in the books.
    """
    posted = [t for t in targets if t.posted]
    if not action.resets_books or not posted:
        return []
    one = len(posted) == 1
    lines = [f"⚠ {plural(len(posted), 'posted order')}: the accounting state will be reset "
             f"({'its document is' if one else 'their documents are'} named first below)."]
    cancel = recommends_void(action, targets)
    kept = (f"stays in {books} and still counts the sale; void it there yourself"
            if cancel else
            f"stays in {books}; reposting is blocked until it is voided there or you force it")
    if on_reset == OnReset.VOID:
        lines.append(f"Configured (on_reset: void): each document will be voided in {books}.")
    elif on_reset == OnReset.KEEP:
        lines.append(f"Configured (on_reset: keep): each document {kept}.")
    elif cancel:
        lines.append(f"V void (recommended): the document is voided in {books}, so the books "
                     "no longer count a sale that was cancelled"
                     + ("." if action == Action.CANCEL else " (by the store, for ⚠ below)."))
        lines.append(f"K keep: the document {kept}.")
    else:
        lines.append(f"V void: the document is voided in {books}; post the order again once "
                     "it is right.")
        lines.append(f"K keep: the document {kept}.")
    return lines


class Confirmation(ModalScreen[str | None]):
    """A modal that states what is about to happen; dismissed with a choice, or None.

    The lines above the list and the keys below it always show; the list of
    orders takes what height is left and scrolls.
    """

    DEFAULT_CSS = """
    Confirmation { align: center middle; }
    Confirmation > Vertical {
        width: 100; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    Confirmation #confirm-title { text-style: bold; }
    Confirmation #confirm-warning { color: $text-warning; text-style: bold; }
    Confirmation #confirm-list { height: auto; margin-top: 1; }
    Confirmation #confirm-keys { margin-top: 1; color: $text-muted; }
    """

    def __init__(self, title: str, summary: list[str], warning: list[str], listing: list[Text],
                 keys: str) -> None:
        super().__init__()
        self.title_line = title
        self.summary_lines = summary
        self.warning_lines = warning
        self.listing = listing
        self.keys_line = keys

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_line, id="confirm-title")
            yield Static(Text("\n".join(self.summary_lines)), id="confirm-summary")
            if self.warning_lines:
                yield Static(Text("\n".join(self.warning_lines)), id="confirm-warning")
            with VerticalScroll(id="confirm-list", can_focus=False):
                yield Static(Text("\n").join(self.listing), id="confirm-orders")
            yield Static(self.keys_line, id="confirm-keys")

    def on_resize(self, event: events.Resize) -> None:
        self._fit_list(event.size.width, event.size.height)

    def _fit_list(self, width: int, height: int) -> None:
        """A list too long for the terminal takes exactly the height the other lines leave
        (so they and the keys always show) and scrolls; a short one takes what it needs."""
        inner = min(WIDTH, width) - 4  # the border and the padding
        console = self.app.console
        texts = [Text(self.title_line), Text("\n".join(self.summary_lines)),
                 Text("\n".join(self.warning_lines)), Text(self.keys_line), *self.listing]
        needed = 2 + 2 + sum(len(t.wrap(console, inner)) for t in texts if t.plain)
        self.query_one("#confirm-list", VerticalScroll).styles.height = (
            "1fr" if needed > height else "auto")

    def action_scroll_list(self, how: str) -> None:
        body = self.query_one("#confirm-list", VerticalScroll)
        getattr(body, f"scroll_{how}")(animate=False)

    def action_choose(self, choice: str) -> None:
        why = self.refusal(choice)
        if why:
            self.notify(why, severity="warning", timeout=5)
        else:
            self.dismiss(choice)

    def refusal(self, choice: str) -> str | None:
        """Why ``choice`` does not apply here, in one line; None when it does."""
        return None

    def action_go_back(self) -> None:
        self.dismiss(None)


class ConfirmScreen(Confirmation):
    """Dismissed with ``"confirm"``, ``"void"``, ``"keep"``, or None to go back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "choose('confirm')", "Confirm", id="confirm"),
        Binding("V", "choose('void')", "Void the documents in the books and continue",
                id="void_continue"),
        Binding("K", "choose('keep')", "Keep the documents in the books and continue",
                id="keep_continue"),
        Binding("v", "choose('v')", "Say which key voids", show=False, id="void_hint"),
        Binding("n,escape", "go_back", "Go back", id="go_back"),
        *SCROLL,
    ]

    def __init__(self, action: Action, targets: Sequence[Target], on_reset: str,
                 backend: str) -> None:
        # Posted orders with posting turned off: their documents are in books no longer named.
        books = "the books" if backend == "none" else backend
        posted = posted_warning(action, targets, on_reset, books)
        self.must_choose = bool(posted) and on_reset == OnReset.ASK
        self.books = books
        summary = [f"Stores: {stores_line(targets)}", WHAT[action],
                   *taken_updates(action, targets)]
        pending = sum(t.pending for t in targets)
        if action == Action.CANCEL and pending:
            summary.append(f"It also closes {plural(pending, 'pending update')} (listed below); "
                           "un-cancel (C) raises a closed store change again.")
        if action == Action.UNCANCEL and any(t.kept for t in targets):
            summary.append("An earlier document kept in the books still blocks a repost until "
                           "it is voided there or you force it.")
        if self.must_choose:
            recommended = " (recommended)" if recommends_void(action, targets) else ""
            keys = (f"V void in {books}{recommended} · K keep in {books} · n/esc go back · "
                    f"{SCROLL_KEYS}")
        else:
            keys = f"y/enter confirm · n/esc go back · {SCROLL_KEYS}"
        verb = VERB.get(action, action.capitalize())
        # What the warnings are about comes first: a posted or alarming order is never
        # one line among hundreds at the far end of the list.
        first = sorted(targets, key=lambda t: (not t.posted, not t.alarms, not t.pending))
        super().__init__(f"{verb} {plural(len(targets), NOUN[action])}?", summary,
                         [*alarm_warning(action, targets), *posted],
                         order_lines(first, action), keys)

    def refusal(self, choice: str) -> str | None:
        if choice == "confirm" and self.must_choose:
            return (f"choose what happens to the documents: V voids them in {self.books}, "
                    "K keeps them")
        if choice == "v":
            return ("V (shift+v) voids and continues" if self.must_choose
                    else "nothing to void here: y confirms")
        if choice in ("void", "keep") and not self.must_choose:
            return "nothing to choose here: y confirms, n goes back"
        return None


class PostConfirmScreen(Confirmation):
    """Dismissed with ``"post"``, ``"force"`` (repost over detached documents), or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "choose('post')", "Post", id="confirm"),
        Binding("F", "choose('force')", "Force: post over an earlier document", id="force"),
        Binding("f", "choose('f')", "Say which key forces", show=False, id="force_hint"),
        Binding("n,escape", "go_back", "Go back", id="go_back"),
        *SCROLL,
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
            keys.append("F force")
        super().__init__(f"Post {some}{plural(asked, 'order')} to {backend}?", summary,
                         post_warning(plan), post_lines(plan),
                         " · ".join([*keys, "n/esc go back", SCROLL_KEYS]))

    def refusal(self, choice: str) -> str | None:
        if choice == "post" and not self.plan.ready:
            return "nothing to post without forcing: F forces, n goes back"
        if choice == "f":
            return ("F (shift+f) forces the repost" if self.plan.can_force
                    else "nothing to force: no order has an earlier document in the books")
        if choice == "force" and not self.plan.can_force:
            return "nothing to force: no order has an earlier document in the books"
        return None


def post_warning(plan: PostPlan) -> list[str]:
    """How many are refused; detached documents, and that confirming does not force."""
    lines: list[str] = []
    if plan.refused:
        lines.append(f"⚠ {plural(len(plan.refused), 'order')} will be refused "
                     "(named below, with why).")
    if plan.detached:
        one = len(plan.detached) == 1
        lines.append(f"⚠ {plural(len(plan.detached), 'order')} "
                     + ("was reset after posting; its document is" if one else
                        "were reset after posting; their documents are")
                     + " still in the books (named below).")
        count, total = plan.forced_total
        lines.append("Confirming does NOT force: these stay unposted. To post them again "
                     f"anyway, press F ({plural(count, 'order')}, {total} in all; the override "
                     "is recorded as an event).")
    return lines


def post_lines(plan: PostPlan) -> list[Text]:
    """Every order asked for, in three groups: to be posted, still in the books, refused."""
    by_ref = {t.ref: t for t in plan.targets}
    lines: list[Text] = []

    def group(title: str, refs: Sequence[str], notes: dict[str, str]) -> None:
        if not refs:
            return
        if lines:
            lines.append(Text(""))
        lines.append(Text(f"{title} ({len(refs):,}):", style="bold"))
        lines.extend(order_lines([by_ref[r] for r in refs], Action.POST, notes, plan.targets))

    settling = set(plan.settling)
    group("To be posted", [r for r in plan.ready if r in by_ref],
          {r: "outcome unknown: looked up first" for r in settling})
    group("Earlier document still in the books", [r for r, _ in plan.detached if r in by_ref],
          {r: ", ".join(documents) for r, documents in plan.detached})
    group("Refused", [r for r, _ in plan.refused if r in by_ref],
          dict(plan.refused))
    return lines


def stores_line(targets: Sequence[Target]) -> str:
    return ", ".join(f"{name} ({n:,})" for name, n in sorted(stores_of(targets).items()))

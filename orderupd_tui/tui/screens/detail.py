"""One order in full: its fields, the pending update as an old → new diff, and its history.

``r``, ``a``, ``i``, ``c``, ``C`` and ``p`` work here too, through the same
confirmations as in the panes (posted to the App as intents): the Footer
offers those the order as shown admits, and one pressed anyway still goes
to the App, which says why not in one line.  The detail is read in a
worker, and again whenever the database changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Static

from orderupd_tui.domain.labels import (
    ARROW,
    LineChange,
    LineDelta,
    event_label,
    field_label,
    line_diff,
    value_label,
)
from orderupd_tui.domain.states import (
    REVIEW,
    AccountingState,
    Action,
    BooksState,
    LocalStatus,
    PostingState,
)
from orderupd_tui.errorlog import log_unexpected
from orderupd_tui.services.inbox import Detail
from orderupd_tui.tui.context import Context, in_background
from orderupd_tui.tui.messages import (
    ActionRequested,
    DataChanged,
    DetailLoaded,
    LoadFailed,
    PostRequested,
)
from orderupd_tui.tui.screens.whynot import WhyNotScreen
from orderupd_tui.tui.widgets.status import StatusBar


def shown_time(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone().strftime(
        "%Y-%m-%d %H:%M")


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


#: An earlier posting's state as the Inbox row names it.
EARLIER = {PostingState.DETACHED: f"{BooksState.KEPT}: still in the books",
           PostingState.VOIDED: f"{BooksState.VOIDED}"}


def books_line(accounting: dict[str, Any]) -> str:
    """The books state in the Inbox row's words (``kept``), and what it means."""
    states = {p["state"] for p in accounting["previous"]}
    books = BooksState.of(accounting["state"], kept=PostingState.DETACHED in states,
                          voided=PostingState.VOIDED in states)
    line = str(books) + (f" as {accounting['ref']}" if accounting["ref"] else "")
    if accounting["posted_at"]:
        line += f" on {shown_time(accounting['posted_at'])}"
    if books == BooksState.KEPT:
        line += ": an earlier document stays in the books; reposting is blocked until it is " \
                "voided there or you force it"
    return line


def fields_table(detail: Detail) -> Table:
    order, fields = detail.order, detail.fields
    accounting = order["accounting"]
    rows: list[tuple[str, str]] = [
        ("Order", f"{order['ref']}  (remote id {order['remote_id']})"),
        ("Created", shown_time(order["created_at"])),
        ("Updated", shown_time(order["updated_at"])),
        ("Customer", " ".join(p for p in (order["customer"], f"<{order['email']}>"
                                          if order["email"] else "") if p)),
        ("Total", f"{order['total']} {order['currency']}  (subtotal {fields.get('subtotal')}, "
                  f"tax {fields.get('tax')}, shipping {fields.get('shipping')}, "
                  f"discount {fields.get('discount')}, refunded {fields.get('refunded')})"),
        ("Payment", value_label("payment_status", order["payment_status"])),
        ("Fulfilment", value_label("fulfillment_status", order["fulfillment_status"])),
        ("Status", f"{value_label('order_status', order['order_status'])} "
                   f"(store says {order['platform_status'] or '—'})"
                   + ("; cancelled here" if order["local_status"] == LocalStatus.CANCELLED
                      else "")),
        ("Accounting", books_line(accounting)),
        ("Pending", "yes: an update waits for review" if order["pending_update"] else "no"),
    ]
    for previous in accounting["previous"]:
        rows.append(("Earlier", f"{previous['ref']} {EARLIER[previous['state']]}"
                               f" (posted {shown_time(previous['posted_at'])})"))
    shipping = fields.get("shipping_address") or {}
    if shipping:
        rows.append(("Ship to", ", ".join(str(v) for k, v in shipping.items()
                                           if v and k != "phone")))
    if fields.get("note"):
        rows.append(("Note", str(fields["note"])))
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column("field", style="bold", no_wrap=True, width=11)
    table.add_column("value", overflow="fold")
    for name, value in rows:
        table.add_row(name, value)
    return table


def lines_table(fields: dict[str, Any]) -> Table:
    table = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
    table.add_column("SKU", no_wrap=True)
    table.add_column("Item", overflow="ellipsis", no_wrap=True, ratio=1)
    table.add_column("Qty", justify="right")
    table.add_column("Price", justify="right")
    table.add_column("Total", justify="right")
    for line in fields.get("line_items") or []:
        table.add_row(line["sku"], line["title"], str(line["quantity"]), line["unit_price"],
                      line["total"])
    return table


def diff_table(update: dict[str, Any], old_fields: dict[str, Any],
               new_fields: dict[str, Any] | None) -> RenderableType:
    """The pending update: each changed field by its label, old → new; line items as a
    per-line diff (added, removed and changed lines) under the table."""
    table = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
    table.add_column("Change", no_wrap=True, style="bold")
    table.add_column("Was", ratio=1, overflow="fold")
    table.add_column("", width=1)
    table.add_column("Now", ratio=1, overflow="fold")
    lines: list[LineChange] | None = None
    for change in update["changes"]:
        field = change["field"]
        if field == "line_items" and new_fields is not None:
            lines = line_diff(old_fields.get("line_items"), new_fields.get("line_items"))
            continue
        table.add_row(field_label(field), Text(value_label(field, change["old"]), style="strike"),
                      ARROW, Text(value_label(field, change["new"]), style="bold"))
    parts: list[RenderableType] = [table] if table.row_count else []
    if lines is not None:
        parts.append(Text(f" {field_label('line_items')}", style="bold"))
        parts += [Text(f"   {line}", style=LINE_STYLES[line.delta]) for line in lines]
    return Group(*parts)


#: How each kind of line change is drawn; the sign says it without colour too.
LINE_STYLES = {LineDelta.ADDED: "bold", LineDelta.REMOVED: "strike", LineDelta.CHANGED: ""}


def history_tables(history: dict[str, Any]) -> list[RenderableType]:
    parts: list[RenderableType] = []
    if history["postings"]:
        postings = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
        for column in ("Document", "State", "Amount", "Posted", "Settled", "Backend"):
            postings.add_column(column, no_wrap=True)
        for p in history["postings"]:
            state = Text(p["state"], style="bold" if p["state"] in (PostingState.DETACHED,
                                                                      PostingState.VOIDED)
                         else "")
            postings.add_row(p["document_ref"] or p["posting_id"], state,
                             f"{p['amount']} {p['currency']}", shown_time(p["posted_at"]),
                             shown_time(p["settled_at"]), p["backend"])
        parts += [Text("Postings", style="italic"), postings]
    events = Table(box=None, padding=(0, 1), expand=True, header_style="bold")
    events.add_column("When", no_wrap=True)
    events.add_column("Who", no_wrap=True)
    events.add_column("What", no_wrap=True)
    events.add_column("Detail", ratio=1, overflow="fold")
    for e in history["events"]:
        events.add_row(shown_time(e["at"]), e["actor"], event_label(e["action"]), e["detail"])
    if not history["events"]:
        events.add_row("", "", "no events yet", "")
    parts += [Text("Events", style="italic"), events]
    return parts


#: What a key of the panes is for, where this screen says it works (in the panes).
PANES_ONLY = {
    "marks": "marks are made in the Inbox and Updates panes",
    "view": "the filter and the sort are in the Inbox and Updates panes",
    "panes": "this is one order's detail; the Inbox and Updates are the panes",
    "set_aside": "the orders set aside open from the Inbox and Updates panes (e)",
}
#: The panes' keys for each (as the panes bind them; the user's keymap may add others).
PANES_ONLY_KEYS = {"marks": "space,asterisk,U", "view": "slash,o,O",
                   "panes": "1,2,tab,shift+tab,enter", "set_aside": "e"}


class DetailScreen(WhyNotScreen):
    """The detail of one order; ``esc`` goes back to the panes.

    The keys of the panes that have no meaning for one order (marks, the
    filter and sort, the panes themselves, the orders set aside) are bound
    here too, never offered, so that pressing one says where it works
    rather than nothing.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", id="back"),
        Binding("r", f"act('{Action.REFRESH}')", "Refresh", id="detail_refresh"),
        Binding("a", f"act('{Action.ACCEPT}')", "Accept", id="detail_accept"),
        Binding("i", f"act('{Action.IGNORE}')", "Ignore", id="detail_ignore"),
        Binding("c", f"act('{Action.CANCEL}')", "Cancel", id="detail_cancel"),
        Binding("C", f"act('{Action.UNCANCEL}')", "Un-cancel", id="detail_uncancel"),
        Binding("p", "post", "Post", id="detail_post"),
        Binding("down,j", "scroll('down')", "Scroll down", show=False, id="detail_down"),
        Binding("up,k", "scroll('up')", "Scroll up", show=False, id="detail_up"),
        Binding("pagedown", "scroll('page_down')", "Page down", show=False,
                id="detail_page_down"),
        Binding("pageup", "scroll('page_up')", "Page up", show=False, id="detail_page_up"),
        Binding("home,g", "scroll('home')", "Top of the order", show=False, id="detail_top"),
        Binding("end,G", "scroll('end')", "End of the order", show=False, id="detail_end"),
        *(Binding(keys, f"in_panes('{what}')", PANES_ONLY[what], show=False,
                  id=f"detail_{what}") for what, keys in PANES_ONLY_KEYS.items()),
    ]

    def __init__(self, context: Context, order_id: int) -> None:
        super().__init__()
        self.context = context
        self.order_id = order_id
        self.detail: Detail | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(" reading the order…", style="bold"), id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield Static(id="detail-content")
        yield StatusBar(self.context.status, id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        """Read the order in the background; :meth:`on_detail_loaded` shows it."""
        inbox, order_id, secrets = self.context.inbox, self.order_id, self.context.secrets

        def read() -> DetailLoaded:
            try:
                return DetailLoaded(order_id, inbox.detail(order_id))
            except LookupError as exc:  # removed meanwhile (by another process)
                return DetailLoaded(order_id, None, str(exc))
            except Exception:
                return DetailLoaded(order_id, None, log_unexpected(secrets))

        in_background(self, self.context, "detail", read)

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        title = self.query_one("#detail-title", Static)
        if message.detail is None:
            title.update(Text(f" order {message.order_id}: {message.error}", style="bold"))
            return
        detail = self.detail = message.detail
        order = detail.order
        line = f" {order['ref']} · {order['customer'] or 'no name'} · {order['total']} " \
               f"{order['currency']}"
        if order["pending_update"]:
            line += " · pending update"
        title.update(Text(line, style="bold"))
        parts: list[RenderableType] = [_section("Order"), fields_table(detail)]
        if detail.update is not None:
            update = detail.update
            parts += [_section(f"Pending update · detected {shown_time(update['detected_at'])}"
                               f" · from {update['source']}"),
                      diff_table(update, detail.fields, detail.new_fields)]
        parts += [_section("Lines"), lines_table(detail.fields)]
        parts += [_section("History"), *history_tables(detail.history)]
        self.query_one("#detail-content", Static).update(Group(*parts))
        self.refresh_bindings()

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(message.error, title="database", severity="error", timeout=8)

    def on_data_changed(self, message: DataChanged) -> None:
        self.load()

    def why_not(self, action: str, parameters: tuple[object, ...]) -> str | None:
        """Only the keys of the panes: an action on this order goes to the App, which reads
        the order again and says why not (``main:1003 has no pending update``)."""
        if action == "in_panes":
            return f"{PANES_ONLY[str(parameters[0])]}: esc goes back to them"
        return None

    def offers(self, action: str, parameters: tuple[object, ...]) -> bool:
        """An action the order as shown admits: the Footer hides the rest, and hides the
        actions until the order is read."""
        if action not in ("act", "post"):
            return super().offers(action, parameters)
        if self.detail is None:
            return False
        order = self.detail.order
        by_store = order["order_status"] == LocalStatus.CANCELLED
        here = order["local_status"] == LocalStatus.CANCELLED
        if action == "post":
            return not (order["pending_update"] or by_store or here
                        or order["accounting"]["state"] == AccountingState.POSTED)
        if parameters and parameters[0] in REVIEW:
            return bool(order["pending_update"])
        if parameters and parameters[0] == Action.UNCANCEL:
            return here and not by_store
        return True

    def action_act(self, action: str) -> None:
        self.post_message(ActionRequested(Action(action), [self.order_id]))

    def action_post(self) -> None:
        self.post_message(PostRequested([self.order_id]))

    def action_in_panes(self, what: str) -> None:
        self.refused("in_panes", what)

    def action_scroll(self, how: str) -> None:
        body = self.query_one("#detail-body", VerticalScroll)
        getattr(body, f"scroll_{how}")(animate=False)

"""Pilot tests: every key of the app, on a real database filled from the demo store."""

from __future__ import annotations

import asyncio
import io
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from textual.color import Color
from textual.command import CommandPalette
from textual.pilot import Pilot

from orderupd_tui.config import Settings
from orderupd_tui.db.models import Event, Order, Posting
from orderupd_tui.demo.process import DemoProcess
from orderupd_tui.services import review, sync
from orderupd_tui.services.session import Session
from orderupd_tui.tui.app import OrderApp
from orderupd_tui.tui.screens.confirm import ConfirmScreen, PostConfirmScreen
from orderupd_tui.tui.screens.detail import DetailScreen
from orderupd_tui.tui.screens.help import HelpScreen
from orderupd_tui.tui.screens.main import MainScreen
from orderupd_tui.tui.widgets.columns import CANCELLED_GLYPH, PENDING_GLYPH
from orderupd_tui.tui.widgets.table import VirtualTable
from tests.accounting.conftest import run_bean_check
from tests.tui.conftest import (
    change_orders,
    make_settings,
    order_id,
    order_state,
    post_order,
    post_then_change,
    quiet,
)

pytestmark = pytest.mark.anyio

SIZE = (120, 36)


def app_for(session: Session) -> OrderApp:
    return OrderApp(session, cursor_blink=False)


def main_of(app: OrderApp) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def table(app: OrderApp, pane: str = "inbox") -> VirtualTable:
    return main_of(app).query_one(f"#{pane}", VirtualTable)


def line(app: OrderApp, y: int, pane: str = "inbox") -> str:
    return table(app, pane).render_line(y).text


def counts(app: OrderApp) -> str:
    return text_of(main_of(app).query_one("#counts"))


def status(app: OrderApp) -> str:
    return text_of(main_of(app).query_one("#status"))


def text_of(widget: Any) -> str:
    """What a Static shows, as plain text (its content may be any Rich renderable)."""
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def confirm_text(app: OrderApp) -> str:
    screen = app.screen
    assert isinstance(screen, ConfirmScreen | PostConfirmScreen)
    return "\n".join(text_of(w) for w in screen.query("Static"))


async def settle(pilot: Pilot[Any]) -> None:
    """Let workers finish and their messages be handled."""
    await quiet(pilot.app)
    await pilot.pause()
    await pilot.pause()


def notifications(app: OrderApp) -> list[str]:
    return [n.message for n in app._notifications]


# -- the inbox ------------------------------------------------------------------------------


async def test_inbox_lists_orders_newest_first_with_counts(demo: DemoProcess,
                                                           session: Session) -> None:
    stored = len(demo.control.orders())
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        inbox = table(app)
        assert inbox.total == stored
        assert f"orders shown {stored} / {stored} · pending 0 · marked 0" in counts(app)
        header = line(app, 0)
        for title in ("Order", "Store", "Date↓", "Customer", "Total", "Payment", "Fulfilment",
                      "Accounting"):
            assert title in header
        dates = [row.created_at for row in inbox.visible_rows()]
        assert dates == sorted(dates, reverse=True)
        assert app.focused is inbox


async def test_pending_rows_are_dimmed_with_a_glyph_and_cancelled_rows_distinct(
        demo: DemoProcess, session: Session) -> None:
    pending = change_orders(demo, session, "edit_note", 2)
    cancelled = demo.control.orders(cancelled=True)
    app = app_for(session)
    async with app.run_test(size=(120, 60)) as pilot:  # every order on screen
        await pilot.pause()
        inbox = table(app)
        rows = {f"{r.store}:{r.number}": (i, r) for i, r in enumerate(inbox.visible_rows())}
        for ref in pending:
            position, row = rows[ref]
            assert row.pending
            strip = inbox.render_line(position + 1)
            assert strip.text.lstrip().startswith(PENDING_GLYPH)
            pending_colour = Color.parse(app.get_css_variables()["pending-foreground"])
            assert any(seg.style and seg.style.color == pending_colour.rich_color for seg in strip)
        assert "pending 2" in counts(app)
        for order in cancelled:
            ref = f"main:{order['order_number']}"
            if ref in rows:
                position, row = rows[ref]
                strip = inbox.render_line(position + 1)
                assert CANCELLED_GLYPH in strip.text
                assert any(seg.style and seg.style.strike for seg in strip)


async def test_moving_keys(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=(120, 20)) as pilot:
        await pilot.pause()
        inbox = table(app)
        page = inbox.page_height
        await pilot.press("j", "down")
        assert inbox.cursor == 2
        await pilot.press("k")
        assert inbox.cursor == 1
        await pilot.press("up")
        assert inbox.cursor == 0
        await pilot.press("pagedown")
        assert inbox.cursor == page
        await pilot.press("pageup")
        assert inbox.cursor == 0
        last = inbox.total - 1
        await pilot.press("G")
        assert inbox.cursor == last
        assert inbox.current_row.number == inbox.listing.before(None, 1)[0].number
        await pilot.press("g")
        assert inbox.cursor == 0
        await pilot.press("end")
        assert inbox.cursor == last
        await pilot.press("home")
        assert inbox.cursor == 0


async def test_pane_keys_and_the_updates_pane(demo: DemoProcess, session: Session) -> None:
    refs = change_orders(demo, session, "capture_payment", 2)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = main_of(app)
        await pilot.press("2")
        assert main.active == "updates"
        assert app.focused is table(app, "updates")
        rows = table(app, "updates").visible_rows()
        assert sorted(r.ref for r in rows) == sorted(refs)
        assert all(r.summary.startswith("Payment: ") and r.summary.endswith("→ paid")
                   for r in rows)
        assert "Payment: " in line(app, 1, "updates")
        await pilot.press("1")
        assert main.active == "inbox"
        await pilot.press("tab")
        assert main.active == "updates"
        await pilot.press("tab")
        assert main.active == "inbox"


async def test_enter_opens_the_detail_with_diff_and_history(demo: DemoProcess,
                                                            session: Session) -> None:
    [ref] = change_orders(demo, session, "capture_payment", 1)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "enter")
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        assert screen.order_id == order_id(ref)
        content = text_of(screen.query_one("#detail-content"))
        assert "Pending update" in content
        assert "Payment: " in content and "→ paid" in content
        assert "payment_status" not in content  # the change and its history, in the app's words
        assert "update detected" in content  # the history's event
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


# -- marks and batches ----------------------------------------------------------------------


async def test_space_marks_and_moves_star_marks_all_and_U_unmarks(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        inbox = table(app)
        first = inbox.current_row.id
        await pilot.press("space")
        assert inbox.cursor == 1
        assert main_of(app).marks == {first}
        assert line(app, 1).startswith("*")
        assert "marked 1" in counts(app)
        await pilot.press("space")
        assert len(main_of(app).marks) == 2
        await pilot.press("asterisk")
        assert len(main_of(app).marks) == inbox.total
        await pilot.press("U")
        assert main_of(app).marks == set()
        assert "marked 0" in counts(app)


async def test_accept_marked_updates_confirmed(demo: DemoProcess, session: Session) -> None:
    refs = change_orders(demo, session, "edit_note", 3)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "space", "space", "space", "a")
        assert isinstance(app.screen, ConfirmScreen)
        text = confirm_text(app)
        assert "Accept 3 updates?" in text
        assert "Stores: main (3)" in text
        assert "posted" not in text
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert any("3 accepted" in n for n in notifications(app))
        assert main_of(app).marks == set()
        assert all(not order_state(ref)["pending_update"] for ref in refs)
        assert table(app, "updates").total == 0
        assert "pending 0" in counts(app)


@pytest.mark.parametrize("key", ["n", "escape"])
async def test_a_cancelled_modal_changes_nothing(demo: DemoProcess, session: Session,
                                                 key: str) -> None:
    [ref] = change_orders(demo, session, "edit_note", 1)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "c")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Cancel 1 order?" in confirm_text(app)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        state = order_state(ref)
        assert state["pending_update"] and state["local_status"] == "active"


async def test_ignore_and_cancel_confirmed_with_enter(demo: DemoProcess,
                                                      session: Session) -> None:
    ignored, cancelled = change_orders(demo, session, "edit_note", 2)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2")
        updates = table(app, "updates")
        refs = [r.ref for r in updates.visible_rows()]
        await pilot.press(*["j"] * refs.index(ignored), "i")
        assert "Ignore 1 update?" in confirm_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert not order_state(ignored)["pending_update"]
        assert order_state(ignored)["local_status"] == "active"
        await pilot.press("g", "c", "enter")
        await settle(pilot)
        assert order_state(cancelled)["local_status"] == "cancelled"
        assert updates.total == 0


async def test_r_refreshes_the_order_under_the_cursor(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        row = table(app).current_row
        await pilot.press("r")
        assert "Refresh 1 order?" in confirm_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert any("1 refreshed" in n for n in notifications(app))
        actions = [e.action for e in Event.select().where(Event.order == row.id)]
        assert "refresh" in actions


async def test_posted_order_warning_names_the_document_and_keep_detaches(
        demo: DemoProcess, session: Session) -> None:
    ref, document = post_then_change(demo, session, "capture_payment")
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2")
        assert document[-6:] in line(app, 1, "updates")
        await pilot.press("a")
        text = confirm_text(app)
        assert "1 posted order: the accounting state will be reset" in text
        assert f"posted as {document}" in text and ref in text
        assert "reposting is blocked until it is voided there or you force it" in text
        assert "V void in beancount · K keep in beancount · n/esc go back" in text
        await pilot.press("y")  # not enough: on_reset is ask, a choice is needed
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("K")
        await settle(pilot)
        state = order_state(ref)
        assert not state["pending_update"]
        assert state["accounting"]["state"] == "unposted"
        posting = Posting.get(Posting.order == order_id(ref))
        assert (posting.state, posting.document_ref) == ("detached", document)


async def test_void_and_continue_voids_the_document(demo: DemoProcess,
                                                    session: Session) -> None:
    ref, document = post_then_change(demo, session, "edit_note")
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "c")
        assert f"posted as {document}" in confirm_text(app)
        await pilot.press("V")
        await settle(pilot)
        assert any("1 cancelled" in n for n in notifications(app))
        posting = Posting.get(Posting.order == order_id(ref))
        assert posting.state == "voided"
        assert order_state(ref)["local_status"] == "cancelled"


async def test_posted_warning_with_on_reset_keep_confirms_with_y(
        demo: DemoProcess, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, demo.url, demo.token,
                             accounting={"backend": "beancount", "on_reset": "keep",
                                         "path": str(tmp_path / "books.beancount")})
    with Session(settings, actor="reviewer") as session:
        sync.poll_once(session)
        ref = table_row_ref(session)
        document = post_order(session, ref)
        app = app_for(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("r")
            text = confirm_text(app)
            assert ref in text and f"posted as {document}" in text
            assert "on_reset: keep" in text
            assert "y/enter confirm · n/esc go back" in text
            await pilot.press("y")
            await settle(pilot)
            assert order_state(ref)["accounting"]["state"] == "unposted"


def table_row_ref(session: Session) -> str:
    """The newest order that can be posted."""
    return str(next(r.ref for r in table_rows(session) if not r.cancelled and not r.pending))


def table_rows(session: Session) -> list[Any]:
    """The first screenful of the inbox, newest first."""
    from orderupd_tui.services.inbox import Inbox, View

    return Inbox(session.db).orders(View()).after(None, 25)


async def test_failed_orders_stay_marked(demo: DemoProcess, session: Session) -> None:
    change_orders(demo, session, "edit_note", 2)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "asterisk")
        marked = set(main_of(app).marks)
        assert len(marked) == 2
        demo.control.fault(500, count=20)
        try:
            await pilot.press("a", "y")
            await settle(pilot)
        finally:
            demo.control.clear_faults()
        summary = next(n for n in notifications(app) if "accepted" in n)
        assert summary.startswith("0 accepted, 2 failed: main:")
        assert main_of(app).marks == marked
        assert table(app, "updates").total == 2


async def test_actions_work_from_the_detail_screen(demo: DemoProcess, session: Session) -> None:
    [ref] = change_orders(demo, session, "edit_note", 1)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "enter")
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("a")
        assert "Accept 1 update?" in confirm_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "Pending update" not in text_of(app.screen.query_one("#detail-content"))
        assert not order_state(ref)["pending_update"]


# -- posting --------------------------------------------------------------------------------


async def to_row(pilot: Pilot[Any], ref: str) -> None:
    """Put the inbox cursor on the order ``ref`` (among the first screenful)."""
    app = pilot.app
    assert isinstance(app, OrderApp)
    refs = [r.ref for r in table(app).visible_rows()]
    await pilot.press(*["j"] * refs.index(ref))
    assert table(app).current_row.ref == ref


async def test_p_posts_the_order_under_the_cursor_to_the_ledger(
        session: Session, settings: Settings) -> None:
    ref = table_row_ref(session)
    order = order_state(ref)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await to_row(pilot, ref)
        await pilot.press("p")
        await settle(pilot)
        text = confirm_text(app)
        assert "Post 1 order to beancount?" in text
        assert "Stores: main (1)" in text
        assert f"Total: {order['total']} {order['currency']}" in text
        assert "refused" not in text and "y/enter post · n/esc go back" in text
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert "1 posted" in notifications(app)
        state = order_state(ref)["accounting"]
        assert state["state"] == "posted" and state["ref"]
        assert table(app).current_row.ref == ref
        assert state["ref"][-6:] in line(app, table(app).cursor + 1)
    ledger = settings.accounting.options["path"]
    journal = Path(ledger).read_text(encoding="utf-8")
    assert f'order_ref: "{ref}"' in journal and f'posting_id: "{state["ref"]}"' in journal
    run_bean_check(Path(ledger))


@pytest.mark.parametrize("key", ["n", "escape"])
async def test_p_cancelled_posts_nothing(session: Session, key: str) -> None:
    ref = table_row_ref(session)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await to_row(pilot, ref)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PostConfirmScreen)
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert order_state(ref)["accounting"]["state"] == "unposted"
        assert Posting.select().count() == 0


async def test_p_on_a_pending_order_is_refused_and_it_stays_marked(
        demo: DemoProcess, session: Session) -> None:
    [ref] = change_orders(demo, session, "edit_note", 1)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "space", "p")  # marked in Updates: p posts the marks there
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)  # nothing could be posted: no modal
        assert any(f"nothing to post: {ref} has a pending update" in n
                   for n in notifications(app))
        assert main_of(app).marks == {order_id(ref)}
        assert order_state(ref)["accounting"]["state"] == "unposted"


async def test_p_posts_the_marked_orders_and_the_refused_one_stays_marked(
        demo: DemoProcess, session: Session) -> None:
    [pending] = change_orders(demo, session, "edit_note", 1)
    ready = next(r.ref for r in table_rows(session) if r.ref != pending and not r.cancelled
                 and not r.pending)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main_of(app).marks.update({order_id(pending), order_id(ready)})
        await pilot.press("p")
        await settle(pilot)
        text = confirm_text(app)
        assert "Post 1 of 2 orders to beancount?" in text
        assert "⚠ 1 order will be refused (named below, with why)." in text
        assert "has a pending update: review it before posting" in next(
            x for x in text.splitlines() if pending in x)
        await pilot.press("enter")
        await settle(pilot)
        summary = next(n for n in notifications(app) if "posted" in n)
        assert summary.startswith(f"1 posted, 1 refused: {pending} has a pending update")
        assert main_of(app).marks == {order_id(pending)}
        assert order_state(ready)["accounting"]["state"] == "posted"
        assert order_state(pending)["accounting"]["state"] == "unposted"


async def test_a_detached_posting_is_named_and_only_shift_F_forces_a_repost(
        session: Session, settings: Settings) -> None:
    ref = table_row_ref(session)
    document = post_order(session, ref)
    review.review(session, [ref], "refresh", confirmed=True, reset="keep")  # detaches it
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await to_row(pilot, ref)
        await pilot.press("p")
        await settle(pilot)
        text = confirm_text(app)
        assert "Post 0 of 1 order to beancount?" in text
        assert "Nothing to post without forcing." in text
        assert document in next(x for x in text.splitlines() if ref in x)
        assert "Confirming does NOT force" in text
        assert "F force · n/esc go back" in text and "y/enter" not in text
        await pilot.press("y")  # nothing to post without forcing: y does nothing
        assert isinstance(app.screen, PostConfirmScreen)
        await pilot.press("f")  # a reflex f never forces: it says which key does
        await settle(pilot)
        assert isinstance(app.screen, PostConfirmScreen)
        assert "F (shift+f) forces the repost" in notifications(app)
        assert not Event.select().where(Event.action == "repost forced").exists()
        await pilot.press("F")
        await settle(pilot)
        assert "1 posted" in notifications(app)
    state = order_state(ref)["accounting"]
    assert state["state"] == "posted" and state["ref"] != document
    forced = Event.get((Event.order == order_id(ref)) & (Event.action == "repost forced"))
    assert document in forced.detail
    run_bean_check(Path(settings.accounting.options["path"]))


async def test_p_without_books_says_posting_is_off(demo: DemoProcess, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, demo.url, demo.token, accounting={"backend": "none"})
    with Session(settings, actor="reviewer") as session:
        sync.poll_once(session)
        app = app_for(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("p")
            await settle(pilot)
            assert isinstance(app.screen, MainScreen)
            assert any("posting is off" in n for n in notifications(app))
        assert not Order.select().where(Order.accounting_state != "unposted").exists()


async def test_p_works_from_the_detail_screen(session: Session) -> None:
    ref = table_row_ref(session)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await to_row(pilot, ref)
        await pilot.press("enter", "p")
        await settle(pilot)
        assert "Post 1 order to beancount?" in confirm_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        document = order_state(ref)["accounting"]["ref"]
        assert f"posted as {document}" in text_of(app.screen.query_one("#detail-content"))
        footer = {k.action for k in app.screen.query("FooterKey")}
        assert "post" not in footer  # posted now: p no longer applies


# -- polling --------------------------------------------------------------------------------


async def test_polling_goes_on_under_a_modal(demo: DemoProcess, session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = table(app).total
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        demo.control.add_orders(2)
        app.start_poll()  # what the poll timer does when it fires
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert table(app).total == before + 2
        await pilot.press("n")
        assert "polled" in status(app)


async def test_cursor_and_marks_stay_on_their_orders_across_a_poll(demo: DemoProcess,
                                                                   session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        inbox = table(app)
        await pilot.press("j", "j", "space", "space", "k")
        under_cursor = inbox.current_row.id
        marks = set(main_of(app).marks)
        position, before = inbox.cursor, inbox.total
        demo.control.add_orders(3)
        await pilot.press("s")
        await settle(pilot)
        assert inbox.total == before + 3
        assert inbox.current_row.id == under_cursor
        assert inbox.cursor == position + 3
        assert main_of(app).marks == marks
        assert "polled" in status(app)


async def test_a_store_error_is_a_notification_not_a_modal(demo: DemoProcess,
                                                           session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        demo.control.fault(500, count=20)
        try:
            await pilot.press("s")
            await settle(pilot)
        finally:
            demo.control.clear_faults()
        assert isinstance(app.screen, MainScreen)
        assert any("500" in n or "error" in n.lower() for n in notifications(app))
        assert "⚠ main:" in status(app)


async def test_polling_is_chained_by_a_timer(demo: DemoProcess, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, demo.url, demo.token, poll_interval=3600)
    with Session(settings, actor="reviewer") as session:
        app = app_for(session)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)  # the first poll starts at once
            assert table(app).total >= 40
            assert app.status.next is not None and not app.status.running
            assert "next" in status(app)
            with app.store_lock:  # a batch holds the stores: the poll waits for it
                await pilot.press("s")
                assert app.status.running
                await pilot.press("s")  # refused: polls never overlap
                assert any("already polling" in n for n in notifications(app))
            await settle(pilot)
            assert not app.status.running and app.status.next is not None


# -- filter, sort, help, palette ------------------------------------------------------------


async def test_filter_as_you_type_and_escape(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        inbox = table(app)
        everything = inbox.total
        number = inbox.visible_rows()[5].number
        await pilot.press("slash", *number)
        await pilot.pause()
        assert [r.number for r in inbox.visible_rows()] == [number]
        assert f"orders shown 1 / {everything}" in counts(app)
        await pilot.press("enter")
        assert app.focused is inbox
        await pilot.press("space")
        await pilot.press("escape")  # clears the filter first
        assert inbox.total == everything
        assert len(main_of(app).marks) == 1
        await pilot.press("escape")  # then the marks
        assert main_of(app).marks == set()
        customer = inbox.visible_rows()[0].customer.split()[-1][:4].lower()
        await pilot.press("slash", *customer, "enter")
        await pilot.pause()
        assert inbox.total >= 1
        assert all(customer in (r.customer + r.email).lower() for r in inbox.visible_rows())


async def test_sort_cycles_and_reverses(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        inbox = table(app)
        await pilot.press("o")
        assert inbox.listing.sort.name == "number"
        assert "Order↓" in line(app, 0)
        numbers = [int(r.number) for r in inbox.visible_rows()]
        assert numbers == sorted(numbers, reverse=True)
        await pilot.press("O")
        assert "Order↑" in line(app, 0)
        numbers = [int(r.number) for r in inbox.visible_rows()]
        assert numbers == sorted(numbers)
        await pilot.press("o", "o", "o")
        assert inbox.listing.sort.name == "total"
        totals = [r.total for r in inbox.visible_rows()]
        assert totals == sorted(totals, reverse=True)


async def test_help_lists_every_key_with_the_keymap_applied(demo: DemoProcess,
                                                            tmp_path: Path) -> None:
    settings = make_settings(tmp_path, demo.url, demo.token, keys={"refresh": "ctrl+r"})
    with Session(settings, actor="reviewer") as session:
        sync.poll_once(session)
        app = app_for(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            text = text_of(app.screen.query_one("#help-keys"))
            for _title, bindings in app.key_sections():
                for binding in bindings:
                    assert binding.description in text
            assert "^r" in text
            await pilot.press("escape")
            assert isinstance(app.screen, MainScreen)
            await pilot.press("r")
            assert isinstance(app.screen, MainScreen)  # r is no longer bound
            await pilot.press("ctrl+r")
            assert isinstance(app.screen, ConfirmScreen)


async def test_mals_orders_arrive_in_the_app_and_help_says_new_orders_only(
        demo: DemoProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stores = [{"name": "cart", "platform": "mals", "listen": f"127.0.0.1:{port}"}]
    settings = make_settings(tmp_path, demo.url, demo.token, stores=stores)
    with Session(settings, actor="reviewer") as session:
        app = app_for(session)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            call = {"id": "81343431", "username": "D1", "inv_name": "Zoe Muller",
                    "cart": "Tea pot:1:19.99:1:TP1", "total": "19.99", "method": "PayPal"}
            answer = await asyncio.to_thread(
                httpx.post, f"http://127.0.0.1:{port}/remote-call", data=call)
            assert answer.status_code == 200
            await pilot.press("s")
            await quiet(app)
            await pilot.pause()
            assert "81343431" in line(app, 1)
            await pilot.press("question_mark")
            text = text_of(app.screen.query_one("#help-keys"))
            assert "cart" in text and "mals: new orders only (no updates, no refresh)" in text


async def test_the_command_palette_offers_every_action(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(main_of(app))}
        for wanted in ("Refresh", "Mark", "Filter", "Open", "Poll", "Help", "Quit", "Theme",
                       "Next sort column", "Reverse sort", "Mark all shown", "Post"):
            assert wanted in titles
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Help")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_the_footer_leaves_out_keys_that_do_not_apply(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer_keys = {k.action: k for k in main_of(app).query("FooterKey")}
        assert "act('accept')" not in footer_keys  # the row under the cursor has no update
        assert "act('refresh')" in footer_keys
        assert "post" in footer_keys
        assert not any(k.has_class("-disabled") for k in footer_keys.values())
        await pilot.press("2")
        await pilot.pause()
        footer_keys = {k.action: k for k in main_of(app).query("FooterKey")}
        assert "act('accept')" not in footer_keys  # nothing pending
        assert "post" not in footer_keys  # an update's order is never postable


@pytest.mark.parametrize("keys", [["q"], ["question_mark", "q", "q"]])  # q closes help first
async def test_q_quits_with_code_0(session: Session, keys: list[str]) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_usable_at_80x24_without_colour(session: Session,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_for(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color
        inbox = table(app)
        assert inbox.page_height >= 18
        header = line(app, 0)
        for title in ("Order", "Store", "Date", "Customer", "Total", "Payment", "Fulfil",
                      "Accounting"):
            assert title in header
        assert len(line(app, 1)) == inbox.size.width == 80
        assert main_of(app).query_one("Footer").region.bottom == 24
        footer = {k.action: k for k in main_of(app).query("FooterKey")}
        assert "act('accept')" not in footer  # left out, not greyed: the keys that apply fit
        assert {"post", "quit"} <= set(footer)
        assert footer["quit"].region.right <= 80


async def test_the_theme_is_selectable(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("t")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        app.theme = "nord"
        await pilot.pause()
        assert app.current_theme.name == "nord"


def test_a_long_batch_summary_names_a_few_failures() -> None:
    from orderupd_tui.services.review import FAILED, BatchResult, Outcome
    from orderupd_tui.tui.app import short_summary

    result = BatchResult("accept", [Outcome("main:1", 0)] + [
        Outcome(f"main:{n}", FAILED, "store unreachable") for n in range(2, 10)] + [
        Outcome("main:20", FAILED, "the books said no")])
    text = short_summary(result)
    # One reason once, with a few of its orders; the others counted, and still marked.
    assert text == ("1 accepted, 9 failed: main:2, main:3, main:4 and 5 more: store "
                    "unreachable (still marked); main:20 the books said no")
    many = BatchResult("accept", [Outcome(f"main:{n}", FAILED, f"reason {n}")
                                  for n in range(1, 9)])
    assert short_summary(many).endswith("main:5 reason 5; … and 3 more (still marked)")


def test_a_summary_tells_refused_from_failed() -> None:
    from orderupd_tui.services.review import FAILED, REFUSED, BatchResult, Outcome
    from orderupd_tui.tui.app import short_summary

    result = BatchResult("post", [
        Outcome("shop:1001", 0), Outcome("shop:1004", REFUSED, "has a pending update"),
        Outcome("shop:1002", 0), Outcome("shop:1003", FAILED, "books unreachable")])
    assert short_summary(result) == ("2 posted, 1 refused: shop:1004 has a pending update; "
                                     "1 failed: shop:1003 books unreachable")


async def test_a_on_many_marks_with_nothing_pending_says_the_reason_once(
        session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("asterisk")
        await settle(pilot)
        marked = len(main_of(app).marks)
        assert marked > 10
        await pilot.press("a")
        await settle(pilot)
        (said,) = [n for n in notifications(app) if n.startswith("nothing to accept")]
        assert said.count("has no pending update") == 1, said
        assert f"and {marked - 3:,} more: each has no pending update (still marked)" in said, said
        assert isinstance(app.screen, MainScreen)

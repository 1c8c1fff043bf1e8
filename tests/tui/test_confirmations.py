"""Pilot tests of the confirmations: they name the orders, scroll, and choose only on purpose.

A confirmation must let the reviewer recognise every order it will touch
(a poll may have moved the rows since they looked), say what else changes,
and call out a refund or a cancellation.  In the posted-order modal, no
movement key (``j``, ``k``, arrows, ``g``, ``G``) and no lower-case letter
chooses: only ``V`` and ``K`` do.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.pilot import Pilot

from orderupd_tui.db.models import Event, Posting, Update
from orderupd_tui.demo.process import DemoProcess
from orderupd_tui.services import review, sync
from orderupd_tui.services.session import Session
from orderupd_tui.tui.app import OrderApp
from orderupd_tui.tui.screens.confirm import ConfirmScreen
from orderupd_tui.tui.screens.detail import DetailScreen
from orderupd_tui.tui.screens.main import MainScreen
from tests.tui.conftest import change_orders, order_id, order_state, post_then_change, quiet
from tests.tui.test_app import confirm_text, notifications, settle, table, text_of

pytestmark = pytest.mark.anyio

SIZE = (120, 36)


def app_for(session: Session) -> OrderApp:
    return OrderApp(session, cursor_blink=False)


def warning_text(app: OrderApp) -> str:
    return text_of(app.screen.query_one("#confirm-warning"))


def listed(app: OrderApp) -> str:
    return text_of(app.screen.query_one("#confirm-orders"))


def recognisable(ref: str) -> tuple[str, str]:
    """What a list line must show besides the ref: the customer and the total."""
    state = order_state(ref)
    return state["customer"][:17], f"{state['total']} {state['currency']}"


async def only(pilot: Pilot[Any], ref: str) -> None:
    """Filter the current pane down to the order ``ref`` and put the cursor on it."""
    await pilot.press("slash", *ref.split(":")[1], "enter")
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, OrderApp)
    main = app.screen_stack[0]
    assert isinstance(main, MainScreen)
    assert [r.ref for r in main.pane.table.visible_rows()] == [ref]


async def test_a_confirmation_names_each_order_with_its_customer_total_and_change(
        demo: DemoProcess, session: Session) -> None:
    refs = change_orders(demo, session, "edit_note", 2)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "space", "space", "i")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Ignore 2 updates?" in confirm_text(app)
        lines = listed(app).splitlines()
        assert len(lines) == 2
        for ref in refs:
            (line,) = [x for x in lines if ref in x]
            customer, total = recognisable(ref)
            assert customer in line and total in line and "Note changed" in line
        assert not app.screen.query("#confirm-warning")  # nothing to warn about
        await pilot.press("n")


async def test_a_refund_and_a_cancellation_are_called_out(demo: DemoProcess,
                                                          session: Session) -> None:
    [refunded] = change_orders(demo, session, "refund", 1)
    [cancelled] = change_orders(demo, session, "cancel", 1)
    [plain] = change_orders(demo, session, "edit_note", 1)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "asterisk")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        warning = warning_text(app)
        # A store's cancel refunds too: each is counted for what it brings.
        assert re.search(r"⚠ 2 changes \(⚠ below\) bring (1 refund|2 refunds) and 1 cancellation:",
                         warning), warning
        assert "ignoring keeps the local copy as it is" in warning
        lines = listed(app).splitlines()
        for ref in (refunded, cancelled):
            assert next(x for x in lines if ref in x).startswith("⚠")
        assert "→ refunded" in next(x for x in lines if refunded in x)
        assert "Cancelled" in next(x for x in lines if cancelled in x)
        assert not next(x for x in lines if plain in x).startswith("⚠")
        await pilot.press("n")
        await pilot.press("U", "space", "c")  # one order: a cancel of a plain change says nothing
        await settle(pilot)
        assert not app.screen.query("#confirm-warning")
        # ... except that the update it closes is closed, and how to get it back.
        assert ("It also closes 1 pending update (listed below); un-cancel (C) raises a closed "
                "store change again.") in confirm_text(app)


async def test_refresh_lists_the_pending_updates_it_takes_and_every_order(
        demo: DemoProcess, session: Session) -> None:
    pending = change_orders(demo, session, "edit_note", 2)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        everything = table(app).total
        await pilot.press("asterisk")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        text = confirm_text(app)
        assert f"Refresh {everything} orders?" in text
        assert "It also takes 2 pending updates (Note 2): each is accepted" in text
        assert "more" not in text  # never "… and N more"
        lines = listed(app).splitlines()
        assert len(lines) == everything
        assert {r.ref for r in table(app).visible_rows()} <= {x.split()[0] for x in lines}
        for ref in pending:  # the orders whose updates it takes come first, with the change
            assert any(ref in x and "Note changed" in x for x in lines[:2])

        body = app.screen.query_one("#confirm-list", VerticalScroll)
        keys = app.screen.query_one("#confirm-keys")
        assert body.max_scroll_y > 0  # longer than the screen: it scrolls
        assert keys.region.bottom <= SIZE[1]  # and the keys still show
        await pilot.press("j", "j")
        assert body.scroll_y == 2
        await pilot.press("G")
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("k")
        assert body.scroll_y == body.max_scroll_y - 1
        await pilot.press("g")
        assert body.scroll_y == 0
        assert isinstance(app.screen, ConfirmScreen)  # moving never chose

        await pilot.press("y")
        await settle(pilot)
        assert any(f"{everything} refreshed" in n for n in notifications(app))
        for ref in pending:
            assert not order_state(ref)["pending_update"]
            update = Update.get(Update.order == order_id(ref))
            assert update.status == "accepted"


async def test_in_the_posted_order_modal_movement_keys_never_choose(
        demo: DemoProcess, session: Session) -> None:
    ref, document = post_then_change(demo, session, "capture_payment")
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "a")
        await settle(pilot)
        text = confirm_text(app)
        assert f"posted as {document}" in next(x for x in listed(app).splitlines() if ref in x)
        assert "1 posted order: the accounting state will be reset" in text
        assert ("K keep: the document stays in beancount; reposting is blocked until it is "
                "voided there or you force it.") in text
        assert "The earlier transaction must not be reposted" not in text
        assert "V void in beancount · K keep in beancount · n/esc go back" in text
        assert "recommended" not in text  # only a cancel recommends voiding

        await pilot.press("k", "j", "v", "g", "G", "up", "down", "home", "end", "y", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert order_state(ref)["accounting"]["state"] == "posted"
        said = notifications(app)
        assert "V (shift+v) voids and continues" in said
        assert any("V voids them in beancount, K keeps them" in n for n in said)

        await pilot.press("K")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert order_state(ref)["accounting"]["state"] == "unposted"
        posting = Posting.get(Posting.order == order_id(ref))
        assert (posting.state, posting.document_ref) == ("detached", document)


async def test_cancelling_a_posted_order_recommends_void_and_V_voids(
        demo: DemoProcess, session: Session) -> None:
    ref, document = post_then_change(demo, session, "edit_note")
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "c")
        await settle(pilot)
        assert f"posted as {document}" in next(x for x in listed(app).splitlines() if ref in x)
        text = confirm_text(app)
        assert "V void (recommended): the document is voided in beancount" in text
        assert "K keep: the document stays in beancount and still counts the sale" in text
        assert "reposting is blocked" not in text  # accept's wording is not cancel's
        assert "V void in beancount (recommended) · K keep in beancount" in text
        await pilot.press("V")
        await settle(pilot)
        assert any("1 cancelled" in n for n in notifications(app))
        assert Posting.get(Posting.order == order_id(ref)).state == "voided"
        assert order_state(ref)["local_status"] == "cancelled"


async def test_taking_a_store_cancel_of_a_posted_order_recommends_void_and_ignoring_it_warns(
        demo: DemoProcess, session: Session) -> None:
    ref, document = post_then_change(demo, session, "cancel")
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await only(pilot, ref)
        await pilot.press("a")
        await settle(pilot)
        text = confirm_text(app)
        assert ("V void (recommended): the document is voided in beancount, so the books no "
                "longer count a sale that was cancelled (by the store, for ⚠ below).") in text
        assert "V void in beancount (recommended) · K keep in beancount" in text
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        warning = " ".join(warning_text(app).split())  # as read, across its wrapping
        assert ("the document already posted stays in the books, counting the sale as it "
                "was.") in warning
        assert "can then be posted" not in warning  # it is posted already
        await pilot.press("n")
    assert order_state(ref)["accounting"]["ref"] == document  # going back changed nothing


async def test_C_uncancels_a_local_cancel_from_the_inbox(demo: DemoProcess,
                                                         session: Session) -> None:
    [ref] = change_orders(demo, session, "edit_note", 1)
    review.review(session, [ref], "cancel", reason="duplicate")
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await only(pilot, ref)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        text = confirm_text(app)
        assert "Un-cancel 1 order?" in text
        assert "Make each order active again here: a store change its cancel closed comes " \
            "back for review, and it stays unposted until you post it." in text
        customer, total = recognisable(ref)
        line = listed(app)
        assert ref in line and customer in line and total in line
        await pilot.press("y")
        await settle(pilot)
        assert any("1 un-cancelled" in n for n in notifications(app))
        state = order_state(ref)
        assert state["local_status"] == "active"
        assert state["pending_update"]  # the change the cancel closed is back for review
        assert Event.get((Event.order == order_id(ref)) & (Event.action == "uncancel"))
        await pilot.press("enter")  # the history says it in the words people read
        await settle(pilot)
        history = text_of(app.screen.query_one("#detail-content")).split("Events", 1)[1]
        assert " un-cancel " in history and "uncancel" not in history


async def test_C_in_the_detail_refuses_an_order_its_store_cancelled(
        demo: DemoProcess, session: Session) -> None:
    [ref] = change_orders(demo, session, "cancel", 1)
    review.review(session, [ref], "accept")
    assert order_state(ref)["order_status"] == "cancelled"
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await only(pilot, ref)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)  # no confirmation: nothing to do
        assert any(n.startswith(f"nothing to un-cancel: {ref} was cancelled by its store")
                   for n in notifications(app))
        assert not Event.select().where((Event.order == order_id(ref))
                                        & (Event.action == "uncancel")).exists()
        await quiet(app)


async def test_a_confirmed_batch_leaves_an_update_a_poll_changed_after_the_confirmation(
        demo: DemoProcess, session: Session) -> None:
    first, second = change_orders(demo, session, "edit_note", 2)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("2", "asterisk")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        shown = listed(app)
        assert first in shown and second in shown
        # While the reviewer reads the confirmation, the store changes the first order again.
        before = Update.get((Update.order == order_id(first)) & (Update.status == "pending"))
        demo.control.change(int(order_state(first)["remote_id"]), "edit_note")
        sync.poll_once(session)
        after = Update.get((Update.order == order_id(first)) & (Update.status == "pending"))
        assert after.new_digest != before.new_digest  # the change nobody was shown

        await pilot.press("y")
        await settle(pilot)
        said = " ".join(notifications(app))
        assert f"{first} changed since the confirmation" in said, said
        assert order_state(first)["pending_update"]  # left for the reviewer to look at
        assert Update.get_by_id(after.id).status == "pending"
        assert not order_state(second)["pending_update"]
        ignored = Update.get(Update.order == order_id(second))
        assert ignored.status == "ignored"


async def test_a_confirmed_refresh_refuses_an_update_raised_or_resolved_after_it(
        demo: DemoProcess, session: Session) -> None:
    """Refresh takes pending updates: one a poll raised while the modal was open was never
    shown; one another reviewer resolved meanwhile was their decision, which a refresh would
    write over with a store copy nobody here saw.  Both orders are refused, and say why."""
    [resolved] = change_orders(demo, session, "edit_note", 1)
    quiet_ref = next(f"main:{o['order_number']}" for o in demo.control.orders(eligible="edit_note")
                     if f"main:{o['order_number']}" != resolved)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for ref in (resolved, quiet_ref):
            await only(pilot, ref)
            await pilot.press("space", "escape")
            await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert "Refresh 2 orders?" in confirm_text(app)
        assert "It also takes 1 pending update" in confirm_text(app)
        # While it is open: another reviewer ignores the one update, and a poll raises another.
        review.review(session, [resolved], "ignore")
        demo.control.change(int(order_state(quiet_ref)["remote_id"]), "edit_note")
        sync.poll_once(session)
        raised = Update.get((Update.order == order_id(quiet_ref)) & (Update.status == "pending"))

        await pilot.press("y")
        await settle(pilot)
        said = " ".join(notifications(app))
        assert "0 refreshed, 2 refused" in said, said
        assert f"{quiet_ref} changed since the confirmation" in said, said
        assert f"{resolved} was ignored by " in said and "since the confirmation" in said, said
        assert Update.get_by_id(raised.id).status == "pending"  # left for the reviewer
        assert not Event.select().where(Event.action == "refresh").exists()

"""Pilot tests of the main screen's trust: live filtered views, marks under a filter, keys
that act or say why not, and keys handled in the order they arrive, even in a burst."""

from __future__ import annotations

import re
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot

from orderupd_tui.demo.process import DemoProcess
from orderupd_tui.services import review, sync
from orderupd_tui.services.session import Session
from orderupd_tui.tui.app import OrderApp
from orderupd_tui.tui.screens.confirm import ConfirmScreen
from orderupd_tui.tui.screens.detail import DetailScreen
from orderupd_tui.tui.screens.errors import ErrorsScreen
from orderupd_tui.tui.screens.help import HelpScreen
from orderupd_tui.tui.screens.main import MainScreen
from tests.tui.conftest import change_orders, order_state, post_order
from tests.tui.test_app import (
    SIZE,
    app_for,
    confirm_text,
    counts,
    line,
    main_of,
    notifications,
    settle,
    table,
)

pytestmark = pytest.mark.anyio

#: Matches order numbers 1001 to 1009 (and no customer or email of the demo store).
FILTER = "100"
#: What a terminal sends for these keys.
CHARACTERS = {"slash": "/", "asterisk": "*", "enter": "\r", "escape": "\x1b", "space": " "}


def drawn(app: OrderApp, pane: str) -> list[str]:
    """The order numbers of the rows the pane draws now (placeholders and blanks left out)."""
    t = table(app, pane)
    numbers = []
    for y in range(1, t.size.height):
        found = re.search(r"\b1\d{3}\b", t.render_line(y).text)
        if found:
            numbers.append(found.group())
    return numbers


def footer(app: OrderApp) -> dict[str, Any]:
    return {k.action: k for k in main_of(app).query("FooterKey")}


def burst(app: OrderApp, *keys: str, driver: bool = False) -> None:
    """Post the keys to the app back to back, as a burst over SSH arrives: no pause between.
    ``driver``: through the driver, as the terminal's reader thread hands them over."""
    for key in keys:
        character = CHARACTERS.get(key, key if len(key) == 1 else None)
        event = events.Key(key, character)
        if driver:
            assert app._driver is not None
            event.set_sender(app)
            app._driver.send_message(event)
        else:
            app.post_message(event)


def matching(numbers: list[str]) -> list[str]:
    return sorted(n for n in numbers if FILTER in n)


def change(demo: DemoProcess, inside: int, outside: int) -> list[str]:
    """Change orders in the store, some the filter matches and some it does not; returns
    the numbers of those it matches."""
    eligible = demo.control.orders(eligible="edit_note")
    ins = [o for o in eligible if FILTER in str(o["order_number"])][:inside]
    outs = [o for o in eligible if FILTER not in str(o["order_number"])][:outside]
    for order in ins + outs:
        demo.control.change(order["id"], "edit_note")
    return [str(o["order_number"]) for o in ins]


async def poll(pilot: Pilot[Any]) -> None:
    """``s``, as a reviewer polls now, and let the panes read again."""
    await pilot.press("s")
    await settle(pilot)
    await pilot.pause(0.2)
    await settle(pilot)


# -- item 1: live filtered views -----------------------------------------------------------


async def test_a_filtered_pane_stays_live_with_its_filter_across_polls(
        demo: DemoProcess, session: Session) -> None:
    expected = change(demo, 1, 1)
    sync.poll_once(session)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "slash", *FILTER, "enter")
        await settle(pilot)
        assert drawn(app, "updates") == expected
        updates = table(app, "updates")
        for _ in range(2):
            before = set(drawn(app, "updates"))
            expected = sorted(before | set(change(demo, 2, 2)))
            await poll(pilot)
            assert updates.total_exact
            assert matching(drawn(app, "updates")) == sorted(drawn(app, "updates")) == expected
            assert updates.total == len(expected)
            assert f"updates shown {len(expected)} / " in counts(app)
            assert updates.cursor < updates.total
            await pilot.press("j")  # moves on the rows drawn, and they are still drawn
            assert sorted(drawn(app, "updates")) == expected
        await pilot.press("1", "slash", *FILTER, "enter")
        await settle(pilot)
        demo.control.add_orders(2)
        await poll(pilot)
        inbox = table(app)
        assert len(drawn(app, "inbox")) == inbox.total == len(matching(drawn(app, "inbox")))
        assert f"orders shown {inbox.total} / " in counts(app)


async def test_a_count_is_never_a_guess(session: Session) -> None:
    """A filter with a few matches: the count line names exactly those rows, at once."""
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "3", "9")  # two characters: no trigram index, a walk
        inbox = table(app)
        await settle(pilot)  # the rows, not yet the count (it waits for typing to pause)
        shown = drawn(app, "inbox")
        assert shown == ["1039"]
        assert inbox.total_exact and inbox.total == 1
        assert "≥" not in counts(app) and "counting" not in counts(app)
        assert f"orders shown {len(shown)} / " in counts(app)


# -- item 1: marks under a filter -----------------------------------------------------------


async def test_star_marks_exactly_the_rows_the_filter_shows(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = table(app)
        await pilot.press("slash", *FILTER, "enter", "asterisk")  # no wait for the filter
        await settle(pilot)
        shown = {r.id for r in inbox.visible_rows()}
        assert len(shown) == inbox.total == len(drawn(app, "inbox")) > 0
        assert main_of(app).marks == shown
        assert f"marked {len(shown)}" in counts(app) and "hidden" not in counts(app)
        await pilot.press("escape")  # the filter goes, the marks stay, all of them shown
        await settle(pilot)
        assert main_of(app).marks == shown
        assert "hidden" not in counts(app)
        await pilot.press("slash", "1", "0", "2", "0", "enter")  # none of the marked
        await settle(pilot)
        assert f"marked {len(shown)} ({len(shown)} hidden)" in counts(app)
        await pilot.press("2")  # none of them has a pending update: hidden here too
        await settle(pilot)
        assert f"marked {len(shown)} ({len(shown)} hidden)" in counts(app)


async def test_star_after_a_poll_marks_the_rows_now_shown(demo: DemoProcess,
                                                          session: Session) -> None:
    first = change(demo, 1, 1)
    sync.poll_once(session)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "slash", *FILTER, "enter")
        await settle(pilot)
        expected = set(first) | set(change(demo, 3, 2))
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("asterisk")
        await settle(pilot)
        updates = table(app, "updates")
        shown = {r.order_id for r in updates.visible_rows()}
        assert main_of(app).marks == shown
        assert set(drawn(app, "updates")) == expected
        assert len(shown) == updates.total == len(expected) > len(first)


# -- item 2: every key acts or says why not --------------------------------------------------


@pytest.mark.parametrize(("key", "question"), [("a", "Accept 1 update?"),
                                               ("i", "Ignore 1 update?"),
                                               ("c", "Cancel 1 order?")])
async def test_a_i_c_act_on_a_dimmed_inbox_row(demo: DemoProcess, session: Session,
                                               key: str, question: str) -> None:
    [ref] = change_orders(demo, session, "edit_note", 1)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        inbox = table(app)
        for _ in range(inbox.total):
            if inbox.current_row.ref == ref:
                break
            await pilot.press("j")
        assert inbox.current_row.ref == ref and inbox.current_row.pending
        await pilot.pause()
        assert {"act('accept')", "act('ignore')", "act('cancel')"} <= set(footer(app))
        await pilot.press(key)
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert question in confirm_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert not order_state(ref)["pending_update"]


async def test_accept_on_an_inbox_row_without_an_update_says_why(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = table(app).current_row
        assert not row.pending
        assert "act('accept')" not in footer(app)  # hidden, not greyed
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert f"nothing to accept: {row.ref} has no pending update" in notifications(app)


async def test_keys_that_cannot_act_say_why_in_one_line(demo: DemoProcess,
                                                        session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")  # no pending updates
        said = {}
        for key in ("a", "space", "enter", "asterisk", "p", "U", "escape", "r", "C"):
            before = len(notifications(app))
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, MainScreen), key
            new = notifications(app)[before:]
            assert len(new) == 1, (key, new)
            said[key] = new[0]
        assert said["a"] == "nothing to accept: no pending updates here"
        assert said["r"] == "nothing to refresh: no pending updates here"
        assert said["C"] == "nothing to un-cancel: no pending updates here"
        assert said["space"] == said["asterisk"] == "nothing to mark: no pending updates here"
        assert said["enter"] == "nothing to open: no pending updates here"
        assert said["p"].startswith("nothing to post: an order with a pending update")
        assert said["U"] == "nothing is marked"
        assert said["escape"] == "nothing to clear: no filter and no marks"
        assert all("\n" not in line for line in said.values())
        await pilot.press("1", "slash", "x", "y", "z", "enter", "a")
        await settle(pilot)
        assert notifications(app)[-1] == "nothing to accept: no orders match “xyz”"
        await pilot.press("escape", "2", "slash", "x", "y", "z", "enter", "a")
        await settle(pilot)
        assert notifications(app)[-1] == "nothing to accept: no updates match “xyz”"


async def test_an_empty_pane_says_why_it_is_empty_and_movement_keys_say_so(
        demo: DemoProcess, session: Session) -> None:
    """The empty line names the filter that matches nothing; a movement key in an empty
    pane says the same in one line rather than nothing."""
    change_orders(demo, session, "edit_note", 1)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "x", "y", "z", "enter")
        await settle(pilot)
        assert "no orders match “xyz”" in line(app, 1)
        for key in ("j", "k", "g", "G", "pagedown", "pageup", "down"):
            before = len(notifications(app))
            await pilot.press(key)
            await settle(pilot)
            assert notifications(app)[before:] == ["nothing to move to: no orders match “xyz”"]
        await pilot.press("2", "slash", "z", "z", "z", "enter")
        await settle(pilot)
        assert "no updates match “zzz”" in line(app, 1, "updates")
        await pilot.press("j", "space")
        await settle(pilot)
        assert notifications(app)[-2:] == ["nothing to move to: no updates match “zzz”",
                                           "nothing to mark: no updates match “zzz”"]
        await pilot.press("escape")
        await settle(pilot)
        before = len(notifications(app))
        await pilot.press("j")  # the one update: the cursor stays on it, without a word
        await settle(pilot)
        assert notifications(app)[before:] == []
        assert table(app, "updates").cursor == 0 and table(app, "updates").total == 1


async def test_p_in_updates_says_why_even_with_rows(demo: DemoProcess,
                                                    session: Session) -> None:
    change_orders(demo, session, "edit_note", 1)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        assert "post" not in footer(app)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert notifications(app)[-1].startswith("nothing to post: an order with a pending")


@pytest.mark.parametrize("size", [(120, 36), (100, 30), (80, 24)])
async def test_the_footer_hides_keys_that_do_not_apply_at_every_width(
        demo: DemoProcess, session: Session, size: tuple[int, int]) -> None:
    change_orders(demo, session, "edit_note", 1)
    app = app_for(session)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        keys = footer(app)
        assert not any(k.has_class("-disabled") for k in keys.values())
        if not table(app).current_row.pending:
            assert "act('accept')" not in keys
        assert {"mark", "post", "quit"} <= set(keys)
        assert keys["quit"].region.right <= size[0]
        await pilot.press("space", "2", "space")  # marks, in Updates: every key applies
        await settle(pilot)
        keys = footer(app)
        assert {"act('accept')", "post", "mark", "quit"} <= set(keys)
        assert keys["quit"].region.right <= size[0]
        await pilot.press("slash")  # typing: keys that would type a letter are not offered
        await pilot.pause()
        assert not {"mark", "post", "act('refresh')", "quit"} & set(footer(app))
        assert "clear" in {b.binding.action for b in main_of(app).active_bindings.values()}


async def on_only(pilot: Pilot[Any], ref: str) -> None:
    """Filter the Inbox down to the order ``ref``: the cursor is on it."""
    await pilot.press("escape", "slash", *ref.split(":")[1], "enter")
    await settle(pilot)
    assert pilot.app.focused is table(pilot.app)  # type: ignore[arg-type]
    assert [r.ref for r in table(pilot.app).visible_rows()] == [ref]  # type: ignore[arg-type]


async def test_the_footer_follows_the_cursor_row_and_a_hidden_key_says_why(
        demo: DemoProcess, session: Session) -> None:
    """``p`` is not offered on a posted or a cancelled order, ``C`` only on an order
    cancelled here; pressed anyway, each says why in one line."""
    [cancelled] = change_orders(demo, session, "edit_note", 1)
    review.review(session, [cancelled], "cancel", reason="duplicate")
    others = [f"main:{o['order_number']}" for o in demo.control.orders(eligible="edit_note")]
    posted, plain = [ref for ref in others if ref != cancelled][:2]
    document = post_order(session, posted)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await on_only(pilot, plain)
        assert "post" in footer(app) and "act('uncancel')" not in footer(app)
        await pilot.press("C")
        await settle(pilot)
        assert notifications(app)[-1] == f"nothing to un-cancel: {plain} is not cancelled here"
        await on_only(pilot, posted)
        assert "post" not in footer(app) and "act('uncancel')" not in footer(app)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        assert notifications(app)[-1] == f"nothing to post: {posted} is already posted as " \
                                         f"{document}"
        await on_only(pilot, cancelled)
        assert "post" not in footer(app) and "act('uncancel')" in footer(app)
        await pilot.press("p")
        await settle(pilot)
        assert notifications(app)[-1] == (f"nothing to post: {cancelled} is cancelled: "
                                          "cancelled orders are never posted")
        await pilot.press("C")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)


def screen_footer(app: OrderApp) -> set[str]:
    return {k.action for k in app.screen.query("FooterKey")}


async def test_every_key_of_the_detail_acts_or_says_why(demo: DemoProcess,
                                                       session: Session) -> None:
    """On an order without a pending update ``a``, ``i``, ``c`` are not offered, and say why;
    on a posted one ``p`` is not, and says why; the panes' keys say where they work."""
    others = [f"main:{o['order_number']}" for o in demo.control.orders(eligible="edit_note")]
    plain, posted = others[:2]
    document = post_order(session, posted)
    app = app_for(session)
    async with app.run_test(size=(120, 24)) as pilot:  # the detail scrolls
        await settle(pilot)
        await on_only(pilot, plain)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        offered = screen_footer(app)
        assert "post" in offered and "act('refresh')" in offered
        assert not {"act('accept')", "act('ignore')", "act('cancel')",
                    "act('uncancel')"} & offered
        for key, verb in (("a", "accept"), ("i", "ignore"), ("c", "cancel")):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen), key
            assert notifications(app)[-1] == f"nothing to {verb}: {plain} has no pending update"
        await pilot.press("C")
        await settle(pilot)
        assert notifications(app)[-1] == f"nothing to un-cancel: {plain} is not cancelled here"
        said = {}
        for key in ("space", "asterisk", "U", "slash", "o", "1", "2", "tab", "enter", "e"):
            before = len(notifications(app))
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, DetailScreen), key
            [said[key]] = notifications(app)[before:]
        assert said["space"] == said["asterisk"] == said["U"] == \
            "marks are made in the Inbox and Updates panes: esc goes back to them"
        assert said["slash"] == said["o"] == \
            "the filter and the sort are in the Inbox and Updates panes: esc goes back to them"
        assert said["1"] == said["2"] == said["tab"] == said["enter"] == (
            "this is one order's detail; the Inbox and Updates are the panes: esc goes back "
            "to them")
        assert said["e"].startswith("the orders set aside open from the Inbox and Updates")
        body = app.screen.query_one("#detail-body")
        await pilot.press("G")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y > 0
        await pilot.press("g")
        await pilot.pause()
        assert body.scroll_y == 0
        await pilot.press("escape")
        await on_only(pilot, posted)
        await pilot.press("enter")
        await settle(pilot)
        assert "post" not in screen_footer(app)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert notifications(app)[-1] == f"nothing to post: {posted} is already posted as " \
                                         f"{document}"


# -- item 14: keys in arrival order ----------------------------------------------------------


def assert_filtered_updates(app: OrderApp) -> None:
    main = main_of(app)
    assert main.active == "updates"
    assert main.panes["updates"].view.text == FILTER
    assert main.panes["inbox"].view.text == ""
    assert main.filter_input.value == FILTER
    assert app.focused is table(app, "updates")


async def test_a_burst_switches_pane_then_filters(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "slash", *FILTER, "enter")
        await settle(pilot)
        assert_filtered_updates(app)
        for attempt in range(8):  # it used to go wrong about one time in three
            await pilot.press("escape", "1")
            await settle(pilot)
            assert main_of(app).active == "inbox"
            burst(app, "2", "slash", *FILTER, "enter", driver=attempt % 2 == 1)
            await settle(pilot)
            assert_filtered_updates(app)


async def test_a_burst_of_filter_then_star_marks_the_filtered_rows(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, "slash", *FILTER, "enter", "asterisk", "j")
        await settle(pilot)
        main, inbox = main_of(app), table(app)
        assert main.panes["inbox"].view.text == FILTER
        assert app.focused is inbox and inbox.cursor == 1
        assert main.marks == {r.id for r in inbox.visible_rows()}
        assert len(main.marks) == inbox.total == len(matching(drawn(app, "inbox")))


async def test_a_burst_of_2_star_marks_the_updates(demo: DemoProcess, session: Session) -> None:
    refs = change_orders(demo, session, "edit_note", 2)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, "2", "asterisk")
        await settle(pilot)
        assert main_of(app).active == "updates"
        assert {r.ref for r in table(app, "updates").visible_rows()} == set(refs)
        assert len(main_of(app).marks) == 2


@pytest.mark.parametrize(("key", "said"), [
    ("a", "nothing to accept: no updates match “zzz”"),
    ("space", "nothing to mark: no updates match “zzz”"),
    ("j", "nothing to move to: no updates match “zzz”"),
    ("enter", "nothing to open: no updates match “zzz”")])
async def test_a_key_right_after_a_filter_acts_on_the_filtered_view(
        demo: DemoProcess, session: Session, key: str, said: str) -> None:
    """``/zzz⏎a`` must not accept the update under the cursor before the filter: that row
    is not in the view the key was typed for."""
    change_orders(demo, session, "edit_note", 2)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert table(app, "updates").total == 2
        for attempt in range(4):
            before = len(notifications(app))
            burst(app, "slash", "z", "z", "z", "enter", key, driver=attempt % 2 == 1)
            await settle(pilot)
            assert isinstance(app.screen, MainScreen)
            assert notifications(app)[before:] == [said]  # this attempt's own word
            assert not main_of(app).marks
            await pilot.press("escape")
            await settle(pilot)


async def test_escape_gives_the_keys_back_to_the_table(session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "escape")  # an empty filter line: esc still closes it
        assert app.focused is table(app)
        assert not main_of(app).filter_input.display
        burst(app, "slash", "x", "escape", "e")
        await settle(pilot)
        assert isinstance(app.screen, ErrorsScreen)
        main = main_of(app)
        assert main.filter_input.value == "" and main.panes["inbox"].view.text == ""
        await pilot.press("escape")
        await settle(pilot)
        burst(app, "slash", "x", "y", "z", "enter", "asterisk")  # nothing matches: says so
        await settle(pilot)
        assert notifications(app)[-1] == "nothing to mark: no orders match “xyz”"
        assert not main_of(app).marks


# -- item 10: shift+tab and the tabs ---------------------------------------------------------


async def test_shift_tab_goes_back_and_a_click_on_a_tab_shows_its_pane(
        session: Session) -> None:
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        main = main_of(app)
        await pilot.press("shift+tab")
        assert main.active == "updates" and app.focused is table(app, "updates")
        await pilot.press("shift+tab")
        assert main.active == "inbox"
        labels = main.query_one("#tabs-left")
        spans = {name: start for name, start, _ in labels.spans}
        await pilot.click("#tabs-left", offset=(spans["updates"] + 2, 0))
        assert main.active == "updates"
        await pilot.click("#tabs-left", offset=(spans["inbox"] + 2, 0))
        assert main.active == "inbox" and app.focused is table(app)


async def test_keys_held_for_a_view_never_reach_a_confirmation_that_opened_meanwhile(
        demo: DemoProcess, session: Session) -> None:
    """``i`` then ``/zzz⏎⏎`` in a burst: the confirmation ``i`` asked for may open while the
    filter's rows are read; the ``enter`` typed for those rows must not confirm it."""
    [ref] = change_orders(demo, session, "edit_note", 1)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        for attempt in range(6):
            burst(app, "i", "slash", "z", "z", "z", "enter", "enter", "y",
                  driver=attempt % 2 == 1)
            await settle(pilot)
            said = notifications(app)
            assert not any("ignored" in n for n in said), said
            if isinstance(app.screen, ConfirmScreen):  # opened after the keys: still asking
                await pilot.press("n")
                await settle(pilot)
            assert order_state(ref)["pending_update"], attempt
            while not isinstance(app.screen, MainScreen):
                await pilot.press("escape")
                await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)



async def test_a_held_key_that_opens_help_leaves_the_keys_after_it_unused(
        session: Session) -> None:
    """``/zzz⏎?j``: ``?`` opens help; the ``j`` after it was typed for the rows, and must
    neither reach a help screen still being built nor act on the rows behind it."""
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for attempt in range(4):
            burst(app, "slash", "z", "z", "z", "enter", "question_mark", "j",
                  driver=attempt % 2 == 1)
            await settle(pilot)
            assert app.is_running
            assert isinstance(app.screen, HelpScreen), app.screen
            await pilot.press("escape", "escape")
            await settle(pilot)
            assert isinstance(app.screen, MainScreen)

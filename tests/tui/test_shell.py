"""The app's shell, driven by keys: help, the palette's words, and the theme (chosen, saved,
configured, and readable in every built-in theme)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from rich.segment import Segment
from textual.app import App
from textual.color import Color
from textual.command import CommandPalette
from textual.containers import VerticalScroll
from textual.pilot import Pilot

from orderupd_tui.config_fields import THEMES
from orderupd_tui.demo.process import DemoProcess
from orderupd_tui.domain.labels import ELLIPSIS
from orderupd_tui.domain.states import BooksState
from orderupd_tui.services.session import Session
from orderupd_tui.tui.app import OrderApp
from orderupd_tui.tui.screens.help import HelpScreen
from orderupd_tui.tui.screens.main import MainScreen
from orderupd_tui.tui.widgets.table import VirtualTable
from tests.tui.conftest import change_orders, quiet
from tests.tui.test_app import main_of, notifications, table, text_of

pytestmark = pytest.mark.anyio

#: Small enough that the help scrolls.
SHORT = (100, 20)

#: Pending text against normal text, and against the background: WCAG contrast ratios. The two
#: multiply to the theme's own text contrast, so the most both can be is its square root; the
#: built-in theme with the least (solarized-dark, 4.11:1) allows 2.03:1 each. 1.9 leaves room
#: for 8-bit rounding and is above the 1.77:1 of the light theme's dim that was reported.
APART = 1.9
READS = 1.9
#: The theme the report was about gets much more: its own contrast is 11.6:1.
LIGHT = 3.0


async def settle(pilot: Pilot[Any]) -> None:
    await quiet(pilot.app)
    await pilot.pause()
    await pilot.pause()


# -- help ------------------------------------------------------------------------------------


async def test_help_says_what_each_books_state_a_row_shows_means(session: Session) -> None:
    app = OrderApp(session, cursor_blink=False)
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        lines = text_of(app.screen.query_one("#help-keys")).splitlines()
        glyphs = {line.split()[0]: line for line in lines[lines.index(
            next(x for x in lines if x.strip() == "Glyphs")) + 1:] if line.strip()}
        for state in BooksState:
            if state not in (BooksState.UNPOSTED, BooksState.POSTED):
                assert state.value in glyphs, state  # each word the Accounting column shows
        # A posted order's document as the rows show our own ids: the distinctive tail.
        assert any(g.startswith(ELLIPSIS) and "document a posted order is in" in line
                   for g, line in glyphs.items())
        assert "forced (F" in glyphs["kept"]


async def test_help_q_closes_it_G_reaches_the_end_g_the_top(session: Session) -> None:
    app = OrderApp(session, cursor_blink=False)
    async with app.run_test(size=SHORT) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        body = app.screen.query_one("#help-body", VerticalScroll)
        await pilot.pause()
        assert body.max_scroll_y > 10  # the help is longer than the screen
        await pilot.press("G")
        await pilot.pause()
        # The very end: the help's last line (the Marks note) is the body's last line shown.
        assert body.scroll_y == body.max_scroll_y
        assert body.scroll_y + body.scrollable_content_region.height == body.virtual_size.height
        await pilot.press("g")
        await pilot.pause()
        assert body.scroll_y == 0
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("home")
        await pilot.pause()
        assert body.scroll_y == 0
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, MainScreen)
        for closing in ("escape", "question_mark"):
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press(closing)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
        await pilot.press("q")  # on the main screen q still quits
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_help_states_the_rule_for_marks_with_the_keys_as_bound(
        session: Session) -> None:
    settings = replace(session.settings, keys={"unmark_all": "ctrl+u"})
    app = OrderApp(replace_settings(session, settings), cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        text = " ".join(text_of(app.screen.query_one("#help-keys")).split())
        marks = text[text.index("Marks"):]
        assert "Marks survive a filter change: the count line shows marked N (M hidden) for " \
               "marked orders the filter hides." in marks
        assert "Every confirmation names every order it will touch, hidden ones included." \
               in marks
        assert "esc clears the filter, then the marks" in marks
        assert "^u unmarks all" in marks  # the keymap's key, not the default U


def replace_settings(session: Session, settings: Any) -> Session:
    session.settings = settings
    return session


# -- one word: poll -------------------------------------------------------------------------


async def test_the_app_says_poll_and_the_palette_finds_it(session: Session) -> None:
    app = OrderApp(session, cursor_blink=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        footer = {k.action: k.description for k in main_of(app).query("FooterKey")}
        assert footer["poll"] == "Poll"
        assert all("sync" not in d.lower() for d in footer.values())
        before = app.context.status.last  # the fixture's poll, as the database recorded it
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"poll")
        await pilot.pause(0.3)
        first = app.screen.query_one("CommandList").get_option_at_index(0)
        assert "Poll" in str(first.prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        after = app.context.status.last
        assert after is not None and (before is None or after > before)  # it polled
        await pilot.press("question_mark")
        help_text = text_of(app.screen.query_one("#help-keys"))
        assert "Poll" in help_text and "Sync" not in help_text


# -- the theme -------------------------------------------------------------------------------


async def choose_theme(pilot: Pilot[Any], name: str) -> None:
    """``t``, type the theme's name, ``enter``: as a user picks one."""
    await pilot.press("t")
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*name)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await settle(pilot)


async def test_a_theme_chosen_in_the_app_is_saved_and_used_at_the_next_start(
        session: Session, tmp_path: Path) -> None:
    saved = tmp_path / "data" / "app-state.json"
    app = OrderApp(session, cursor_blink=False, theme_file=saved)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark" and not saved.exists()
        await choose_theme(pilot, "nord")
        assert app.theme == "nord"
    assert json.loads(saved.read_text()) == {"theme": "nord"}
    assert not [p for p in saved.parent.iterdir() if p.name != saved.name]  # no temp left

    again = OrderApp(session, cursor_blink=False, theme_file=saved)
    async with again.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert again.theme == "nord"
        assert again.current_theme.name == "nord"


async def test_the_configs_theme_wins_and_a_choice_is_still_saved(session: Session,
                                                                  tmp_path: Path) -> None:
    saved = tmp_path / "app-state.json"
    saved.write_text(json.dumps({"theme": "nord"}))
    configured = replace_settings(session, replace(session.settings, theme="gruvbox"))
    app = OrderApp(configured, cursor_blink=False, theme_file=saved)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.theme == "gruvbox"
        await choose_theme(pilot, "dracula")
        assert app.theme == "dracula"
        assert any("config's theme: gruvbox" in n for n in notifications(app))
    assert json.loads(saved.read_text()) == {"theme": "dracula"}
    again = OrderApp(configured, cursor_blink=False, theme_file=saved)
    async with again.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert again.theme == "gruvbox"


async def test_an_unreadable_or_unknown_saved_theme_is_ignored(session: Session,
                                                               tmp_path: Path) -> None:
    saved = tmp_path / "app-state.json"
    for text in ("{not json", json.dumps({"theme": "no-such-theme"}), "[1]"):
        saved.write_text(text)
        app = OrderApp(session, cursor_blink=False, theme_file=saved)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            assert app.theme == "textual-dark"


async def test_a_theme_that_cannot_be_saved_says_so_in_one_line(session: Session,
                                                                 tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app = OrderApp(session, cursor_blink=False, theme_file=blocker / "app-state.json")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await choose_theme(pilot, "monokai")
        assert app.theme == "monokai" and app.is_running
        said = [n for n in notifications(app) if "could not save the theme" in n]
        assert len(said) == 1 and "\n" not in said[0]


def test_the_configs_theme_names_are_textuals() -> None:
    assert set(THEMES) == set(App().available_themes)


# -- pending rows in every theme ------------------------------------------------------------


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance (written out here, apart from the app's own)."""
    linear = [c / 255 / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4
              for c in rgb]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def customer_segment(inbox: VirtualTable, row: Any) -> Segment:
    """The drawn segment holding the row's customer name, after the app's line filters."""
    y = inbox.visible_rows().index(row) + 1
    segments = list(inbox.render_line(y))
    for line_filter in inbox.app.get_line_filters():
        segments = line_filter.apply(segments, Color.parse(
            inbox.app.get_css_variables()["surface"]))
    return next(s for s in segments if row.customer[:8] in s.text)


async def test_pending_rows_stay_distinct_and_readable_in_every_theme(
        demo: DemoProcess, session: Session) -> None:
    change_orders(demo, session, "edit_note", 3)
    app = OrderApp(session, cursor_blink=False, watch_every=0)
    measured = {}
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        inbox = table(app)
        rows = inbox.visible_rows()[1:]  # not the cursor's row
        pending = next(r for r in rows if r.pending and r.customer)
        normal = next(r for r in rows if not r.pending and not r.cancelled and r.customer
                      and r is not pending)
        assert set(app.available_themes) == set(THEMES)
        for name in app.available_themes:
            app.theme = name
            await pilot.pause()
            dim, plain = customer_segment(inbox, pending), customer_segment(inbox, normal)
            assert dim.style is not None and plain.style is not None
            if app.current_theme.ansi:
                # The terminal's own colours: the app cannot know them, so it asks the
                # terminal to dim pending rows, and only those.
                assert dim.style.dim and not plain.style.dim, name
                continue
            assert not dim.style.dim, name  # a colour of its own, not dim on top of it
            background = (plain.style.bgcolor or dim.style.bgcolor)
            assert background is not None and dim.style.color and plain.style.color
            fg_dim = dim.style.color.get_truecolor()
            fg = plain.style.color.get_truecolor()
            bg = background.get_truecolor()
            measured[name] = (ratio(fg, fg_dim), ratio(fg_dim, bg))
    for name, (apart, reads) in measured.items():
        assert apart >= APART, (name, apart)
        assert reads >= READS, (name, reads)
    assert min(measured["textual-light"]) >= LIGHT, measured["textual-light"]
    assert len(measured) == len(THEMES) - 2  # all but the two ANSI themes

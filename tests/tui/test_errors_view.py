"""The Errors view (``e``): orders set aside as unreadable, their count in the status bar,
and dismissing one with a reason.

Entries are made the way a poll makes them, with ``setaside.record`` on
what a connector's page reader returned for payloads it could not read.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.pilot import Pilot

from orderupd_tui.config import Settings
from orderupd_tui.db.models import Event, SetAside, Store
from orderupd_tui.services import setaside
from orderupd_tui.services.session import Session
from orderupd_tui.stores.base import Unreadable
from orderupd_tui.tui.app import OrderApp
from orderupd_tui.tui.screens.errors import ErrorsScreen, ReasonScreen
from tests.tui.conftest import FROZEN, make_settings, quiet

SIZE = (120, 36)

UNREADABLE = (
    Unreadable(key="6130000009001", remote_id="6130000009001", number="1999",
               position="page 2, item 17",
               error="total_price: not a decimal amount ('NaN')",
               raw={"id": 6130000009001, "order_number": 1999, "total_price": "NaN"}),
    Unreadable(key="6130000009002", remote_id="6130000009002", number="2000",
               position="page 2, item 18",
               error="created_at: not a time ('0000-00-00 00:00:00')",
               raw={"id": 6130000009002, "order_number": 2000,
                    "created_at": "0000-00-00 00:00:00"}),
)


def set_aside(session: Session) -> None:
    """What a poll records for two payloads it could not read, at the frozen moment."""
    store = Store.get(Store.name == "main")
    with session.db.atomic():
        setaside.record(store, UNREADABLE, session.settings.secrets())
    stamp = FROZEN.replace(tzinfo=None)
    SetAside.update(first_seen=stamp, last_seen=stamp).execute()


def text_of(widget: Any) -> str:
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


async def settle(pilot: Pilot[Any]) -> None:
    await quiet(pilot.app)
    await pilot.pause()
    await pilot.pause()


@pytest.fixture
def aside_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, "http://127.0.0.1:9", "unused",
                         accounting={"backend": "none"})


@pytest.fixture
def aside_session(aside_settings: Settings) -> Iterator[Session]:
    with Session(aside_settings, actor="reviewer") as session:
        set_aside(session)
        yield session


@pytest.mark.anyio
async def test_the_errors_view_lists_them_and_dismisses_one_with_a_reason(
        aside_session: Session) -> None:
    app = OrderApp(aside_session, cursor_blink=False, watch_every=0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = app.screen.query_one("#status")
        assert "⚠ 2 set aside (e)" in text_of(status)

        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ErrorsScreen)
        assert "2 orders" in text_of(screen.query_one("#errors-title"))
        table = screen.query_one("#errors-table")
        assert table.row_count == 2
        assert "not a decimal amount ('NaN')" in text_of(screen.query_one("#errors-error"))
        await pilot.press("down")
        assert "created_at: not a time" in text_of(screen.query_one("#errors-error"))

        await pilot.press("d")
        assert isinstance(app.screen, ReasonScreen)
        await pilot.press("enter")  # no reason: refused, and said so
        assert isinstance(app.screen, ReasonScreen)
        assert "a reason is needed" in text_of(app.screen.query_one("#reason-keys"))
        await pilot.press(*"test order the shop deleted")
        await pilot.press("enter")
        await settle(pilot)

        assert app.screen is screen
        assert [n.message for n in app._notifications][-1] == (
            "main:6130000009002 dismissed; it is no longer retried")
        assert table.row_count == 1
        assert "1 order " in text_of(screen.query_one("#errors-title"))
        assert "⚠ 1 set aside (e)" in text_of(screen.query_one("#status"))
        event = Event.get(Event.action == "set-aside dismissed")
        assert event.actor == "reviewer"
        assert "test order the shop deleted" in event.detail
        assert [e.ref for e in setaside.open_entries(aside_session)] == ["main:6130000009001"]

        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ErrorsScreen)
        assert "⚠ 1 set aside (e)" in text_of(app.screen.query_one("#status"))


def test_errors_view(snap_compare: Any, aside_settings: Settings) -> None:
    with Session(aside_settings, actor="reviewer") as session:
        set_aside(session)
        app = OrderApp(session, clock=lambda: FROZEN, cursor_blink=False, watch_every=0)

        async def opened(pilot: Pilot[Any]) -> None:
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)

        assert snap_compare(app, terminal_size=SIZE, run_before=opened)


@pytest.mark.anyio
async def test_every_key_on_an_empty_errors_view_says_nothing_is_set_aside(
        aside_settings: Settings) -> None:
    with Session(aside_settings, actor="reviewer") as session:
        app = OrderApp(session, cursor_blink=False, watch_every=0)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("e")
            await settle(pilot)
            assert isinstance(app.screen, ErrorsScreen)
            assert "dismiss_entry" not in {k.action for k in app.screen.query("FooterKey")}
            said = {}
            for key in ("d", "j", "down", "k", "G", "enter"):
                before = len(app._notifications)
                await pilot.press(key)
                await settle(pilot)
                assert isinstance(app.screen, ErrorsScreen), key
                [said[key]] = [n.message for n in app._notifications][before:]
            assert said["d"] == "nothing to dismiss: nothing is set aside"
            assert said["j"] == said["down"] == said["k"] == said["G"] == \
                "nothing to move to: nothing is set aside"
            assert said["enter"] == "nothing to open: nothing is set aside"


@pytest.mark.anyio
async def test_j_k_move_in_the_errors_view_and_enter_says_what_to_do(
        aside_session: Session) -> None:
    app = OrderApp(aside_session, cursor_blink=False, watch_every=0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ErrorsScreen)
        await pilot.press("j")
        assert "created_at: not a time" in text_of(screen.query_one("#errors-error"))
        await pilot.press("k")
        assert "not a decimal amount ('NaN')" in text_of(screen.query_one("#errors-error"))
        await pilot.press("enter")
        await pilot.pause()
        assert [n.message for n in app._notifications][-1] == (
            "its error is in full below; d dismisses it, with a reason")

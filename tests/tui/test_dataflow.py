"""The app's data flow: keys never wait for the database, and other processes' work shows.

A page that is slow to come is made real with a TCP proxy in front of
PostgreSQL that stops forwarding (``DelayProxy.hold``): the app's read is
then truly waiting on the network.  Another reviewer is the installed
``orderupd-tui`` command in a process of its own, on the same database.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.services import sync
from orderupd_tui.services.session import Session
from orderupd_tui.tui.app import OrderApp
from orderupd_tui.tui.screens.main import MainScreen
from orderupd_tui.tui.widgets.table import PLACEHOLDER, VirtualTable
from tests.conftest import pg_schema
from tests.fakes.delay_proxy import DelayProxy
from tests.tui.conftest import change_orders, make_settings, quiet

pytestmark = pytest.mark.anyio

SIZE = (120, 36)
EXE = shutil.which("orderupd-tui", path=str(Path(sys.executable).parent))
#: Long enough for any loaded machine; the figure itself is measured in bench/.
SHOWS_WITHIN = 15.0


def main_of(app: OrderApp) -> MainScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


def table(app: OrderApp, pane: str = "inbox") -> VirtualTable:
    return main_of(app).query_one(f"#{pane}", VirtualTable)


def line(app: OrderApp, y: int, pane: str = "inbox") -> str:
    return table(app, pane).render_line(y).text


async def settle(pilot: Any) -> None:
    await quiet(pilot.app)
    await pilot.pause()
    await pilot.pause()


def notifications(app: OrderApp) -> list[str]:
    return [n.message for n in app._notifications]


async def until(pilot: Any, condition: Any, what: str) -> None:
    """Let the app run until ``condition()`` holds; fail naming ``what`` after a long while."""
    deadline = time.monotonic() + SHOWS_WITHIN
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {SHOWS_WITHIN} s")
        await pilot.pause(0.05)


# -- a page that is slow to come ----------------------------------------------------------


@pytest.fixture(scope="module")
def big_demo() -> Iterator[DemoProcess]:
    """More orders than the table holds at once, so End needs a page read."""
    with spawn_demo_server(orders=400, seed=4, rate_limit=False) as server:
        yield server


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    base = os.environ.get("ORDERUPD_TEST_PG_URL")
    if not base:
        pytest.skip("ORDERUPD_TEST_PG_URL is not set: a held network needs the PostgreSQL run")
    with pg_schema(base) as url:
        yield url


async def test_keys_are_handled_and_placeholders_drawn_while_a_page_is_held(
        tmp_path: Path, big_demo: DemoProcess, pg_schema_url: str) -> None:
    parts = urlsplit(pg_schema_url)
    with DelayProxy(parts.hostname or "127.0.0.1", parts.port or 5432, 0.0) as proxy:
        proxied = parts._replace(netloc=parts.netloc.replace(
            f"{parts.hostname}:{parts.port}", f"127.0.0.1:{proxy.port}")).geturl()
        settings = make_settings(tmp_path, big_demo.url, big_demo.token, database=proxied)
        with Session(settings, actor="reviewer") as session:
            assert not sync.poll_once(session)[0].errors
            app = OrderApp(session, cursor_blink=False, watch_every=0)
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                inbox = table(app)
                assert inbox.total == 400
                assert PLACEHOLDER not in line(app, 1)

                proxy.hold()  # the database stops answering
                await pilot.press("G")
                assert inbox.cursor == 399
                await pilot.pause()
                shown = [line(app, y) for y in range(1, inbox.page_height + 1)]
                assert all(PLACEHOLDER in text for text in shown), shown
                assert inbox.fetching
                # Keys are still handled while the read waits.
                await pilot.press("k", "k")
                assert inbox.cursor == 397
                await pilot.press("2")
                assert main_of(app).active == "updates"
                await pilot.press("1")
                assert main_of(app).active == "inbox"
                assert inbox.fetching

                proxy.release()
                await until(pilot, lambda: not inbox.fetching, "the held page's arrival")
                await settle(pilot)
                row = inbox.current_row
                assert row is not None
                cursor_line = inbox.cursor - inbox.top + 1
                assert row.number in line(app, cursor_line)
                assert not any(PLACEHOLDER in line(app, y)
                               for y in range(1, inbox.page_height + 1))
                last = line(app, inbox.page_height)
                assert inbox.visible_rows()[-1].number in last


# -- another reviewer, in another process -------------------------------------------------


def config_file(tmp_path: Path, demo: DemoProcess) -> Path:
    """The same settings as the app's, as a config file for the other process."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({
        "database": f"sqlite:///{tmp_path / 'orders.db'}",
        "poll_interval": 0,
        "stores": [{"name": "main", "platform": "shopify", "url": demo.url,
                    "token": demo.token, "since": "2020-01-01"}],
        "accounting": {"backend": "beancount", "path": str(tmp_path / "books.beancount")},
    }), encoding="utf-8")
    return path


async def accept_elsewhere(config: Path, ref: str, user: str) -> None:
    """``orderupd-tui accept REF`` run by another user, as a process of its own."""
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    env = {**os.environ, "USER": user, "LOGNAME": user}
    proc = await asyncio.create_subprocess_exec(
        EXE, "accept", ref, "--config", str(config), env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, (out + err).decode()


async def test_an_accept_in_another_process_shows_in_the_open_app(
        tmp_path: Path, demo: DemoProcess, session: Session) -> None:
    (ref,) = change_orders(demo, session, "edit_note", 1)
    config = config_file(tmp_path, demo)
    app = OrderApp(session, cursor_blink=False)  # watching, as the app always does
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        updates = table(app, "updates")
        assert updates.total == 1
        number = ref.split(":")[1]
        assert number in line(app, 1, "updates")

        await accept_elsewhere(config, ref, "bob")
        await until(pilot, lambda: updates.total == 0, "the other process's accept")
        await settle(pilot)
        assert number not in line(app, 1, "updates")
        assert "no pending updates" in line(app, 1, "updates")
        await pilot.press("1")
        assert "pending 0" in str(main_of(app).query_one("#counts").render())


async def test_acting_on_a_row_another_reviewer_just_resolved_says_who(
        tmp_path: Path, demo: DemoProcess, session: Session) -> None:
    (ref,) = change_orders(demo, session, "edit_note", 1)
    config = config_file(tmp_path, demo)
    app = OrderApp(session, cursor_blink=False, watch_every=0)  # the row stays on screen
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        assert table(app, "updates").total == 1
        await accept_elsewhere(config, ref, "bob")
        await pilot.press("a")
        await settle(pilot)
        said = notifications(app)[-1]
        assert said.startswith(f"nothing to accept: {ref} was accepted by bob at "), said
        assert app.screen is main_of(app)  # no confirmation for nothing

"""The app at scale: 1,000,000 orders and 5,000 pending updates in SQLite.

Setup (not measured): the demo store runs in its own process with 2,000
orders; 998,000 more orders and 4,500 of the pending updates are written
with bulk SQL at schema 0001, then the database is upgraded (migration
0002 builds the sort indexes and the trigram index over everything), the
demo orders are polled in over HTTP and 500 of them changed and polled
again, so 500 real pending updates can be accepted against the store.

The app is then measured in a child process (so the build does not count
in its memory), headless, at 120x36:

- first paint: from opening the session (imports excluded) to the first
  table line drawn with data;
- RSS: the process's peak resident memory after all the key figures;
- keys: time from the App receiving the key to the end of the last screen
  update it caused, with the update rendered to terminal bytes as a real
  terminal would need (headless Textual skips that step); Pilot's own
  waiting is outside this window, and measured apart on an empty app as
  the floor a Pilot key costs anyway;
- a filter keystroke, the same way, typing realistic filters;
- a batch accept of 500 marked updates against the demo store, and cursor
  keys pressed while it runs.

Prints ``name value unit`` lines (commentary lines start with ``#``).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

TOTAL_ORDERS = 1_000_000
DEMO_ORDERS = 2_000
PENDING = 5_000
REAL_PENDING = 500
SIZE = (120, 36)

FIRST = ("Ada", "Bea", "Carl", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo", "Kim", "Lena",
         "Milo", "Nia", "Otto", "Pia", "Quinn", "Rosa", "Sam", "Tess", "Uma", "Vic", "Wes", "Zoe")
LAST = ("Smith", "Jones", "Brown", "Garcia", "Miller", "Davis", "Lopez", "Wilson", "Moore",
        "Taylor", "Thomas", "Lee", "Martin", "Clark", "Lewis", "Walker", "Hall", "Young", "King",
        "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Rivera", "Campbell")
PAYMENT = ("paid",) * 6 + ("pending", "authorized", "refunded", "partially_refunded")
FULFILMENT = ("fulfilled",) * 5 + ("unfulfilled",) * 3 + ("partial",)
COLUMNS = ("store_id", "remote_id", "number", "created_at", "updated_at", "customer", "email",
           "total", "currency", "payment_status", "fulfillment_status", "order_status",
           "platform_status", "local_status", "pending", "accounting_state", "accounting_ref",
           "posted_at", "data", "payload", "digest", "ignored_digest", "downloaded_at")


def say(line: str) -> None:
    print(f"# {line}", flush=True)


def figure(name: str, value: float, unit: str) -> None:
    print(f"{name} {value:.3f} {unit}", flush=True)


# -- building the database ----------------------------------------------------------------


def filler_rows(count: int, first_number: int) -> Any:
    """Orders older than the demo store's (which are from the last month), numbered below them."""
    rng = random.Random(7)
    start = datetime(2020, 1, 1)
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = (start + timedelta(minutes=2 * i, seconds=rng.randint(0, 100))).isoformat(" ")
        yield (1, f"bulk-{i}", str(first_number + i), created, created, f"{first} {last}",
               f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@example.com",
               rng.randint(500, 50_000) / 100, "USD", rng.choice(PAYMENT),
               rng.choice(FULFILMENT), "open", "", "active", 0, "unposted", None, None, "{}",
               "{}", "0" * 32, None, created)


def build(folder: Path, url: str, token: str, control: Any) -> Path:
    from peewee import SqliteDatabase
    from playhouse.migrations import Runner

    from orderupd_tui.db import migrate
    from orderupd_tui.services import sync
    from orderupd_tui.services.session import Session

    path = folder / "orders.db"
    started = time.perf_counter()
    db = SqliteDatabase(str(path))
    db.connect()
    Runner(db, str(migrate.MIGRATIONS)).up(target="0001_initial")
    conn = db.connection()
    conn.execute("INSERT INTO store (name, platform) VALUES ('main', 'shopify')")
    filler = TOTAL_ORDERS - DEMO_ORDERS
    with db.atomic():
        conn.executemany(f"INSERT INTO orders ({', '.join(COLUMNS)}) VALUES "
                         f"({', '.join('?' * len(COLUMNS))})", filler_rows(filler, 10_000_000))
        fake = PENDING - REAL_PENDING
        detected = "2025-01-01 00:00:00"
        conn.executemany(
            "INSERT INTO order_update (order_id, detected_at, source, kinds, changes, status) "
            "VALUES (?, ?, 'store', 'payment_status', ?, 'pending')",
            ((i * 199 + 1, detected, json.dumps([{"kind": "payment_status",
                                                   "field": "payment_status",
                                                   "old": "pending", "new": "paid"}]))
             for i in range(fake)))
        conn.execute("UPDATE orders SET pending = 1 WHERE id IN "
                     "(SELECT order_id FROM order_update WHERE status = 'pending')")
    db.close()
    say(f"bulk insert of {filler:,} orders and {fake:,} updates: "
        f"{time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    settings = settings_for(path, url, token)
    with Session(settings) as session:  # upgrades to the latest schema: indexes, trigram index
        say(f"migration to the latest schema over {filler:,} orders: "
            f"{time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        sync.poll_once(session)
        changed = 0
        for order in control.orders(eligible="edit_note")[:REAL_PENDING]:
            control.change(order["id"], "edit_note")
            changed += 1
        sync.poll_once(session)
        pending = session.db.execute_sql(
            "SELECT count(*) FROM order_update WHERE status = 'pending'").fetchone()[0]
        total = session.db.execute_sql("SELECT count(*) FROM orders").fetchone()[0]
    say(f"demo orders polled in and {changed} changed: {time.perf_counter() - started:.1f} s; "
        f"{total:,} orders, {pending:,} pending updates")
    return path


def settings_for(path: Path, url: str, token: str) -> Any:
    from orderupd_tui.config import parse

    return parse({"database": f"sqlite:///{path}", "poll_interval": 0,
                  "stores": [{"name": "main", "platform": "shopify", "url": url,
                              "token": token, "since": "2020-01-01"}],
                  "accounting": {"backend": "none"}},
                 base=path.parent, label="bench")


# -- measuring the app (child process) ----------------------------------------------------


def measure(path: Path, url: str, token: str) -> None:
    asyncio.run(_measure(path, url, token))


async def _pilot_floor() -> float:
    """What a Pilot key press costs on an empty app: outside our control, reported apart."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Empty(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("empty")

    app = Empty()
    samples = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for _ in range(40):
            started = time.perf_counter()
            await pilot.press("j")
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


async def _measure(path: Path, url: str, token: str) -> None:
    from rich.console import Console
    from textual import events

    from orderupd_tui.services.session import Session
    from orderupd_tui.tui.app import OrderApp
    from orderupd_tui.tui.widgets.table import VirtualTable

    floor = await _pilot_floor()
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      width=SIZE[0], height=SIZE[1], legacy_windows=False)

    class Measured(OrderApp):
        """The app, noting when a key arrives and when each screen update is done."""

        key_at = 0.0
        shown_at = 0.0
        rows_at = 0.0

        async def on_event(self, event: events.Event) -> None:
            if isinstance(event, events.Key):
                self.key_at = time.perf_counter()
                self.rows_at = 0.0
            await super().on_event(event)

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is not None and hasattr(renderable, "render_segments"):
                renderable.render_segments(console)  # what a real terminal would be sent
            self.shown_at = time.perf_counter()
            if drawn[0] and not self.rows_at:
                self.rows_at = self.shown_at  # the first update showing the table's new rows
            drawn[0] = False

    drawn = [False]
    render_line = VirtualTable.render_line

    def noting_render_line(table: VirtualTable, y: int) -> Any:
        drawn[0] = True
        return render_line(table, y)

    VirtualTable.render_line = noting_render_line  # type: ignore[method-assign,assignment]

    async def key(pilot: Any, name: str, rows: bool = False) -> float:
        """Seconds from the key's arrival to the end of the screen update it caused
        (``rows``: to the first update that drew the table, when more updates follow)."""
        app = pilot.app
        await pilot.press(name)
        end = app.rows_at if rows else app.shown_at
        if end < app.key_at:
            raise AssertionError(f"{name!r} caused no screen update")
        return end - app.key_at

    opened = time.perf_counter()
    session = Session(settings_for(path, url, token))
    app = Measured(session, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        table = app.main.query_one("#inbox", VirtualTable)
        while table.first_paint is None:
            await asyncio.sleep(0.001)
        figure("tui_first_paint", table.first_paint - opened, "s")
        await pilot.pause()
        say(f"inbox: {table.total:,} orders; Pilot's own cost per key on an empty app: "
            f"{floor * 1000:.1f} ms")
        figure("tui_pilot_key_floor", floor * 1000, "ms")

        down = [await key(pilot, "j") for _ in range(300)]
        figure("tui_cursor_down_p95", p95(down) * 1000, "ms")
        pages = [await key(pilot, "pagedown") for _ in range(100)]
        figure("tui_page_down_p95", p95(pages) * 1000, "ms")
        ends = []
        for _ in range(20):
            ends.append(await key(pilot, "G"))
            assert table.cursor == table.total - 1
            await pilot.press("g")
        figure("tui_end_G_p95", p95(ends) * 1000, "ms")

        typed: list[float] = []
        counted: list[float] = []
        slowest: list[tuple[float, str]] = []
        for text in ("smith", "ada.lee", "1000123", "walker", "example", "zoe m"):
            await pilot.press("slash")
            for length, char in enumerate(text, 1):
                typed.append(await key(pilot, "space" if char == " " else char, rows=True))
                slowest.append((typed[-1], text[:length]))
            last_key = app.key_at
            while table.listing is not None and table.listing.total is None:
                await pilot.pause(0.01)  # the exact count of a common filter comes later
            await pilot.pause()
            counted.append(app.shown_at - last_key)
            say(f"filter {text!r}: {table.total:,} orders")
            await pilot.press("escape")
            await app.workers.wait_for_complete()
        say("slowest filter keystrokes: " + ", ".join(
            f"{shown!r} {seconds * 1000:.0f} ms" for seconds, shown in sorted(slowest)[-3:]))
        figure("tui_filter_keystroke_p95", p95(typed) * 1000, "ms")
        figure("tui_filter_keystroke_max", max(typed) * 1000, "ms")
        figure("tui_filter_exact_count_max", max(counted) * 1000, "ms")

        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
        figure("tui_rss_peak", peak / 1024, "MB")

        await pilot.press("2")
        updates = app.main.query_one("#updates", VirtualTable)
        say(f"updates pane: {updates.total:,} pending")
        real = [row[0] for row in session.db.execute_sql(
            "SELECT o.id FROM order_update u JOIN orders o ON o.id = u.order_id "
            "WHERE u.status = 'pending' AND o.remote_id NOT LIKE 'bulk-%'").fetchall()]
        app.main.marks.update(real)
        await pilot.press("a")
        # Pilot waits for quiet, and a batch sends progress: from here keys go in directly.
        started = time.perf_counter()
        app.post_message(events.Key("y", "y"))
        while not app.status.batch:
            await asyncio.sleep(0.001)
        during: list[float] = []
        while app.status.batch or any(w.is_running for w in app.workers):
            app.post_message(events.Key("j" if len(during) % 20 < 10 else "k", None))
            sent = time.perf_counter()
            while app.shown_at < sent and app.status.batch:
                await asyncio.sleep(0.001)
            if app.shown_at >= sent:
                during.append(app.shown_at - app.key_at)
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        figure(f"tui_batch_accept_{len(real)}", elapsed, "s")
        if during:
            figure("tui_key_during_batch_p95", p95(during) * 1000, "ms")
            figure("tui_key_during_batch_max", max(during) * 1000, "ms")
        else:
            say("the batch ended before a key could be pressed during it")
        say(f"batch: {[n.message for n in app._notifications][-1:]}")
    session.close()


def main(argv: list[str]) -> int:
    if argv[:1] == ["--measure"]:
        measure(Path(argv[1]), argv[2], argv[3])
        return 0
    from orderupd_tui.demo.process import spawn_demo_server

    with spawn_demo_server(orders=DEMO_ORDERS, rate_limit=False, seed=5) as demo, \
            tempfile.TemporaryDirectory() as tmp:
        path = build(Path(tmp), demo.url, demo.token, demo.control)
        child = subprocess.run([sys.executable, __file__, "--measure", str(path), demo.url,
                                demo.token], env={**os.environ, "TZ": "UTC"})
        return child.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""The app at scale: 1,000,000 orders with realistic rows, on SQLite and on PostgreSQL 20 ms away.

Setup (not measured): the demo store runs in its own process with 2,000
orders; the rest of the orders (each with a ~3 KB store payload and ~1 KB
of normalized fields, as a real Shopify order has) and 4,500 of the
pending updates are written in bulk at schema 0001, then the database is
upgraded (the sort indexes and the substring index are built over
everything), the demo orders are polled in over HTTP and 500 of them
changed and polled again, so 500 real pending updates can be accepted
against the store.  ``ORDERUPD_BENCH_ORDERS`` sets the total (default 1M).

PostgreSQL runs when ``ORDERUPD_BENCH_PG_URL`` (or ``ORDERUPD_TEST_PG_URL``)
is set, in a schema of its own; the app then reaches it through a TCP
proxy that this script starts, which adds 20 ms each way (a server across
a network), while the build and the other reviewer talk to it directly.
Its figures are named ``tui_pg_*``; SQLite's keep their names (``tui_*``).

The app is then measured in a child process (so the build does not count
in its memory), headless, at 120x36:

- first paint: from opening the session (imports excluded) to the first
  table line drawn with data;
- RSS: the process's peak resident memory after all the key figures;
- keys: time from the App receiving the key to the end of the first screen
  update it caused, with the update rendered to terminal bytes as a real
  terminal would need (headless Textual skips that step); rows not yet read
  draw as placeholders, so ``*_rows_p95`` gives the time until the rows
  themselves are on screen.  Pilot's own waiting is outside this window,
  and measured apart on an empty app as the floor a Pilot key costs anyway;
- a filter keystroke: from the key to the screen update showing the
  filtered rows, typing realistic filters;
- ``cross_process_visible``: another process (``orderupd-tui accept``)
  accepts an update; from its commit (its event's time) to the Updates pane
  no longer showing the row, with no poll by the app;
- a batch accept of the remaining real updates against the demo store,
  and cursor keys pressed while it runs.

Prints ``name value unit`` lines (commentary lines start with ``#``).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
TOTAL_ORDERS = int(os.environ.get("ORDERUPD_BENCH_ORDERS", "1000000"))
DEMO_ORDERS = 2_000
PENDING = 5_000
REAL_PENDING = 500
SIZE = (120, 36)
#: Seconds the proxy adds each way between the app and PostgreSQL.
PG_DELAY = 0.020
#: Orders in PostgreSQL's batch accept: each costs a dozen round trips through the proxy.
BATCH = 100

FIRST = ("Ada", "Bea", "Carl", "Dana", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jo", "Kim", "Lena",
         "Milo", "Nia", "Otto", "Pia", "Quinn", "Rosa", "Sam", "Tess", "Uma", "Vic", "Wes", "Zoe")
LAST = ("Smith", "Jones", "Brown", "Garcia", "Miller", "Davis", "Lopez", "Wilson", "Moore",
        "Taylor", "Thomas", "Lee", "Martin", "Clark", "Lewis", "Walker", "Hall", "Young", "King",
        "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Rivera", "Campbell")
PAYMENT = ("paid",) * 6 + ("pending", "authorized", "refunded", "partially_refunded")
FULFILMENT = ("fulfilled",) * 5 + ("unfulfilled",) * 3 + ("partial",)
ITEMS = (("ATJ-M-SLT", "Alpine Trail Jacket - M / Slate", "189.00"),
         ("MBL-S", "Merino Base Layer - S", "74.50"),
         ("CPO-SND", "Ceramic Pour-Over Set - Sand", "42.00"),
         ("TOTE-BLK", "Canvas Tote - Black", "19.95"),
         ("WB-750", "Insulated Water Bottle 750 ml", "32.00"))
COLUMNS = ("store_id", "remote_id", "number", "created_at", "updated_at", "customer", "email",
           "total", "currency", "payment_status", "fulfillment_status", "order_status",
           "platform_status", "local_status", "pending", "accounting_state", "accounting_ref",
           "posted_at", "data", "payload", "digest", "ignored_digest", "downloaded_at")


def say(line: str) -> None:
    print(f"# {line}", flush=True)


def figure(name: str, value: float, unit: str) -> None:
    print(f"{name} {value:.3f} {unit}", flush=True)


# -- building the database ----------------------------------------------------------------


def _address(rng: random.Random, name: str) -> dict[str, Any]:
    return {"first_name": name.split()[0], "last_name": name.split()[1],
            "address1": f"{rng.randint(1, 999)} Chestnut Street", "address2": "Unit 4",
            "city": "Vancouver", "province": "British Columbia", "province_code": "BC",
            "country": "Canada", "country_code": "CA", "zip": "V6B 1A1",
            "phone": "+1 604-555-0100", "company": None, "latitude": 49.28, "longitude": -123.12}


def templates(count: int = 16) -> list[tuple[str, str]]:
    """(payload, data) JSON texts shaped like a Shopify order and its normalized fields, with
    ``@ID@``-style holes: about 3 KB and 1 KB, the size real rows have."""
    rng = random.Random(3)
    made = []
    for _ in range(count):
        lines = [rng.choice(ITEMS) for _ in range(rng.randint(2, 4))]
        name = "@NAME@ Person"
        payload = {
            "id": "@ID@", "admin_graphql_api_id": "gid://shopify/Order/@ID@", "name": "#@NUMBER@",
            "order_number": "@NUMBER@", "created_at": "@CREATED@", "updated_at": "@CREATED@",
            "processed_at": "@CREATED@", "currency": "USD", "presentment_currency": "USD",
            "total_price": "@TOTAL@", "subtotal_price": "@TOTAL@", "total_tax": "0.00",
            "total_discounts": "0.00", "financial_status": "paid", "fulfillment_status": None,
            "email": "@EMAIL@", "contact_email": "@EMAIL@", "browser_ip": "203.0.113.7",
            "customer": {"id": 7000000000 + rng.randint(0, 10**6), "email": "@EMAIL@",
                         "first_name": "@NAME@", "last_name": "Person", "state": "enabled",
                         "verified_email": True, "tags": "", "currency": "USD"},
            "billing_address": _address(rng, name), "shipping_address": _address(rng, name),
            "line_items": [{"id": 9000000000 + rng.randint(0, 10**6), "sku": sku, "title": title,
                            "name": title, "quantity": 1, "price": price,
                            "price_set": {"shop_money": {"amount": price, "currency_code": "USD"},
                                          "presentment_money": {"amount": price,
                                                                "currency_code": "USD"}},
                            "vendor": "Northwind Outfitters", "requires_shipping": True,
                            "taxable": True, "fulfillment_status": None, "grams": 850,
                            "tax_lines": [], "discount_allocations": []}
                           for sku, title, price in lines],
            "shipping_lines": [{"title": "Standard", "price": "5.99", "code": "STD",
                                "source": "shopify"}],
            "note": None, "note_attributes": [{"name": "gift", "value": "no"}],
            "tags": "", "source_name": "web", "gateway": "shopify_payments",
            "payment_gateway_names": ["shopify_payments"], "test": False,
            "landing_site": "/collections/outerwear?utm_source=newsletter",
            "referring_site": "https://www.example.com/", "client_details": {
                "accept_language": "en-CA", "browser_height": 900, "browser_width": 1440,
                "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 "
                              "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"},
        }
        data = {
            "remote_id": "@ID@", "number": "@NUMBER@", "created_at": "@CREATED@",
            "updated_at": "@CREATED@", "currency": "USD", "total": "@TOTAL@",
            "subtotal": "@TOTAL@", "tax": "0.00", "shipping": "5.99", "discount": "0.00",
            "refunded": "0.00", "payment_status": "paid", "fulfillment_status": "unfulfilled",
            "order_status": "open", "platform_status": "paid", "customer": "@NAME@ Person",
            "email": "@EMAIL@", "note": "",
            "line_items": [{"sku": sku, "title": title, "quantity": "1", "unit_price": price,
                            "total": price} for sku, title, price in lines],
            "shipping_address": {k: v for k, v in _address(rng, name).items()
                                 if k in ("address1", "city", "province", "country", "zip")},
        }
        made.append((json.dumps(payload, ensure_ascii=False),
                     json.dumps(data, ensure_ascii=False)))
    return made


def filler_rows(count: int, first_number: int) -> Iterator[tuple[Any, ...]]:
    """Orders older than the demo store's (which are from the last month), numbered below them."""
    rng = random.Random(7)
    shapes = templates()
    start = datetime(2020, 1, 1)
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = (start + timedelta(minutes=2 * i, seconds=rng.randint(0, 100))).isoformat(" ")
        email = f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@example.com"
        total = f"{rng.randint(500, 50_000) / 100:.2f}"
        number = str(first_number + i)
        payload, data = rng.choice(shapes)
        fill = (("@ID@", f"bulk-{i}"), ("@NUMBER@", number), ("@CREATED@", created),
                ("@TOTAL@", total), ("@EMAIL@", email), ("@NAME@", first))
        for hole, value in fill:
            payload = payload.replace(hole, value)
            data = data.replace(hole, value)
        yield (1, f"bulk-{i}", number, created, created, f"{first} {last}", email, total, "USD",
               rng.choice(PAYMENT), rng.choice(FULFILMENT), "open", "", "active", 0, "unposted",
               None, None, data, payload, "0" * 32, None, created)


def fake_updates() -> list[tuple[int, str, str]]:
    """Pending updates spread evenly over the bulk orders (ids 1..filler), one per order."""
    count = PENDING - REAL_PENDING
    step = max(1, (TOTAL_ORDERS - DEMO_ORDERS) // count)
    detected = "2025-01-01 00:00:00"
    change = json.dumps([{"kind": "payment_status", "field": "payment_status",
                          "old": "pending", "new": "paid"}])
    return [(i * step + 1, detected, change) for i in range(count)]


def build_sqlite(folder: Path) -> str:
    from peewee import SqliteDatabase
    from playhouse.migrations import Runner

    from orderupd_tui.db import migrate

    path = folder / "orders.db"
    db = SqliteDatabase(str(path))
    db.connect()
    Runner(db, str(migrate.MIGRATIONS)).up(target="0001_initial")
    conn = db.connection()
    conn.execute("INSERT INTO store (name, platform) VALUES ('main', 'shopify')")
    with db.atomic():
        conn.executemany(f"INSERT INTO orders ({', '.join(COLUMNS)}) VALUES "
                         f"({', '.join('?' * len(COLUMNS))})",
                         filler_rows(TOTAL_ORDERS - DEMO_ORDERS, 10_000_000))
        conn.executemany(
            "INSERT INTO order_update (order_id, detected_at, source, kinds, changes, status) "
            "VALUES (?, ?, 'store', 'payment_status', ?, 'pending')", fake_updates())
        conn.execute("UPDATE orders SET pending = 1 WHERE id IN "
                     "(SELECT order_id FROM order_update WHERE status = 'pending')")
    db.close()
    return f"sqlite:///{path}"


class _Copy:
    """COPY's text format from rows, read by psycopg2 in chunks."""

    def __init__(self, rows: Iterator[tuple[Any, ...]]) -> None:
        self.rows = rows
        self.buffer = b""

    def read(self, size: int = 65536) -> bytes:
        while len(self.buffer) < size:
            row = next(self.rows, None)
            if row is None:
                break
            self.buffer += ("\t".join(_copy_value(v) for v in row) + "\n").encode()
        chunk, self.buffer = self.buffer[:size], self.buffer[size:]
        return chunk

    def readline(self) -> bytes:
        return self.read()


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    return (str(value).replace("\\", "\\\\").replace("\t", "\\t")
            .replace("\n", "\\n").replace("\r", "\\r"))


def pg_schema_url(base: str, schema: str | None = None) -> tuple[str, str]:
    """A schema name (new unless given) and the URL that works in it."""
    schema = schema or f"bench_{uuid.uuid4().hex[:10]}"
    sep = "&" if "?" in base else "?"
    return schema, f"{base}{sep}options=-csearch_path%3D{schema}"


def build_pg(base: str, schema: str, url: str) -> None:
    import psycopg2
    from playhouse.migrations import Runner

    from orderupd_tui.db import migrate
    from orderupd_tui.db.connection import _make

    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
    admin.close()
    db = _make(url)
    db.connect()
    Runner(db, str(migrate.MIGRATIONS)).up(target="0001_initial")
    conn = db.connection()
    with conn.cursor() as cur:
        cur.execute("INSERT INTO store (name, platform) VALUES ('main', 'shopify')")
        cur.copy_expert(f"COPY orders ({', '.join(COLUMNS)}) FROM STDIN",
                        _Copy(filler_rows(TOTAL_ORDERS - DEMO_ORDERS, 10_000_000)))
        cur.executemany(
            "INSERT INTO order_update (order_id, detected_at, source, kinds, changes, status) "
            "VALUES (%s, %s, 'store', 'payment_status', %s, 'pending')", fake_updates())
        cur.execute("UPDATE orders SET pending = true WHERE id IN "
                    "(SELECT order_id FROM order_update WHERE status = 'pending')")
    db.close()


def drop_pg(base: str, schema: str) -> None:
    import psycopg2

    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"DROP SCHEMA {schema} CASCADE")
    admin.close()


def finish(db_url: str, url: str, token: str, control: Any) -> None:
    """Upgrade to the latest schema (indexes over everything), then poll the demo orders in
    and change 500 of them: real pending updates to accept."""
    from orderupd_tui.services import sync
    from orderupd_tui.services.session import Session

    started = time.perf_counter()
    with Session(settings_for(db_url, url, token)) as session:
        say(f"migration to the latest schema: {time.perf_counter() - started:.1f} s")
        if not db_url.startswith("sqlite"):
            session.db.execute_sql("ANALYZE")
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
        size = session.db.execute_sql(
            "SELECT avg(length(payload)), avg(length(data)) FROM orders").fetchone()
    say(f"demo orders polled in and {changed} changed: {time.perf_counter() - started:.1f} s; "
        f"{total:,} orders ({size[0]:.0f} B payload, {size[1]:.0f} B fields on average), "
        f"{pending:,} pending updates")


def settings_for(db_url: str, url: str, token: str) -> Any:
    from orderupd_tui.config import parse

    return parse({"database": db_url, "poll_interval": 0,
                  "stores": [{"name": "main", "platform": "shopify", "url": url,
                              "token": token, "since": "2020-01-01"}],
                  "accounting": {"backend": "none"}},
                 base=Path(tempfile.gettempdir()), label="bench")


def write_config(folder: Path, db_url: str, url: str, token: str) -> Path:
    """The other reviewer's config: the same store and database (reached directly)."""
    import yaml

    path = folder / f"config-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump({
        "database": db_url, "poll_interval": 0,
        "stores": [{"name": "main", "platform": "shopify", "url": url, "token": token,
                    "since": "2020-01-01"}],
        "accounting": {"backend": "none"}}), encoding="utf-8")
    return path


# -- measuring the app (child process) ----------------------------------------------------


def measure(app_url: str, direct_url: str, url: str, token: str, prefix: str,
            config: str) -> None:
    asyncio.run(_measure(app_url, direct_url, url, token, prefix, Path(config)))


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


async def quiet(app: Any) -> None:
    """Until no worker runs (a replaced one is cancelled, which is not a failure here)."""
    while any(worker.is_running for worker in app.workers):
        await asyncio.sleep(0.005)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


async def _measure(app_url: str, direct_url: str, url: str, token: str, prefix: str,
                   config: Path) -> None:
    from rich.console import Console
    from textual import events

    from orderupd_tui.services.session import Session
    from orderupd_tui.tui.app import OrderApp
    from orderupd_tui.tui.messages import PageLoaded, ViewLoaded
    from orderupd_tui.tui.screens.main import MainScreen
    from orderupd_tui.tui.widgets.table import VirtualTable

    def name(suffix: str) -> str:
        return f"{prefix}_{suffix}"

    floor = await _pilot_floor()
    console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor",
                      width=SIZE[0], height=SIZE[1], legacy_windows=False)

    class Stamped(MainScreen):
        """Notes when read rows arrive (the base class's handlers then show them)."""

        async def on_view_loaded(self, message: ViewLoaded) -> None:
            clock.arrived = time.perf_counter()

        def on_page_loaded(self, message: PageLoaded) -> None:
            clock.arrived = time.perf_counter()

    class Clock:
        key_at = 0.0  # the key's arrival
        first_shown = 0.0  # the first screen update after it
        arrived = 0.0  # the last arrival of read rows
        data_shown = 0.0  # the first screen update after that

    clock = Clock()

    class Measured(OrderApp):
        """The app, noting when a key arrives and when screen updates are done."""

        def get_default_screen(self) -> Any:
            return Stamped(self.context)

        async def on_event(self, event: events.Event) -> None:
            if isinstance(event, events.Key):
                clock.key_at = time.perf_counter()
                clock.first_shown = 0.0
            await super().on_event(event)

        def _display(self, screen: Any, renderable: Any) -> None:
            super()._display(screen, renderable)
            if renderable is not None and hasattr(renderable, "render_segments"):
                renderable.render_segments(console)  # what a real terminal would be sent
            now = time.perf_counter()
            if not clock.first_shown:
                clock.first_shown = now
            if clock.arrived and clock.data_shown < clock.arrived:
                clock.data_shown = now

    async def loaded(table: VirtualTable, text: str | None = None) -> None:
        """Until the table holds what it shows (and, for a filter, shows ``text``)."""
        while table.fetching or (text is not None and (
                table.listing is None or table.listing.view.text != text)):
            await asyncio.sleep(0.001)
        await pilot.pause()

    async def key(name: str, table: VirtualTable | None = None,
                  text: str | None = None) -> tuple[float, float]:
        """Seconds from the key's arrival to the first screen update it caused, and to the
        update that showed the rows it needed (the same when no read was needed)."""
        await pilot.press(name)
        if not clock.first_shown or clock.first_shown < clock.key_at:
            raise AssertionError(f"{name!r} caused no screen update")
        first = clock.first_shown - clock.key_at
        if table is None:
            return first, first
        await loaded(table, text)
        rows = clock.data_shown - clock.key_at if clock.arrived > clock.key_at else first
        return first, rows

    opened = time.perf_counter()
    session = Session(settings_for(app_url, url, token))
    say(f"session opened (connect, schema check) in {time.perf_counter() - opened:.3f} s")
    app = Measured(session, cursor_blink=False)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen_stack[0].query_one("#inbox", VirtualTable)
        while table.first_paint is None:
            await asyncio.sleep(0.001)
        figure(name("first_paint"), table.first_paint - opened, "s")
        await loaded(table)
        await quiet(app)
        say(f"inbox: {table.total:,} orders; Pilot's own cost per key on an empty app: "
            f"{floor * 1000:.1f} ms")
        figure(name("pilot_key_floor"), floor * 1000, "ms")

        down = [await key("j", table) for _ in range(300)]
        figure(name("cursor_down_p95"), p95([d[0] for d in down]) * 1000, "ms")
        figure(name("cursor_down_rows_p95"), p95([d[1] for d in down]) * 1000, "ms")
        pages = [await key("pagedown", table) for _ in range(100)]
        figure(name("page_down_p95"), p95([p[0] for p in pages]) * 1000, "ms")
        figure(name("page_down_rows_p95"), p95([p[1] for p in pages]) * 1000, "ms")
        ends = []
        for _ in range(20):
            ends.append(await key("G", table))
            assert table.cursor == table.total - 1
            await key("g", table)
        figure(name("end_G_p95"), p95([e[0] for e in ends]) * 1000, "ms")
        figure(name("end_G_rows_p95"), p95([e[1] for e in ends]) * 1000, "ms")

        typed: list[float] = []
        shown: list[float] = []
        slowest: list[tuple[float, str]] = []
        for text in ("smith", "ada.lee", "1000123", "walker", "example", "zoe m"):
            await pilot.press("slash")
            for length, char in enumerate(text, 1):
                first, rows = await key("space" if char == " " else char, table,
                                        text[:length])
                typed.append(first)
                shown.append(rows)
                slowest.append((rows, text[:length]))
            say(f"filter {text!r}: {table.total:,} orders")
            await pilot.press("escape")
            await quiet(app)
            await loaded(table, "")
        say("slowest filter keystrokes (to rows): " + ", ".join(
            f"{seen!r} {seconds * 1000:.0f} ms" for seconds, seen in sorted(slowest)[-3:]))
        figure(name("filter_keystroke_p95"), p95(shown) * 1000, "ms")
        figure(name("filter_keystroke_max"), max(shown) * 1000, "ms")
        figure(name("filter_keystroke_echo_p95"), p95(typed) * 1000, "ms")

        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
        figure(name("rss_peak"), peak / 1024, "MB")

        await pilot.press("2")
        updates = app.screen_stack[0].query_one("#updates", VirtualTable)
        await loaded(updates)
        say(f"updates pane: {updates.total:,} pending")
        real = [row for row in session.db.execute_sql(
            "SELECT o.id, s.name, o.number FROM order_update u JOIN orders o ON o.id = u.order_id "
            "JOIN store s ON s.id = o.store_id "
            f"WHERE u.status = 'pending' AND o.remote_id NOT LIKE {session.db.param}",
            ("bulk-%",)).fetchall()]
        await cross_process(pilot, updates, real[0], config, direct_url, name)

        batch = real[1:BATCH + 1] if prefix == "tui_pg" else real[1:]
        app.screen_stack[0].marks.update(row[0] for row in batch)
        await pilot.press("a")
        await quiet(app)
        await pilot.pause()
        # Pilot waits for quiet, and a batch sends progress: from here keys go in directly.
        started = time.perf_counter()
        app.post_message(events.Key("y", "y"))
        while not app.status.batch:
            await asyncio.sleep(0.001)
        during: list[float] = []
        while app.status.batch:
            app.post_message(events.Key("j" if len(during) % 20 < 10 else "k", None))
            sent = time.perf_counter()
            while clock.first_shown < sent and app.status.batch:
                await asyncio.sleep(0.001)
            if clock.first_shown >= sent:
                during.append(clock.first_shown - clock.key_at)
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        figure(name(f"batch_accept_{len(batch)}"), elapsed, "s")
        if during:
            figure(name("key_during_batch_p95"), p95(during) * 1000, "ms")
            figure(name("key_during_batch_max"), max(during) * 1000, "ms")
        else:
            say("the batch ended before a key could be pressed during it")
        say(f"batch: {[n.message for n in app._notifications][-1:]}")
    session.close()


async def cross_process(pilot: Any, updates: Any, row: tuple[Any, ...], config: Path,
                        direct_url: str, name: Any) -> None:
    """Another reviewer's accept, in its own process: from its commit to the row leaving."""
    order_id, store, number = row
    before = updates.total
    exe = shutil.which("orderupd-tui", path=str(Path(sys.executable).parent))
    assert exe, "the orderupd-tui console script is not installed"
    proc = await asyncio.create_subprocess_exec(
        exe, "accept", f"{store}:{number}", "--config", str(config), "--db", direct_url,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, "USER": "bob", "LOGNAME": "bob"})
    _, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    while updates.total >= before:
        await asyncio.sleep(0.005)
    seen = datetime.now(UTC)
    at = pilot.app.session.db.execute_sql(
        "SELECT max(at) FROM event WHERE action = 'accept' AND order_id = "
        f"{int(order_id)}").fetchone()[0]
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    figure(name("cross_process_visible"), (seen - at.replace(tzinfo=UTC)).total_seconds(), "s")


def main(argv: list[str]) -> int:
    if argv[:1] == ["--measure"]:
        measure(*argv[1:7])
        return 0
    from orderupd_tui.demo.process import spawn_demo_server

    base = os.environ.get("ORDERUPD_BENCH_PG_URL") or os.environ.get("ORDERUPD_TEST_PG_URL")
    only = set(argv)
    with spawn_demo_server(orders=DEMO_ORDERS, rate_limit=False, seed=5) as demo, \
            tempfile.TemporaryDirectory() as tmp:
        code = 0
        if not only or "sqlite" in only:
            code |= run_sqlite(Path(tmp), demo)
        if base and (not only or "postgresql" in only):
            code |= run_pg(Path(tmp), base, demo)
        elif not base:
            say("PostgreSQL skipped: set ORDERUPD_BENCH_PG_URL (or ORDERUPD_TEST_PG_URL)")
        return code


def child(app_url: str, direct_url: str, demo: Any, prefix: str, folder: Path) -> int:
    config = write_config(folder, direct_url, demo.url, demo.token)
    return subprocess.run([sys.executable, __file__, "--measure", app_url, direct_url, demo.url,
                           demo.token, prefix, str(config)],
                          env={**os.environ, "TZ": "UTC"}).returncode


def run_sqlite(folder: Path, demo: Any) -> int:
    started = time.perf_counter()
    db_url = build_sqlite(folder)
    say(f"SQLite: bulk insert of {TOTAL_ORDERS - DEMO_ORDERS:,} orders: "
        f"{time.perf_counter() - started:.1f} s")
    finish(db_url, demo.url, demo.token, demo.control)
    say(f"SQLite file: {Path(db_url.removeprefix('sqlite:///')).stat().st_size / 2**30:.2f} GiB")
    code = child(db_url, db_url, demo, "tui", folder)
    for leftover in folder.glob("orders.db*"):
        leftover.unlink()
    return code


def run_pg(folder: Path, base: str, demo: Any) -> int:
    sys.path.insert(0, str(ROOT))
    from tests.fakes.delay_proxy import DelayProxy

    kept = os.environ.get("ORDERUPD_BENCH_PG_SCHEMA")  # one built before, kept: no build
    schema, db_url = pg_schema_url(base, kept)
    started = time.perf_counter()
    try:
        if not kept:
            build_pg(base, schema, db_url)
            say(f"PostgreSQL: COPY of {TOTAL_ORDERS - DEMO_ORDERS:,} orders: "
                f"{time.perf_counter() - started:.1f} s")
            finish(db_url, demo.url, demo.token, demo.control)
        parts = urlsplit(db_url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 5432
        with DelayProxy(host, port, PG_DELAY) as proxy:
            app_url = parts._replace(netloc=parts.netloc.replace(
                f"{host}:{port}" if parts.port else host, f"127.0.0.1:{proxy.port}")).geturl()
            say(f"the app reaches PostgreSQL through a proxy adding {PG_DELAY * 1000:.0f} ms "
                "each way")
            return child(app_url, db_url, demo, "tui_pg", folder)
    finally:
        if not kept and not os.environ.get("ORDERUPD_BENCH_PG_KEEP"):
            drop_pg(base, schema)
        elif not kept:
            say(f"kept schema {schema} (ORDERUPD_BENCH_PG_SCHEMA={schema} reuses it)")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

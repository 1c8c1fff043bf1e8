"""Intake that no store can wedge or fool, against a hostile store over loopback (DESIGN §3).

Each test serves payloads written here (good orders from the demo's
generator, made hostile by hand) through :class:`HostileStore`, and polls
it with the real connectors into a real database.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.config import parse
from orderupd_tui.db.models import Event, Order, SetAside, Store
from orderupd_tui.demo import bigcommerce_shape, magento_shape, woocommerce_shape
from orderupd_tui.demo.generator import generate_orders, shop_timezone
from orderupd_tui.services import setaside, sync
from orderupd_tui.services.session import Session
from tests.fakes.hostile_store import ID_KEYS, HostileStore

EXE = shutil.which("orderupd-tui", path=str(Path(sys.executable).parent))


def shopify_orders(count: int, seed: int = 11) -> list[dict[str, Any]]:
    return generate_orders(count, seed=seed)


def shaped(platform: str, store: HostileStore, count: int) -> list[dict[str, Any]]:
    """``count`` well-formed orders in the platform's own shape."""
    orders = shopify_orders(count)
    if platform == "woocommerce":
        return [woocommerce_shape.shape(o, store.url, shop_timezone(-300)) for o in orders]
    if platform == "magento":
        return [magento_shape.shape(o, store.url) for o in orders]
    if platform == "bigcommerce":
        return [bigcommerce_shape.shape(o, store.url, "h").order for o in orders]
    return orders


@pytest.fixture
def poll_of(db_url: str, tmp_path: Path) -> Iterator[Callable[[HostileStore], Session]]:
    """A session polling one hostile store into this test's database."""
    opened: list[Session] = []

    def make(store: HostileStore, **options: Any) -> Session:
        settings = parse({
            "database": db_url,
            "poll_interval": 0,
            "stores": [{"name": "odd", "platform": store.platform, "since": "2020-01-01",
                        **store.store_options(), **options}],
            "accounting": {"backend": "none"},
        }, base=tmp_path, label="test.yaml")
        session = Session(settings)
        opened.append(session)
        return session

    yield make  # type: ignore[misc]
    for session in opened:
        session.close()


def hostile(platform: str) -> Iterator[HostileStore]:
    with HostileStore(platform) as store:
        yield store


@pytest.fixture
def shop() -> Iterator[HostileStore]:
    yield from hostile("shopify")


# --- one unreadable order never wedges its page, its store or the poll -----------------------


def _bad_shopify(good: list[dict[str, Any]]) -> list[Any]:
    twelve, two, bob, no_id = (copy.deepcopy(o) for o in good[1:5])
    twelve["total_price"] = "twelve"
    two["line_items"][0]["quantity"] = "two"
    bob["customer"] = "bob"
    del no_id["id"]
    return [good[0], twelve, two, bob, no_id, "not an order", good[5]]


def test_unreadable_orders_are_set_aside_and_the_good_ones_stored(shop, poll_of):
    good = shopify_orders(6)
    shop.orders = _bad_shopify(good)
    session = poll_of(shop)

    (result,) = sync.poll_once(session)
    assert result.errors == [] and result.failed
    assert result.new == 2
    assert {o.remote_id for o in Order.select()} == {str(good[0]["id"]), str(good[5]["id"])}
    assert len(result.set_aside) == 5
    entries = {e.key: e for e in setaside.open_entries(session)}
    twelve = entries[str(good[1]["id"])]
    assert "total_price" in twelve.error and "twelve" in twelve.error and twelve.attempts == 1
    assert twelve.number == str(good[1]["order_number"])
    assert "quantity" in entries[str(good[2]["id"])].error or "two" in entries[
        str(good[2]["id"])].error
    no_id = [e for e in entries.values() if e.remote_id is None]
    assert {e.error for e in no_id} == {"id: missing or not an id",
                                        "not an order object but a str ('not an order')"}
    assert Store.get(Store.name == "odd").cursor is not None  # the cursor moved on

    # The store fixes the order without touching updated_at: the retry by id reads it.
    shop.replace(str(good[1]["id"]), good[1])
    (again,) = sync.poll_once(session)
    assert again.errors == []
    assert str(good[1]["id"]) in {o.remote_id for o in Order.select()}
    assert len(again.set_aside) == 4
    lookups = [r for r in shop.requests if "ids=" in r]
    assert lookups and all(str(good[1]["id"]) in r for r in lookups)  # asked for by id
    read = Event.get(Event.action == "set-aside read")
    assert read.order.remote_id == str(good[1]["id"])
    assert SetAside.get(SetAside.key == str(good[1]["id"])).state == "resolved"


def test_a_fixed_order_raises_updates_as_usual(shop, poll_of):
    """A set-aside order that was known before is compared with its local copy once it reads."""
    good = shopify_orders(3)
    shop.orders = copy.deepcopy(good)
    session = poll_of(shop)
    sync.poll_once(session)
    broken = copy.deepcopy(good[1])
    broken["updated_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    broken["total_price"] = None
    broken["total_price_set"] = {"shop_money": {"amount": "lots", "currency_code": "USD"}}
    shop.replace(str(good[1]["id"]), broken)
    (result,) = sync.poll_once(session)
    assert len(result.set_aside) == 1
    fixed = {**copy.deepcopy(good[1]), "updated_at": broken["updated_at"]}
    fixed["financial_status"] = "refunded"
    shop.replace(str(good[1]["id"]), fixed)
    (result,) = sync.poll_once(session)
    assert result.set_aside == [] and not result.failed
    order = Order.get(Order.remote_id == str(good[1]["id"]))
    assert order.pending  # the change the fixed copy carries is raised for review


@pytest.mark.parametrize("platform", ["woocommerce", "magento", "bigcommerce"])
def test_every_connector_sets_aside_what_it_cannot_read(platform, poll_of):
    with HostileStore(platform) as store:
        good = shaped(platform, store, 3)
        bad = copy.deepcopy(good[1])
        if platform == "woocommerce":
            bad["status"] = "draft"
            bad["date_created_gmt"] = None  # a draft (checkout-draft) as WooCommerce sends it
            bad["date_created"] = None
        elif platform == "magento":
            bad["grand_total"] = "twelve"
        else:
            bad["date_created"] = "yesterday-ish"
        store.orders = [good[0], bad, "junk", good[2]]
        session = poll_of(store)
        (result,) = sync.poll_once(session)
        assert result.errors == [], result.errors
        assert result.new == 2 and len(result.set_aside) == 2
        key = str(bad[ID_KEYS[platform]])
        entry = next(e for e in setaside.open_entries(session) if e.key == key)
        field = {"woocommerce": "date_created", "magento": "grand_total",
                 "bigcommerce": "date_created"}[platform]
        assert field in entry.error, entry.error

        store.replace(key, good[1])
        (again,) = sync.poll_once(session)
        assert again.new == 1 and len(again.set_aside) == 1  # only the non-object is left


# --- clocks ----------------------------------------------------------------------------------


def test_a_future_updated_at_never_carries_the_cursor_past_local_time(shop, poll_of):
    orders = shopify_orders(2)
    orders[1]["updated_at"] = "2099-01-01T00:00:00Z"
    shop.orders = orders
    shop.date = ""  # no Date header at all
    session = poll_of(shop)
    before = datetime.now(UTC)
    (result,) = sync.poll_once(session)
    assert result.new == 2
    assert result.cursor is not None and result.cursor <= before - sync.SAFETY_MARGIN + \
        timedelta(seconds=5)


def test_a_far_off_store_clock_is_reported_and_never_followed(shop, poll_of):
    shop.orders = shopify_orders(2)
    shop.date = format_datetime(datetime(2100, 1, 1, tzinfo=UTC), usegmt=True)
    session = poll_of(shop)
    before = datetime.now(UTC)
    (result,) = sync.poll_once(session)
    assert result.cursor is not None and result.cursor < before
    (warning,) = result.warnings
    assert "clock" in warning and "ahead" in warning and "2100-01-01" in warning
    assert Store.get(Store.name == "odd").last_warning == warning


# --- bounds ----------------------------------------------------------------------------------


def test_a_looping_link_stops_the_listing_with_one_line(shop, poll_of):
    shop.orders = shopify_orders(3)
    shop.loop_link = True
    session = poll_of(shop)
    (result,) = sync.poll_once(session)
    (error,) = result.errors
    assert "already sent" in error and "\n" not in error
    assert len([r for r in shop.requests if "orders.json" in r]) == 2
    assert Order.select().count() == 3  # what was read is kept; the cursor stays
    assert Store.get(Store.name == "odd").cursor is None


def test_a_listing_past_max_pages_stops_with_one_line(shop, poll_of):
    shop.orders = shopify_orders(3)
    shop.loop_link = True
    shop.fresh_links = True  # a new cursor each page: only the cap can end it
    session = poll_of(shop, max_pages=5)
    (result,) = sync.poll_once(session)
    (error,) = result.errors
    assert "after 5 (max_pages)" in error
    asked = len([r for r in shop.requests if "orders.json" in r])
    assert 6 <= asked <= 8  # the cap, plus the pages read ahead while the last was stored


def test_a_store_that_drips_its_answer_fails_at_the_deadline(shop, poll_of):
    shop.orders = shopify_orders(2)
    shop.drip = 0.2  # a byte every 0.2 s: each read is quick, the whole answer takes hours
    session = poll_of(shop, deadline=2, timeout=1)
    start = time.monotonic()
    (result,) = sync.poll_once(session)
    took = time.monotonic() - start
    (error,) = result.errors
    assert "\n" not in error and "odd" in error
    assert took < 60, took  # bounded by the deadline (and its retries), not by the store
    assert Store.get(Store.name == "odd").cursor is None


# --- parity: both databases take and refuse the same data -----------------------------------


def test_a_nul_byte_and_long_text_are_stored_alike_on_both_databases(shop, poll_of):
    orders = shopify_orders(2)
    orders[0]["customer"]["first_name"] = "Ali\x00ce"
    orders[1]["email"] = "x" * 300 + "@example.com"
    shop.orders = orders
    session = poll_of(shop)
    (result,) = sync.poll_once(session)
    assert result.errors == [] and result.new == 2
    alice = Order.get(Order.remote_id == str(orders[0]["id"]))
    assert "\x00" not in alice.customer and alice.customer.startswith("Ali")
    long = Order.get(Order.remote_id == str(orders[1]["id"]))
    assert len(long.email) == 255
    noted = [e.detail for e in Event.select().where(Event.order == long)]
    assert any("email" in d and "cut" in d for d in noted), noted


def test_a_currency_not_in_iso_4217_and_an_amount_past_the_column_are_set_aside(shop, poll_of):
    """SQLite would store ``EURO`` and ``1e20`` (as a REAL); PostgreSQL would refuse both.

    Both databases must do the same: neither, with the order kept aside.
    """
    orders = shopify_orders(3)
    orders[0]["currency"] = "EURO"
    orders[1]["total_price"] = "1e20"
    shop.orders = orders
    session = poll_of(shop)
    (result,) = sync.poll_once(session)
    assert result.errors == [] and result.new == 1
    errors = {e.key: e.error for e in setaside.open_entries(session)}
    assert "currency" in errors[str(orders[0]["id"])] and "EURO" in errors[str(orders[0]["id"])]
    assert "total_price" in errors[str(orders[1]["id"])]
    assert "out of range" in errors[str(orders[1]["id"])]


# --- the CLI: errors, dismiss, stderr, exit codes ---------------------------------------------


@pytest.fixture
def odd_cli(shop: HostileStore, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    config = tmp_path / "config.yaml"
    config.write_text(
        "database: sqlite:///orders.db\npoll_interval: 0\n"
        f"stores:\n  - name: odd\n    platform: shopify\n    url: {shop.url}\n"
        "    token: hostile-token\n    since: 2020-01-01\naccounting:\n  backend: none\n")
    env = {**os.environ, "ORDERUPD_CONFIG": str(config),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EXE, *args], env=env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)

    return run


def test_poll_names_set_aside_orders_on_stderr_and_errors_lists_them(shop, odd_cli):
    good = shopify_orders(3)
    bad = copy.deepcopy(good[1])
    bad["total_price"] = "twelve"
    shop.orders = [good[0], bad, good[2]]

    poll = odd_cli("poll")
    assert poll.returncode == 1
    assert "twelve" not in poll.stdout and "1 set aside" in poll.stdout
    (line,) = [x for x in poll.stderr.splitlines() if "set aside" in x]
    assert f"order {bad['id']}" in line and "total_price" in line and "twelve" in line

    human = odd_cli("errors").stdout.splitlines()
    assert human[0].split() == ["ORDER", "SEEN", "TRIES", "ERROR"]
    assert re.match(rf"odd:{bad['id']} +\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ +1  ", human[1])
    listed = odd_cli("errors", "--json")
    assert listed.returncode == 0

    (entry,) = json.loads(listed.stdout)
    assert {"store", "remote_id", "number", "error", "first_seen", "last_seen",
            "attempts"} <= set(entry)
    assert (entry["store"], entry["remote_id"]) == ("odd", str(bad["id"]))
    assert entry["number"] == str(bad["order_number"]) and entry["attempts"] == 1
    assert odd_cli("poll").returncode == 1
    assert json.loads(odd_cli("errors", "--json").stdout)[0]["attempts"] == 2

    no_reason = odd_cli("errors", "dismiss", f"odd:{bad['id']}")
    assert no_reason.returncode == 2
    unknown = odd_cli("errors", "dismiss", "odd:nope", "--reason", "x")
    assert unknown.returncode == 2 and "no open set-aside order" in unknown.stderr
    dismissed = odd_cli("errors", "dismiss", f"odd:{bad['id']}", "--reason", "test order")
    assert dismissed.returncode == 0, dismissed.stderr
    assert json.loads(odd_cli("errors", "--json").stdout) == []
    again = odd_cli("poll")
    assert again.returncode == 0, again.stderr
    assert "nothing is set aside" in odd_cli("errors").stderr


def test_a_poll_killed_with_sigkill_never_blocks_the_next_one(shop, odd_cli, tmp_path):
    shop.orders = shopify_orders(3)
    shop.drip = 0.05  # the listing takes minutes: the poll is killed in the middle of it
    env = {**os.environ, "ORDERUPD_CONFIG": str(tmp_path / "config.yaml"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}
    first = subprocess.Popen([EXE, "poll"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        holder = None
        while holder is None and time.monotonic() < deadline:
            time.sleep(0.1)
            try:
                with sqlite3.connect(tmp_path / "orders.db") as db:
                    row = db.execute("SELECT lease_owner FROM store WHERE name = 'odd'").fetchone()
                holder = row[0] if row else None
            except sqlite3.OperationalError:
                continue  # the schema is still being created
        assert holder is not None and f":{first.pid}:" in holder
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    shop.drip = 0.0
    again = odd_cli("poll")
    assert again.returncode == 0, again.stderr
    assert "being polled" not in again.stderr and " 3 new" in again.stdout

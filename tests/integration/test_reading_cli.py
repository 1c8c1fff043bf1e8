"""Orders read as the store meant them, seen through the installed command over loopback.

A fake WooCommerce store (``tests/fakes/woocommerce_server.py``) serves
payloads written here: amounts in currencies with three and no decimals,
and two orders that share a number, which every verb must refuse to guess
between.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.accounting.conftest import run_bean_check
from tests.fakes.woocommerce_server import WooCommerceFake, woo_order
from tests.integration.posting_support import ledger_text, transactions
from tests.integration.test_cli import EXE, json_of, no_traceback

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def woo() -> Iterator[WooCommerceFake]:
    with WooCommerceFake() as fake:
        yield fake


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "books" / "orders.beancount"


@pytest.fixture
def cli(woo: WooCommerceFake, tmp_path: Path) -> Cli:
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    config = tmp_path / "config.yaml"
    config.write_text(
        "database: sqlite:///orders.db\npoll_interval: 1\n"
        "stores:\n  - name: main\n    platform: woocommerce\n"
        f"    url: {woo.url}\n    consumer_key: ${{WC_KEY}}\n    consumer_secret: ${{WC_SECRET}}\n"
        "    since: 2026-01-01\n"
        "accounting:\n  backend: beancount\n  path: books/orders.beancount\n  on_reset: keep\n"
    )
    env = {**os.environ, "WC_KEY": woo.key, "WC_SECRET": woo.secret,
           "ORDERUPD_CONFIG": str(config), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([EXE, *args], env=env, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)
        no_traceback(proc)
        assert "unexpected error" not in proc.stderr
        return proc

    return run


def test_a_kwd_order_keeps_its_third_decimal_from_the_store_to_the_ledger(cli, woo, ledger):
    woo.add(woo_order(501, "501", "12.345", currency="KWD"))
    woo.add(woo_order(502, "502", "1500", currency="JPY"))
    woo.add(woo_order(503, "503", "19.9", currency="EUR"))
    poll = cli("poll")
    assert poll.returncode == 0, poll.stderr

    totals = {o["ref"]: (o["total"], o["currency"]) for o in json_of(cli("orders", "--json"))}
    assert totals == {"main:501": ("12.345", "KWD"), "main:502": ("1500", "JPY"),
                      "main:503": ("19.90", "EUR")}

    posted = cli("post", "main:501", "main:502", "main:503", "--yes")
    assert (posted.returncode, posted.stdout.strip()) == (0, "3 posted"), posted.stderr
    run_bean_check(ledger)
    text = ledger_text(ledger)
    assert "12.345 KWD" in text and "-12.345 KWD" in text
    assert "1500 JPY" in text and "1500.00 JPY" not in text
    assert "19.90 EUR" in text
    history = json_of(cli("history", "main:501", "--json"))
    assert [(p["amount"], p["currency"]) for p in history["postings"]] == [("12.345", "KWD")]


def test_a_number_two_orders_share_is_refused_by_every_verb_listing_their_ids(cli, woo, ledger):
    """WooCommerce's number can repeat after a renumbering plugin or an import."""
    woo.add(woo_order(601, "1001", "10.00"))
    woo.add(woo_order(602, "1001", "20.00"))
    assert cli("poll").returncode == 0
    ids = sorted(o["id"] for o in json_of(cli("orders", "--json")) if o["number"] == "1001")
    assert len(ids) == 2

    for verb in (("post", "main:1001", "--yes"), ("post", "--reconcile", "main:1001"),
                 ("history", "main:1001"), ("accept", "main:1001"), ("ignore", "main:1001"),
                 ("cancel", "main:1001", "--yes"), ("refresh", "main:1001", "--yes")):
        proc = cli(*verb)
        assert proc.returncode == 2, (verb, proc.stdout, proc.stderr)
        assert f"ids {ids[0]}, {ids[1]}" in proc.stderr, (verb, proc.stderr)
    assert transactions(ledger) == 0
    assert all(o["local_status"] == "active" and o["accounting"]["state"] == "unposted"
               for o in json_of(cli("orders", "--json")))

    # The internal id names one of them, for every verb.
    second = cli("post", str(ids[1]), "--yes")
    assert (second.returncode, second.stdout.strip()) == (0, "1 posted"), second.stderr
    run_bean_check(ledger)
    assert transactions(ledger) == 1 and "20.00 USD" in ledger_text(ledger)
    assert "10.00 USD" not in ledger_text(ledger)
    assert cli("history", str(ids[0])).returncode == 0
    refreshed = cli("refresh", str(ids[0]))
    assert refreshed.returncode == 0, refreshed.stderr


@pytest.mark.parametrize("verb", [("accept",), ("ignore",), ("cancel",), ("refresh",),
                                  ("post", "--yes"), ("history",)])
def test_an_id_too_big_for_the_database_is_no_such_order(cli, woo, verb):
    woo.add(woo_order(701, "701", "5.00"))
    assert cli("poll").returncode == 0
    huge = "99999999999999999999999999999"
    proc = cli(verb[0], huge, *verb[1:])
    assert proc.returncode == 2, proc.stderr
    assert f"{huge}: no such order" in proc.stderr


def test_unicode_digits_are_not_an_id(cli, woo):
    proc = cli("history", "²")
    assert proc.returncode == 2
    assert "is not an order reference" in proc.stderr


def test_the_repeated_line_and_the_fractional_quantity_reach_the_stored_order(cli, woo,
                                                                              tmp_path):
    kilo = {"id": 88, "name": "Apples (kg)", "sku": "APL", "quantity": 1.5, "price": 4,
            "subtotal": "6.00", "total": "6.00"}
    woo.add(woo_order(801, "801", "6.00", line_items=[kilo, dict(kilo)]))
    assert cli("poll").returncode == 0
    (row,) = json_of(cli("orders", "--json"))
    assert (row["total"], row["payment_status"]) == ("6.00", "paid")
    with sqlite3.connect(tmp_path / "orders.db") as db:
        (data,) = db.execute("SELECT data FROM orders").fetchone()
    lines = json.loads(data)["line_items"]
    assert [(li["sku"], li["quantity"], li["unit_price"], li["total"]) for li in lines] == [
        ("APL", "1.5", "4.00", "6.00")]
    events = json_of(cli("history", row["ref"], "--json"))["events"]
    assert [(e["action"], e["detail"]) for e in events] == [
        ("read with repairs", "line 88 was listed 2 times: kept once")]
    # Reading the same payload again finds nothing changed: the stored copy round-trips.
    refreshed = cli("refresh", row["ref"])
    assert refreshed.returncode == 0, refreshed.stderr
    assert cli("poll").returncode == 0
    assert json_of(cli("updates", "--json", "--all")) == []

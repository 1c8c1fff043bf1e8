"""``orderupd-tui post`` (and the poll's check of the books) as a user runs them.

Run through the installed console script, with a config file, private XDG
dirs and a SQLite database, as :mod:`tests.integration.test_cli` does.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.db.connection import open_database
from orderupd_tui.db.models import database
from orderupd_tui.demo.process import DemoProcess
from tests.fakes.quickbooks_server import QuickBooksFake
from tests.integration.posting_support import (
    clean,
    database_text,
    demo_store,
    paid_ids,
    transactions,
)
from tests.integration.test_cli import EXE, json_of, no_traceback

Cli = Callable[..., subprocess.CompletedProcess[str]]

QBO_TOKEN = "qbo-access-secret-91c2"


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with demo_store() as server:
        yield server


def make_cli(demo: DemoProcess, tmp_path: Path, accounting: str) -> Cli:
    """A ``cli(*args)`` runner with this ``accounting:`` section in its config."""
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    config = tmp_path / "config.yaml"
    config.write_text(
        "database: sqlite:///orders.db\npoll_interval: 1\n"
        "stores:\n  - name: main\n    platform: shopify\n"
        f"    url: {demo.url}\n    token: ${{DEMO_TOKEN}}\n    since: 2026-01-01\n"
        f"accounting:\n{accounting}"
    )
    env = {**os.environ, "DEMO_TOKEN": demo.token, "QBO_TOKEN": QBO_TOKEN,
           "ORDERUPD_CONFIG": str(config), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EXE, *args], env=env, capture_output=True, text=True,
                              timeout=120, stdin=subprocess.DEVNULL)

    return run


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return tmp_path / "books" / "orders.beancount"


@pytest.fixture
def cli(demo: DemoProcess, tmp_path: Path, ledger: Path) -> Cli:
    demo.control.clear_faults()
    return make_cli(demo, tmp_path, "  backend: beancount\n  path: books/orders.beancount\n"
                                    "  on_reset: ask\n")


def refs(demo: DemoProcess, count: int, cli: Cli) -> list[str]:
    wanted = {str(i) for i in paid_ids(demo, count)}
    orders = json_of(cli("orders", "--json"))
    return [o["ref"] for o in orders if o["remote_id"] in wanted]


def test_post_exits_0_then_3_for_a_second_post(cli, demo, ledger):
    assert cli("poll").returncode == 0
    (ref,) = refs(demo, 1, cli)
    first = cli("post", ref)
    assert (first.returncode, first.stdout.strip()) == (0, "1 posted"), first.stderr
    (row,) = [o for o in json_of(cli("orders", "--json")) if o["ref"] == ref]
    assert row["accounting"]["state"] == "posted" and row["accounting"]["ref"]
    assert row["accounting"]["posted_at"].endswith("Z")
    clean(ledger)

    again = cli("post", ref)
    assert again.returncode == 3
    assert again.stderr.strip() == (f"orderupd-tui: {ref} is already posted as "
                                    f"{row['accounting']['ref']}")
    assert again.stdout.strip() == "0 posted, 1 refused"
    history = json_of(cli("history", ref, "--json"))
    assert [p["state"] for p in history["postings"]] == ["posted"]
    assert transactions(ledger) == 1


def test_post_json_reports_each_order_and_usage_errors_exit_2(cli, demo):
    cli("poll")
    good, other = refs(demo, 2, cli)
    cli("post", other)
    proc = cli("post", "--json", good, other)
    assert proc.returncode == 3
    results = json_of(proc)
    assert [r["ref"] for r in results] == [good, other]
    assert [(r["code"], r["result"]) for r in results] == [(0, "posted"), (3, "refused")]
    assert set(results[0]) == {"ref", "code", "result", "message", "accounting"}
    assert set(results[0]["accounting"]) == {"state", "ref", "posted_at", "previous"}
    assert results[0]["accounting"]["state"] == "posted"

    unknown = cli("post", "main:999999")
    assert unknown.returncode == 2 and "no such order" in unknown.stderr
    missing = cli("post")
    assert missing.returncode == 2 and "needs at least one REF" in missing.stderr
    no_traceback(missing)
    assert cli("post", "--reconcile").stdout.strip() == "0 settled"


def test_accept_with_void_voids_in_the_journal_and_repost_after_keep_needs_force(cli, demo,
                                                                                ledger):
    cli("poll")
    voided, kept = refs(demo, 2, cli)
    assert cli("post", voided, kept).returncode == 0
    for ref in (voided, kept):
        demo.control.change(_remote_id(cli, ref), "refund")
    assert cli("poll").returncode == 0

    assert cli("accept", voided, "--yes").returncode == 3  # on_reset: ask needs a choice
    assert cli("accept", voided, "--yes", "--void").returncode == 0
    assert 'voids: "' in ledger.read_text()
    assert cli("accept", kept, "--yes", "--keep").returncode == 0
    clean(ledger)

    refused = cli("post", kept)
    assert refused.returncode == 3 and "--force" in refused.stderr
    forced = cli("post", kept, "--force")
    assert forced.returncode == 0, forced.stderr
    events = [e["action"] for e in json_of(cli("history", kept, "--json"))["events"]]
    assert "repost forced" in events
    (row,) = [o for o in json_of(cli("orders", "--json")) if o["ref"] == voided]
    assert row["accounting"]["state"] == "unposted"
    assert row["accounting"]["previous"][0]["state"] == "voided"
    clean(ledger)


def test_a_hand_deleted_transaction_shows_in_updates_after_a_poll(cli, demo, ledger):
    cli("poll")
    (ref,) = refs(demo, 1, cli)
    cli("post", ref)
    text = ledger.read_text()
    ledger.write_text("\n\n".join(b for b in text.split("\n\n") if f'"{ref}"' not in b))
    poll = cli("poll")
    assert poll.returncode == 0
    assert "beancount: 1 documents checked, 1 changed in the books" in poll.stdout
    (update,) = json_of(cli("updates", "--json"))
    assert (update["ref"], update["source"], update["kinds"]) == (ref, "accounting",
                                                                  ["accounting_status"])
    assert update["posted"] is True
    assert cli("post", ref).returncode == 3
    assert cli("accept", ref).returncode == 0
    assert cli("post", ref).returncode == 0
    clean(ledger)


@pytest.fixture
def qbo_fake() -> Iterator[QuickBooksFake]:
    with QuickBooksFake(token=QBO_TOKEN) as fake:
        yield fake


def qbo_cli(demo: DemoProcess, tmp_path: Path, fake_url: str, **extra: Any) -> Cli:
    section = {"backend": "quickbooks", "url": fake_url, "realm_id": "9130355555555555",
               "token": "${QBO_TOKEN}", "item_ref": "1", "customer_ref": "1", "timeout": "0.5",
               **extra}
    return make_cli(demo, tmp_path, "".join(f'  {k}: "{v}"\n' for k, v in section.items()))


def test_unknown_outcome_exits_1_and_reconcile_settles_it(demo, tmp_path, qbo_fake):
    cli = qbo_cli(demo, tmp_path, qbo_fake.url)
    cli("poll")
    (ref,) = refs(demo, 1, cli)
    qbo_fake.inject("stall_after_store", on="create")
    lost = cli("post", ref, "--yes")
    assert lost.returncode == 1
    assert f"{ref} outcome unknown: QuickBooks did not answer" in lost.stderr
    no_traceback(lost)
    qbo_fake.release()
    (row,) = [o for o in json_of(cli("orders", "--json")) if o["ref"] == ref]
    assert row["accounting"]["state"] == "unknown"
    refused = cli("accept", ref, "--yes", "--keep")  # nothing resets an unknown posting
    assert refused.returncode in (2, 3)  # no update to accept (2), or refused for safety (3)

    settled = cli("post", "--reconcile")
    assert (settled.returncode, settled.stdout.strip()) == (0, "1 settled"), settled.stderr
    assert qbo_fake.count("SalesReceipt") == 1 and len(qbo_fake.seen("create")) == 1
    (row,) = [o for o in json_of(cli("orders", "--json")) if o["ref"] == ref]
    assert row["accounting"]["state"] == "posted"
    assert row["accounting"]["ref"].startswith("SalesReceipt:")


def test_books_that_cannot_be_reached_fail_the_poll_with_one_line(demo, tmp_path, qbo_fake):
    cli = qbo_cli(demo, tmp_path, qbo_fake.url)
    cli("poll")
    (ref,) = refs(demo, 1, cli)
    assert cli("post", ref).returncode == 0
    qbo_fake.stop()
    poll = cli("poll")
    assert poll.returncode == 1
    assert "QuickBooks" not in poll.stdout  # errors go to stderr, where cron mail sees them
    (line,) = [x for x in poll.stderr.splitlines() if "accounting:" in x]
    assert "QuickBooks could not be reached to look up SalesReceipts" in line
    as_json = cli("poll", "--json")
    assert as_json.returncode == 1 and json_of(as_json)["stores"][0]["errors"] == []
    assert as_json.stderr.splitlines()[-1].startswith(
        "orderupd-tui: accounting: QuickBooks could not be reached")
    unreachable = cli("post", refs(demo, 2, cli)[-1])
    assert unreachable.returncode == 1 and "could not be reached" in unreachable.stderr
    no_traceback(unreachable)


def test_no_secret_reaches_the_database_the_logs_or_the_ledger(demo, tmp_path, qbo_fake):
    """Tokens are configured through the environment and used; none may be written down."""
    books = tmp_path / "beancount"
    books.mkdir()
    beancount = make_cli(demo, books, "  backend: beancount\n  path: books/orders.beancount\n")
    cli = qbo_cli(demo, tmp_path, qbo_fake.url)
    for run in (beancount, cli):
        run("poll")
        first, second = refs(demo, 2, run)
        assert run("post", first).returncode == 0
    qbo_fake.inject("stall_after_store", on="create")
    cli("post", second)
    qbo_fake.release()
    cli("post", "--reconcile")
    qbo_fake.token = "rotated-elsewhere"  # ours is now refused: error messages get written
    assert cli("post", refs(demo, 3, cli)[-1]).returncode == 1
    assert cli("poll").returncode == 1
    corrupt = tmp_path / "corrupt.db"  # an unexpected error, so that the log gets written
    corrupt.write_bytes(b"this is not a database file" * 100)
    crash = cli("post", "--db", f"sqlite:///{corrupt}", first)
    assert crash.returncode == 1 and "unexpected error" in crash.stderr

    secrets = [demo.token, QBO_TOKEN]
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "config.yaml"]
    names = {p.name for p in files}
    assert {"orders.db", "orders.beancount", "errors.log"} <= names
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, f"{secret[:6]}… written to {path.name}"
    for folder in (tmp_path, books):
        open_database(f"sqlite:///{folder / 'orders.db'}")
        try:
            text = database_text()
        finally:
            database.close()
        assert "posted" in text and not any(s in text for s in secrets)


def _remote_id(cli: Cli, ref: str) -> int:
    (row,) = [o for o in json_of(cli("orders", "--json")) if o["ref"] == ref]
    return int(row["remote_id"])

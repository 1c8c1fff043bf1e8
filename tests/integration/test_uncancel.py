"""``uncancel REF...``: undoing a local cancel, through the installed command.

Run on SQLite and on PostgreSQL (the ``db_url`` fixture), against the demo
store over loopback, with a Beancount ledger so that a posted order's
cancel and un-cancel can be followed into the books.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.demo.process import DemoProcess
from tests.integration.test_cli import EXE, json_of, no_traceback

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(clean_demo: DemoProcess, db_url: str, tmp_path: Path) -> Cli:
    """The command on this test's database, with books and on_reset: ask."""
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    config = tmp_path / "config.yaml"
    config.write_text(
        "poll_interval: 1\n"
        "stores:\n  - name: main\n    platform: shopify\n"
        f"    url: {clean_demo.url}\n    token: ${{DEMO_TOKEN}}\n    since: 2026-01-01\n"
        "accounting:\n  backend: beancount\n  path: books.beancount\n  on_reset: ask\n"
    )
    env = {**os.environ, "DEMO_TOKEN": clean_demo.token, "ORDERUPD_CONFIG": str(config),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([EXE, *args, "--db", db_url], env=env, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)
        no_traceback(proc)
        return proc

    return run


def order(cli: Cli, ref: str) -> dict[str, Any]:
    (row,) = [o for o in json_of(cli("orders", "--json")) if o["ref"] == ref]
    return row


def changed(cli: Cli, demo: DemoProcess, kind: str, skip: int = 0) -> str:
    """Change one order in the store and poll: its ref, with a pending update."""
    target = demo.control.orders(eligible=kind)[skip]
    demo.control.change(target["id"], kind)
    assert cli("poll").returncode == 0
    return f"main:{target['order_number']}"


def test_uncancel_makes_a_local_cancel_active_again_and_is_an_event(cli, clean_demo):
    assert cli("poll").returncode == 0
    ref = changed(cli, clean_demo, "edit_note")
    assert cli("cancel", ref, "--reason", "duplicate").returncode == 0
    assert order(cli, ref)["local_status"] == "cancelled"

    done = cli("uncancel", ref, "--reason", "customer called back")
    assert (done.returncode, done.stdout.strip()) == (0, "1 un-cancelled"), done.stderr
    row = order(cli, ref)
    assert row["local_status"] == "active"
    # The note change the cancel closed is pending again: nobody reviewed it.
    assert row["pending_update"] is True
    (update,) = json_of(cli("updates", "--json"))
    assert update["ref"] == ref and update["kinds"] == ["note"]

    events = json_of(cli("history", ref, "--json"))["events"]
    assert [e["action"] for e in events][-2:] == ["cancel", "uncancel"]
    assert events[-1]["detail"].startswith("customer called back")
    assert "pending again (Note)" in events[-1]["detail"]  # in the app's words
    shown = cli("history", ref)
    assert shown.returncode == 0 and " un-cancel " in shown.stdout

    again = cli("uncancel", ref)
    assert again.returncode == 2  # nothing to do
    assert again.stderr == f"orderupd-tui: {ref} is not cancelled here\n"
    assert again.stdout == "0 un-cancelled, 1 skipped\n"


def test_an_order_its_store_cancelled_is_refused(cli, clean_demo):
    assert cli("poll").returncode == 0
    ref = changed(cli, clean_demo, "cancel")
    assert cli("accept", ref).returncode == 0
    assert order(cli, ref)["order_status"] == "cancelled"

    refused = cli("uncancel", ref)
    assert refused.returncode == 3
    assert f"{ref} was cancelled by its store" in refused.stderr
    assert order(cli, ref)["order_status"] == "cancelled"
    actions = [e["action"] for e in json_of(cli("history", ref, "--json"))["events"]]
    assert "uncancel" not in actions


def test_a_posted_order_cancelled_with_keep_stays_out_of_the_books(cli, clean_demo):
    assert cli("poll").returncode == 0
    target = clean_demo.control.orders(eligible="edit_note")[0]
    ref = f"main:{target['order_number']}"
    assert cli("post", ref, "--yes").returncode == 0
    document = order(cli, ref)["accounting"]["ref"]
    clean_demo.control.change(target["id"], "edit_note")
    assert cli("poll").returncode == 0
    asked = cli("cancel", ref, "--yes")  # on_reset: ask needs a choice; void is recommended
    assert asked.returncode == 3
    assert f"is posted as {document}: say --void to void it in the books (recommended" in \
        asked.stderr
    assert cli("cancel", ref, "--yes", "--keep").returncode == 0

    assert cli("uncancel", ref).returncode == 0
    row = order(cli, ref)
    assert row["local_status"] == "active"
    assert row["accounting"]["state"] == "unposted"
    assert [(p["ref"], p["state"]) for p in row["accounting"]["previous"]] == [
        (document, "detached")]
    # The change is pending again; once it is reviewed, the kept document guards a repost.
    assert row["pending_update"] is True
    assert cli("ignore", ref).returncode == 0
    repost = cli("post", ref, "--yes")
    assert repost.returncode == 3
    assert document in repost.stderr


@pytest.mark.parametrize("args", [("uncancel",), ("uncancel", "main:999999"),
                                  ("uncancel", "main:1", "--yes")])
def test_usage_errors_exit_2(cli, args):
    proc = cli(*args)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1

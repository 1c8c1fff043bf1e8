"""The installed ``orderupd-tui`` command, run as a user would: JSON shapes and exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orderupd_tui.db.connection import open_database
from orderupd_tui.db.models import Order, Posting, utcnow

EXE = shutil.which("orderupd-tui", path=str(Path(sys.executable).parent))

ORDER_KEYS = {"id", "ref", "store", "number", "remote_id", "created_at", "updated_at", "customer",
              "email", "total", "currency", "payment_status", "fulfillment_status",
              "order_status", "platform_status", "local_status", "pending_update", "accounting"}
UPDATE_KEYS = {"id", "ref", "order_id", "detected_at", "source", "kinds", "changes", "posted",
               "status"}


@pytest.fixture
def cli(clean_demo, tmp_path):
    """Run the command with a config for the demo store and private XDG dirs."""
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    config = tmp_path / "config.yaml"
    config.write_text(
        "database: sqlite:///orders.db\npoll_interval: 1\n"
        "stores:\n  - name: main\n    platform: shopify\n"
        f"    url: {clean_demo.url}\n    token: ${{DEMO_TOKEN}}\n    since: 2026-01-01\n"
        "accounting:\n  backend: none\n"
    )
    env = {**os.environ, "DEMO_TOKEN": clean_demo.token, "ORDERUPD_CONFIG": str(config),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}

    def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EXE, *args], env=env, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    run.config = config  # type: ignore[attr-defined]
    return run


def json_of(proc: subprocess.CompletedProcess[str]):
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr + proc.stdout


def test_poll_orders_and_updates_speak_the_json_contract(cli, clean_demo):
    poll = cli("poll", "--json")
    assert poll.returncode == 0, poll.stderr
    (store,) = json_of(poll)["stores"]
    assert set(store) == {"name", "new", "updated", "unchanged", "errors", "cursor"}
    assert store["new"] >= 600 and store["errors"] == []

    orders = json_of(cli("orders", "--json"))
    assert len(orders) == store["new"]
    first = orders[0]
    assert set(first) == ORDER_KEYS
    assert set(first["accounting"]) == {"state", "ref", "posted_at", "previous"}
    assert first["ref"] == f"main:{first['number']}" and first["created_at"].endswith("Z")
    assert isinstance(first["total"], str) and "." in first["total"]

    target = clean_demo.control.orders(eligible="capture_payment", limit=1)[0]
    clean_demo.control.change(target["id"], "capture_payment")
    assert cli("poll", "--json").returncode == 0
    (update,) = json_of(cli("updates", "--json"))
    assert set(update) == UPDATE_KEYS
    assert update["status"] == "pending" and "payment_status" in update["kinds"]
    assert {"kind", "field", "old", "new"} == set(update["changes"][0])
    (pending,) = json_of(cli("orders", "--json", "--pending"))
    assert pending["pending_update"] is True and pending["ref"] == update["ref"]

    accepted = cli("accept", update["ref"])
    assert accepted.returncode == 0 and accepted.stdout.strip() == "1 accepted"
    assert json_of(cli("updates", "--json")) == []
    (resolved,) = json_of(cli("updates", "--json", "--all"))
    assert resolved["status"] == "accepted"
    history = json_of(cli("history", update["ref"], "--json"))
    assert [e["action"] for e in history["events"]] == ["update detected", "accept"]


def test_posted_orders_need_yes_and_the_refusal_names_the_document(cli, clean_demo, tmp_path):
    cli("poll")
    target = clean_demo.control.orders(eligible="refund", limit=1)[0]
    clean_demo.control.change(target["id"], "refund")
    cli("poll")
    db = open_database(f"sqlite:///{tmp_path / 'orders.db'}")
    order = Order.get(Order.remote_id == str(target["id"]))
    Posting.create(posting_id="p-1", order=order, backend="beancount", document_ref="txn-77",
                   state="posted", amount=order.total, currency=order.currency,
                   created_at=utcnow(), posted_at=utcnow())
    Order.update(accounting_state="posted", accounting_ref="txn-77").where(
        Order.id == order.id).execute()
    db.close()
    ref = f"main:{order.number}"

    refused = cli("accept", ref)
    assert refused.returncode == 3
    assert "txn-77" in refused.stderr and "--yes" in refused.stderr
    no_traceback(refused)
    kept = cli("accept", ref, "--yes", "--keep")
    assert kept.returncode == 0, kept.stderr
    (row,) = [o for o in json_of(cli("orders", "--json")) if o["ref"] == ref]
    assert row["accounting"]["state"] == "unposted"
    assert row["accounting"]["previous"][0]["ref"] == "txn-77"
    assert row["accounting"]["previous"][0]["state"] == "detached"


def test_refresh_of_an_order_the_store_deleted_exits_1_and_keeps_it(cli, clean_demo):
    cli("poll")
    target = clean_demo.control.orders(limit=1)[0]
    clean_demo.control.delete(target["id"])
    (before,) = [o for o in json_of(cli("orders", "--json")) if o["remote_id"] == str(target["id"])]
    proc = cli("refresh", before["ref"])
    assert proc.returncode == 1
    assert "no longer has this order" in proc.stderr
    (after,) = [o for o in json_of(cli("orders", "--json")) if o["remote_id"] == str(target["id"])]
    assert after == before


def test_a_failed_poll_exits_1_and_still_writes_json(cli, clean_demo):
    clean_demo.control.fault(401, count=1)
    proc = cli("poll", "--json")
    assert proc.returncode == 1
    (store,) = json_of(proc)["stores"]
    assert store["errors"] and "access denied" in store["errors"][0]
    no_traceback(proc)


def test_config_errors_exit_2_with_one_line(cli):
    cli.config.write_text("stores:\n  - name: main\n    platform: ebay\n")
    proc = cli("check-config")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "orderupd-tui: stores[0].platform: unknown platform 'ebay': use one of shopify, "
        "woocommerce, bigcommerce, magento, mals, demo (config.yaml)"]


def test_check_config_says_what_it_found(cli):
    proc = cli("check-config")
    assert proc.returncode == 0, proc.stderr
    assert "main: shopify" in proc.stdout and "stores: 1" in proc.stdout


def test_unknown_refs_and_bad_usage_exit_2(cli):
    cli("poll")
    assert cli("history", "main:999999").returncode == 2
    assert cli("accept").returncode == 2
    proc = cli("accept", "main:1001", "--void", "--keep")
    assert proc.returncode == 2
    no_traceback(proc)


def test_watch_polls_until_interrupted(cli, clean_demo):
    env_run = subprocess.Popen([EXE, "poll", "--watch"], env={
        **os.environ, "DEMO_TOKEN": clean_demo.token, "ORDERUPD_CONFIG": str(cli.config)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    lines = [env_run.stdout.readline(), env_run.stdout.readline()]
    env_run.terminate()
    _, err = env_run.communicate(timeout=30)
    assert env_run.returncode == 0 and "Traceback" not in err
    assert "main:" in lines[0] and " new," in lines[0]
    assert " 0 new, 0 updated" in lines[1]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_mals_orders_arrive_through_the_receiver_and_cannot_be_refreshed(cli, tmp_path):
    import httpx

    port = free_port()
    cli.config.write_text(
        "database: sqlite:///orders.db\npoll_interval: 1\n"
        f"stores:\n  - name: mals\n    platform: mals\n    listen: 127.0.0.1:{port}\n"
        "    username: D1234556\naccounting:\n  backend: none\n")
    assert "new orders only" in cli("check-config").stdout
    env = {**os.environ, "ORDERUPD_CONFIG": str(cli.config),
           "XDG_DATA_HOME": str(tmp_path / "data")}
    watch = subprocess.Popen([EXE, "poll", "--watch"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        assert "mals:" in watch.stdout.readline()
        call = {"id": "81343431", "username": "D1234556", "inv_name": "Zoe Muller",
                "email": "zoe@example.com", "cart": "Tea pot:1:19.99:1:TP1~Cups:2:4.00:1:CU2",
                "subtotal": "27.99", "total": "27.99", "method": "PayPal"}
        answer = httpx.post(f"http://127.0.0.1:{port}/remote-call", data=call)
        assert answer.status_code == 200
        duplicate = httpx.post(f"http://127.0.0.1:{port}/remote-call", data=call)
        assert duplicate.status_code == 200
        lines = [watch.stdout.readline() for _ in range(3)]
    finally:
        watch.terminate()
        watch.communicate(timeout=30)
    assert any(" 1 new" in line for line in lines), lines
    run = lambda *a: subprocess.run([EXE, *a], env=env, capture_output=True, text=True)  # noqa: E731
    (order,) = json.loads(run("orders", "--json").stdout)
    assert (order["ref"], order["total"], order["customer"]) == ("mals:81343431", "27.99",
                                                                "Zoe Muller")
    refused = run("refresh", "mals:81343431")
    assert refused.returncode == 3 and "cannot re-download" in refused.stderr


def test_an_unexpected_error_is_one_line_and_the_detail_goes_to_the_log(cli, clean_demo,
                                                                       tmp_path):
    (tmp_path / "orders.db").write_bytes(b"this is not a database file" * 100)
    proc = cli("orders")
    assert proc.returncode == 1
    no_traceback(proc)
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("orderupd-tui: unexpected error:") and "details in" in line
    log = tmp_path / "state" / "orderupd-tui" / "errors.log"
    assert "Traceback" in log.read_text() and clean_demo.token not in log.read_text()


def test_a_closed_pipe_is_not_an_error(cli):
    cli("poll")
    proc = subprocess.run(f"'{EXE}' orders --json | head -c 10", shell=True, env={
        **os.environ, "ORDERUPD_CONFIG": str(cli.config), "DEMO_TOKEN": "x"},
        capture_output=True, text=True)
    assert proc.stdout.startswith("[{") and proc.stderr == ""


def test_check_config_never_shows_the_database_password(cli):
    cli.config.write_text("database: postgresql://bob:hunter2@127.0.0.1:1/db\nstores: []\n")
    proc = cli("check-config")
    assert proc.returncode == 0 and "bob:***@" in proc.stdout and "hunter2" not in proc.stdout

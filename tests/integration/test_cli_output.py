"""The CLI's human output, read as a person at an 80-column terminal reads it.

Run through the installed console script against the demo store in its own
process, on a real database (SQLite, and PostgreSQL when the ``db_url``
fixture has one), with a Beancount ledger so that posted and kept orders
exist.  Without ``--json``: a header on every listing, one line per
message on the stream it belongs to, one time format, a ``post`` prompt
that says what will really happen, and the exit codes the README states.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orderupd_tui.config import ConfigError
from orderupd_tui.demo.control import DemoControl
from orderupd_tui.demo.process import DemoProcess
from tests.integration.posting_support import demo_store, paid_ids
from tests.integration.test_cli import EXE, json_of, no_traceback

Cli = Callable[..., subprocess.CompletedProcess[str]]

#: The one format of a time in human output.
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
#: Anything else that looks like a time: a space between date and time, a bare clock,
#: fractions of a second, or an offset.
OTHER_TIME = re.compile(r"\d\d:\d\d:\d\d(?!Z)|\d{4}-\d\d-\d\d \d\d:|\d\d:\d\d\.\d|[+-]\d\d:\d\d\b")


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with demo_store() as server:
        yield server


@pytest.fixture
def cli(demo: DemoProcess, db_url: str, tmp_path: Path) -> Cli:
    """``cli(*args, stdin=...)``: the command on this test's database, 80 columns wide."""
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    demo.control.clear_faults()
    config = tmp_path / "config.yaml"
    config.write_text(
        f"database: {json.dumps(db_url)}\npoll_interval: 1\n"
        "stores:\n  - name: main\n    platform: shopify\n"
        f"    url: {demo.url}\n    token: ${{DEMO_TOKEN}}\n    since: 2026-01-01\n"
        "accounting:\n  backend: beancount\n  path: books/orders.beancount\n  on_reset: ask\n")
    env = {**os.environ, "DEMO_TOKEN": demo.token, "ORDERUPD_CONFIG": str(config),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "COLUMNS": "80"}

    def run(*args: str, stdin: int = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([EXE, *args], env=env, capture_output=True, text=True,
                              timeout=120, stdin=stdin)
        no_traceback(proc)
        return proc

    run.env = env  # type: ignore[attr-defined]
    return run


def by_ref(cli: Cli) -> dict[str, dict]:
    return {o["ref"]: o for o in json_of(cli("orders", "--json"))}


def refs_of(cli: Cli, remote_ids: list[int]) -> list[str]:
    orders = {o["remote_id"]: o["ref"] for o in json_of(cli("orders", "--json"))}
    return [orders[str(i)] for i in remote_ids]


def changed(demo: DemoProcess, cli: Cli, kind: str, exclude: set[int]) -> int:
    """One order changed at the store in ``kind``'s way (not one of ``exclude``)."""
    target = next(o["id"] for o in demo.control.orders(eligible=kind, limit=50)
                  if o["id"] not in exclude)
    demo.control.change(target, kind)
    exclude.add(target)
    return int(target)


def test_orders_has_a_header_and_a_status_for_each_way_an_order_stands(cli, demo):
    """Store-cancelled, cancelled here, update pending; posted, kept, voided: each its word."""
    assert cli("poll").returncode == 0
    used: set[int] = set()
    posted_id, kept_id, voided_id, plain_id = paid_ids(demo, 4)
    used |= {posted_id, kept_id, voided_id, plain_id}
    posted, kept, voided, plain = refs_of(cli, [posted_id, kept_id, voided_id, plain_id])
    assert cli("post", posted, kept, voided, "--yes").returncode == 0
    demo.control.change(kept_id, "refund")
    demo.control.change(voided_id, "refund")
    store_cancelled = changed(demo, cli, "cancel", used)
    locally = changed(demo, cli, "capture_payment", used)
    pending = changed(demo, cli, "fulfil", used)
    assert cli("poll").returncode == 0
    store_ref, local_ref, pending_ref = refs_of(cli, [store_cancelled, locally, pending])
    assert cli("accept", kept, "--yes", "--keep").returncode == 0
    assert cli("accept", voided, "--yes", "--void").returncode == 0
    assert cli("accept", store_ref).returncode == 0
    assert cli("cancel", local_ref).returncode == 0
    rows = by_ref(cli)
    assert rows[store_ref]["local_status"] == "active"  # the copy the old output called active

    proc = cli("orders")
    assert proc.returncode == 0 and proc.stderr == ""
    header, *lines = proc.stdout.splitlines()
    assert header.split() == ["ORDER", "CREATED", "TOTAL", "STATUS", "BOOKS"]
    assert len(lines) == len(rows)
    assert all(len(line) <= 80 for line in [header, *lines])
    line = {ln[2:].split()[0]: ln for ln in lines}
    document = rows[posted]["accounting"]["ref"]
    kept_document = rows[kept]["accounting"]["previous"][0]["ref"]
    assert re.search(rf" (open|closed) +posted {document}$", line[posted]), line[posted]
    assert line[kept].endswith(f" kept {kept_document}")
    assert line[voided].endswith(f" voided {rows[voided]['accounting']['previous'][0]['ref']}")
    assert " store-cancelled " in line[store_ref] and line[store_ref].endswith(" unposted")
    assert " cancelled here " in line[local_ref]
    assert line[pending_ref].startswith("* ") and " update pending " in line[pending_ref]
    assert " open " in line[plain] and line[plain].startswith("  ")
    assert rows[plain]["created_at"][:10] in line[plain]
    assert f"{rows[plain]['total']} {rows[plain]['currency']}" in line[plain]

    wide = subprocess.run([EXE, "orders"], env={**cli.env, "COLUMNS": "140"},
                          capture_output=True, text=True, timeout=120)
    assert wide.stdout.splitlines()[0].split() == [
        "ORDER", "CREATED", "CUSTOMER", "TOTAL", "PAYMENT", "STATUS", "BOOKS"]
    # Into a file or a pipe, with no COLUMNS to go by: a file has no width, so all of them.
    piped = subprocess.run([EXE, "orders"], env={k: v for k, v in cli.env.items()
                                                 if k != "COLUMNS"},
                           capture_output=True, text=True, timeout=120)
    assert piped.stdout.splitlines()[0].split() == [
        "ORDER", "CREATED", "CUSTOMER", "TOTAL", "PAYMENT", "STATUS", "BOOKS"]
    assert len(piped.stdout.splitlines()) == len(rows) + 1


def test_each_message_once_on_its_stream_with_no_stray_colon(cli, demo):
    assert cli("poll").returncode == 0
    (remote,) = paid_ids(demo, 1)
    (ref,) = refs_of(cli, [remote])
    assert cli("post", ref, "--yes").returncode == 0
    document = by_ref(cli)[ref]["accounting"]["ref"]
    demo.control.change(remote, "refund")
    assert cli("poll").returncode == 0

    refused = cli("accept", ref)
    assert refused.returncode == 3
    (line,) = refused.stderr.splitlines()
    assert line.startswith(f"orderupd-tui: {ref} is posted as {document}: accept resets")
    assert refused.stdout == "0 accepted, 1 refused\n"
    again = cli("post", ref)
    assert again.returncode == 3
    assert again.stderr == (f"orderupd-tui: {ref} has a pending update: review it before "
                            "posting\n")
    assert again.stdout == "0 posted, 1 refused\n"


def test_every_time_is_iso_utc_to_the_second_and_history_names_each_id_once(cli, demo):
    poll = cli("poll")
    assert poll.returncode == 0
    for line in poll.stdout.splitlines():
        assert re.match(rf"{ISO} main: \d+ new, \d+ updated, \d+ unchanged$", line), line
    (remote,) = paid_ids(demo, 1)
    (ref,) = refs_of(cli, [remote])
    assert cli("post", ref, "--yes").returncode == 0
    demo.control.change(remote, "refund")
    assert cli("poll").returncode == 0

    updates = cli("updates")
    header, *lines = updates.stdout.splitlines()
    assert header.split() == ["ORDER", "DETECTED", "STATUS", "CHANGES"]
    (mine,) = [ln for ln in lines if ln.startswith(f"{ref} ")]
    # A refundable demo order may be paid or partly refunded already; the demo refunds one
    # more line of a several-line order, or the whole of the rest.
    assert re.match(rf"{re.escape(ref)} +{ISO} pending +Payment: (partially refunded|paid) → "
                    r"(partially )?refunded "
                    r".*\[posted\]$", mine), mine

    history = cli("history", ref)
    assert history.returncode == 0
    data = json_of(cli("history", ref, "--json"))
    text = history.stdout
    assert text.splitlines()[0] == f"{ref} (id {data['id']})"
    (posting,) = data["postings"]
    postings = text.split("postings:\n")[1].split("events:")[0]
    (posting_line,) = postings.splitlines()
    assert posting_line.count(posting["document_ref"]) == 1  # the id once, not twice
    assert re.match(rf"  {ISO} posted +{re.escape(posting['document_ref'])} ", posting_line)
    for event in data["events"]:
        assert re.search(rf"^  {ISO} \S+ +{re.escape(event['action'])} ", text, re.M), event
    events = text.split("events:\n")[1].splitlines()
    starts = {line.index(e["detail"]) for line, e in zip(events, data["events"], strict=True)
              if e["detail"]}
    assert sum(bool(e["detail"]) for e in data["events"]) >= 2
    assert len(starts) == 1, events  # every detail in one column
    for out in (poll.stdout, updates.stdout, text):
        assert not OTHER_TIME.search(out), out


def test_exit_codes_nothing_to_do_and_unknown_refs_are_2_and_empty_listings_say_so(cli, demo):
    unknown = cli("nosuchverb")
    assert unknown.returncode == 2
    (said,) = unknown.stderr.splitlines()
    assert "invalid choice: 'nosuchverb'" in said and "'accept', 'ignore'" in said
    assert "Action" not in said  # the verbs as typed, not their enum
    empty = cli("updates")
    assert (empty.returncode, empty.stdout) == (0, "")
    assert empty.stderr == "orderupd-tui: no pending updates\n"
    none = cli("orders")
    assert (none.returncode, none.stdout, none.stderr) == (0, "", "orderupd-tui: no orders\n")
    assert cli("poll").returncode == 0
    used: set[int] = set()
    target = changed(demo, cli, "fulfil", used)
    (quiet,) = refs_of(cli, [next(i for i in paid_ids(demo, 5) if i not in used)])
    assert cli("poll").returncode == 0
    (ref,) = refs_of(cli, [target])

    nothing = cli("accept", quiet)
    assert nothing.returncode == 2
    assert nothing.stderr == f"orderupd-tui: {quiet} has no pending update\n"
    assert nothing.stdout == "0 accepted, 1 skipped\n"
    assert cli("ignore", ref).returncode == 0
    twice = cli("ignore", ref)
    assert twice.returncode == 2 and f"{ref} was already ignored by " in twice.stderr
    unknown = cli("accept", "main:999999")
    assert unknown.returncode == 2
    assert unknown.stderr == "orderupd-tui: main:999999: no such order\n"
    mixed = cli("cancel", quiet, "main:999999")
    assert (mixed.returncode, mixed.stdout) == (2, "0 cancelled, 2 skipped\n")
    assert cli("history", "main:999999").returncode == 2
    assert cli("post", quiet, "--yes").returncode == 0
    assert cli("post", quiet, "--yes").returncode == 3  # posting twice: refused for safety


def answered(cli: Cli, answer: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a verb with a terminal on stdin (so it asks) and type ``answer``."""
    master, slave = pty.openpty()
    try:
        os.write(master, answer.encode() + b"\n")
        return cli(*args, stdin=slave)
    finally:
        os.close(slave)
        os.close(master)


def test_post_with_no_books_says_so_before_any_prompt(cli, demo, tmp_path):
    assert cli("poll").returncode == 0
    (ref,) = refs_of(cli, paid_ids(demo, 1))
    config = Path(cli.env["ORDERUPD_CONFIG"])
    config.write_text(config.read_text().split("accounting:")[0]
                      + "accounting:\n  backend: none\n")
    proc = answered(cli, "y", "post", ref)
    assert proc.returncode == 2, proc
    (line,) = proc.stderr.splitlines()
    assert line.startswith("orderupd-tui: accounting.backend: none, so there are no books"), line
    assert "[y/N]" not in proc.stderr and "Post " not in proc.stderr
    assert by_ref(cli)[ref]["accounting"]["state"] == "unposted"


def test_the_post_prompt_counts_only_what_will_be_posted_and_names_the_rest(cli, demo):
    assert cli("poll").returncode == 0
    ready_id, kept_id, pending_id = paid_ids(demo, 3)
    ready, kept, pending = refs_of(cli, [ready_id, kept_id, pending_id])
    assert cli("post", kept, "--yes").returncode == 0
    kept_document = by_ref(cli)[kept]["accounting"]["ref"]
    demo.control.change(kept_id, "refund")
    assert cli("poll").returncode == 0
    assert cli("accept", kept, "--yes", "--keep").returncode == 0
    demo.control.change(pending_id, "edit_note")
    assert cli("poll").returncode == 0
    rows = by_ref(cli)
    ready_total = f"{rows[ready]['total']} {rows[ready]['currency']}"

    declined = answered(cli, "n", "post", ready, kept, pending, "main:999999")
    assert declined.returncode == 3 and declined.stdout == ""
    prompt = declined.stderr.splitlines()
    assert prompt[0] == f"Post 1 order ({ready_total}) to beancount?"
    assert (f"  not posted: {kept} has an earlier, detached document {kept_document} still in the "
            "books (void it there, or --force to post anyway)") in prompt
    assert f"  not posted: {pending} has a pending update: review it before posting" in prompt
    assert "  not posted: main:999999: no such order" in prompt
    (force,) = [ln for ln in prompt if ln.startswith("  --force would post 2 orders (")]
    assert prompt[-1] == "[y/N] orderupd-tui: nothing posted"
    assert by_ref(cli)[ready]["accounting"]["state"] == "unposted"

    forced = answered(cli, "n", "post", ready, kept, "--force")
    assert forced.stderr.splitlines()[0] == force.replace("  --force would post", "Post") + (
        " to beancount?")
    assert (f"  posted over a detached document still in the books: {kept} ({kept_document})"
            in forced.stderr.splitlines())

    accepted = answered(cli, "y", "post", ready, pending)
    assert accepted.returncode == 3  # the pending one is refused, as the prompt said
    assert accepted.stdout == "1 posted, 1 refused\n"
    said = accepted.stderr.splitlines()
    assert said[0] == f"Post 1 order ({ready_total}) to beancount?"
    assert sum(pending in ln for ln in said) == 1, said  # the prompt said it; not again after
    rows = by_ref(cli)
    assert rows[ready]["accounting"]["state"] == "posted"
    assert rows[pending]["accounting"]["state"] == "unposted"


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    """A user data dir of the test's own: the real one is never touched."""
    return {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "COLUMNS": "80"}


def demo_run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([EXE, "--demo", *args], env=env, capture_output=True, text=True,
                          timeout=180, stdin=subprocess.DEVNULL)
    no_traceback(proc)
    return proc


def test_demo_verbs_share_the_demo_database_and_store(demo_env, tmp_path):
    folder = tmp_path / "data" / "orderupd-tui" / "demo"
    first = demo_run(demo_env, "poll")
    assert first.returncode == 0, first.stderr
    before = json_of(demo_run(demo_env, "orders", "--json"))
    assert len(before) == 420 and sum(o["accounting"]["state"] == "posted" for o in before) == 12
    assert json_of(demo_run(demo_env, "orders", "--json")) == before  # not set up afresh

    # A minute passes with no demo running: the store's scripted changes come meanwhile.
    for saved in folder.glob("store-*.json"):
        state = json.loads(saved.read_text())
        state["saved_at"] -= 60
        saved.write_text(json.dumps(state))
    poll = demo_run(demo_env, "poll")
    assert poll.returncode == 0, poll.stderr
    updated = sum(int(m) for m in re.findall(r" (\d+) updated", poll.stdout))
    assert updated >= 4, poll.stdout
    updates = demo_run(demo_env, "updates")
    assert updates.returncode == 0 and updates.stderr == ""
    header, *lines = updates.stdout.splitlines()
    assert header.split()[:2] == ["ORDER", "DETECTED"] and len(lines) == updated
    pending = {o["ref"] for o in json_of(demo_run(demo_env, "orders", "--json"))
               if o["pending_update"]}
    assert {ln.split()[0] for ln in lines} == pending


def test_demo_verbs_use_the_running_demo_and_only_one_demo_app_runs(demo_env, tmp_path,
                                                                    monkeypatch):
    folder = tmp_path / "data" / "orderupd-tui" / "demo"
    watch = subprocess.Popen([EXE, "--demo", "poll", "--watch"], env=demo_env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
    try:
        assert " shop: " in watch.stdout.readline()  # up, and polled once
        hosted = json.loads((folder / "stores.json").read_text())
        assert hosted["pid"] == watch.pid
        shop = next(s for s in hosted["stores"] if s["name"] == "shop")
        with DemoControl(shop["url"]) as control:
            target = control.orders(eligible="edit_note", limit=1)[0]["id"]
            note = control.change(target, "edit_note")["note"]
        poll = demo_run(demo_env, "poll")  # through the running demo's own store
        if "is being polled by" in poll.stderr:  # the watch was polling it that moment
            poll = demo_run(demo_env, "poll")
        assert poll.returncode == 0, poll.stderr
        (order,) = [o for o in json_of(demo_run(demo_env, "orders", "--json"))
                    if o["store"] == "shop" and o["remote_id"] == str(target)]
        (update,) = [u for u in json_of(demo_run(demo_env, "updates", "--json"))
                     if u["order_id"] == order["id"]]
        assert "note" in update["kinds"]
        accepted = demo_run(demo_env, "accept", update["ref"])
        assert (accepted.returncode, accepted.stdout) == (0, "1 accepted\n"), accepted.stderr

        # The app starts the demo afresh, so it may not start while another demo serves.
        monkeypatch.setenv("XDG_DATA_HOME", demo_env["XDG_DATA_HOME"])
        from orderupd_tui.demo.embedded import demo_settings

        with pytest.raises(ConfigError, match="another orderupd-tui --demo is running"):
            demo_settings(fresh=True)
    finally:
        watch.terminate()
        watch.communicate(timeout=30)
    assert watch.returncode == 0
    assert not (folder / "stores.json").exists()  # withdrawn: no verb waits on a dead demo
    saved = json.loads((folder / "store-shop.json").read_text())  # for the next verb
    assert next(o for o in saved["orders"] if o["id"] == target)["note"] == note
    history = json_of(demo_run(demo_env, "history", update["ref"], "--json"))
    assert [e["action"] for e in history["events"]][-2:] == ["update detected", "accept"]
    detected = history["events"][-2]["detail"]
    assert "Note changed" in detected and "note " not in detected  # the app's words, not fields


"""The command line: the app by default, and headless verbs for scripts (DESIGN §6).

Exit codes are a contract: 0 ok, 1 operational failure, 2 usage or config
error, 3 refused for safety.  ``--json`` puts JSON alone on stdout; people's
messages and progress go to stderr.  No traceback ever reaches the user:
unexpected errors are logged under the state dir and named in one line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from orderupd_tui.config import DEMO_SPEAKS, ConfigError, Settings, database_url, load, locate
from orderupd_tui.connect import ConnectUsage, connect, credential_state
from orderupd_tui.db.connection import DatabaseError, redact
from orderupd_tui.db.records import UnknownRef, find
from orderupd_tui.domain import labels
from orderupd_tui.domain.states import (
    Action,
    BooksState,
    ExitCode,
    LocalStatus,
    OnReset,
    PostingState,
)
from orderupd_tui.errorlog import log_unexpected
from orderupd_tui.services import posting, postplan, queries, review, setaside, sync
from orderupd_tui.services.inbox import Inbox
from orderupd_tui.services.session import Session
from orderupd_tui.stores.base import StoreError
from orderupd_tui.stores.mals import MalsReceiver
from orderupd_tui.stores.registry import make_receivers

#: Configured secrets, kept so that nothing logged can contain them.
_secrets: list[str] = []


class UsageError(Exception):
    """A mistake on the command line that argparse cannot see."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the option, as config errors are."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _port(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 0 to 65535, not {text!r}")
    return int(text)


def _lifetime(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 10**9:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {text!r}")
    return seconds


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, not {text!r}")
    return int(text)


def _common(default: object) -> _Parser:
    """The options every verb takes, before or after the verb.

    After the verb their default is ``default``: SUPPRESS there, so that
    ``orderupd-tui --demo orders`` keeps the ``--demo`` given before it.
    """
    common = _Parser(add_help=False, argument_default=default)
    common.add_argument("--config", metavar="PATH", help="config file (else $ORDERUPD_CONFIG, "
                        "else the user config dir)")
    common.add_argument("--db", metavar="URL", help="database URL, overriding the config")
    common.add_argument("--demo", action="store_true",
                        help="use the embedded demo store and its own database (a verb: "
                        "the running demo's, else the last one's)")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="orderupd-tui", parents=[_common(None)],
        description="Review online-store orders and their updates before they reach the books.")
    parser.set_defaults(demo=False)
    common = _common(argparse.SUPPRESS)
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")

    poll = verbs.add_parser("poll", parents=[common], help="poll the stores once (or --watch)")
    poll.add_argument("--store", metavar="NAME")
    poll.add_argument("--json", action="store_true")
    poll.add_argument("--watch", action="store_true", help="repeat every poll_interval")

    orders = verbs.add_parser("orders", parents=[common], help="list orders")
    orders.add_argument("--json", action="store_true")
    orders.add_argument("--pending", action="store_true", help="only orders with a pending update")

    updates = verbs.add_parser("updates", parents=[common], help="list pending updates")
    updates.add_argument("--json", action="store_true")
    updates.add_argument("--all", action="store_true", help="resolved updates too")

    for verb, text in ((Action.ACCEPT, "re-download and take the store's copy"),
                       (Action.IGNORE, "keep the local copy"),
                       (Action.CANCEL, "cancel the order locally"),
                       (Action.REFRESH, "delete and re-download orders")):
        # The value, not the enum: argparse lists choices by repr in its errors.
        sub = verbs.add_parser(verb.value, parents=[common], help=text)
        sub.add_argument("refs", nargs="+", metavar="REF", help="STORE:NUMBER or order id")
        sub.add_argument("--yes", action="store_true",
                         help="confirm resetting the accounting state of posted orders")
        choice = sub.add_mutually_exclusive_group()
        choice.add_argument("--void", dest="reset", action="store_const", const=OnReset.VOID,
                            help="void a posted order's document in the books")
        choice.add_argument("--keep", dest="reset", action="store_const", const=OnReset.KEEP,
                            help="keep a posted order's document (detach it)")
        if verb != Action.REFRESH:
            sub.add_argument("--reason", metavar="TEXT")
    uncancel = verbs.add_parser(Action.UNCANCEL.value, parents=[common],
                                help="undo a local cancel (not one the store made)")
    uncancel.add_argument("refs", nargs="+", metavar="REF", help="STORE:NUMBER or order id")
    uncancel.add_argument("--reason", metavar="TEXT")
    uncancel.set_defaults(yes=False, reset=None)  # it never touches the books

    post = verbs.add_parser("post", parents=[common], help="post orders to the books")
    post.add_argument("refs", nargs="*", metavar="REF", help="STORE:NUMBER or order id")
    post.add_argument("--yes", action="store_true",
                      help="post without asking (a terminal is asked for confirmation)")
    post.add_argument("--force", action="store_true",
                      help="post even over a detached earlier posting still in the books")
    post.add_argument("--reconcile", action="store_true",
                      help="settle postings whose outcome is unknown (of REFs, else all)")
    post.add_argument("--json", action="store_true",
                      help="each order's result and accounting state as JSON")

    history = verbs.add_parser("history", parents=[common], help="an order's events and postings")
    history.add_argument("ref", metavar="REF")
    history.add_argument("--json", action="store_true")

    demo = verbs.add_parser("demo-server", parents=[common],
                            help="run the simulated store in the foreground")
    demo.add_argument("--port", type=_port, default=0)
    demo.add_argument("--orders", type=_count, default=600)
    demo.add_argument("--platform", default="shopify", choices=DEMO_SPEAKS)
    demo.add_argument("--token-lifetime", type=_lifetime, metavar="SECS",
                      help="shopify: seconds a client-credentials token lasts (default a day)")

    verbs.add_parser("check-config", parents=[common], help="validate the config and summarize it")

    connect = verbs.add_parser("connect", parents=[common],
                               help="authorize QuickBooks or Xero once (works over SSH)")
    connect.add_argument("name", choices=("quickbooks", "xero"), metavar="quickbooks|xero")
    how = connect.add_mutually_exclusive_group()
    how.add_argument("--code", metavar="CODE", help="exchange this authorization code")
    how.add_argument("--refresh-token", metavar="TOKEN",
                     help="store a refresh token obtained elsewhere, after checking it")

    errors = verbs.add_parser("errors", parents=[common],
                              help="orders set aside as unreadable (dismiss one with a reason)")
    errors.add_argument("--json", action="store_true")
    actions = errors.add_subparsers(dest="errors_action", metavar="ACTION")
    dismiss = actions.add_parser("dismiss", parents=[common],
                                 help="stop retrying a set-aside order, on purpose")
    dismiss.add_argument("ref", metavar="STORE:ID", help="as 'errors' lists it")
    dismiss.add_argument("--reason", metavar="TEXT", required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except ConfigError as exc:
        _say(str(exc))
        return ExitCode.USAGE
    except (UsageError, UnknownRef, setaside.NotSetAside) as exc:
        _say(str(exc))
        return ExitCode.USAGE
    except DatabaseError as exc:
        _say(str(exc))
        return ExitCode.FAILED
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # the reader went away (``orders --json | head``): not an error
        sys.stderr.close()
        return ExitCode.OK
    except Exception:  # the last guard: the user gets one line, the log gets the detail
        return _unexpected()


#: Why the full-screen app will not start: said before anything (demo, database, lock) is.
NOT_A_TERMINAL = "not a terminal (use ssh -t, or a headless verb)"


def _on_a_terminal() -> bool:
    """Keys come on stdin and Textual draws on stderr; a stdout that is no terminal
    says nobody is watching either (``ssh host orderupd-tui`` without ``-t``, a pipe).

    Otherwise the app would run a screen nobody sees: escape codes down a pipe,
    the demo's lock held, a process spinning on a closed input.
    """
    return all(stream is not None and stream.isatty()
               for stream in (sys.stdin, sys.stdout, sys.stderr))


def _dispatch(args: argparse.Namespace) -> int:
    if args.verb is None and not _on_a_terminal():
        raise UsageError(NOT_A_TERMINAL)
    if args.verb == "demo-server":
        from orderupd_tui.demo.server import main as demo_main

        lifetime = ["--token-lifetime", str(args.token_lifetime)] if args.token_lifetime else []
        return demo_main(["--port", str(args.port), "--orders", str(args.orders),
                          "--platform", args.platform, "--change-every", "20", *lifetime])
    settings = _settings(args)
    if args.verb == "check-config":
        print(describe(settings))
        for warning in _credential_warnings(settings):
            _say(f"warning: {warning}")
        return ExitCode.OK
    if args.verb == "connect":
        return _connect(settings, args)
    if args.verb is None:
        from orderupd_tui.tui.app import run_app

        return run_app(settings, demo=args.demo)
    with Session(settings) as session:
        handler = {
            "poll": _poll,
            "orders": _orders,
            "updates": _updates,
            "history": _history,
            "post": _post,
            "errors": _errors,
        }.get(args.verb, _review)
        return handler(session, args)


def _settings(args: argparse.Namespace) -> Settings:
    if args.demo:
        from orderupd_tui.demo.embedded import demo_settings

        # The app starts the demo afresh; a verb works on the demo the app uses.
        settings = demo_settings(fresh=args.verb is None)
    else:
        settings = load(locate(args.config))
    if args.db:
        settings = replace(settings, database=database_url(args.db, Path.cwd(), "--db"))
    _secrets[:] = settings.secrets()
    return settings


def describe(settings: Settings) -> str:
    """What ``check-config`` says it found, one fact a line."""
    lines = [f"config: {settings.source or 'built in'}",
             f"database: {redact(settings.database)}",
             f"poll_interval: {settings.poll_interval:g} s"
             + (" (only when asked)" if not settings.poll_interval else "")]
    lines.append(f"stores: {len(settings.stores)}")
    for store in settings.stores:
        note = "" if store.supports_updates else " (new orders only: no updates, no refresh)"
        lines.append(f"  {store.name}: {store.platform}{_credential(store.options)}{note}")
    lines.append(f"detect: {', '.join(sorted(settings.detect))}")
    lines.append(f"rules: {len(settings.rules)}")
    accounting = settings.accounting
    where = accounting.options.get("path", "") if accounting.backend == "beancount" else ""
    lines.append(f"accounting: {accounting.backend} {where}".rstrip()
                 + f" (on_reset: {accounting.on_reset})")
    if accounting.model is not None:
        state, _ = credential_state(accounting.model)
        if state:
            lines.append(f"  credential: {state}")
    return "\n".join(lines)


def _credential_warnings(settings: Settings) -> list[str]:
    model = settings.accounting.model
    warning = credential_state(model)[1] if model is not None else None
    return [warning] if warning else []


def _connect(settings: Settings, args: argparse.Namespace) -> int:
    model = settings.accounting.model
    if model is None:
        raise UsageError(f"connect {args.name}: the config has no accounting section")
    try:
        return connect(model, args.name, code=args.code, refresh_token=args.refresh_token)
    except ConnectUsage as exc:
        raise UsageError(str(exc)) from None


def _credential(options: Mapping[str, Any]) -> str:
    """How a store proves itself, never the value: a Dev Dashboard app or a fixed token."""
    if options.get("client_id"):
        return " (client credentials)"
    if options.get("token") or options.get("consumer_key"):
        return " (fixed token)"
    return ""


def _poll(session: Session, args: argparse.Namespace) -> int:
    if args.store:
        session.settings.store(args.store)
    if args.watch and not session.settings.poll_interval:
        raise UsageError("poll --watch needs a poll_interval above 0 in the config")
    progress = _Progress()
    receivers = []
    if args.watch:
        signal.signal(signal.SIGTERM, _interrupt)
        receivers = _start_receivers(session)
    try:
        return _poll_loop(session, args, progress)
    except KeyboardInterrupt:
        progress.clear()
        if args.watch:
            return ExitCode.OK
        raise
    finally:
        for receiver in receivers:
            receiver.stop()


def _start_receivers(session: Session) -> list[MalsReceiver]:
    """Mal's pushes its orders: listen for them while watching; a busy port is one line."""
    started = []
    for receiver in make_receivers(session.settings.stores):
        try:
            receiver.start()
        except StoreError as exc:
            _say(str(exc))
            continue
        _say(f"receiving Mal's remote calls at {receiver.url}")
        started.append(receiver)
    return started


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _poll_loop(session: Session, args: argparse.Namespace, progress: _Progress) -> int:
    while True:
        results = sync.poll_once(session, args.store, progress)
        progress.clear()
        if args.json:
            print(json.dumps({"stores": [r.to_json() for r in results]}), flush=True)
        else:
            for r in results:
                print(_poll_line(r), flush=True)
                for problem in [*r.errors, *r.set_aside]:
                    _say(problem)
        for r in results:
            for warning in r.warnings:
                _say(f"warning: {warning}")
        books = results.books
        if books is not None and books.errors:
            _say(f"accounting: {'; '.join(books.errors)}")
        if books is not None and not args.json and (books.changed or books.released
                                                    or books.settled):
            print(f"{queries.human_time(datetime.now(UTC))} {books.line()}", flush=True)
        if not args.watch:
            return ExitCode.FAILED if results.failed else ExitCode.OK
        time.sleep(session.settings.poll_interval)


def _poll_line(result: sync.StoreResult) -> str:
    line = (f"{queries.human_time(datetime.now(UTC))} {result.name}: {result.new} new, "
            f"{result.updated} updated, {result.unchanged} unchanged")
    if result.errors:
        line += f" — failed ({len(result.errors)} error{'s' if len(result.errors) > 1 else ''})"
    if result.set_aside:
        line += f" — {len(result.set_aside)} set aside (see: orderupd-tui errors)"
    return line


class _Progress:
    """A progress line on stderr during long polls: rewritten in place on a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0
        self.shown = False

    def __call__(self, store: str, pages: int, orders: int) -> None:
        now = time.monotonic()
        if now - self.last < (0.1 if self.tty else 2.0):
            return
        self.last = now
        text = f"polling {store}: page {pages}, {orders} orders"
        if self.tty:
            sys.stderr.write(f"\r{text}\x1b[K")
            self.shown = True
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


def _orders(session: Session, args: argparse.Namespace) -> int:
    rows = queries.orders_json(pending_only=args.pending)
    if args.json:
        _json_array(rows)
        return ExitCode.OK
    sample = list(itertools.islice(rows, queries.BATCH))
    if not sample:
        _say("no orders with a pending update" if args.pending else "no orders")
        return ExitCode.OK
    table = _OrdersTable(sample, _listing_width())
    print(table.header())
    for o in itertools.chain(sample, rows):
        print(table.line(o))
    return ExitCode.OK


def _listing_width() -> int:
    """The columns a listing may fill: the terminal's, or ``COLUMNS``; unbounded into a file
    or a pipe, which has no width, so ``orders > file`` keeps every column."""
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return sys.maxsize


class _OrdersTable:
    """The ``orders`` listing: a header row, then one aligned row per order.

    Refs and document ids are never cut (two cut alike would look like one
    order, or one document); the columns that fit the terminal are shown
    (see :func:`_listing_width`), the optional ones in :data:`OPTIONAL`'s
    order, the customer shortened last of all.  Widths come from the first
    batch, so a million orders stream without being held; a later, longer ref only
    pushes its own row wider.
    """

    #: Shown whatever the width: the order, its money and where it stands.
    REQUIRED = ("ORDER", "TOTAL", "STATUS", "BOOKS")
    #: Added while they fit, in this order.
    OPTIONAL = ("CREATED", "PAYMENT", "CUSTOMER")
    #: Left to right.
    ORDER = ("ORDER", "CREATED", "CUSTOMER", "TOTAL", "PAYMENT", "STATUS", "BOOKS")
    RIGHT = frozenset({"TOTAL"})
    #: Fewer characters than this and a customer's name says nothing: the column is left out.
    MIN_CUSTOMER = 10

    def __init__(self, sample: list[dict[str, Any]], columns: int) -> None:
        cells = [self.cells(o) for o in sample]
        self.width = {name: max(len(name), *(len(c[name]) for c in cells)) for name in self.ORDER}
        shown = list(self.REQUIRED)
        for name in self.OPTIONAL:
            room = columns - self._total(shown) - 1
            if room >= self.width[name]:
                shown.append(name)
            elif name == "CUSTOMER" and room >= self.MIN_CUSTOMER:
                self.width[name] = room
                shown.append(name)
        self.shown = [name for name in self.ORDER if name in shown]

    def _total(self, names: list[str]) -> int:
        """The line's width with these columns: the mark, the cells and a space between."""
        return 2 + sum(self.width[n] for n in names) + len(names) - 1

    @staticmethod
    def cells(o: dict[str, Any]) -> dict[str, str]:
        return {"ORDER": o["ref"], "CREATED": o["created_at"][:10],
                "CUSTOMER": o["customer"] or "",
                "TOTAL": f"{o['total']} {o['currency']}",
                "PAYMENT": labels.value_label("payment_status", o["payment_status"]),
                "STATUS": _order_status(o), "BOOKS": _books_state(o["accounting"])}

    def header(self) -> str:
        return self._join(" ", {name: name for name in self.shown})

    def line(self, o: dict[str, Any]) -> str:
        return self._join("*" if o["pending_update"] else " ", self.cells(o))

    def _join(self, mark: str, cells: dict[str, str]) -> str:
        parts = []
        for name in self.shown:
            text, width = cells[name], self.width[name]
            if name == "BOOKS":  # last: never padded, never cut
                parts.append(text)
            elif name == "CUSTOMER" and len(text) > width:
                parts.append(text[:width - 1] + "…")
            else:
                parts.append(text.rjust(width) if name in self.RIGHT else text.ljust(width))
        return f"{mark} " + " ".join(parts)


def _order_status(o: dict[str, Any]) -> str:
    """Why an order stands where it does, the weightiest reason first.

    A cancel here and a cancel at the store are told apart (an order the
    store cancelled is not cancelled here until its update is accepted or
    cancelled), then a pending update, then the store's own status.
    """
    if o["local_status"] == LocalStatus.CANCELLED:
        return "cancelled here"
    if o["order_status"] == "cancelled":
        return "store-cancelled"
    if o["pending_update"]:
        return "update pending"
    return str(o["order_status"] or "-")


def _books_state(accounting: dict[str, Any]) -> str:
    """The app's books state (:meth:`BooksState.of`), with the documents it is about:
    ``posted DOC``, ``kept DOC`` (detached here, still in the books), ``voided DOC``."""
    previous = accounting["previous"]
    kept = [str(p["ref"]) for p in previous if p["state"] == PostingState.DETACHED]
    voided = [str(p["ref"]) for p in previous if p["state"] == PostingState.VOIDED]
    state = BooksState.of(accounting["state"], kept=bool(kept), voided=bool(voided))
    documents = {BooksState.POSTED: [str(accounting["ref"])], BooksState.KEPT: kept,
                 BooksState.VOIDED: voided[-1:]}.get(state, [])
    text = " ".join([state, ", ".join(documents)]) if documents else str(state)
    if kept and state != BooksState.KEPT:  # posted again (forced), or in doubt: still there
        text += f", kept {', '.join(kept)}"
    return text


def _updates(session: Session, args: argparse.Namespace) -> int:
    rows = queries.updates_json(include_resolved=args.all)
    if args.json:
        _json_array(rows)
        return ExitCode.OK
    sample = list(itertools.islice(rows, queries.BATCH))
    if not sample:
        _say("no updates" if args.all else "no pending updates")
        return ExitCode.OK
    width = max(len("ORDER"), *(len(u["ref"]) for u in sample))
    print(f"{'ORDER':<{width}} {'DETECTED':<20} {'STATUS':<9} CHANGES")
    for u in itertools.chain(sample, rows):
        posted = " [posted]" if u["posted"] else ""
        print(f"{u['ref']:<{width}} {queries.human_time(u['detected_at'])} {u['status']:<9} "
              f"{labels.summary(u['changes'])}{posted}")
    return ExitCode.OK


def _history(session: Session, args: argparse.Namespace) -> int:
    data = queries.history_json(args.ref)
    if args.json:
        print(json.dumps(data))
        return ExitCode.OK
    print(f"{data['ref']} (id {data['id']})")
    if data["postings"]:
        print("postings:")
    for p in data["postings"]:
        # The document id, and the posting id only where the books chose another one.
        document = p["document_ref"] or p["posting_id"]
        own = f" (posting {p['posting_id']})" if document != p["posting_id"] else ""
        when = queries.human_time(p["posted_at"] or p["created_at"])
        print(f"  {when} {p['state']:<8} {document}{own} {p['amount']} {p['currency']}")
    print("events:" if data["events"] else "events: none")
    actions = [labels.event_label(e["action"]) for e in data["events"]]
    width = max(map(len, actions), default=0)  # the details line up, whatever the words
    for e, action in zip(data["events"], actions, strict=True):
        print(f"  {queries.human_time(e['at'])} {e['actor']:<12} {action:<{width}} "
              f"{e['detail']}")
    return ExitCode.OK


def _errors(session: Session, args: argparse.Namespace) -> int:
    """List what is set aside, or dismiss one entry on purpose (an event with the reason)."""
    if args.errors_action == "dismiss":
        try:
            entry = setaside.dismiss(session, args.ref, args.reason, session.actor)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        print(f"dismissed {entry.ref}: it is no longer retried ({args.reason.strip()})")
        return ExitCode.OK
    entries = setaside.open_entries(session)
    if args.json:
        print(json.dumps([e.to_json() for e in entries]))
        return ExitCode.OK
    if not entries:
        _say("nothing is set aside")
        return ExitCode.OK
    print(f"{'ORDER':<24} {'SEEN':<20} {'TRIES':>5}  ERROR")
    for e in entries:
        print(f"{e.ref:<24} {queries.human_time(e.last_seen)} {e.attempts:>5}  {e.error}")
    return ExitCode.OK


def _review(session: Session, args: argparse.Namespace) -> int:
    result = review.review(session, args.refs, args.verb, confirmed=args.yes, reset=args.reset,
                           reason=getattr(args, "reason", None), void=posting.void_in_books)
    return _report(result)


def _report(result: review.BatchResult, said: Mapping[str, str] | None = None) -> int:
    """Each order not done once, on stderr; the tally once, on stdout (DESIGN §6)."""
    _say_not_done(result, said)
    print(_tally(result))
    return result.exit_code


def _say_not_done(result: review.BatchResult, said: Mapping[str, str] | None = None) -> None:
    """One line on stderr for each order not done, saying why, unless a prompt just said so.

    ``said`` maps a ref to the reason the prompt gave; an outcome is left out only when its
    reason is that one (or, for an earlier document still in the books, names it
    ``detached``), and never when it failed: a reason that changed in between is news.
    """
    said = said or {}
    for outcome in result.outcomes:
        if outcome.ok:
            continue
        before = said.get(outcome.ref)
        if before is not None and outcome.code != ExitCode.FAILED and (
                outcome.message == before or (before == DETACHED
                                              and "detached" in outcome.message)):
            continue
        _say(_why(outcome.ref, outcome.message))


def _why(ref: str, message: str) -> str:
    """``shop:1277 is posted as …``: the ref, then why (a lookup's message names it already)."""
    return message if message.startswith(f"{ref}:") else f"{ref} {message}"


#: How an order that was not done is counted, by its outcome code (worst last).
_NOT_DONE = ((ExitCode.FAILED, "failed"), (ExitCode.USAGE, "skipped"),
             (ExitCode.REFUSED, "refused"))


def _tally(result: review.BatchResult) -> str:
    """``3 posted, 1 refused``: counts only, since each order not done has had its line."""
    codes = [o.code for o in result.outcomes]
    parts = [f"{codes.count(ExitCode.OK)} {Action(result.action).past}"]
    parts += [f"{codes.count(code)} {word}" for code, word in _NOT_DONE if code in codes]
    return ", ".join(parts)


def _post(session: Session, args: argparse.Namespace) -> int:
    if not args.refs and not args.reconcile:
        raise UsageError("post needs at least one REF (or --reconcile)")
    session.books()  # no books configured: its one line now, not after a prompt about them
    said: dict[str, str] = {}  # what the prompt already said will not be posted, and why
    if args.reconcile:
        result = posting.reconcile(session, args.refs or None)
    else:
        if not args.yes and sys.stdin.isatty():
            named = _confirm_post(session, args)
            if named is None:
                _say("nothing posted")
                return ExitCode.REFUSED
            said = named
        result = posting.post(session, args.refs, force=args.force)
    if not args.json:
        return _report(result, said)
    _say_not_done(result, said)
    print(json.dumps([_post_json(result.action, o) for o in result.outcomes]))
    return result.exit_code


#: What the post prompt said of an order refused for an earlier document still in the books.
DETACHED = "detached"


def _confirm_post(session: Session, args: argparse.Namespace) -> dict[str, str] | None:
    """On a terminal, say what posting will do and ask, as the app's modal does.

    The plan is the app's (:func:`postplan.plan_post`), built with the posting
    service's own refusals: the count and total are of the orders that will
    be posted, each one that will not is named with why, and so is each
    earlier, detached document still in the books, with what ``--force`` does.
    Returns each ref it named as not posted with the reason it gave (which
    the outcome then does not repeat), or None when the answer was no.
    """
    ids, unknown = [], {}
    for ref in dict.fromkeys(args.refs):
        try:
            ids.append(find(ref).id)
        except UnknownRef as exc:
            unknown[ref] = str(exc)
    plan = postplan.plan_post(Inbox(session.db), ids)
    forced = args.force and plan.can_force
    count, total = plan.forced_total if forced else plan.total
    lines = [f"Post {_orders_word(count)} ({total or 'no total'}) to "
             f"{session.settings.accounting.backend}?"]  # the books by name, as the app's modal
    if plan.settling:
        lines.append(f"  {_orders_word(len(plan.settling))} with an unknown outcome are looked "
                     f"up in the books first, and posted only if missing: "
                     f"{', '.join(plan.settling)}")
    for ref, documents in plan.detached:
        earlier = ", ".join(documents)
        one = len(documents) == 1
        lines.append(f"  posted over {'a detached document' if one else 'detached documents'} "
                     f"still in the books: {ref} ({earlier})" if forced else
                     f"  not posted: {ref} has "
                     f"{'an earlier, detached document' if one else 'earlier, detached documents'}"
                     f" {earlier} still in the books (void {'it' if one else 'them'} there, "
                     "or --force to post anyway)")
    if plan.detached and not forced:
        forced_count, forced_total = plan.forced_total
        lines.append(f"  --force would post {_orders_word(forced_count)} "
                     f"({forced_total or 'no total'})")
    lines += [f"  not posted: {_why(ref, why)}" for ref, why in plan.refused]
    lines += [f"  not posted: {message}" for message in unknown.values()]
    if not count:
        return {}  # nothing to ask: posting names each refusal once, and exits with its code
    sys.stderr.write("\n".join(lines) + "\n[y/N] ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        return None
    named = dict(plan.refused) | unknown
    return named | ({} if forced else {ref: DETACHED for ref, _ in plan.detached})


def _orders_word(count: int) -> str:
    return f"{count} order{'s' if count != 1 else ''}"


def _post_json(action: str, outcome: review.Outcome) -> dict[str, Any]:
    """One order's result: ``{ref, code, result, message, accounting}`` (DESIGN §6's object).

    ``result`` is ``posted`` (``settled`` with --reconcile), ``failed``, ``invalid`` or
    ``refused``; ``code`` is the exit code this order alone would give.
    """
    try:
        accounting: dict[str, Any] | None = posting.accounting_json(find(outcome.ref))
    except UnknownRef:
        accounting = None
    result = {ExitCode.OK: Action(action).past, ExitCode.FAILED: "failed",
              ExitCode.USAGE: "invalid", ExitCode.REFUSED: "refused"}[ExitCode(outcome.code)]
    return {"ref": outcome.ref, "code": outcome.code, "result": result,
            "message": outcome.message, "accounting": accounting}


def _json_array(rows: Iterable[dict[str, Any]]) -> None:
    """Stream a JSON array row by row, so a million orders never sit in memory at once."""
    out = sys.stdout
    out.write("[")
    for i, row in enumerate(rows):
        out.write(("," if i else "") + json.dumps(row))
    out.write("]\n")


def _say(message: str) -> None:
    print(f"orderupd-tui: {message}", file=sys.stderr)


def _unexpected() -> int:
    """Log the traceback under the state dir and tell the user where, in one line."""
    _say(log_unexpected(_secrets))
    return ExitCode.FAILED

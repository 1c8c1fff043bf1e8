"""``orderupd-tui connect quickbooks|xero``: the one-time authorization, usable over SSH.

It prints the authorize URL.  A user on the same machine opens it and the
redirect comes back to a listener on ``redirect_uri`` (when that is on
localhost); a user on SSH opens it on their own machine, where the
redirect fails to load, and pastes the address bar back here.  Both are
waited for at once.  ``--code`` and ``--refresh-token`` need no terminal.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import IO, Any
from urllib.parse import urlsplit

from orderupd_tui.accounting.base import AccountingError
from orderupd_tui.accounting.oauth import (
    BadRedirect,
    OAuthApp,
    app_of,
    exchange_code,
    import_refresh_token,
    read_redirect,
    start,
)
from orderupd_tui.accounting.options import BackendOptions
from orderupd_tui.credentials import CredentialStore, Stored

LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
WAIT = 600.0
"""Seconds to wait for the redirect before giving up."""


class ConnectUsage(Exception):
    """``connect`` cannot apply to this config; one line, exit 2."""


def connect(options: BackendOptions, name: str, *, code: str | None,
            refresh_token: str | None, store: CredentialStore | None = None,
            stdin: IO[str] | None = None, say: Any = None) -> int:
    """Run the flow; returns the exit code (0 done, 1 refused by the books)."""
    say = say or _say
    if options.backend != name:
        raise ConnectUsage(f"connect {name}: the config's accounting.backend is "
                           f"{options.backend}")
    app = app_of(options)
    if app is None:
        raise ConnectUsage(f"connect {name}: accounting.token is a fixed token; set client_id "
                           "and client_secret (and drop token) for tokens that renew")
    if getattr(options, "grant", "") == "client_credentials":
        say(f"{name}: a custom connection (grant: client_credentials) needs no connect")
        return 0
    store = store or CredentialStore()
    realm = str(getattr(options, "realm_id", "") or "")
    try:
        if refresh_token is not None:
            entry = import_refresh_token(app, store, refresh_token)
        elif code is not None:
            entry = exchange_code(app, store, code, realm_id=realm)
        else:
            entry = _interactive(app, store, realm, stdin or sys.stdin, say)
    except AccountingError as exc:
        say(str(exc))
        return 1
    say(f"{name}: connected; {describe(entry)}")
    return 0


def _interactive(app: OAuthApp, store: CredentialStore, realm: str, stdin: IO[str],
                 say: Any) -> Stored:
    auth = start(app)
    say(f"Open this address in a browser and allow access:\n\n  {auth.url}\n")
    answers: queue.Queue[str] = queue.Queue()
    listener = _listen(app.redirect_uri, answers, say)
    say("Then paste here the address your browser was sent to"
        + (" (or just wait, if the browser is on this machine):" if listener else ":"))
    threading.Thread(target=_read_lines, args=(stdin, answers), daemon=True).start()
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                answer = answers.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise AccountingError(f"{app.backend}: no redirect came within "
                                      f"{WAIT / 60:.0f} minutes") from None
            if not answer:
                if listener is not None:
                    continue  # no terminal to paste into: the listener may still get it
                raise AccountingError(f"{app.backend}: no redirect was pasted")
            try:
                got_code, got_realm = read_redirect(answer, auth.state)
            except BadRedirect as exc:
                say(f"{app.backend}: {exc}; paste the address again")
                continue
            if realm and got_realm and got_realm != realm:
                raise AccountingError(f"{app.backend}: the company connected (realmId "
                                      f"{got_realm}) is not accounting.realm_id {realm}")
            return exchange_code(app, store, got_code, realm_id=got_realm or realm,
                                 code_verifier=auth.code_verifier)
    finally:
        if listener is not None:
            listener.shutdown()
            listener.server_close()


def _read_lines(stdin: IO[str], answers: queue.Queue[str]) -> None:
    for line in stdin:
        if line.strip():
            answers.put(line.strip())
    answers.put("")  # end of input


def _listen(redirect_uri: str, answers: queue.Queue[str], say: Any) -> HTTPServer | None:
    parts = urlsplit(redirect_uri)
    if parts.hostname not in LOCAL_HOSTS or parts.port is None:
        return None
    path = parts.path or "/"

    class Redirected(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if urlsplit(self.path).path != path:
                self.send_error(404)
                return
            answers.put(f"{parts.scheme}://{parts.netloc}{self.path}")
            body = b"orderupd-tui: received. You can close this window.\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the terminal is for the user's instructions."""

    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    try:
        server = HTTPServer((host, parts.port), Redirected)
    except OSError as exc:
        say(f"cannot listen on {parts.netloc} ({exc.strerror}): paste the address instead")
        return None
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    return server


def describe(entry: Stored | None, now: float | None = None) -> str:
    """A connection's state, never a token: access-token expiry and refresh-token age."""
    if entry is None or not entry.refresh_token:
        return "not connected"
    now = time.time() if now is None else now
    expiry = datetime.fromtimestamp(entry.expires_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = "valid until" if entry.expires_at > now else "expired at"
    age = max(0.0, now - entry.refresh_obtained_at) / 86400
    return (f"access token {state} {expiry} (renewed on use), refresh token "
            f"{age:.0f} day{'s' if round(age) != 1 else ''} old")


def credential_state(options: BackendOptions, store: CredentialStore | None = None,
                     ) -> tuple[str, str | None]:
    """``check-config``'s line for the books' credential, and a warning if any."""
    if options.backend not in ("quickbooks", "xero"):
        return "", None
    app = app_of(options)
    if app is None:
        warning = ("accounting.token is a fixed access token: it lasts an hour for "
                   "QuickBooks (30 minutes for Xero); set client_id and client_secret and run "
                   f"orderupd-tui connect {options.backend}")
        return "fixed token", warning
    if getattr(options, "grant", "") == "client_credentials":
        return "client credentials (custom connection)", None
    entry = (store or CredentialStore()).get(app.key)
    if entry is None or not entry.refresh_token:
        return "not connected", f"run: orderupd-tui connect {options.backend}"
    return f"connected, {describe(entry)}", None


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)

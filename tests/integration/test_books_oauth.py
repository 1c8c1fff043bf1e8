"""QuickBooks and Xero with OAuth 2 through the command, against fake token servers.

The fake token server (tests/fakes/oauth_server.py) hands out access
tokens lasting a few seconds and rotates refresh tokens, refusing a
rotated-out one with ``invalid_grant``; the fake APIs accept only its live
tokens.  So every test here crosses expiries the way a daemon does over
months, in seconds.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from orderupd_tui.db.connection import open_database
from orderupd_tui.db.models import database
from orderupd_tui.demo.process import DemoProcess
from tests.fakes.oauth_server import OAuthFake
from tests.fakes.quickbooks_server import QuickBooksFake
from tests.fakes.xero_server import XeroFake
from tests.integration.posting_support import database_text, demo_store, paid_ids
from tests.integration.test_cli import EXE, json_of

LIFETIME = 2.0


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with demo_store() as server:
        yield server


@pytest.fixture
def oauth() -> Iterator[OAuthFake]:
    with OAuthFake(lifetime=LIFETIME, redirect_uri=f"http://localhost:{free_port()}/callback"
                   ) as fake:
        yield fake


@pytest.fixture
def qbo(oauth: OAuthFake) -> Iterator[QuickBooksFake]:
    with QuickBooksFake(token="never-handed-out-0000") as fake:
        fake.accept = oauth.valid
        yield fake


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cli:
    """The command with a config for the demo store and these books, and private XDG dirs."""

    def __init__(self, demo: DemoProcess, tmp_path: Path, accounting: dict[str, str]) -> None:
        assert EXE, "the orderupd-tui console script is not installed in this environment"
        self.tmp = tmp_path
        self.config = tmp_path / "config.yaml"
        section = "".join(f'  {k}: "{v}"\n' for k, v in accounting.items())
        self.config.write_text(
            "database: sqlite:///orders.db\npoll_interval: 1\n"
            "stores:\n  - name: main\n    platform: shopify\n"
            f"    url: {demo.url}\n    token: {demo.token}\n    since: 2026-01-01\n"
            f"accounting:\n{section}")
        self.env = {**os.environ, "ORDERUPD_CONFIG": str(self.config),
                    "XDG_STATE_HOME": str(tmp_path / "state"),
                    "XDG_DATA_HOME": str(tmp_path / "data")}

    @property
    def credentials(self) -> Path:
        return self.tmp / "state" / "orderupd-tui" / "credentials.json"

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EXE, *args], env=self.env, capture_output=True, text=True,
                              timeout=120, input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([EXE, *args], env=self.env, text=True, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def refs(self, demo: DemoProcess, count: int) -> list[str]:
        wanted = {str(i) for i in paid_ids(demo, count)}
        return [o["ref"] for o in json_of(self("orders", "--json")) if o["remote_id"] in wanted]

    def everything_written(self) -> str:
        """Every file the program wrote but the credentials file, as text."""
        texts = []
        for path in self.tmp.rglob("*"):
            if path.is_file() and path.name != "credentials.json" and path.name != "config.yaml":
                texts.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(texts)


def quickbooks(oauth: OAuthFake, qbo: QuickBooksFake) -> dict[str, str]:
    return {"backend": "quickbooks", "url": qbo.url, "realm_id": qbo.realm_id,
            "client_id": oauth.client_id, "client_secret": oauth.client_secret,
            "redirect_uri": oauth.redirect_uri, "token_url": f"{oauth.url}/token",
            "auth_url": f"{oauth.url}/authorize", "item_ref": "1", "customer_ref": "1"}


def no_secrets(cli: Cli, oauth: OAuthFake, *procs: subprocess.CompletedProcess[str]) -> None:
    data = json.loads(cli.credentials.read_text())
    held = [v for entry in data["entries"].values()
            for k, v in entry.items() if k in ("access_token", "refresh_token") and v]
    everything = cli.everything_written() + "".join(p.stdout + p.stderr for p in procs)
    for secret in [*held, oauth.client_secret, *oauth.access, *oauth.used_refresh]:
        assert secret not in everything
    assert not list(cli.credentials.parent.glob(".credentials-*"))  # no leftover temp file


def test_connect_by_code_then_posts_across_an_expiry(demo, tmp_path, oauth, qbo) -> None:
    cli = Cli(demo, tmp_path, quickbooks(oauth, qbo))
    check = cli("check-config")
    assert check.returncode == 0 and "credential: not connected" in check.stdout
    assert "connect quickbooks" in check.stderr
    connected = cli("connect", "quickbooks", "--code", oauth.issue_code())
    assert connected.returncode == 0, connected.stderr
    assert stat.S_IMODE(cli.credentials.stat().st_mode) == 0o600
    cli("poll")
    first, second = cli.refs(demo, 2)
    assert cli("post", first, "--yes").returncode == 0
    refreshes = oauth.grants.count("refresh_token")
    time.sleep(LIFETIME + 0.3)
    posted = cli("post", second, "--yes")
    assert posted.returncode == 0, posted.stderr
    assert qbo.count("SalesReceipt") == 2
    assert oauth.grants.count("refresh_token") == refreshes + 1  # the expiry, crossed once
    assert set(oauth.grants[1:]) == {"refresh_token"} and oauth.reused == []
    check = cli("check-config")
    assert re.search(r"credential: connected, access token (valid until|expired at) "
                     r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(renewed on use\), refresh "
                     r"token 0 days old", check.stdout), check.stdout
    no_secrets(cli, oauth, connected, posted, check)


def test_two_posts_at_once_across_an_expiry_never_reuse_a_refresh_token(demo, tmp_path, oauth,
                                                                        qbo) -> None:
    cli = Cli(demo, tmp_path, quickbooks(oauth, qbo))
    assert cli("connect", "quickbooks", "--code", oauth.issue_code()).returncode == 0
    cli("poll")
    refs = cli.refs(demo, 2)
    time.sleep(LIFETIME + 0.3)  # both processes start with an expired access token
    procs = [cli.popen("post", ref, "--yes") for ref in refs]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert oauth.reused == []
    assert oauth.grants.count("refresh_token") == 1  # the second found the first's token
    assert qbo.count("SalesReceipt") == 2


def test_a_revoked_refresh_is_one_line_and_exit_1_then_reconnecting_posts(demo, tmp_path,
                                                                          oauth, qbo) -> None:
    cli = Cli(demo, tmp_path, quickbooks(oauth, qbo))
    assert cli("connect", "quickbooks", "--code", oauth.issue_code()).returncode == 0
    cli("poll")
    (ref,) = cli.refs(demo, 1)
    time.sleep(LIFETIME + 0.3)
    oauth.revoke()
    refused = cli("post", ref, "--yes")
    assert refused.returncode == 1
    (line,) = refused.stderr.splitlines()
    assert "quickbooks: authorization expired or revoked — run: orderupd-tui connect " \
           "quickbooks" in line
    assert qbo.seen("create") == []
    (row,) = [o for o in json_of(cli("orders", "--json")) if o["ref"] == ref]
    assert row["accounting"]["state"] in ("unposted", "error")
    assert cli("connect", "quickbooks", "--code", oauth.issue_code()).returncode == 0
    again = cli("post", ref, "--yes")
    assert again.returncode == 0, again.stderr
    assert qbo.count("SalesReceipt") == 1


def test_a_refused_code_or_refresh_token_is_exit_1(demo, tmp_path, oauth, qbo) -> None:
    cli = Cli(demo, tmp_path, quickbooks(oauth, qbo))
    bad = cli("connect", "quickbooks", "--code", "not-a-code")
    assert bad.returncode == 1 and "invalid_grant" in bad.stderr
    used = oauth.issue_refresh_token()
    assert cli("connect", "quickbooks", "--refresh-token", used).returncode == 0
    stale = cli("connect", "quickbooks", "--refresh-token", used)
    assert stale.returncode == 1 and "refused" in stale.stderr
    assert cli("connect", "xero", "--code", "x").returncode == 2  # not the configured backend


def test_refresh_token_from_elsewhere_is_proved_and_the_rotated_one_kept(demo, tmp_path, oauth,
                                                                         qbo) -> None:
    cli = Cli(demo, tmp_path, quickbooks(oauth, qbo))
    given = oauth.issue_refresh_token()
    done = cli("connect", "quickbooks", "--refresh-token", given)
    assert done.returncode == 0, done.stderr
    stored = json.loads(cli.credentials.read_text())["entries"]["accounting:quickbooks"]
    assert stored["refresh_token"] in oauth.live_refresh and stored["refresh_token"] != given
    cli("poll")
    (ref,) = cli.refs(demo, 1)
    assert cli("post", ref, "--yes").returncode == 0


def authorize_url(stream: str) -> httpx.URL:
    (url,) = re.findall(r"^\s+(http\S+/authorize\S+)$", stream, re.MULTILINE)
    return httpx.URL(url)


def read_until_url(proc: subprocess.Popen[str]) -> httpx.URL:
    assert proc.stderr is not None
    seen = ""
    while "/authorize" not in seen or "paste" not in seen:
        line = proc.stderr.readline()
        assert line, seen
        seen += line
    return authorize_url(seen)


def test_the_pasted_redirect_over_ssh(demo, tmp_path, oauth, qbo) -> None:
    settings = quickbooks(oauth, qbo)
    settings["redirect_uri"] = oauth.redirect_uri = "https://app.example.com/callback"
    cli = Cli(demo, tmp_path, settings)
    proc = cli.popen("connect", "quickbooks")
    url = read_until_url(proc)
    assert url.params["scope"] == "com.intuit.quickbooks.accounting"
    assert url.params["redirect_uri"] == oauth.redirect_uri and url.params["response_type"] \
        == "code"
    state = url.params["state"]
    assert len(state) >= 20
    code = oauth.issue_code()
    assert proc.stdin is not None
    proc.stdin.write(f"{oauth.redirect_uri}?code={code}&state=forged&realmId={qbo.realm_id}\n")
    proc.stdin.write(f"{oauth.redirect_uri}?code={code}&state={state}&realmId={qbo.realm_id}\n")
    proc.stdin.flush()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "not the redirect of this request" in err  # the forged state was refused
    assert "quickbooks: connected" in err
    assert code not in err


def test_the_local_listener_takes_the_redirect(demo, tmp_path, oauth, qbo) -> None:
    cli = Cli(demo, tmp_path, quickbooks(oauth, qbo))
    proc = cli.popen("connect", "quickbooks")
    url = read_until_url(proc)
    code = oauth.issue_code()
    back = httpx.get(f"{oauth.redirect_uri}?code={code}&state={url.params['state']}"
                     f"&realmId={qbo.realm_id}".replace("localhost", "127.0.0.1"), timeout=30)
    assert back.status_code == 200 and "close this window" in back.text
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    cli("poll")
    (ref,) = cli.refs(demo, 1)
    assert cli("post", ref, "--yes").returncode == 0


def xero_books(oauth: OAuthFake, xero: XeroFake, **extra: str) -> dict[str, str]:
    return {"backend": "xero", "url": xero.url, "client_id": oauth.client_id,
            "client_secret": oauth.client_secret, "redirect_uri": oauth.redirect_uri,
            "token_url": f"{oauth.url}/token", "auth_url": f"{oauth.url}/authorize",
            "connections_url": f"{oauth.url}/connections", "account_code": "200",
            "contact_name": "Online store customers", **extra}


@pytest.fixture
def xero(oauth: OAuthFake) -> Iterator[XeroFake]:
    with XeroFake(tenant_id=oauth.tenants[0]["tenantId"], token="never-0000") as fake:
        fake.accept = oauth.valid
        yield fake


def test_xero_custom_connection_across_an_expiry(demo, tmp_path, oauth, xero) -> None:
    cli = Cli(demo, tmp_path, xero_books(oauth, xero, grant="client_credentials"))
    check = cli("check-config")
    assert check.returncode == 0 and "client credentials" in check.stdout
    cli("poll")
    first, second = cli.refs(demo, 2)
    assert cli("post", first, "--yes").returncode == 0
    time.sleep(LIFETIME + 0.3)
    assert cli("post", second, "--yes").returncode == 0
    assert set(oauth.grants) == {"client_credentials"}
    assert len(xero.invoices) == 2


def test_xero_authorization_code_picks_the_tenant_from_connections(demo, tmp_path, oauth,
                                                                   xero) -> None:
    cli = Cli(demo, tmp_path, xero_books(oauth, xero))
    assert cli("connect", "xero", "--code", oauth.issue_code()).returncode == 0
    cli("poll")
    (ref,) = cli.refs(demo, 1)
    assert cli("post", ref, "--yes").returncode == 0
    assert len(xero.invoices) == 1 and oauth.seen("connections")
    oauth.tenants.append({"tenantId": "7a", "tenantName": "Second Org",
                          "tenantType": "ORGANISATION"})
    (other,) = [r for r in cli.refs(demo, 2) if r != ref]
    two = cli("post", other, "--yes")
    assert two.returncode == 1
    assert "Demo Company" in two.stderr and "Second Org" in two.stderr
    assert "accounting.tenant_id" in two.stderr


def test_no_token_or_secret_outside_the_credentials_file(demo, tmp_path, oauth, qbo) -> None:
    """The secrets scan of test_posting_cli, for OAuth: errors and a crash get logged too."""
    cli = Cli(demo, tmp_path, quickbooks(oauth, qbo))
    runs = [cli("connect", "quickbooks", "--code", oauth.issue_code()), cli("poll")]
    first, second, third = cli.refs(demo, 3)
    runs.append(cli("post", first, "--yes"))
    time.sleep(LIFETIME + 0.3)
    runs += [cli("post", second, "--yes"), cli("poll"), cli("check-config")]
    oauth.revoke()
    time.sleep(LIFETIME + 0.3)
    runs += [cli("post", third, "--yes"), cli("poll")]
    corrupt = tmp_path / "corrupt.db"  # an unexpected error, so that the log gets written
    corrupt.write_bytes(b"this is not a database file" * 100)
    crash = cli("post", "--db", f"sqlite:///{corrupt}", first)
    assert crash.returncode == 1 and "unexpected error" in crash.stderr
    assert (tmp_path / "state" / "orderupd-tui" / "errors.log").exists()
    no_secrets(cli, oauth, *runs, crash)
    open_database(f"sqlite:///{tmp_path / 'orders.db'}")
    try:
        text = database_text()
    finally:
        database.close()
    assert "posted" in text
    assert not any(s in text for s in [oauth.client_secret, *oauth.access, *oauth.used_refresh])


def test_a_fixed_token_still_works_and_check_config_says_it_lasts_an_hour(demo, tmp_path,
                                                                          oauth, qbo) -> None:
    books = {k: v for k, v in quickbooks(oauth, qbo).items()
             if k not in ("client_id", "client_secret")}
    cli = Cli(demo, tmp_path, {**books, "token": qbo.token})
    check = cli("check-config")
    assert check.returncode == 0 and "credential: fixed token" in check.stdout
    (warning,) = check.stderr.splitlines()
    assert "lasts an hour" in warning and qbo.token not in check.stdout + check.stderr
    cli("poll")
    (ref,) = cli.refs(demo, 1)
    assert cli("post", ref, "--yes").returncode == 0
    (tmp_path / "both").mkdir()
    both = Cli(demo, tmp_path / "both", {**quickbooks(oauth, qbo), "token": qbo.token})
    refused = both("check-config")
    assert refused.returncode == 2
    assert refused.stderr.startswith("orderupd-tui: accounting.token: give either token or")


def test_xero_public_client_connects_with_pkce(demo, tmp_path, oauth, xero) -> None:
    books = {k: v for k, v in xero_books(oauth, xero).items() if k != "client_secret"}
    books["redirect_uri"] = oauth.redirect_uri = "https://app.example.com/callback"
    cli = Cli(demo, tmp_path, books)
    proc = cli.popen("connect", "xero")
    url = read_until_url(proc)
    assert url.params["code_challenge_method"] == "S256"
    assert "offline_access" in url.params["scope"].split()
    code = oauth.issue_code(challenge=url.params["code_challenge"])
    assert proc.stdin is not None
    proc.stdin.write(f"{oauth.redirect_uri}?code={code}&state={url.params['state']}\n")
    proc.stdin.flush()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    cli("poll")
    (ref,) = cli.refs(demo, 1)
    assert cli("post", ref, "--yes").returncode == 0
    assert len(xero.invoices) == 1

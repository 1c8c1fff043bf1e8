"""A Dev Dashboard app (client id and secret) against the demo store, across token expiries."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.stores.base import StoreAuthError
from orderupd_tui.stores.http import RetryPolicy
from orderupd_tui.stores.shopify import ShopifyClient

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
LIFETIME = 2.0
QUICK = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.05)
EXE = shutil.which("orderupd-tui", path=str(Path(sys.executable).parent))


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with spawn_demo_server(orders=300, rate_limit=False,
                           extra_args=["--token-lifetime", str(LIFETIME)]) as server:
        yield server


@pytest.fixture
def app(demo: DemoProcess) -> dict[str, str]:
    demo.control.reset_stats()
    client = demo.control.info()["client"]
    return {"client_id": client["client_id"], "client_secret": client["client_secret"]}


def token_requests(demo: DemoProcess) -> int:
    return int(demo.control.stats()["by_endpoint"].get("access_token", 0))


def test_a_poll_an_expiry_and_a_poll_take_one_new_token(demo: DemoProcess,
                                                        app: dict[str, str]) -> None:
    with ShopifyClient("main", demo.url, None, page_size=100, retry=QUICK, **app) as shopify:
        first = [o for page in shopify.changed_since(EPOCH) for o in page.orders]
        assert token_requests(demo) == 1  # three pages, one token
        time.sleep(LIFETIME + 0.2)
        second = [o for page in shopify.changed_since(EPOCH) for o in page.orders]
    assert len(first) == len(second) == 300
    assert token_requests(demo) == 2
    assert demo.control.stats()["by_status"].get("401", 0) == 0  # never sent a dead token


def test_a_token_that_dies_early_is_renewed_once_and_the_request_goes_through(
        demo: DemoProcess, app: dict[str, str]) -> None:
    with ShopifyClient("main", demo.url, None, page_size=250, retry=QUICK, **app) as shopify:
        list(shopify.changed_since(EPOCH))
        demo.control.fault(401)  # the store forgets the token before its time
        pages = list(shopify.changed_since(EPOCH))
    assert sum(len(p.orders) for p in pages) == 300
    assert token_requests(demo) == 2


def test_a_revoked_secret_is_one_line_naming_the_store(demo: DemoProcess,
                                                       app: dict[str, str]) -> None:
    with ShopifyClient("main", demo.url, None, retry=QUICK, **app) as shopify:
        list(shopify.changed_since(EPOCH))
        rotated = demo.control.revoke_client()
        with pytest.raises(StoreAuthError) as caught:
            list(shopify.changed_since(EPOCH))
    message = str(caught.value)
    assert message.startswith("store 'main': its credentials were refused") and \
        "invalid_client" in message and "\n" not in message
    assert app["client_secret"] not in message and rotated["client_secret"] not in message


def test_the_cli_polls_with_client_credentials_and_shows_no_secret(tmp_path: Path) -> None:
    assert EXE, "the orderupd-tui console script is not installed in this environment"
    with spawn_demo_server(orders=50, rate_limit=False,
                           extra_args=["--token-lifetime", "30"]) as demo:
        client = demo.control.info()["client"]
        config = tmp_path / "config.yaml"
        config.write_text(
            "database: sqlite:///orders.db\naccounting: {backend: none}\nstores:\n"
            f"  - {{name: main, platform: shopify, url: '{demo.url}',"
            " client_id: '${APP_ID}', client_secret: '${APP_SECRET}'}\n")
        env = {**os.environ, "APP_ID": client["client_id"], "APP_SECRET": client["client_secret"],
               "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "d")}

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([EXE, "--config", str(config), *args], env=env,
                                  capture_output=True, text=True, timeout=120,
                                  stdin=subprocess.DEVNULL)

        check = run("check-config")
        assert check.returncode == 0, check.stderr
        assert "main: shopify (client credentials)" in check.stdout
        poll = run("poll")
        assert poll.returncode == 0, poll.stderr
        assert "50 new" in poll.stdout
        again = run("poll")  # another process shares the token kept in credentials.json
        assert again.returncode == 0, again.stderr
        assert token_requests(demo) == 1
        credentials = tmp_path / "state" / "orderupd-tui" / "credentials.json"
        assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
        assert client["client_secret"] not in credentials.read_text()
        demo.control.revoke_client()
        refused = run("poll")
        assert refused.returncode == 1
        assert "store 'main': its credentials were refused" in refused.stdout + refused.stderr
        for proc in (check, poll, refused):
            assert client["client_secret"] not in proc.stdout + proc.stderr
        log = tmp_path / "state" / "orderupd-tui" / "errors.log"
        assert not log.exists() or client["client_secret"] not in log.read_text()
        db = (tmp_path / "orders.db").read_bytes()
        assert client["client_secret"].encode() not in db

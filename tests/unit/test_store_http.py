"""The store HTTP layer's pure parts: error text, HTML titles, Retry-After, backoff."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from orderupd_tui.retry_after import retry_after
from orderupd_tui.stores.base import StoreAuthError, StoreError
from orderupd_tui.stores.http import (
    JsonHttp,
    RetryPolicy,
    error_text,
    html_title,
    looks_like_html,
)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"errors": "[API] Invalid API key"}, "[API] Invalid API key"),
        ({"errors": {"page_info": ["is invalid"], "limit": ["too big"]}},
         "page_info: is invalid; limit: too big"),
        ({"errors": ["Not Found"]}, "Not Found"),
        ({"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources."},
         "Sorry, you cannot list resources."),
        ({"status": 429, "title": "Too many requests", "type": "about:blank"}, "Too many requests"),
        ([{"status": 400, "message": "bad min_date_modified"}], "bad min_date_modified"),
        ({"unrelated": 1}, ""),
        (None, ""),
    ],
)
def test_error_text_reads_each_platform_shape(body: object, text: str) -> None:
    assert error_text(body) == text


def test_html_title_of_a_gateway_page() -> None:
    page = "<html>\n<head><title>502 Bad\n  Gateway</title></head><body><h1>x</h1></body></html>"
    assert html_title(page) == "502 Bad Gateway"
    assert html_title("<html><body><h1>Service &amp; <b>Unavailable</b></h1></body></html>") == (
        "Service & Unavailable")
    assert html_title("<p>nothing named</p>") == ""


def test_looks_like_html_by_type_or_body() -> None:
    assert looks_like_html(httpx.Response(502, headers={"Content-Type": "text/html"}, text="x"))
    assert looks_like_html(httpx.Response(200, text="  <!DOCTYPE html><html></html>"))
    assert not looks_like_html(httpx.Response(200, json={"orders": []}))


def test_retry_after_seconds_and_dates() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "2.0"})) == 2.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "0.25"})) == 0.25
    assert retry_after(httpx.Response(429)) is None
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    wait = retry_after(httpx.Response(429, headers={"Retry-After": later}))
    assert wait is not None and 20 < wait <= 30


def test_backoff_doubles_then_caps() -> None:
    policy = RetryPolicy(base_delay=0.2, max_delay=1.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_unreachable_store_gives_one_line_after_retries() -> None:
    with socket.socket() as sock:  # a port that was just free and has no listener now
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    http = JsonHttp(
        "main",
        f"http://127.0.0.1:{port}",
        auth_headers={"X-Shopify-Access-Token": "shpat_secret"},
        retry=RetryPolicy(attempts=2, base_delay=0.01),
    )
    with http, pytest.raises(StoreError) as caught:
        http.get_json("/admin/api/2025-07/orders.json", {"status": "any"})
    message = str(caught.value)
    assert message.startswith("store 'main' did not answer GET /admin/api/2025-07/orders.json")
    assert message.endswith("(after 2 attempts)")
    assert "\n" not in message
    assert "shpat_secret" not in message
    assert http.store_clock is None


# --- against a small real server on 127.0.0.1 -------------------------------------------------


class _Scripted(BaseHTTPRequestHandler):
    """Answers each request with the next scripted (status, headers, body); notes arrivals."""

    server: _ScriptServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server = self.server
        with server.lock:
            server.arrivals.append((time.monotonic(), self.path))
            status, headers, body = server.script.pop(0) if server.script else (200, {}, b"[]")
            if status == 429:
                server.paused_until = time.monotonic() + float(headers["Retry-After"])
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _ScriptServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script: list[tuple[int, dict[str, str], bytes]]) -> None:
        super().__init__(("127.0.0.1", 0), _Scripted)
        self.script = script
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str]] = []
        self.paused_until = 0.0


Start = Callable[..., tuple[_ScriptServer, JsonHttp]]


@pytest.fixture
def scripted() -> Iterator[Start]:
    """Start a scripted server and a JsonHttp for it (``options`` go to JsonHttp)."""
    servers: list[_ScriptServer] = []

    def start(script: list[tuple[int, dict[str, str], bytes]], **options: Any
              ) -> tuple[_ScriptServer, JsonHttp]:
        server = _ScriptServer(script)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        http = JsonHttp("shop", f"http://127.0.0.1:{server.server_address[1]}",
                        retry=RetryPolicy(attempts=2, base_delay=0.01), **options)
        return server, http

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_204_and_an_empty_body_read_as_none(scripted: Start) -> None:
    _, http = scripted([(204, {}, b""), (200, {"Content-Type": "application/json"}, b"")])
    with http:
        assert http.get_json("/orders")[0] is None
        assert http.get_json("/orders")[0] is None


def test_woocommerce_error_code_and_query_secrets_in_one_masked_line(scripted: Start) -> None:
    body = (b'{"code":"rest_invalid_param","message":"Invalid parameter(s): per_page '
            b'(cs_secret_9)","data":{"status":400}}')
    _, http = scripted([(400, {"Content-Type": "application/json"}, body)],
                       secrets=("ck_key_1", "cs_secret_9"))
    with http, pytest.raises(StoreError) as caught:
        http.get_json("/wp-json/wc/v3/orders", {"consumer_secret": "cs_secret_9"})
    assert str(caught.value) == ("store 'shop' refused GET /wp-json/wc/v3/orders (400): "
                                 "Invalid parameter(s): per_page (***) [rest_invalid_param]")


def test_the_auth_hint_is_the_platforms(scripted: Start) -> None:
    body = b'{"message":"The consumer isn\'t authorized to access %resources.",' \
           b'"parameters":{"resources":"Magento_Sales::actions_view"}}'
    _, http = scripted([(401, {"Content-Type": "application/json"}, body)],
                       auth_hint="check the access token")
    with http, pytest.raises(StoreAuthError) as caught:
        http.get_json("/rest/default/V1/orders")
    assert str(caught.value) == (
        "store 'shop': access denied (401): check the access token "
        "(The consumer isn't authorized to access Magento_Sales::actions_view.)")


def test_a_429_pauses_every_thread_sharing_the_client(scripted: Start) -> None:
    """After one thread is told to wait, another thread's request waits out the same pause:
    no request reaches the store before the time the 429 announced."""
    server, http = scripted([(429, {"Retry-After": "0.3"}, b"")])
    paused = threading.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "pausing requests" in record.getMessage():
                paused.set()

    watch = Watch()
    logging.getLogger("orderupd_tui.stores.http").addHandler(watch)
    logging.getLogger("orderupd_tui.stores.http").setLevel(logging.INFO)
    try:
        with http, ThreadPoolExecutor(2) as pool:
            first = pool.submit(http.get_json, "/first")
            assert paused.wait(10)
            second = pool.submit(http.get_json, "/second")
            assert first.result()[0] == [] and second.result()[0] == []
    finally:
        logging.getLogger("orderupd_tui.stores.http").removeHandler(watch)
    after = server.arrivals[1:]
    assert sorted(path for _, path in after) == ["/first", "/second"]
    assert all(at >= server.paused_until for at, _ in after)

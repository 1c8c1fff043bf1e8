"""The store HTTP layer's pure parts: error text, HTML titles, Retry-After, backoff."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from orderupd_tui.stores.base import StoreError
from orderupd_tui.stores.http import (
    JsonHttp,
    RetryPolicy,
    error_text,
    html_title,
    looks_like_html,
    retry_after_header,
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
    assert retry_after_header(httpx.Response(429, headers={"Retry-After": "2.0"})) == 2.0
    assert retry_after_header(httpx.Response(429, headers={"Retry-After": "0.25"})) == 0.25
    assert retry_after_header(httpx.Response(429)) is None
    assert retry_after_header(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    wait = retry_after_header(httpx.Response(429, headers={"Retry-After": later}))
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

"""The Shopify connector against the demo store over loopback, with faults injected on demand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.stores.base import StoreAuthError, StoreError
from orderupd_tui.stores.http import RetryPolicy
from orderupd_tui.stores.shopify import ShopifyClient

ORDERS = 600
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
QUICK = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with spawn_demo_server(orders=ORDERS, rate_limit=False) as server:
        yield server


@pytest.fixture
def client(demo: DemoProcess) -> Iterator[ShopifyClient]:
    demo.control.clear_faults()
    demo.control.reset_stats()
    with ShopifyClient("main", demo.url, demo.token, retry=QUICK) as shopify:
        yield shopify
    demo.control.clear_faults()


def test_first_import_pages_through_every_order(demo: DemoProcess, client: ShopifyClient) -> None:
    pages = list(client.changed_since(EPOCH))
    ids = [remote.order.remote_id for page in pages for remote in page.orders]
    assert [page.number for page in pages] == [1, 2, 3]
    assert [len(page.orders) for page in pages] == [250, 250, ORDERS - 500]
    assert len(set(ids)) == len(ids) == demo.control.info()["orders"]
    assert demo.control.stats()["by_status"] == {"200": 3}
    first = pages[0].orders[0]
    assert first.raw["id"] == int(first.order.remote_id)
    assert first.order.currency and first.order.total > 0 and first.order.line_items
    clock = client.store_clock()
    assert clock is not None and clock.tzinfo is UTC


def test_small_pages_follow_page_info_cursors(demo: DemoProcess) -> None:
    with ShopifyClient("main", demo.url, demo.token, page_size=100, retry=QUICK) as shopify:
        pages = list(shopify.changed_since(EPOCH))
    assert len(pages) == -(-demo.control.info()["orders"] // 100)
    assert all(len(page.orders) == 100 for page in pages[:-1])


def test_a_change_is_seen_from_the_store_clock_on(demo: DemoProcess, client: ShopifyClient) -> None:
    list(client.changed_since(EPOCH))
    clock = client.store_clock()
    assert clock is not None
    (target,) = demo.control.orders(eligible="cancel", limit=1)
    before = client.fetch([str(target["id"])])[str(target["id"])].order
    demo.control.change(target["id"], "cancel")

    changed = {r.order.remote_id: r for page in client.changed_since(clock) for r in page.orders}
    assert str(target["id"]) in changed
    assert len(changed) < 10  # only what changed since the clock, not the whole store
    assert "cancelled" in kinds_of(diff(before, changed[str(target["id"])].order))


def test_fetch_downloads_in_bulk_and_leaves_out_deleted_orders(
    demo: DemoProcess, client: ShopifyClient
) -> None:
    polled = {r.order.remote_id: r for page in client.changed_since(EPOCH) for r in page.orders}
    gone = sorted(polled)[7]
    assert demo.control.delete(int(gone))
    demo.control.reset_stats()

    fetched = client.fetch(sorted(polled))
    assert set(fetched) == set(polled) - {gone}
    assert demo.control.stats()["by_endpoint"] == {"orders": -(-len(polled) // 250)}
    some = sorted(fetched)[0]
    assert fetched[some].order.digest() == polled[some].order.digest()
    assert client.fetch([]) == {}


def test_injected_429_waits_for_retry_after(demo: DemoProcess, client: ShopifyClient) -> None:
    (target,) = demo.control.orders(limit=1)
    demo.control.fault(429, retry_after=0.2, count=2)
    fetched = client.fetch([str(target["id"])])
    assert list(fetched) == [str(target["id"])]
    stats = demo.control.stats()
    assert stats["by_status"] == {"429": 2, "200": 1}


def test_rate_limit_is_honoured_not_hammered() -> None:
    """A full bucket answers 429 with ``Retry-After: 2.0``; waiting that long means one 429 only.

    The bucket holds one call and leaks one every 2 s, so the second page is
    refused once; retrying any sooner (the 0.01 s backoff) would be refused again.
    """
    args = ("--bucket-size", "1", "--leak-rate", "0.5")
    with spawn_demo_server(orders=40, extra_args=args) as demo, ShopifyClient(
        "main", demo.url, demo.token, page_size=20, retry=QUICK
    ) as shopify:
        pages = list(shopify.changed_since(EPOCH))
        stats = demo.control.stats()
    assert [len(page.orders) for page in pages] == [20, 20]
    assert stats["rate_limited"] == 1
    assert stats["by_status"] == {"200": 2, "429": 1}


def test_server_errors_are_retried(demo: DemoProcess, client: ShopifyClient) -> None:
    demo.control.fault(500, count=2)
    pages = list(client.changed_since(EPOCH))
    assert sum(len(page.orders) for page in pages) == demo.control.info()["orders"]
    assert demo.control.stats()["by_status"]["500"] == 2


def test_malformed_json_mid_poll_is_one_clear_line(
    demo: DemoProcess, client: ShopifyClient
) -> None:
    pages = client.changed_since(EPOCH)
    assert len(next(pages).orders) == 250
    demo.control.fault(200, body="malformed")
    with pytest.raises(StoreError) as caught:
        next(pages)
    message = str(caught.value)
    assert message.startswith(
        "store 'main' answered malformed JSON for GET /admin/api/2025-07/orders.json: ")
    assert "\n" not in message


def test_html_502_after_retries_is_one_clear_line(
    demo: DemoProcess, client: ShopifyClient
) -> None:
    demo.control.fault(502, body="html", count=QUICK.attempts)
    with pytest.raises(StoreError) as caught:
        list(client.changed_since(EPOCH))
    assert str(caught.value) == (
        "store 'main' answered an HTML error page: 502 Bad Gateway (after 3 attempts)")
    assert demo.control.stats()["by_status"] == {"502": QUICK.attempts}


def test_wrong_token_is_access_denied(demo: DemoProcess) -> None:
    with ShopifyClient("main", demo.url, "shpat_wrong_token", retry=QUICK) as shopify, \
            pytest.raises(StoreAuthError) as caught:
        list(shopify.changed_since(EPOCH))
    message = str(caught.value)
    assert message.startswith("store 'main': access denied (401): check the token")
    assert "shpat_wrong_token" not in message
    assert demo.token not in message

"""The WooCommerce connector against the demo store speaking WooCommerce REST v3 over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.stores.base import StoreAuthError
from tests.integration.carts import EPOCH, EXPECTED_KINDS, kinds_raised, make_client, read_all

ORDERS = 300  # three full pages of 100: the last page ends exactly on the total


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with spawn_demo_server(orders=ORDERS, platform="woocommerce", seed=21,
                           rate_limit=False) as server:
        yield server


@pytest.fixture
def store(demo: DemoProcess) -> DemoProcess:
    demo.control.clear_faults()
    demo.control.reset_stats()
    return demo


def test_first_import_reads_every_page_and_stops_on_the_total(store: DemoProcess) -> None:
    with make_client(store) as client:
        pages = list(client.changed_since(EPOCH))
    ids = [r.order.remote_id for page in pages for r in page.orders]
    assert [len(page.orders) for page in pages] == [100, 100, 100]
    assert len(set(ids)) == len(ids) == store.control.info()["orders"]
    # X-WP-TotalPages said 3: no fourth request for an empty page.
    assert store.control.stats()["by_endpoint"] == {"orders": 3}
    first = pages[0].orders[0]
    assert first.raw["id"] == int(first.order.remote_id)
    assert first.order.line_items and first.order.total > 0


def test_query_string_auth_reads_the_same_orders(store: DemoProcess) -> None:
    with make_client(store, query_string_auth=True) as client:
        assert len(read_all(client)) == store.control.info()["orders"]


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_each_change_raises_its_kinds(store: DemoProcess, kind: str) -> None:
    with make_client(store) as client:
        assert EXPECTED_KINDS[kind] <= kinds_raised(store, client, kind)


@pytest.mark.parametrize("query_string_auth", [False, True])
def test_a_wrong_secret_is_one_clear_line_without_the_keys(
    store: DemoProcess, query_string_auth: bool
) -> None:
    secret = "cs_wrong_secret_123"
    with make_client(store, consumer_secret=secret, query_string_auth=query_string_auth
                     ) as client, pytest.raises(StoreAuthError) as caught:
        read_all(client)
    assert str(caught.value) == (
        "store 'shop': access denied (401): check the consumer key and secret "
        "(Consumer secret is invalid. [woocommerce_rest_authentication_error])")
    assert store.control.stats()["by_status"] == {"401": 1}  # refused, not retried


def test_the_hosts_429_is_honoured_not_hammered() -> None:
    """One call in the bucket, leaking one a second: the second page is refused once,
    with ``Retry-After: 1``; retrying any sooner would be refused again."""
    args = ("--bucket-size", "1", "--leak-rate", "1")
    with spawn_demo_server(orders=40, platform="woocommerce", extra_args=args) as demo, \
            make_client(demo, page_size=20) as client:
        assert len(read_all(client)) == 40
        stats = demo.control.stats()
    assert (stats["rate_limited"], stats["by_status"]) == (1, {"200": 2, "429": 1})


def test_a_total_that_grows_during_the_read_is_followed(store: DemoProcess) -> None:
    """``X-WP-TotalPages`` is read again on every page, so orders placed mid-read are not lost."""
    with make_client(store) as client:
        pages = client.changed_since(EPOCH)
        seen = {r.order.remote_id for r in next(pages).orders}
        added = store.control.add_orders(50)
        seen |= {r.order.remote_id for page in pages for r in page.orders}
    assert {str(i) for i in added} <= seen
    assert len(seen) == store.control.info()["orders"]


def test_a_shop_behind_utc_misses_nothing() -> None:
    """The shop is 7 hours behind UTC: its local dates differ from the ``_gmt`` ones, and a
    ``modified_after`` read in local time (no ``dates_are_gmt``) would skip the change."""
    with spawn_demo_server(orders=30, platform="woocommerce", rate_limit=False,
                           extra_args=("--tz-offset", "-420")) as demo, \
            make_client(demo) as client:
        read_all(client)
        clock = client.store_clock()
        assert clock is not None
        (target,) = demo.control.orders(eligible="edit_note", limit=1)
        demo.control.change(target["id"], "edit_note")
        changed = read_all(client, clock)
        raw = changed[str(target["id"])].raw
        naive = clock.strftime("%Y-%m-%dT%H:%M:%S")
        key, secret = demo.client_options()["consumer_key"], demo.client_options()[
            "consumer_secret"]
        local = httpx.get(f"{demo.url}/wp-json/wc/v3/orders", auth=(key, secret),
                          params={"modified_after": naive, "status": "any"}).json()
    assert raw["date_modified"] != raw["date_modified_gmt"]
    assert target["id"] not in [order["id"] for order in local]

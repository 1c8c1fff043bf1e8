"""The BigCommerce connector against the demo store speaking Orders V2 over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.stores.base import StoreAuthError
from orderupd_tui.stores.bigcommerce import MAX_IN_FLIGHT
from tests.integration.carts import EPOCH, EXPECTED_KINDS, kinds_raised, make_client, read_all

ORDERS = 300  # three full pages of 100, then the empty fourth page: a 204


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with spawn_demo_server(orders=ORDERS, platform="bigcommerce", seed=22,
                           rate_limit=False) as server:
        yield server


@pytest.fixture
def store(demo: DemoProcess) -> DemoProcess:
    demo.control.clear_faults()
    demo.control.reset_stats()
    return demo


def test_first_import_reads_pages_lines_and_addresses_up_to_the_204(store: DemoProcess) -> None:
    with make_client(store, page_size=100) as client:
        pages = list(client.changed_since(EPOCH))
    orders = [r for page in pages for r in page.orders]
    assert [len(page.orders) for page in pages] == [100, 100, 100]
    assert len({r.order.remote_id for r in orders}) == store.control.info()["orders"]
    stats = store.control.stats()
    addressed = sum(1 for r in orders if r.raw["shipping_address_count"])
    assert stats["by_endpoint"] == {"orders": 4, "products": ORDERS,
                                    "shippingaddresses": addressed}
    assert stats["by_status"]["204"] == 1  # the fourth page, and nothing else
    assert all(r.order.line_items for r in orders)
    shipped = next(r for r in orders if r.raw["shipping_address_count"])
    assert shipped.order.shipping_address is not None
    assert shipped.raw["shipping_addresses"][0]["order_id"] == shipped.raw["id"]


def test_the_empty_page_is_a_204_with_no_body(store: DemoProcess) -> None:
    options = store.client_options()
    answer = httpx.get(f"{store.url}/stores/{options['store_hash']}/v2/orders",
                       params={"page": 99, "limit": 250},
                       headers={"X-Auth-Token": options["token"], "Accept": "application/json"})
    assert (answer.status_code, answer.content, answer.headers.get("Content-Type")) == (
        204, b"", None)


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_each_change_raises_its_kinds(store: DemoProcess, kind: str) -> None:
    with make_client(store) as client:
        assert EXPECTED_KINDS[kind] <= kinds_raised(store, client, kind)


def test_a_wrong_token_is_one_clear_line(store: DemoProcess) -> None:
    with make_client(store, token="wrong-token-123") as client, \
            pytest.raises(StoreAuthError) as caught:
        read_all(client)
    message = str(caught.value)
    assert message.startswith("store 'shop': access denied (401): check the access token and "
                              "the store hash (")
    assert "wrong-token-123" not in message and "\n" not in message


def test_an_injected_429_waits_for_the_reset_header(store: DemoProcess) -> None:
    (target,) = store.control.orders(limit=1)
    store.control.fault(429, retry_after=0.2, count=2)
    with make_client(store) as client:
        assert list(client.fetch([str(target["id"])])) == [str(target["id"])]
    assert store.control.stats()["by_status"]["429"] == 2


@pytest.mark.parametrize("in_flight", [1, MAX_IN_FLIGHT])
def test_the_quota_is_honoured_not_hammered(in_flight: int) -> None:
    """Eight requests a one-second window. One request at a time meets one 429 per window
    and then waits for ``X-Rate-Limit-Time-Reset-Ms``; with four in flight, at most the
    four requests already sent meet it. Retrying sooner would meet it again and again."""
    args = ("--bucket-size", "8", "--leak-rate", "8")
    with spawn_demo_server(orders=10, platform="bigcommerce", extra_args=args) as demo, \
            make_client(demo, page_size=10, in_flight=in_flight) as client:
        assert len(read_all(client)) == 10
        stats = demo.control.stats()
    answered = stats["api_requests"] - stats["rate_limited"]
    windows = -(-answered // 8)
    assert 1 <= stats["rate_limited"] <= (windows - 1) * in_flight


def test_a_shop_behind_utc_misses_nothing() -> None:
    """V2 writes every date in UTC (``+0000``) whatever the store's zone; the change made
    after the clock was read is found from that clock."""
    with spawn_demo_server(orders=30, platform="bigcommerce", rate_limit=False,
                           extra_args=("--tz-offset", "-420")) as demo, \
            make_client(demo) as client:
        read_all(client)
        clock = client.store_clock()
        assert clock is not None
        (target,) = demo.control.orders(eligible="edit_note", limit=1)
        demo.control.change(target["id"], "edit_note")
        changed = read_all(client, clock)
    raw = changed[str(target["id"])].raw
    assert raw["date_modified"].endswith(" +0000")
    assert changed[str(target["id"])].order.updated_at >= clock

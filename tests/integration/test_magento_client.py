"""The Magento 2 connector against the demo store speaking Magento's REST API over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.stores.base import StoreAuthError
from tests.integration.carts import EPOCH, EXPECTED_KINDS, kinds_raised, make_client, read_all

ORDERS = 300  # three full pages of 100: the last page ends exactly on total_count


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    """A store from before 2.4 (the default): a page past the end repeats the last one."""
    with spawn_demo_server(orders=ORDERS, platform="magento", seed=23,
                           rate_limit=False) as server:
        yield server


@pytest.fixture
def store(demo: DemoProcess) -> DemoProcess:
    demo.control.clear_faults()
    demo.control.reset_stats()
    return demo


def search(demo: DemoProcess, **criteria: Any) -> dict[str, Any]:
    params = {f"searchCriteria[{name}]": value for name, value in criteria.items()}
    answer = httpx.get(f"{demo.url}/rest/default/V1/orders", params=params,
                       headers={"Authorization": f"Bearer {demo.token}"})
    answer.raise_for_status()
    return dict(answer.json())


def test_first_import_stops_on_total_count(store: DemoProcess) -> None:
    with make_client(store, page_size=100) as client:
        pages = list(client.changed_since(EPOCH))
    ids = [r.order.remote_id for page in pages for r in page.orders]
    assert [len(page.orders) for page in pages] == [100, 100, 100]
    assert len(set(ids)) == len(ids) == store.control.info()["orders"]
    assert store.control.stats()["by_endpoint"] == {"orders": 3}
    first = pages[0].orders[0]
    assert first.raw["entity_id"] == int(first.order.remote_id)
    assert isinstance(first.raw["grand_total"], int | float)  # money as JSON numbers


def test_a_page_past_the_end_repeats_the_last_page(store: DemoProcess) -> None:
    """The trap a reader that waits for an empty page falls into: it never comes."""
    last = search(store, pageSize=100, currentPage=3)
    past = search(store, pageSize=100, currentPage=4)
    assert past["items"] == last["items"] and len(past["items"]) == 100
    assert past["total_count"] == ORDERS


def test_orders_changed_during_the_read_are_not_skipped(store: DemoProcess) -> None:
    """Sorted by ``updated_at``, an order changed after its page was read moves to the end and
    pulls the next page's first order back onto a page already read; the client re-sweeps."""
    with make_client(store, page_size=100) as client:
        pages = client.changed_since(EPOCH)
        first = next(pages).orders
        store.control.change(int(first[0].order.remote_id), "touch")
        store.control.change(int(first[1].order.remote_id), "touch")
        seen = {r.order.remote_id for r in first}
        seen |= {r.order.remote_id for page in pages for r in page.orders}
    assert len(seen) == store.control.info()["orders"]


@pytest.mark.parametrize("kind", sorted(EXPECTED_KINDS))
def test_each_change_raises_its_kinds(store: DemoProcess, kind: str) -> None:
    with make_client(store) as client:
        assert EXPECTED_KINDS[kind] <= kinds_raised(store, client, kind)


def test_a_wrong_token_is_one_clear_line(store: DemoProcess) -> None:
    with make_client(store, token="wrong-token-123") as client, \
            pytest.raises(StoreAuthError) as caught:
        read_all(client)
    assert str(caught.value) == (
        "store 'shop': access denied (401): check the access token (an integration's, or an "
        "admin token not expired) (The consumer isn't authorized to access "
        "Magento_Sales::actions_view.)")


def test_a_429_is_honoured_not_hammered() -> None:
    args = ("--bucket-size", "1", "--leak-rate", "1")
    with spawn_demo_server(orders=40, platform="magento", extra_args=args) as demo, \
            make_client(demo, page_size=20) as client:
        assert len(read_all(client)) == 40
        stats = demo.control.stats()
    assert (stats["rate_limited"], stats["by_status"]) == (1, {"200": 2, "429": 1})


def test_a_shop_behind_utc_misses_nothing() -> None:
    """Magento's REST times are UTC whatever the store's locale zone; a change after the
    clock was read is found from that clock."""
    with spawn_demo_server(orders=30, platform="magento", rate_limit=False,
                           extra_args=("--tz-offset", "-420")) as demo, \
            make_client(demo) as client:
        read_all(client)
        clock = client.store_clock()
        assert clock is not None
        (target,) = demo.control.orders(eligible="edit_note", limit=1)
        demo.control.change(target["id"], "edit_note")
        changed = read_all(client, clock)
    assert changed[str(target["id"])].raw["updated_at"] >= clock.strftime("%Y-%m-%d %H:%M:%S")

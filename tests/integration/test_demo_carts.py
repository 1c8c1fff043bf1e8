"""The demo store's WooCommerce, BigCommerce and Magento APIs: their quirks, over raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from orderupd_tui.demo.control import DemoControl
from orderupd_tui.demo.server import DemoServer

ORDERS = 120


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, DemoServer]]:
    """One store per platform, all generated from the same seed: the same orders."""
    started = {p: DemoServer(orders=ORDERS, platform=p, seed=31, rate_limit=False).start()
               for p in ("shopify", "woocommerce", "bigcommerce", "magento")}
    yield started
    for server in started.values():
        server.stop()


def woo(server: DemoServer, path: str = "", **params: Any) -> httpx.Response:
    o = server.client_options()
    return httpx.get(f"{server.url}/wp-json/wc/v3/orders{path}", params=params,
                     auth=(o["consumer_key"], o["consumer_secret"]))


def bc(server: DemoServer, path: str = "", accept: str = "application/json",
       **params: Any) -> httpx.Response:
    o = server.client_options()
    return httpx.get(f"{server.url}/stores/{o['store_hash']}/v2/orders{path}", params=params,
                     headers={"X-Auth-Token": o["token"], "Accept": accept})


def magento(server: DemoServer, path: str = "", params: dict[str, Any] | None = None
            ) -> httpx.Response:
    return httpx.get(f"{server.url}/rest/default/V1/orders{path}", params=params,
                     headers={"Authorization": f"Bearer {server.token}"})


def test_every_platform_serves_the_same_orders(servers: dict[str, DemoServer]) -> None:
    shopify = servers["shopify"].store.get(servers["shopify"].store.eligible("refund", 1)[0])
    assert shopify is not None
    order_id = shopify["id"]
    w = woo(servers["woocommerce"], f"/{order_id}").json()
    b = bc(servers["bigcommerce"], f"/{order_id}").json()
    m = magento(servers["magento"], f"/{order_id}").json()
    total = Decimal(shopify["total_price"])
    assert Decimal(w["total"]) == Decimal(b["total_inc_tax"]) == Decimal(str(m["grand_total"]))
    assert Decimal(w["total"]) == total
    assert b["total_inc_tax"].count(".") == 1 and len(b["total_inc_tax"].split(".")[1]) == 4
    assert w["number"] == str(shopify["order_number"]) == m["increment_id"].lstrip("0")
    assert w["billing"]["email"] == b["billing_address"]["email"] == m["customer_email"]


def test_woocommerce_paging_headers_and_parameter_errors(servers: dict[str, DemoServer]) -> None:
    server = servers["woocommerce"]
    page = woo(server, per_page=50, page=3, orderby="id", order="asc")
    assert (page.headers["X-WP-Total"], page.headers["X-WP-TotalPages"]) == (str(ORDERS), "3")
    assert len(page.json()) == ORDERS - 100
    assert 'rel="prev"' in page.headers["Link"] and 'rel="next"' not in page.headers["Link"]
    assert woo(server, per_page=50, page=4).json() == []
    too_big = woo(server, per_page=101)
    assert too_big.status_code == 400
    assert too_big.json()["code"] == "rest_invalid_param"
    assert too_big.json()["data"] == {"status": 400, "params": {
        "per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}}
    ids = [o["id"] for o in woo(server, per_page=3, orderby="id", order="asc").json()]
    picked = woo(server, include=",".join(map(str, ids[::2])), orderby="id", order="asc")
    assert [o["id"] for o in picked.json()] == ids[::2]
    completed = woo(server, status="completed", per_page=100).json()
    assert completed and {o["status"] for o in completed} == {"completed"}


def test_woocommerce_without_keys_cannot_list(servers: dict[str, DemoServer]) -> None:
    answer = httpx.get(f"{servers['woocommerce'].url}/wp-json/wc/v3/orders")
    assert answer.status_code == 401
    assert answer.json() == {"code": "woocommerce_rest_cannot_view",
                             "message": "Sorry, you cannot list resources.",
                             "data": {"status": 401}}


def test_bigcommerce_needs_json_accept_and_bounds_limit(servers: dict[str, DemoServer]) -> None:
    server = servers["bigcommerce"]
    assert bc(server, accept="application/xml").status_code == 406
    assert bc(server, limit=251).status_code == 400
    order = bc(server, limit=1).json()[0]
    products = bc(server, f"/{order['id']}/products", limit=1)
    assert products.status_code == 200 and len(products.json()) == 1
    assert order["products"]["resource"] == f"/orders/{order['id']}/products"
    count = bc(server, "/count").json()
    assert count["count"] == ORDERS == sum(s["count"] for s in count["statuses"])


def test_bigcommerce_reports_its_quota_on_every_answer() -> None:
    with DemoServer(orders=3, platform="bigcommerce", bucket_size=2, leak_rate=0.1) as server:
        first, second, third = (bc(server, limit=1) for _ in range(3))
    assert first.headers["X-Rate-Limit-Requests-Quota"] == "2"
    assert (first.headers["X-Rate-Limit-Requests-Left"],
            second.headers["X-Rate-Limit-Requests-Left"]) == ("1", "0")
    assert third.status_code == 429
    assert 0 < int(third.headers["X-Rate-Limit-Time-Reset-Ms"]) <= 20_000


def test_magento_requires_search_criteria(servers: dict[str, DemoServer]) -> None:
    answer = magento(servers["magento"])
    assert answer.status_code == 400
    assert answer.json() == {"message": '"%fieldName" is required. Enter and try again.',
                             "parameters": {"fieldName": "searchCriteria"}}


def test_magento_filters_sorts_and_counts(servers: dict[str, DemoServer]) -> None:
    server = servers["magento"]
    first = "searchCriteria[filter_groups][0][filters][0]"
    ids = [o["id"] for o in server.store.summaries(limit=5)]
    found = magento(server, params={f"{first}[field]": "entity_id",
                                    f"{first}[value]": ",".join(map(str, ids[:3])),
                                    f"{first}[condition_type]": "in",
                                    "searchCriteria[sortOrders][0][field]": "entity_id",
                                    "searchCriteria[sortOrders][0][direction]": "DESC"}).json()
    assert [o["entity_id"] for o in found["items"]] == ids[:3][::-1]
    assert found["total_count"] == 3
    times = magento(server, params={"searchCriteria[sortOrders][0][field]": "updated_at",
                                    "searchCriteria[pageSize]": 200}).json()
    stamps = [o["updated_at"] for o in times["items"]]
    assert stamps == sorted(stamps) and len(stamps) == ORDERS


def test_magento_24_answers_an_empty_page_past_the_end() -> None:
    with DemoServer(orders=5, platform="magento", legacy_paging=False) as server:
        past = magento(server, params={"searchCriteria[pageSize]": 5,
                                       "searchCriteria[currentPage]": 2}).json()
    assert (past["items"], past["total_count"]) == ([], 5)


def test_a_fault_can_wait_for_successful_requests_first(servers: dict[str, DemoServer]) -> None:
    server = servers["woocommerce"]
    with DemoControl(server.url) as control:
        control.fault(502, body="html", after=2)
        statuses = [woo(server, per_page=1).status_code for _ in range(4)]
        assert statuses == [200, 200, 502, 200]
        assert control.info()["client"] == server.client_options()

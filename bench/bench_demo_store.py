"""How fast the demo store serves order pages, so it never is what limits an import bench.

The store runs in its own process (as in the import benchmark) with the rate
limit off; one keep-alive client follows the ``Link`` header through every
page of 250, reading each body. The client's 5,000 orders/s import target
needs at least 20 such pages a second from the store; the figure with
``json.loads`` on the client side shows what is left for everything else.
"""

from __future__ import annotations

import json
import statistics
import time

import httpx

from orderupd_tui.demo.process import spawn_demo_server
from orderupd_tui.demo.state import DemoStore, encode

ORDERS = 20_000
RUNS = 3


def read_all(client: httpx.Client, parse: bool) -> tuple[int, int, float]:
    """(orders, pages, seconds) for one pass over the whole store."""
    orders = pages = 0
    started = time.perf_counter()
    response = client.get("/admin/api/2026-07/orders.json", params={"status": "any",
                                                                     "limit": 250})
    while True:
        response.raise_for_status()
        body = response.content
        orders += len(json.loads(body)["orders"]) if parse else body.count(b'"gid://shopify/Order/')
        pages += 1
        if "next" not in response.links:
            break
        response = client.get(response.links["next"]["url"])
    return orders, pages, time.perf_counter() - started


def main() -> int:
    started = time.perf_counter()
    store = DemoStore(2_000, seed=1)
    generate_rate = 2_000 / (time.perf_counter() - started)
    sizes = [len(encode(order)) for order in map(store.get, [s["id"] for s in store.summaries()])
             if order is not None]

    with spawn_demo_server(orders=ORDERS, seed=1, rate_limit=False) as demo, httpx.Client(
        base_url=demo.url, headers={"X-Shopify-Access-Token": demo.token}, timeout=60
    ) as client:
        raw = [read_all(client, parse=False) for _ in range(RUNS)]
        parsed = [read_all(client, parse=True) for _ in range(RUNS)]
    for orders, _, _ in raw + parsed:
        assert orders == ORDERS, orders

    def rate(runs: list[tuple[int, int, float]], index: int) -> float:
        return statistics.median(run[index] / run[2] for run in runs)

    print(f"# {ORDERS} orders, pages of 250, median of {RUNS} passes, store in its own process")
    print(f"demo_store_list_orders_per_s {rate(raw, 0):.0f} orders/s")
    print(f"demo_store_list_pages_per_s {rate(raw, 1):.1f} pages/s")
    print(f"demo_store_list_parsed_orders_per_s {rate(parsed, 0):.0f} orders/s")
    print(f"demo_store_median_order_size {statistics.median(sizes):.0f} bytes")
    print(f"demo_store_generate_orders_per_s {generate_rate:.0f} orders/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

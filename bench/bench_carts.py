"""Initial import speed from the demo store as each cart: WooCommerce, BigCommerce and Magento.

The store runs in its own process with its rate limit off (a real store's
limit would measure the store, not us) and serves the same generated orders
in each platform's shape. One pass is what a first poll does: the
connector's ``changed_since`` from long ago, which pages through the store
and normalizes every order, plus ``digest()`` of each, as the sync service
stores it. BigCommerce needs two more requests per order (its products and
shipping addresses), made by the connector's pool of at most four in
flight, so it is measured on fewer orders. Prints ``name value unit`` lines.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime

from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.stores.bigcommerce import MAX_IN_FLIGHT, BigCommerceClient
from orderupd_tui.stores.magento import MagentoClient
from orderupd_tui.stores.woocommerce import WooCommerceClient

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
RUNS = 3
#: Orders served per platform: enough for a pass of a few seconds at the expected speed.
ORDERS = {"woocommerce": 10_000, "magento": 10_000, "bigcommerce": 2_000}

Client = WooCommerceClient | BigCommerceClient | MagentoClient


def client_for(demo: DemoProcess) -> Client:
    """Each connector at its largest page (WooCommerce 100, BigCommerce 250, Magento 200)."""
    o = demo.client_options()
    if demo.platform == "woocommerce":
        return WooCommerceClient("bench", o["url"], o["consumer_key"], o["consumer_secret"])
    if demo.platform == "bigcommerce":
        return BigCommerceClient("bench", o["store_hash"], o["token"], o["url"],
                                 in_flight=MAX_IN_FLIGHT)
    return MagentoClient("bench", o["url"], o["token"], o["store_code"])


def one_pass(demo: DemoProcess) -> tuple[int, float]:
    """(orders imported, seconds) for one first poll with a fresh client."""
    started = time.perf_counter()
    with client_for(demo) as client:
        digests = {r.order.remote_id: r.order.digest()
                   for page in client.changed_since(EPOCH) for r in page.orders}
    return len(digests), time.perf_counter() - started


def main() -> int:
    for platform, orders in ORDERS.items():
        with spawn_demo_server(orders=orders, platform=platform, seed=5,
                               rate_limit=False) as demo:
            one_pass(demo)  # the store translates each order once; this warms that cache
            runs = [one_pass(demo) for _ in range(RUNS)]
        for count, _ in runs:
            assert count == orders, (platform, count)
        rate = statistics.median(count / seconds for count, seconds in runs)
        note = f", {MAX_IN_FLIGHT} requests in flight" if platform == "bigcommerce" else ""
        print(f"# {platform}: {orders} orders, median of {RUNS} passes{note}", flush=True)
        print(f"import_{platform}_orders_per_s {rate:.0f} orders/s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

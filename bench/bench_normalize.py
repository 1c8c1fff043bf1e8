"""How fast each connector reads payloads: ``normalize`` plus ``digest``, no network, no database.

Reading is where every amount is checked (finite, in range, at its
currency's precision) and every quantity parsed exactly, once per order of
every poll; this isolates that cost from HTTP and storage, which the sync
and carts benchmarks include.  The payloads are the demo store's orders in
each platform's shape.  CPU time, median of several passes; prints
``name value unit`` lines.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

from orderupd_tui.demo import bigcommerce_shape, magento_shape, woocommerce_shape
from orderupd_tui.demo.generator import OrderFactory
from orderupd_tui.domain.order import NormalizedOrder
from orderupd_tui.stores import bigcommerce, magento, shopify, woocommerce

ORDERS = 3000
RUNS = 7


def payloads() -> dict[str, tuple[Callable[[dict[str, Any]], NormalizedOrder],
                                  list[dict[str, Any]]]]:
    now = time.time()
    orders = list(OrderFactory(seed=1).batch(ORDERS, 1, 1001, now - 86400 * 30, now, now))
    bc = []
    for order in orders:
        shaped = bigcommerce_shape.shape(order, "http://bench", "bench")
        bc.append({**shaped.order, "products": shaped.products,
                   "shipping_addresses": shaped.shipping_addresses})
    return {
        "shopify": (shopify.normalize, orders),
        "woocommerce": (woocommerce.normalize,
                        [woocommerce_shape.shape(o, "http://bench", UTC) for o in orders]),
        "magento": (magento.normalize, [magento_shape.shape(o, "http://bench") for o in orders]),
        "bigcommerce": (bigcommerce.normalize, bc),
    }


def rate(read: Callable[[dict[str, Any]], NormalizedOrder], raws: list[dict[str, Any]]) -> float:
    passes = []
    for _ in range(RUNS):
        start = time.process_time()
        for raw in raws:
            read(raw).digest()
        passes.append(time.process_time() - start)
    return len(raws) / statistics.median(passes)


def main() -> int:
    print(f"# {ORDERS} demo orders per platform, CPU time, median of {RUNS} passes")
    for name, (read, raws) in payloads().items():
        print(f"normalize_{name} {rate(read, raws):.0f} orders/s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

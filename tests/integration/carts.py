"""What the cart connector tests share: a client for a demo store, reads, change kinds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from orderupd_tui.demo.process import DemoProcess
from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.stores.base import RemoteOrder
from orderupd_tui.stores.bigcommerce import BigCommerceClient
from orderupd_tui.stores.http import RetryPolicy
from orderupd_tui.stores.magento import MagentoClient
from orderupd_tui.stores.woocommerce import WooCommerceClient

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
QUICK = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
CartClient = WooCommerceClient | BigCommerceClient | MagentoClient

#: What each scripted change must raise at least, on every platform.
EXPECTED_KINDS = {
    "fulfil": {"fulfillment_status"},
    "cancel": {"cancelled"},
    "refund": {"payment_status", "totals"},
}


def make_client(demo: DemoProcess, **overrides: Any) -> CartClient:
    """The connector for the demo store's platform, with its credentials (``overrides`` win)."""
    o = {**demo.client_options(), **overrides}
    kwargs = {k: o.pop(k) for k in ("page_size", "in_flight", "query_string_auth") if k in o}
    if demo.platform == "woocommerce":
        return WooCommerceClient("shop", o["url"], o["consumer_key"], o["consumer_secret"],
                                 retry=QUICK, **kwargs)
    if demo.platform == "bigcommerce":
        return BigCommerceClient("shop", o["store_hash"], o["token"], o["url"], retry=QUICK,
                                 **kwargs)
    return MagentoClient("shop", o["url"], o["token"], o["store_code"], retry=QUICK, **kwargs)


def read_all(client: CartClient, since: datetime = EPOCH) -> dict[str, RemoteOrder]:
    """Every order ``changed_since`` yields, by remote id (the last copy read wins)."""
    return {r.order.remote_id: r for page in client.changed_since(since) for r in page.orders}


def kinds_raised(demo: DemoProcess, client: CartClient, kind: str) -> set[str]:
    """Apply ``kind`` to a paid order and return the kinds between the copies read around it.

    The copy after is read incrementally from the store clock seen before
    the change, so the change must also be found by a ``changed_since`` poll.
    """
    (target,) = demo.control.orders(eligible=kind, financial_status="paid", limit=1)
    remote_id = str(target["id"])
    before = client.fetch([remote_id])[remote_id].order
    clock = client.store_clock()
    assert clock is not None
    demo.control.change(target["id"], kind)
    changed = read_all(client, clock)
    assert remote_id in changed, f"{kind} on order {remote_id} was not seen from {clock}"
    return set(kinds_of(diff(before, changed[remote_id].order)))

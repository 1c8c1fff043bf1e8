"""Making the right connector for a configured store."""

from __future__ import annotations

from orderupd_tui.config import StoreSettings
from orderupd_tui.stores.base import StoreClient
from orderupd_tui.stores.shopify import ShopifyClient

DEMO_TOKEN = "demo-token"


def make_client(store: StoreSettings) -> StoreClient:
    """The connector for ``store``; the demo store speaks Shopify's API."""
    options = store.options
    if store.platform == "shopify":
        return ShopifyClient(store.name, options["url"], options["token"],
                             options.get("api_version", "2025-07"))
    if store.platform == "demo":
        return ShopifyClient(store.name, options["url"], options.get("token", DEMO_TOKEN))
    raise NotImplementedError(f"platform {store.platform}")

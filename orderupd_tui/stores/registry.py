"""Making the right connector for a configured store."""

from __future__ import annotations

from pathlib import Path

from orderupd_tui import paths
from orderupd_tui.config import StoreSettings
from orderupd_tui.credentials import CredentialStore
from orderupd_tui.stores.base import StoreClient
from orderupd_tui.stores.bigcommerce import BigCommerceClient
from orderupd_tui.stores.demo import DEFAULT_TOKEN, client_options
from orderupd_tui.stores.http import DEFAULT_DEADLINE
from orderupd_tui.stores.magento import MagentoClient
from orderupd_tui.stores.mals import MalsClient, MalsReceiver
from orderupd_tui.stores.shopify import ShopifyClient
from orderupd_tui.stores.woocommerce import WooCommerceClient


def mals_spool(store: StoreSettings) -> Path:
    """Where a Mal's store's received calls wait for the next poll (kept per store name)."""
    return paths.data_dir() / "mals" / store.name


def make_client(store: StoreSettings) -> StoreClient:
    """The connector for ``store``; a ``demo`` store speaks Shopify's API (or ``as:``)."""
    o = store.options
    platform = store.platform
    if platform == "demo":
        platform = o.get("as", "shopify")
        own = ("timeout", "deadline", "client_id", "client_secret")
        o = {**client_options(platform, o["url"], o.get("token", DEFAULT_TOKEN)),
             **{k: o[k] for k in own if k in o}}
        if "client_id" in o:
            o.pop("token", None)
    limits = {"timeout": o.get("timeout", 30.0), "deadline": o.get("deadline", DEFAULT_DEADLINE)}
    if platform == "shopify":
        return ShopifyClient(store.name, o["url"], o.get("token"), o.get("api_version", "2025-07"),
                             client_id=o.get("client_id"), client_secret=o.get("client_secret"),
                             credentials=CredentialStore() if o.get("client_id") else None,
                             **limits)
    if platform == "woocommerce":
        return WooCommerceClient(store.name, o["url"], o["consumer_key"], o["consumer_secret"],
                                 query_string_auth=bool(o.get("query_string_auth", False)),
                                 **limits)
    if platform == "bigcommerce":
        return BigCommerceClient(store.name, o["store_hash"], o["token"],
                                 o.get("url", "https://api.bigcommerce.com"), **limits)
    if platform == "magento":
        return MagentoClient(store.name, o["url"], o["token"], o.get("store_code", "default"),
                             **limits)
    if platform == "mals":
        return MalsClient(store.name, mals_spool(store), o.get("currency", "USD"))
    raise ValueError(f"store {store.name!r}: unknown platform {platform!r}")


def make_receivers(stores: tuple[StoreSettings, ...]) -> list[MalsReceiver]:
    """The remote-call receivers of every Mal's store that has ``listen`` set (not started)."""
    return [
        MalsReceiver(s.options["listen"], mals_spool(s), s.options.get("username"),
                     s.options.get("currency", "USD"))
        for s in stores
        if s.platform == "mals" and s.options.get("listen")
    ]

"""How a connector reaches the demo store: the credentials it takes, all made from one token.

The demo server (``demo/``) accepts exactly these; they live on this side
so that making a connector for a ``platform: demo`` store never imports
the simulator itself.
"""

from __future__ import annotations

DEFAULT_TOKEN = "demo-token"
#: The BigCommerce store hash the demo serves under.
BIGCOMMERCE_STORE_HASH = "demostore"
PLATFORMS = ("shopify", "woocommerce", "bigcommerce", "magento")


def woocommerce_credentials(token: str) -> tuple[str, str]:
    """The consumer key and secret the demo takes for ``token``."""
    return f"ck_{token}", f"cs_{token}"


def bigcommerce_credentials(token: str) -> tuple[str, str]:
    """The store hash and access token the demo takes for ``token``."""
    return BIGCOMMERCE_STORE_HASH, token


def client_options(platform: str, url: str, token: str = DEFAULT_TOKEN) -> dict[str, str]:
    """A store's connector options (as in a config's ``stores:`` entry) for a demo store.

    Each platform takes its own credentials, all made from the one demo ``token``.
    """
    if platform == "woocommerce":
        key, secret = woocommerce_credentials(token)
        return {"url": url, "consumer_key": key, "consumer_secret": secret}
    if platform == "bigcommerce":
        store_hash, access_token = bigcommerce_credentials(token)
        return {"url": url, "store_hash": store_hash, "token": access_token}
    if platform == "magento":
        return {"url": url, "token": token, "store_code": "default"}
    if platform == "shopify":
        return {"url": url, "token": token}
    raise ValueError(f"unknown platform {platform!r} (known: {', '.join(PLATFORMS)})")

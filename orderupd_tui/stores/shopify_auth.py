"""How a Shopify app proves itself: a legacy fixed token, or a Dev Dashboard app's grant.

Apps created in the Shopify admin before 2026 have a fixed Admin API access
token.  Every app created since is a Dev Dashboard app: it has a client id
and secret, and gets tokens of about a day from the client credentials
grant, ``POST {shop}/admin/oauth/access_token`` with ``client_id``,
``client_secret`` and ``grant_type`` in the body.
"""

from __future__ import annotations

import httpx

from orderupd_tui.credentials import CredentialStore, cached
from orderupd_tui.net.auth import HeaderAuth
from orderupd_tui.net.oauth import RenewingAuth, TokenEndpoint, client_credentials

HEADER = "X-Shopify-Access-Token"
TOKEN_PATH = "/admin/oauth/access_token"


def shopify_auth(url: str, token: str | None, client_id: str | None,
                 client_secret: str | None, *, timeout: float = 30.0,
                 deadline: float = 60.0, shared: tuple[CredentialStore, str] | None = None,
                 ) -> httpx.Auth:
    """The auth for one store: exactly one of ``token`` or the client id and secret.

    With ``shared`` (the credentials file and the store's name), granted
    tokens are kept there, so processes share one until it is due.
    """
    if token:
        return HeaderAuth(HEADER, token)
    if not client_id or not client_secret:
        raise ValueError("a Shopify store needs a token, or a client_id and client_secret")
    endpoint = TokenEndpoint(url.rstrip("/") + TOKEN_PATH, client_id, client_secret,
                             basic=False, timeout=timeout, request_deadline=deadline)
    fetch = client_credentials(endpoint)
    if shared is not None:
        store, name = shared
        fetch = cached(fetch, store, f"store:{name}:{client_id}")
    return RenewingAuth(fetch, header=HEADER, template="{token}", secrets=endpoint.secrets,
                        close=endpoint.close)

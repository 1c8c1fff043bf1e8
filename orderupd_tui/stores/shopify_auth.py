"""How a Shopify app proves itself: a legacy fixed token, or a Dev Dashboard app's grant.

Apps created in the Shopify admin before 2026 have a fixed Admin API access
token.  Every app created since is a Dev Dashboard app: it has a client id
and secret, and gets tokens of about a day from the client credentials
grant, ``POST {shop}/admin/oauth/access_token`` with ``client_id``,
``client_secret`` and ``grant_type`` in the body.
"""

from __future__ import annotations

import httpx

from orderupd_tui.net.auth import HeaderAuth
from orderupd_tui.net.oauth import RenewingAuth, TokenEndpoint, client_credentials

HEADER = "X-Shopify-Access-Token"
TOKEN_PATH = "/admin/oauth/access_token"


def shopify_auth(url: str, token: str | None, client_id: str | None,
                 client_secret: str | None, *, timeout: float = 30.0,
                 deadline: float = 60.0) -> httpx.Auth:
    """The auth for one store: exactly one of ``token`` or the client id and secret."""
    if token:
        return HeaderAuth(HEADER, token)
    if not client_id or not client_secret:
        raise ValueError("a Shopify store needs a token, or a client_id and client_secret")
    endpoint = TokenEndpoint(url.rstrip("/") + TOKEN_PATH, client_id, client_secret,
                             basic=False, timeout=timeout, request_deadline=deadline)
    return RenewingAuth(client_credentials(endpoint), header=HEADER, template="{token}",
                        secrets=endpoint.secrets)

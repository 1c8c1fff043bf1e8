"""The demo Shopify store's client credentials grant, as a Dev Dashboard app sees it.

``POST /admin/oauth/access_token`` with ``client_id``, ``client_secret`` and
``grant_type=client_credentials`` (form-encoded or JSON) answers
``{access_token, scope, expires_in}``.  Tokens last ``lifetime`` seconds
(Shopify's are about a day; tests make them last seconds, to cross an
expiry), and a request with an expired one is a 401, as Shopify's is.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from urllib.parse import parse_qs

import orjson

from orderupd_tui.demo.web import Request, Response, json_response

PATH = "/admin/oauth/access_token"
SCOPE = "read_orders"
DAY = 86399


def client_pair(token: str) -> tuple[str, str]:
    """The demo app's client id and secret, derived from the demo token (stable per token)."""
    digest = hashlib.sha256(f"client:{token}".encode()).hexdigest()
    return f"demo-app-{digest[:16]}", f"shpss_{digest[16:48]}"


class TokenIssuer:
    """Issues and checks access tokens for one demo app; ``grants`` counts tokens issued."""

    def __init__(self, client_id: str, client_secret: str, lifetime: float = DAY) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime = lifetime
        self.grants = 0
        self._lock = threading.Lock()
        self._tokens: dict[str, float] = {}  # token -> time.monotonic() it expires

    def grant(self, request: Request) -> Response:
        form = _form(request)
        if form.get("grant_type") != "client_credentials":
            return json_response(400, {"error": "unsupported_grant_type",
                                       "error_description": "grant_type must be "
                                                            "client_credentials"})
        if form.get("client_id") != self.client_id or \
                form.get("client_secret") != self.client_secret:
            return json_response(400, {"error": "invalid_client",
                                       "error_description": "Client authentication failed"})
        token = f"shpat_{secrets.token_hex(16)}"
        with self._lock:
            now = time.monotonic()
            self._tokens = {t: at for t, at in self._tokens.items() if at > now}
            self._tokens[token] = now + self.lifetime
            self.grants += 1
        expires_in = int(self.lifetime) if self.lifetime >= 1 else self.lifetime
        return json_response(200, {"access_token": token, "scope": SCOPE,
                                   "expires_in": expires_in})

    def valid(self, token: str | None) -> bool:
        with self._lock:
            at = self._tokens.get(token or "")
        return at is not None and time.monotonic() < at

    def revoke(self) -> None:
        """The app's secret is rotated in the Dev Dashboard: old tokens and secret stop working."""
        with self._lock:
            self.client_secret = f"shpss_{secrets.token_hex(16)}"
            self._tokens.clear()


def _form(request: Request) -> dict[str, str]:
    if "json" in (request.header("Content-Type") or ""):
        try:
            body = orjson.loads(request.body or b"{}")
        except orjson.JSONDecodeError:
            return {}
        return {str(k): str(v) for k, v in body.items()} if isinstance(body, dict) else {}
    parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items()}

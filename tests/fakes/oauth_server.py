"""A fake OAuth 2 authorization server on 127.0.0.1: Intuit's bearer endpoint, Xero's identity.

``POST /token`` speaks RFC 6749 as Intuit and Xero do: HTTP Basic client
authentication (or ``client_id`` alone with PKCE), a form-encoded body, and
grants ``authorization_code`` (a code from :meth:`OAuthFake.issue_code`,
``redirect_uri`` compared exactly), ``refresh_token`` (rotating: each use
returns a new one and the old one is then refused with ``invalid_grant``)
and ``client_credentials`` (Xero custom connections).  ``GET /connections``
lists Xero tenants to a bearer of a live access token.  Access tokens last
``lifetime`` seconds, so tests cross expiries; :meth:`valid` is what the
fake APIs ask to accept one.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.httpfake import FakeApi, Reply, Request


class OAuthFake(FakeApi):
    def __init__(self, *, client_id: str = "app-client-id",
                 client_secret: str = "app-secret-0c9a1f",
                 lifetime: float = 3.0, redirect_uri: str = "http://localhost:8766/callback",
                 tenants: list[dict[str, str]] | None = None) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.lifetime = lifetime
        self.redirect_uri = redirect_uri
        self.tenants = tenants if tenants is not None else [
            {"tenantId": "6f1c4c52-0000-4000-8000-00000000000a", "tenantName": "Demo Company",
             "tenantType": "ORGANISATION"}]
        self.codes: dict[str, str | None] = {}  # code -> PKCE challenge (None: confidential)
        self.live_refresh: set[str] = set()
        self.used_refresh: set[str] = set()
        self.reused: list[str] = []  # rotated-out refresh tokens that were sent again
        self.access: dict[str, float] = {}  # access token -> time.time() it expires
        self.grants: list[str] = []

    # -- test hooks -----------------------------------------------------------------------

    def issue_code(self, challenge: str | None = None) -> str:
        code = f"code-{secrets.token_hex(8)}"
        self.codes[code] = challenge
        return code

    def issue_refresh_token(self) -> str:
        """One obtained elsewhere (Intuit's OAuth Playground)."""
        token = f"rt-{secrets.token_hex(12)}"
        self.live_refresh.add(token)
        return token

    def revoke(self) -> None:
        """The user disconnects the app: every refresh token stops working."""
        with self.lock:
            self.used_refresh |= self.live_refresh
            self.live_refresh.clear()

    def valid(self, bearer: str | None) -> bool:
        token = (bearer or "").removeprefix("Bearer ")
        with self.lock:
            at = self.access.get(token)
        return at is not None and time.time() < at

    # -- the server -----------------------------------------------------------------------

    def operation(self, request: Request) -> str:
        return {"/token": "token", "/connections": "connections"}.get(request.path, "other")

    def handle(self, request: Request) -> Reply:
        if request.op == "connections" and request.method == "GET":
            if not self.valid(request.headers.get("authorization")):
                return Reply(401, {"Title": "Unauthorized", "Status": 401})
            return Reply(200, self.tenants)
        if request.op != "token" or request.method != "POST":
            return Reply(404, {"error": "not_found"})
        form = dict(parse_qsl(request.body if isinstance(request.body, str) else ""))
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return _error("invalid_request", "the body must be form-encoded")
        client = self._client(request, form)
        if client is None:
            return _error("invalid_client", "client authentication failed", 401)
        grant = form.get("grant_type", "")
        self.grants.append(grant)
        if grant == "authorization_code":
            return self._code(form, public=client == "public")
        if grant == "refresh_token":
            return self._refresh(form)
        if grant == "client_credentials":
            return Reply(200, self._tokens(refresh=False))
        return _error("unsupported_grant_type", grant)

    def _client(self, request: Request, form: dict[str, str]) -> str | None:
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic "):
            pair = base64.b64decode(basic[6:]).decode()
            return "basic" if pair == f"{self.client_id}:{self.client_secret}" else None
        if form.get("client_id") == self.client_id and "client_secret" not in form and (
                "code_verifier" in form or form.get("grant_type") == "refresh_token"):
            return "public"  # PKCE: a code with its verifier, or a refresh, with no secret
        return None

    def _code(self, form: dict[str, str], *, public: bool) -> Reply:
        code = form.get("code", "")
        if code not in self.codes or form.get("redirect_uri") != self.redirect_uri:
            return _error("invalid_grant", "the code is invalid or the redirect_uri differs")
        challenge = self.codes.pop(code)
        if public or challenge is not None:
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).decode().rstrip("=") != challenge:
                return _error("invalid_grant", "code_verifier does not match")
        return Reply(200, self._tokens(refresh=True))

    def _refresh(self, form: dict[str, str]) -> Reply:
        token = form.get("refresh_token", "")
        if token in self.used_refresh:
            self.reused.append(token)
        if token not in self.live_refresh:
            return _error("invalid_grant", "Token invalid")
        self.live_refresh.discard(token)
        self.used_refresh.add(token)
        return Reply(200, self._tokens(refresh=True))

    def _tokens(self, *, refresh: bool) -> dict[str, Any]:
        access = f"at-{secrets.token_hex(12)}"
        self.access[access] = time.time() + self.lifetime
        body: dict[str, Any] = {"access_token": access, "token_type": "bearer",
                                "expires_in": self.lifetime}
        if refresh:
            body["refresh_token"] = self.issue_refresh_token()
            body["x_refresh_token_expires_in"] = 8726400
        return body


def _error(error: str, description: str, status: int = 400) -> Reply:
    return Reply(status, {"error": error, "error_description": description})

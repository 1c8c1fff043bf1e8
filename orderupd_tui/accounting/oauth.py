"""OAuth 2 for the books: QuickBooks Online and Xero tokens that renew for months.

Both use the authorization code grant with rotating refresh tokens
(QuickBooks: access tokens of an hour; Xero: 30 minutes), with HTTP Basic
client authentication and form-encoded bodies at the token endpoint.  Xero
also has custom connections (the client credentials grant, no refresh
token), and picks the organisation from ``/connections``.

``orderupd-tui connect`` obtains the first tokens (:func:`exchange_code`,
:func:`import_refresh_token`); from then on every process takes its access
token from the credentials file and refreshes it there, under the file's
lock (:mod:`orderupd_tui.credentials`), so a rotated refresh token is saved
before the old one is dropped and two processes never send the same one.
"""

from __future__ import annotations

import hashlib
import time
from base64 import urlsafe_b64encode
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.parameters import (
    parse_authorization_code_response,
    prepare_grant_uri,
)

from orderupd_tui.accounting.base import AccountingError
from orderupd_tui.credentials import CredentialStore, Stored
from orderupd_tui.net.auth import HeaderAuth, bearer
from orderupd_tui.net.oauth import (
    Fetch,
    RenewingAuth,
    Token,
    TokenEndpoint,
    TokenEndpointError,
    TokenRefused,
)

SCOPES = {"quickbooks": "com.intuit.quickbooks.accounting",
          "xero": "offline_access accounting.transactions accounting.contacts"}
XERO_CLIENT_SCOPE = "accounting.transactions accounting.contacts"


class AuthorizationExpired(AccountingError):
    """The refresh token (or code) was refused: the user must connect again."""

    def __init__(self, backend: str) -> None:
        super().__init__(f"{backend}: authorization expired or revoked — run: "
                         f"orderupd-tui connect {backend}")


class NotConnected(AccountingError):
    def __init__(self, backend: str) -> None:
        super().__init__(f"{backend}: not connected yet — run: orderupd-tui connect {backend}")


@dataclass(frozen=True)
class OAuthApp:
    """A registered app at QuickBooks or Xero, as ``accounting:`` describes it."""

    backend: str
    client_id: str
    client_secret: str | None
    redirect_uri: str
    token_url: str
    auth_url: str

    @property
    def key(self) -> str:
        """Its entry in the credentials file."""
        return f"accounting:{self.backend}"

    def endpoint(self) -> TokenEndpoint:
        """Confidential apps authenticate with HTTP Basic; a public one (PKCE) sends its id."""
        return TokenEndpoint(self.token_url, self.client_id, self.client_secret or "",
                             basic=self.client_secret is not None)


def _token_error(app: OAuthApp, exc: TokenRefused | TokenEndpointError) -> AccountingError:
    if isinstance(exc, TokenRefused) and exc.error in ("invalid_grant", "invalid_client",
                                                       "unauthorized_client"):
        return AuthorizationExpired(app.backend)
    return AccountingError(f"{app.backend}: could not get an access token: {exc}")


def stored_tokens(app: OAuthApp, store: CredentialStore, endpoint: TokenEndpoint) -> Fetch:
    """Access tokens from the credentials file, refreshed there under its lock when due."""

    def fetch(stale: str | None) -> Token:
        def change(old: Stored | None) -> Stored | None:
            if old is None or not old.refresh_token:
                raise NotConnected(app.backend)
            if old.access_token and old.access_token != stale and time.time() < old.expires_at:
                return old  # another process refreshed while we waited for the lock
            try:
                token = endpoint.request("refresh_token", refresh_token=old.refresh_token)
            except (TokenRefused, TokenEndpointError) as exc:
                raise _token_error(app, exc) from None
            return _keep(old, token)

        entry = store.update(app.key, change)
        assert entry is not None
        return Token(entry.access_token, entry.expires_at)

    return fetch


def _keep(old: Stored, token: Token) -> Stored:
    rotated = token.refresh_token and token.refresh_token != old.refresh_token
    return replace(old, access_token=token.access_token, expires_at=token.expires_at,
                   refresh_token=token.refresh_token or old.refresh_token,
                   refresh_obtained_at=time.time() if rotated else old.refresh_obtained_at)


def client_credentials(app: OAuthApp, endpoint: TokenEndpoint) -> Fetch:
    """Xero custom connections: a new grant whenever the token is due, nothing stored."""

    def fetch(stale: str | None) -> Token:
        try:
            return endpoint.request("client_credentials", scope=XERO_CLIENT_SCOPE)
        except (TokenRefused, TokenEndpointError) as exc:
            if isinstance(exc, TokenRefused):
                raise AccountingError(f"{app.backend}: the custom connection's client "
                                      f"credentials were refused ({exc.error}): check "
                                      "client_id and client_secret") from None
            raise _token_error(app, exc) from None

    return fetch


def renewing(fetch: Fetch, app: OAuthApp, endpoint: TokenEndpoint) -> RenewingAuth:
    return RenewingAuth(fetch, secrets=lambda: [app.client_secret or ""], close=endpoint.close)


def app_of(options: Any) -> OAuthApp | None:
    """The OAuth app an ``accounting:`` section describes, or None for a fixed ``token``."""
    if getattr(options, "client_id", None) is None:
        return None
    secret = options.client_secret
    return OAuthApp(options.backend, options.client_id,
                    secret.get_secret_value() if secret is not None else None,
                    options.redirect_uri, options.token_url, options.auth_url)


def books_auth(options: Any, store: CredentialStore | None = None) -> RenewingAuth | HeaderAuth:
    """How the backend's requests prove themselves: a fixed token, or renewing OAuth."""
    app = app_of(options)
    if app is None:
        return bearer(options.token.get_secret_value())
    endpoint = app.endpoint()
    if getattr(options, "grant", "authorization_code") == "client_credentials":
        return renewing(client_credentials(app, endpoint), app, endpoint)
    return renewing(stored_tokens(app, store or CredentialStore(), endpoint), app, endpoint)


class XeroTenant(httpx.Auth):
    """Adds ``xero-tenant-id``: the configured one, else the one organisation connected."""

    def __init__(self, inner: RenewingAuth | HeaderAuth, tenant_id: str | None,
                 connections_url: str) -> None:
        self._inner = inner
        self._tenant = tenant_id
        self._connections_url = connections_url

    def secrets(self) -> list[str]:
        return self._inner.secrets()

    def close(self) -> None:
        if isinstance(self._inner, RenewingAuth):
            self._inner.close()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._tenant is None:
            self._tenant = self._resolve()
        request.headers["xero-tenant-id"] = self._tenant
        yield from self._inner.auth_flow(request)

    def _resolve(self) -> str:
        if isinstance(self._inner, RenewingAuth):
            token = self._inner.current().access_token
        else:
            token = self._inner.secrets()[-1]
        try:
            response = httpx.get(self._connections_url, timeout=30.0,
                                 headers={"Authorization": f"Bearer {token}",
                                          "Accept": "application/json"})
            data = response.json()
        except (httpx.HTTPError, ValueError):
            raise AccountingError("xero: could not list the connected organisations at "
                                  f"{self._connections_url}") from None
        if response.status_code == 401:
            raise AuthorizationExpired("xero")
        return pick_tenant(data)


def pick_tenant(connections: Any) -> str:
    """The only organisation connected, or a one-line error listing them by name."""
    tenants = [c for c in connections if isinstance(c, dict)
               and c.get("tenantType", "ORGANISATION") == "ORGANISATION"] \
        if isinstance(connections, list) else []
    if len(tenants) == 1 and tenants[0].get("tenantId"):
        return str(tenants[0]["tenantId"])
    if not tenants:
        raise AccountingError("xero: no organisation is connected — run: orderupd-tui connect "
                              "xero")
    names = ", ".join(f"{t.get('tenantName')} ({t.get('tenantId')})" for t in tenants)
    raise AccountingError(f"xero: {len(tenants)} organisations are connected: set "
                          f"accounting.tenant_id to one of {names}")


# -- connect: the one-time authorization -------------------------------------------------


@dataclass(frozen=True)
class Authorization:
    """An authorize URL to open, and what checking its redirect needs."""

    url: str
    state: str
    code_verifier: str | None


def start(app: OAuthApp) -> Authorization:
    """The authorize URL with a random ``state`` (and PKCE for a public client)."""
    state = generate_token(32)
    extra: dict[str, str] = {}
    verifier = None
    if app.client_secret is None:
        verifier = generate_token(64)
        digest = hashlib.sha256(verifier.encode()).digest()
        extra = {"code_challenge": urlsafe_b64encode(digest).decode().rstrip("="),
                 "code_challenge_method": "S256"}
    url = prepare_grant_uri(app.auth_url, app.client_id, "code", app.redirect_uri,
                            SCOPES[app.backend], state, **extra)
    return Authorization(url, state, verifier)


class BadRedirect(Exception):
    """The pasted or received redirect is not the answer to our request; one line."""


def read_redirect(url: str, state: str) -> tuple[str, str]:
    """``(code, realmId)`` from the redirect back, after checking its ``state``."""
    query = httpx.URL(url.strip()).params
    if query.get("error"):
        raise BadRedirect(f"the authorization was refused: {query['error']} "
                          f"{query.get('error_description', '')}".strip())
    try:
        params = parse_authorization_code_response(url.strip(), state=state)
    except OAuth2Error as exc:
        raise BadRedirect(f"not the redirect of this request: {exc.error}") from None
    return str(params["code"]), str(query.get("realmId") or "")


def exchange_code(app: OAuthApp, store: CredentialStore, code: str, *, realm_id: str = "",
                  code_verifier: str | None = None) -> Stored:
    """Trade an authorization code for tokens (``redirect_uri`` sent exactly) and store them."""
    fields = {"code": code, "redirect_uri": app.redirect_uri}
    if code_verifier:
        fields["code_verifier"] = code_verifier
    try:
        endpoint = app.endpoint()
        try:
            token = endpoint.request("authorization_code", **fields)
        finally:
            endpoint.close()
    except (TokenRefused, TokenEndpointError) as exc:
        raise AccountingError(f"{app.backend}: the authorization code was refused ({exc})"
                              ) from None
    return _save(app, store, token, realm_id)


def import_refresh_token(app: OAuthApp, store: CredentialStore, refresh_token: str) -> Stored:
    """Prove a refresh token obtained elsewhere by refreshing it, and store what came back."""
    try:
        endpoint = app.endpoint()
        try:
            token = endpoint.request("refresh_token", refresh_token=refresh_token)
        finally:
            endpoint.close()
    except (TokenRefused, TokenEndpointError) as exc:
        raise AccountingError(f"{app.backend}: the refresh token was refused ({exc})") from None
    if token.refresh_token is None:
        token = replace(token, refresh_token=refresh_token)
    return _save(app, store, token, "")


def _save(app: OAuthApp, store: CredentialStore, token: Token, realm_id: str) -> Stored:
    if not token.refresh_token:
        raise AccountingError(f"{app.backend}: the token endpoint gave no refresh token "
                              "(is offline access in the app's scopes?)")
    entry = Stored(access_token=token.access_token, expires_at=token.expires_at,
                   refresh_token=token.refresh_token, refresh_obtained_at=time.time(),
                   realm_id=realm_id)
    saved = store.update(app.key, lambda old: entry)
    assert saved is not None
    return saved

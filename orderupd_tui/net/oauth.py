"""OAuth 2 access tokens that renew themselves, as ``httpx.Auth`` flows.

The protocol pieces (token request bodies, authorization URLs, reading a
redirect back) come from ``authlib``'s RFC 6749 helpers; the requests go
through our own HTTP layer's transport, so token requests get the same
overall deadline and the same secret-free errors as every other request.
(authlib's own httpx clients are being moved to a fork of httpx, and would
bring a second HTTP stack for the token endpoint alone.)

The rules, for every flow:

- an access token is used only while it is alive: it is renewed before the
  ``expires_in`` it was announced with runs out (a margin of a tenth of its
  lifetime, at most 30 seconds), however short that lifetime is;
- a token that dies early (a 401) is renewed once and the request is sent
  again; a second 401 is the answer;
- one thread renews at a time; the others wait for its token.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from orderupd_tui.net.deadline import deadline, transport


class TokenRefused(Exception):
    """The token endpoint refused our credentials (``invalid_client``, ``invalid_grant``...).

    ``error`` is the OAuth error code; the message is one line, with no secret.
    """

    def __init__(self, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
        self.error = error
        self.description = description


class TokenEndpointError(Exception):
    """The token endpoint could not be reached or answered nonsense; worth trying later."""


@dataclass(frozen=True)
class Token:
    """An access token and when it stops working (``time.time()`` seconds)."""

    access_token: str
    expires_at: float
    refresh_token: str | None = None
    scope: str = ""

    def alive(self, now: float | None = None) -> bool:
        """Usable now, with a margin so it cannot expire on its way to the server."""
        now = time.time() if now is None else now
        return now < self.expires_at


def margin(expires_in: float) -> float:
    """How long before the announced expiry a token is renewed."""
    return min(30.0, expires_in / 10)


class TokenEndpoint:
    """POSTs form-encoded token requests to one URL and reads the answer (RFC 6749 §5).

    ``basic`` sends the client id and secret as HTTP Basic (Intuit, Xero);
    otherwise they go in the body (Shopify), and a public client with no
    secret (PKCE) sends its id alone.
    """

    def __init__(self, url: str, client_id: str, client_secret: str, *, basic: bool,
                 timeout: float = 30.0, request_deadline: float = 60.0) -> None:
        self.url = url
        self.client_id = client_id
        self._client_secret = client_secret
        self._basic = basic
        self._deadline = request_deadline
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), transport=transport(),
                                    follow_redirects=False)

    def secrets(self) -> list[str]:
        pair = f"{self.client_id}:{self._client_secret}".encode()
        return [self._client_secret, base64.b64encode(pair).decode()]

    def request(self, grant_type: str, **fields: str) -> Token:
        """One token request; raises :class:`TokenRefused` or :class:`TokenEndpointError`."""
        headers = {"Accept": "application/json",
                   "Content-Type": "application/x-www-form-urlencoded"}
        auth: httpx.Auth | httpx._client.UseClientDefault = httpx.USE_CLIENT_DEFAULT
        if self._basic:
            auth = httpx.BasicAuth(self.client_id, self._client_secret)
        elif self._client_secret:
            fields = {"client_id": self.client_id, "client_secret": self._client_secret,
                      **fields}
        else:  # a public client (PKCE): it has no secret to send
            fields = {"client_id": self.client_id, **fields}
        body = prepare_token_request(grant_type, **fields)
        sent_at = time.time()
        try:
            with deadline(self._deadline):
                response = self._client.post(self.url, content=body.encode(), headers=headers,
                                             auth=auth)
        except httpx.HTTPError as exc:
            raise TokenEndpointError(f"the token endpoint did not answer "
                                     f"({type(exc).__name__})") from None
        return _read_token(response, sent_at)

    def close(self) -> None:
        self._client.close()


def _read_token(response: httpx.Response, sent_at: float) -> Token:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise TokenEndpointError(f"the token endpoint answered HTTP {response.status_code} "
                                 "without a JSON body")
    error = data.get("error")
    if error or response.status_code >= 400:
        if response.status_code >= 500 or response.status_code == 429:
            raise TokenEndpointError(f"the token endpoint failed (HTTP {response.status_code})")
        raise TokenRefused(str(error or f"HTTP {response.status_code}"),
                           " ".join(str(data.get("error_description") or "").split())[:200])
    access = data.get("access_token")
    expires_in = data.get("expires_in")
    if not isinstance(access, str) or not access:
        raise TokenEndpointError("the token endpoint answered without an access_token")
    try:
        lifetime = float(expires_in) if expires_in is not None else 3600.0
    except (TypeError, ValueError):
        raise TokenEndpointError(f"the token endpoint answered expires_in {expires_in!r}"
                                 ) from None
    refresh = data.get("refresh_token")
    # Counted from when the request was sent: the server's clock started no earlier.
    return Token(access, sent_at + lifetime - margin(lifetime),
                 refresh if isinstance(refresh, str) and refresh else None,
                 str(data.get("scope") or ""))


Fetch = Callable[[str | None], Token]
"""Gets a live token; given the one a 401 refused, never returns that one again."""


class RenewingAuth(httpx.Auth):
    """Puts a live access token on every request; renews it before expiry and once on a 401.

    ``fetch`` gets a new token (a client credentials grant, or a refresh);
    ``header`` and ``template`` say how the token is sent.
    """

    def __init__(self, fetch: Fetch, *, header: str = "Authorization",
                 template: str = "Bearer {token}", secrets: Callable[[], list[str]] = list,
                 close: Callable[[], None] | None = None) -> None:
        self._fetch = fetch
        self._close = close
        self._header = header
        self._template = template
        self._secrets = secrets
        self._lock = threading.Lock()
        self._token: Token | None = None
        self.fetches = 0

    def close(self) -> None:
        """Release the token endpoint's connections (the HTTP layer calls this on close)."""
        if self._close is not None:
            self._close()

    def secrets(self) -> list[str]:
        """The app's secrets, and the access token in use (a message must not echo it)."""
        token = self._token
        return [*self._secrets(), *([token.access_token] if token else [])]

    def current(self) -> Token:
        """A live token, fetched now if there is none."""
        with self._lock:
            if self._token is None or not self._token.alive():
                self._token = self._fetch(None)
                self.fetches += 1
            return self._token

    def renew(self, stale: Token) -> Token:
        """A token other than ``stale`` (another thread may have renewed it already)."""
        with self._lock:
            if self._token is None or self._token.access_token == stale.access_token:
                self._token = self._fetch(stale.access_token)
                self.fetches += 1
            return self._token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.current()
        request.headers[self._header] = self._template.format(token=token.access_token)
        response = yield request
        if response.status_code == 401:
            token = self.renew(token)
            request.headers[self._header] = self._template.format(token=token.access_token)
            yield request


def client_credentials(endpoint: TokenEndpoint, **fields: str) -> Fetch:
    """Fetch by the client credentials grant (Shopify Dev Dashboard apps, Xero custom
    connections): no refresh token, a new grant each time."""
    return lambda stale: endpoint.request("client_credentials", **fields)

"""How a request proves who sends it: pluggable ``httpx.Auth`` flows.

Each flow also says which values are secret (``secrets()``), so the HTTP
layer can mask them in every message without knowing how they are sent.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx


class HeaderAuth(httpx.Auth):
    """A fixed credential in one header (``X-Shopify-Access-Token``, ``Authorization``...)."""

    def __init__(self, header: str, value: str, *, secret: str | None = None) -> None:
        self._header = header
        self._value = value
        self._secret = secret if secret is not None else value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._header] = self._value
        yield request

    def secrets(self) -> list[str]:
        return [self._value, self._secret]


def bearer(token: str) -> HeaderAuth:
    """``Authorization: Bearer <token>``, the OAuth 2 way."""
    return HeaderAuth("Authorization", f"Bearer {token}", secret=token)


class BasicAuth(httpx.BasicAuth):
    """HTTP Basic, with its user name and password known as secrets."""

    def __init__(self, username: str, password: str) -> None:
        super().__init__(username, password)
        self._pair = (username, password)

    def secrets(self) -> list[str]:
        return [*self._pair, self._auth_header.removeprefix("Basic ")]

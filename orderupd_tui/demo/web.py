"""The plain request and response values passed between the HTTP server and the API modules.

Platform modules (``shopify_api``, ``woocommerce_api``, ``bigcommerce_api``,
``magento_api``) and the control API are pure functions of a
:class:`Request`, so they know nothing of sockets and the server knows
nothing of platforms.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

JSON_TYPE = "application/json; charset=utf-8"


@dataclass(frozen=True)
class Request:
    """One HTTP request; ``base_url`` is how the client reached us (for absolute links).

    ``headers`` has lower-case names.
    """

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""
    base_url: str = ""

    @classmethod
    def parse(cls, method: str, target: str, headers: Mapping[str, str], body: bytes,
              base_url: str) -> Request:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        return cls(method, parts.path, query, headers, body, base_url)

    def param(self, name: str) -> str | None:
        """A query parameter's last value (the platforms take one value per name)."""
        values = self.query.get(name)
        return values[-1] if values else None

    def header(self, name: str) -> str | None:
        """A request header, by case-insensitive name (``headers`` keys are lower case)."""
        return self.headers.get(name.lower())

    def json(self) -> Any:
        """The body parsed as JSON; an empty body reads as ``{}``."""
        return json.loads(self.body) if self.body.strip() else {}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON_TYPE
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(status: int, data: Any, headers: list[tuple[str, str]] | None = None
                  ) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(status, body, JSON_TYPE, list(headers or []))


class PlatformApi(Protocol):
    """What a platform module offers the server; one implementation per platform."""

    #: The platform name the server's ``platform`` option selects.
    name: str
    #: Paths under this prefix are API requests (faults and stats apply to them).
    prefix: str

    def endpoint(self, request: Request) -> str:
        """A short name for the route, for the request counts (e.g. ``orders``)."""
        ...

    def handle(self, request: Request) -> Response:
        """Answer one API request, auth and rate limits included."""
        ...

    def error(self, status: int, retry_after: float | None = None) -> Response:
        """The platform's own JSON error response for this status."""
        ...

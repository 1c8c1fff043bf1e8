"""The value types config models are made of, each with the one-line message it fails with.

Pydantic checks structure (unknown keys, missing keys, which platform or
backend); these types check values, and say what was wrong in the words
the user sees after the key path.  A validator never echoes a secret's
value: secrets are described by their type only.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, ConfigDict, SecretStr, ValidationInfo
from pydantic_core import PydanticCustomError

STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
"""Every options model: a key nobody reads is an error, not a silent typo."""

_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62}[A-Za-z0-9])?)*\.?$")


def problem(message: str, *, key: str | None = None, sibling: str | None = None,
            missing: bool = False) -> PydanticCustomError:
    """A validation error whose text is exactly ``message`` (no "Value error," prefix).

    ``key`` names the key a model-wide check is about (``token`` when neither
    form of a credential is given), so the message still names a key path;
    ``sibling`` names a key beside the one validated (a field validator on
    ``token`` reporting that ``client_secret`` is missing).  ``missing``
    says a required key is absent: such errors are shown before wrong
    values, as pydantic's own are.
    """
    return PydanticCustomError("config_missing" if missing else "config", "{message}",
                               {"message": message, "key": key, "sibling": sibling})


def kind_of(value: Any) -> str:
    """What a YAML value is, in words, for "must be a string, not a list"."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise problem(f"must be a string, not {kind_of(value)}")
    if not value.strip():
        raise problem("must not be empty")
    return value


def _secret(value: Any) -> SecretStr:
    if isinstance(value, SecretStr):
        return value
    return SecretStr(_text(value))


def _ref(value: Any) -> str:
    """An id the books hand out: YAML reads an unquoted ``200`` as a number, which is fine."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _text(value)


def number(value: Any) -> float | None:
    """A YAML number, or a string holding one (what ``${VAR}`` gives); None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _seconds(value: Any) -> float:
    seconds = number(value)
    if seconds is None or not math.isfinite(seconds) or seconds <= 0:
        raise problem("expected a positive number of seconds")
    return seconds


def _page_count(value: Any) -> int:
    count = number(value)
    if count is None or not count.is_integer() or not 1 <= count <= 10_000_000:
        raise problem("expected a whole number of pages from 1 to 10000000")
    return int(count)


def _http_url(value: Any) -> str:
    text = _text(value).strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise problem(f"{text!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise problem(f"must be an http:// or https:// URL, not {text!r}")
    host = parts.hostname or ""
    if not _valid_host(host):
        raise problem(f"{text!r} has no valid host name")
    if port == 0:
        raise problem(f"{text!r} has port 0")
    if parts.username or parts.password:
        raise problem("must not carry a user name or password: use the credential keys")
    return text


def _valid_host(host: str) -> bool:
    if not host:
        return False
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    return bool(_HOST.match(host))


def valid_host(host: str) -> bool:
    """A DNS name, an IPv4 address or an IPv6 address (without brackets)."""
    return _valid_host(host)


def _name(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", value):
        raise problem("must be a name of letters, digits, '_', '.' or '-'")
    return value


def _listen(value: Any) -> str:
    host, _, port = str(value).rpartition(":") if isinstance(value, str) else ("", "", "")
    if not host or not port.isdigit() or not 0 < int(port) < 65536 \
            or not _valid_host(host.strip("[]")):
        raise problem(f"must be HOST:PORT, not {value!r}")
    return str(value)


def _since(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise problem(f"must be a date such as 2026-01-01, not {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def one_of(choices: Sequence[str], *, phrase: str = "must be one of {choices}, not {value!r}",
           ) -> Callable[[Any], str]:
    """A validator accepting one of ``choices``, failing with ``phrase``."""

    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in choices:
            raise problem(phrase.format(choices=", ".join(choices), value=value))
        return value

    return check


THEMES = ("textual-dark", "textual-light", "nord", "gruvbox", "catppuccin-mocha", "dracula",
          "tokyo-night", "monokai", "flexoki", "catppuccin-latte", "catppuccin-frappe",
          "catppuccin-macchiato", "solarized-light", "solarized-dark", "rose-pine",
          "rose-pine-moon", "rose-pine-dawn", "atom-one-dark", "atom-one-light", "ansi-dark",
          "ansi-light")
"""Textual's built-in themes, named here because only ``tui/`` imports textual; a test
checks this list against the installed Textual's."""

_theme = one_of(THEMES, phrase="unknown theme {value!r}: use one of {choices}")


def _optional_theme(value: Any) -> str | None:
    return None if value is None else _theme(value)


def path_against_base(value: str, info: ValidationInfo) -> str:
    """A path relative to the config file's folder (``context["base"]``), made absolute."""
    path = Path(value).expanduser()
    base = (info.context or {}).get("base")
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    return str(path)


Text = Annotated[str, BeforeValidator(_text)]
"""A non-empty string."""
Secret = Annotated[SecretStr, BeforeValidator(_secret)]
"""A credential: a non-empty string, hidden from ``repr`` and never echoed in an error."""
Ref = Annotated[str, BeforeValidator(_ref)]
"""An id in the books (``realm_id``, ``item_ref``): a string, or a number YAML left unquoted."""
Seconds = Annotated[float, BeforeValidator(_seconds)]
PageCount = Annotated[int, BeforeValidator(_page_count)]
"""A finite number of seconds above 0."""
HttpUrl = Annotated[str, BeforeValidator(_http_url)]
"""An http(s) URL with a valid host and port, and no credentials in it."""
Name = Annotated[str, BeforeValidator(_name)]
Listen = Annotated[str, BeforeValidator(_listen)]
"""``HOST:PORT`` with a port from 1 to 65535."""
Since = Annotated[datetime | None, BeforeValidator(_since)]
"""A date or time (aware UTC when no zone is given)."""
ThemeName = Annotated[str | None, BeforeValidator(_optional_theme)]
"""One of :data:`THEMES`, or None (empty) for the one last chosen in the app."""


def secret_values(*values: SecretStr | None) -> list[str]:
    """The plain values of the secrets that are set, for scrubbers and leak scans."""
    return [v.get_secret_value() for v in values if v is not None]

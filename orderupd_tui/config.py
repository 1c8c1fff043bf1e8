"""The YAML configuration (DESIGN §5), validated into frozen settings.

Every problem is reported as one line naming the key path and the file, so
a user can fix a typo without reading a traceback.  Secrets stay in the
settings objects only (``repr=False``): nothing here logs or stores them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from orderupd_tui import paths
from orderupd_tui.accounting.base import AccountingConfigError, make_backend
from orderupd_tui.domain.changes import CHANGE_KINDS
from orderupd_tui.domain.rules import ACTIONS, Rule

PLATFORMS = ("shopify", "woocommerce", "bigcommerce", "magento", "mals", "demo")
BACKENDS = ("beancount", "quickbooks", "xero", "none")
ON_RESET = ("ask", "void", "keep")
DEFAULT_SINCE_DAYS = 60
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")

#: Keys each platform understands, beyond ``name``/``platform``/``since``; ``True`` = required.
PLATFORM_KEYS: dict[str, dict[str, bool]] = {
    "shopify": {"url": True, "token": True, "api_version": False},
    "woocommerce": {"url": True, "consumer_key": True, "consumer_secret": True,
                    "query_string_auth": False},
    "bigcommerce": {"url": False, "store_hash": True, "token": True},
    "magento": {"url": True, "token": True, "store_code": False},
    "mals": {"listen": True, "username": False, "currency": False},
    "demo": {"url": True, "token": False, "as": False},
}
DEMO_SPEAKS = ("shopify", "woocommerce", "bigcommerce", "magento")
SECRET_KEYS = frozenset({"token", "consumer_key", "consumer_secret"})
BACKEND_KEYS: dict[str, dict[str, bool]] = {
    "beancount": {"path": False, "accounts": False, "operating_currency": False},
    "quickbooks": {"url": False, "realm_id": True, "token": True, "document": False,
                   "item_ref": False, "customer_ref": False, "minorversion": False,
                   "shipping_item_ref": False, "tax_item_ref": False, "timeout": False},
    "xero": {"url": False, "tenant_id": True, "token": True, "account_code": False,
             "contact_name": False, "shipping_account_code": False, "tax_account_code": False,
             "tax_type": False, "timeout": False},
    "none": {},
}
"""Keys each accounting backend reads; ``True`` = required.  The backend itself checks values."""


class ConfigError(Exception):
    """A configuration problem, already phrased as the one line the user sees."""


@dataclass(frozen=True)
class StoreSettings:
    """One entry of ``stores``; ``options`` holds the platform's own keys (secrets included)."""

    name: str
    platform: str
    since: datetime
    options: Mapping[str, Any] = field(repr=False)

    @property
    def supports_updates(self) -> bool:
        """Mal's only ever pushes new orders: it cannot report changes or re-download."""
        return self.platform != "mals"

    def secrets(self) -> list[str]:
        return [str(v) for k, v in self.options.items() if k in SECRET_KEYS and v]


@dataclass(frozen=True)
class AccountingSettings:
    backend: str = "beancount"
    on_reset: str = "ask"
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def secrets(self) -> list[str]:
        return [str(v) for k, v in self.options.items() if k == "token" and v]


@dataclass(frozen=True)
class Settings:
    """Everything the program was configured with, after validation."""

    database: str = field(repr=False)
    poll_interval: float
    stores: tuple[StoreSettings, ...]
    detect: frozenset[str]
    rules: tuple[Rule, ...]
    accounting: AccountingSettings
    keys: Mapping[str, str]
    source: Path | None = None

    def store(self, name: str) -> StoreSettings:
        for store in self.stores:
            if store.name == name:
                return store
        raise ConfigError(f"no store named {name!r} in the configuration")

    def secrets(self) -> list[str]:
        """Every configured secret, so tests and log filters can look for leaks."""
        found = [s for store in self.stores for s in store.secrets()]
        password = urlsplit(self.database).password
        return found + self.accounting.secrets() + ([unquote(password)] if password else [])


def locate(explicit: str | None) -> Path:
    """``--config``, then ``$ORDERUPD_CONFIG``, then the user config dir."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("ORDERUPD_CONFIG")
    if env:
        return Path(env)
    return paths.config_file()


def load(path: Path, *, now: datetime | None = None) -> Settings:
    """Read and validate the file at ``path``; raises :class:`ConfigError`."""
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {label}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {label}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{label}: YAML error{where}: {problem}") from None
    return parse(data or {}, base=path.resolve().parent, label=path.name, now=now,
                 source=path)


def database_url(value: str, base: Path, label: str) -> str:
    """Validate a database URL given outside the file (``--db``), relative to ``base``."""
    return _Parser(base, label, datetime.now(UTC)).database(value)


def parse(
    data: Any,
    *,
    base: Path,
    label: str,
    now: datetime | None = None,
    source: Path | None = None,
) -> Settings:
    """Validate an already-loaded mapping; ``base`` resolves relative paths."""
    return _Parser(base, label, now or datetime.now(UTC)).settings(data, source)


class _Parser:
    """Walks the YAML tree, remembering the key path for error messages."""

    def __init__(self, base: Path, label: str, now: datetime) -> None:
        self.base = base
        self.label = label
        self.now = now

    def fail(self, where: str, message: str) -> ConfigError:
        return ConfigError(f"{where}: {message} ({self.label})")

    def expand(self, where: str, value: Any) -> Any:
        """``${VAR}`` in any string value, inside lists and nested mappings too."""
        if isinstance(value, list):
            return [self.expand(f"{where}[{i}]", v) for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.expand(f"{where}.{k}", v) for k, v in value.items()}
        if not isinstance(value, str):
            return value

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise self.fail(where, f"environment variable {name} is not set")
            return os.environ[name]

        return _VAR.sub(sub, value)

    def mapping(self, where: str, value: Any, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "must be a mapping")
        for key in value:
            if key not in allowed:
                raise self.fail(f"{where}.{key}" if where else str(key), "unknown key")
        return dict(value)

    def settings(self, data: Any, source: Path | None) -> Settings:
        if not isinstance(data, dict):
            raise ConfigError(f"{self.label}: the top level must be a mapping")
        self.mapping("", data, {"database", "poll_interval", "stores", "updates", "accounting",
                                "keys"})
        # Every string value, at any depth, may use ${VAR}: expanded once, here.
        top = {key: self.expand(key, value) for key, value in data.items()}
        updates = top.get("updates") or {}
        return Settings(
            database=self.database(top.get("database")),
            poll_interval=self.poll_interval(top.get("poll_interval", 120)),
            stores=self.stores(top.get("stores", [])),
            detect=self.detect(updates),
            rules=self.rules(updates.get("rules") or [] if isinstance(updates, dict) else []),
            accounting=self.accounting(top.get("accounting") or {}),
            keys=self.keys(top.get("keys") or {}),
            source=source,
        )

    def database(self, value: Any) -> str:
        if value is None:
            return f"sqlite:///{paths.data_dir() / 'orders.db'}"
        if not isinstance(value, str) or "://" not in value:
            raise self.fail("database", "must be a URL such as sqlite:///orders.db or "
                                        "postgresql://user@host/db")
        scheme, rest = value.split("://", 1)
        if scheme == "sqlite":
            if not rest.startswith("/"):
                raise self.fail("database", "a sqlite URL has three slashes: sqlite:///orders.db")
            file = rest[1:]
            if file and file != ":memory:" and not Path(file).is_absolute():
                return f"sqlite:///{self.base / file}"
            return value
        if scheme in ("postgresql", "postgres"):
            return value
        raise self.fail("database", f"unsupported database {scheme!r}: use sqlite or postgresql")

    def poll_interval(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.fail("poll_interval", f"must be a number of seconds >= 0, not {value!r}")
        return float(value)

    def stores(self, value: Any) -> tuple[StoreSettings, ...]:
        if not isinstance(value, list):
            raise self.fail("stores", "must be a list")
        seen: set[str] = set()
        result = []
        for i, entry in enumerate(value):
            store = self.store(f"stores[{i}]", entry)
            if store.name in seen:
                raise self.fail(f"stores[{i}].name", f"duplicate store name {store.name!r}")
            seen.add(store.name)
            result.append(store)
        return tuple(result)

    def store(self, where: str, entry: Any) -> StoreSettings:
        if not isinstance(entry, dict):
            raise self.fail(where, "must be a mapping")
        platform = entry.get("platform")
        if platform not in PLATFORMS:
            raise self.fail(f"{where}.platform",
                            f"unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}")
        keys = PLATFORM_KEYS[platform]
        raw = self.mapping(where, entry, {"name", "platform", "since", *keys})
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise self.fail(f"{where}.name", "must be a name of letters, digits, '_', '.' or '-'")
        for key, required in keys.items():
            if required and raw.get(key) in (None, ""):
                raise self.fail(f"{where}.{key}", f"is required for platform {platform}")
        if platform == "mals":
            self.listen(f"{where}.listen", raw["listen"])
        if platform == "demo" and raw.get("as", "shopify") not in DEMO_SPEAKS:
            raise self.fail(f"{where}.as", f"the demo store speaks {', '.join(DEMO_SPEAKS)}, "
                                           f"not {raw['as']!r}")
        options = {k: raw[k] for k in keys if k in raw}
        return StoreSettings(name=name, platform=platform,
                             since=self.since(f"{where}.since", raw.get("since")),
                             options=options)

    def listen(self, where: str, value: Any) -> None:
        host, _, port = str(value).rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise self.fail(where, f"must be HOST:PORT, not {value!r}")

    def since(self, where: str, value: Any) -> datetime:
        if value is None:
            return self.now - timedelta(days=DEFAULT_SINCE_DAYS)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        try:
            parsed = datetime.fromisoformat(str(value))
        except ValueError:
            raise self.fail(where, f"must be a date such as 2026-01-01, not {value!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def kinds(self, where: str, value: Any) -> frozenset[str]:
        if not isinstance(value, list) or not value:
            raise self.fail(where, "must be a non-empty list of change kinds")
        for i, kind in enumerate(value):
            if kind not in CHANGE_KINDS:
                raise self.fail(f"{where}[{i}]", f"unknown change kind {kind!r}")
        return frozenset(value)

    def detect(self, updates: Any) -> frozenset[str]:
        self.mapping("updates", updates, {"detect", "rules"})
        if "detect" not in updates:
            return frozenset(CHANGE_KINDS)
        return self.kinds("updates.detect", updates["detect"])

    def rules(self, value: Any) -> tuple[Rule, ...]:
        if not isinstance(value, list):
            raise self.fail("updates.rules", "must be a list")
        rules = []
        for i, entry in enumerate(value):
            where = f"updates.rules[{i}]"
            raw = self.mapping(where, entry, {"when", "action"})
            when = self.mapping(f"{where}.when", raw.get("when") or {}, {"kinds", "posted"})
            action = raw.get("action")
            if action not in ACTIONS:
                raise self.fail(f"{where}.action",
                                f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
            posted = when.get("posted", False)
            posted_match = {False: "false", True: "true", "any": "any"}.get(posted)
            if posted_match is None:
                raise self.fail(f"{where}.when.posted", "must be true, false or any")
            rules.append(Rule(index=i, kinds=self.kinds(f"{where}.when.kinds", when.get("kinds")),
                              action=action, posted=posted_match))
        return tuple(rules)

    def accounting(self, value: Any) -> AccountingSettings:
        backend = value.get("backend", "beancount") if isinstance(value, dict) else None
        if backend not in BACKENDS:
            raise self.fail("accounting.backend",
                            f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")
        keys = BACKEND_KEYS[backend]
        raw = self.mapping("accounting", value, {"backend", "on_reset", *keys})
        on_reset = raw.get("on_reset", "ask")
        if on_reset not in ON_RESET:
            raise self.fail("accounting.on_reset",
                            f"must be one of {', '.join(ON_RESET)}, not {on_reset!r}")
        for key, required in keys.items():
            if required and raw.get(key) in (None, ""):
                raise self.fail(f"accounting.{key}", f"is required for backend {backend}")
        options = {k: raw[k] for k in keys if k in raw}
        if backend == "beancount":
            ledger = Path(options.get("path") or paths.data_dir() / "books" / "orders.beancount")
            options["path"] = str(ledger if ledger.is_absolute() else self.base / ledger)
        self.check_backend(backend, options)
        return AccountingSettings(backend=backend, on_reset=on_reset, options=options)

    def check_backend(self, backend: str, options: Mapping[str, Any]) -> None:
        """Let the backend judge its own values (accounts, refs, timeouts) now, not at posting.

        Building a backend opens no file and sends no request, so this is
        cheap; its messages already start with the key path.
        """
        try:
            books = make_backend({"backend": backend, **options})
        except AccountingConfigError as exc:
            raise ConfigError(f"{exc} ({self.label})") from None
        if books is not None:
            books.close()

    def keys(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail("keys", "must be a mapping of action to keys")
        for action, keyspec in value.items():
            if not isinstance(keyspec, str) or not keyspec.strip():
                raise self.fail(f"keys.{action}", "must be a key such as r or ctrl+r")
        return dict(value)

"""The YAML configuration (DESIGN §5), validated by typed models into frozen settings.

Each platform and backend describes its keys once, as a pydantic model
(``stores/options.py``, ``accounting/options.py``); this module expands
``${VAR}``, validates the file against the models, and turns the first
validation error into one line naming the key path and the file, so a
user can fix a typo without reading a traceback.  Secrets are
``SecretStr`` in the models and stay in the settings objects only
(``repr=False``): nothing here logs or stores them.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml
from pydantic import BaseModel, BeforeValidator, Field, ValidationError, field_validator

from orderupd_tui import paths
from orderupd_tui.accounting.base import AccountingConfigError, make_backend
from orderupd_tui.accounting.options import BACKENDS, ON_RESET, AccountingEntry, BackendOptions
from orderupd_tui.config_errors import first_problem
from orderupd_tui.config_fields import (
    STRICT,
    ThemeName,
    kind_of,
    number,
    problem,
    valid_host,
)
from orderupd_tui.domain.changes import CHANGE_KINDS
from orderupd_tui.domain.rules import ACTIONS, Rule
from orderupd_tui.stores.options import DEMO_SPEAKS, PLATFORMS, StoreEntry, StoreOptions

__all__ = ["BACKENDS", "DEMO_SPEAKS", "ON_RESET", "PLATFORMS"]

DEFAULT_SINCE_DAYS = 60
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CHOICES = {"stores": PLATFORMS, "accounting": BACKENDS}


class ConfigError(Exception):
    """A configuration problem, already phrased as the one line the user sees."""


@dataclass(frozen=True)
class StoreSettings:
    """One entry of ``stores``; ``options`` holds the platform's own keys (secrets included)."""

    name: str
    platform: str
    since: datetime
    options: Mapping[str, Any] = field(repr=False)
    model: StoreOptions | None = field(default=None, repr=False, compare=False)
    """The validated entry, typed by platform (None for settings made by hand in tests)."""

    @property
    def supports_updates(self) -> bool:
        """Mal's only ever pushes new orders: it cannot report changes or re-download."""
        return self.platform != "mals"

    def secrets(self) -> list[str]:
        if self.model is not None:
            return self.model.secrets()
        return [str(v) for k, v in self.options.items() if k in _SECRET_KEYS and v]


_SECRET_KEYS = frozenset({"token", "consumer_key", "consumer_secret", "client_secret"})


@dataclass(frozen=True)
class AccountingSettings:
    backend: str = "beancount"
    on_reset: str = "ask"
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    model: BackendOptions | None = field(default=None, repr=False, compare=False)

    def secrets(self) -> list[str]:
        if self.model is not None:
            return self.model.secrets()
        return [str(v) for k, v in self.options.items() if k in _SECRET_KEYS and v]


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
    #: The app's theme when the config sets one; else the one last chosen in the app is used.
    theme: str | None = None

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
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {label}") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {label} is a folder") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {label}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{label}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                          f"{exc.start}): save the file as UTF-8") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem_text = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{label}: YAML error{where}: {problem_text}") from None
    return parse({} if data is None else data, base=path.resolve().parent, label=path.name,
                 now=now, source=path)


def database_url(value: str, base: Path, label: str) -> str:
    """Validate a database URL given outside the file (``--db``), relative to ``base``."""
    try:
        return _database(value, base)
    except ValueError as exc:  # PydanticCustomError is a ValueError
        raise ConfigError(f"database: {_message(exc)} ({label})") from None


def parse(
    data: Any,
    *,
    base: Path,
    label: str,
    now: datetime | None = None,
    source: Path | None = None,
) -> Settings:
    """Validate an already-loaded mapping; ``base`` resolves relative paths."""
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: the top level must be a mapping")
    # Every string value, at any depth, may use ${VAR}: expanded once, here.
    expanded = {key: _expand(str(key), value, label) for key, value in data.items()}
    _default_ledger(expanded)
    try:
        model = ConfigModel.model_validate(expanded, context={"base": base})
    except ValidationError as exc:
        raise ConfigError(f"{first_problem(exc, expanded, choices=_CHOICES)} ({label})") from None
    _check_backend(model.accounting, label)
    when = now or datetime.now(UTC)
    return Settings(
        database=model.database,
        poll_interval=model.poll_interval,
        stores=tuple(
            StoreSettings(name=s.name, platform=s.platform,
                          since=s.since or when - timedelta(days=DEFAULT_SINCE_DAYS),
                          options=s.options(), model=s)
            for s in model.stores),
        detect=model.updates.detect,
        rules=tuple(Rule(index=i, kinds=r.when.kinds, action=r.action, posted=r.when.posted)
                    for i, r in enumerate(model.updates.rules)),
        accounting=AccountingSettings(backend=model.accounting.backend,
                                      on_reset=model.accounting.on_reset,
                                      options=model.accounting.options(),
                                      model=model.accounting),
        keys=dict(model.keys),
        source=source,
        theme=model.theme,
    )


def _expand(where: str, value: Any, label: str) -> Any:
    """``${VAR}`` in any string value, inside lists and nested mappings too."""
    if isinstance(value, list):
        return [_expand(f"{where}[{i}]", v, label) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _expand(f"{where}.{k}", v, label) for k, v in value.items()}
    if not isinstance(value, str):
        return value

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ConfigError(f"{where}: environment variable {name} is not set ({label})")
        return os.environ[name]

    return _VAR.sub(sub, value)


def _default_ledger(data: dict[str, Any]) -> None:
    """Beancount is the default backend, and its ledger defaults to the user data dir."""
    section = data.get("accounting")
    if section is None:
        section = data["accounting"] = {}
    if isinstance(section, dict) and section.get("backend", "beancount") == "beancount" \
            and section.get("path") is None:
        section["path"] = str(paths.data_dir() / "books" / "orders.beancount")


def _check_backend(accounting: BackendOptions, label: str) -> None:
    """Let the backend judge its own values (accounts, currencies) now, not at posting.

    Building a backend opens no file and sends no request, so this is
    cheap; its messages already start with the key path.
    """
    try:
        books = make_backend(accounting)
    except AccountingConfigError as exc:
        raise ConfigError(f"{exc} ({label})") from None
    if books is not None:
        books.close()


def _message(exc: Exception) -> str:
    ctx = getattr(exc, "context", None) or {}
    return str(ctx.get("message") or exc)


MAX_POLL_INTERVAL = 7 * 24 * 3600.0
"""A week: longer is surely a mistake (and beyond what a sleep can wait on every system)."""


def _database(value: Any, base: Path | None) -> str:
    """A database URL, with a relative SQLite path made absolute against ``base``.

    A SQLite file's folder must exist: a typo must not quietly become a new,
    empty database.  (The default database, under the user data dir, is the
    one the program creates itself.)
    """
    usage = "must be a URL such as sqlite:///orders.db or postgresql://user@host/db"
    if not isinstance(value, str) or "://" not in value:
        raise problem(usage if isinstance(value, str) else f"{usage}, not {kind_of(value)}")
    scheme, rest = value.split("://", 1)
    if scheme == "sqlite":
        if not rest.startswith("/"):
            raise problem("a sqlite URL has three slashes: sqlite:///orders.db")
        file = unquote(rest[1:].split("?", 1)[0])
        if not file:
            raise problem("a sqlite URL names its file: sqlite:///orders.db")
        if file == ":memory:":
            return value
        path = Path(file)
        if not path.is_absolute():
            path = (base or Path.cwd()) / path
        if path.is_dir():
            raise problem(f"{path} is a folder, not a database file")
        if not path.parent.is_dir():
            raise problem(f"the folder {path.parent} does not exist (it is not created: "
                          "create it, or fix the path)")
        return f"sqlite:///{path}"
    if scheme in ("postgresql", "postgres"):
        return _postgres(value)
    raise problem(f"unsupported database {scheme!r}: use sqlite or postgresql")


def _postgres(value: str) -> str:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise problem(f"not a valid postgresql URL: {_safe(exc, value)}") from None
    host = parts.hostname or ""
    if host and not valid_host(host):
        raise problem(f"{host!r} is not a host name")
    if port == 0:
        raise problem("port 0 is not a PostgreSQL port")
    if not parts.path.strip("/"):
        raise problem("a postgresql URL names its database: postgresql://user@host/db")
    try:
        parse_qsl(parts.query, strict_parsing=bool(parts.query))
    except ValueError:
        raise problem("the query string of the URL is malformed") from None
    return value


def _safe(exc: Exception, url: str) -> str:
    """An error about ``url`` with its password masked."""
    text = str(exc)
    match = re.search(r"://[^/@:]*:([^/@]+)@", url)
    return text.replace(match.group(1), "***") if match else text


def _seconds_between(value: Any) -> float:
    seconds = number(value)
    if seconds is None or not math.isfinite(seconds) or not 0 <= seconds <= MAX_POLL_INTERVAL:
        raise problem(f"must be a number of seconds >= 0 and at most {MAX_POLL_INTERVAL:g} "
                      f"(a week), not {value!r}")
    return seconds


def _kinds(value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise problem("must be a non-empty list of change kinds")
    for i, kind in enumerate(value):
        if kind not in CHANGE_KINDS:
            raise problem(f"unknown change kind {kind!r}", key=f"[{i}]")
    return frozenset(value)


def _action(value: Any) -> str:
    if value not in ACTIONS:
        raise problem(f"unknown action {value!r}: use one of {', '.join(ACTIONS)}")
    return str(value)


def _posted(value: Any) -> str:
    match = {False: "false", True: "true", "any": "any"}.get(value) \
        if isinstance(value, bool | str) else None
    if match is None:
        raise problem("must be true, false or any")
    return match


def _mapping_or_empty(value: Any) -> Any:
    return {} if value is None else value


Kinds = Annotated[frozenset[str], BeforeValidator(_kinds)]


class _When(BaseModel):
    model_config = STRICT

    kinds: Kinds = Field(None, validate_default=True)
    posted: Annotated[str, BeforeValidator(_posted)] = "false"


class _Rule(BaseModel):
    model_config = STRICT

    when: Annotated[_When, BeforeValidator(_mapping_or_empty)] = Field(
        None, validate_default=True)
    action: Annotated[str, BeforeValidator(_action)]


class _Updates(BaseModel):
    model_config = STRICT

    detect: Kinds = frozenset(CHANGE_KINDS)
    rules: Annotated[list[_Rule], BeforeValidator(lambda v: [] if v is None else v)] = Field(
        default_factory=list)


def _keys(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise problem("must be a mapping of action to keys")
    for action, keyspec in value.items():
        if not isinstance(action, str):
            raise problem(f"{action!r} is not an action name")
        if not isinstance(keyspec, str) or not keyspec.strip():
            raise problem("must be a key such as r or ctrl+r", key=action)
    return dict(value)


class ConfigModel(BaseModel):
    """The whole file: every key type- and range-checked, each platform by its own model."""

    model_config = STRICT

    database: str = Field(None, validate_default=True)
    poll_interval: Annotated[float, BeforeValidator(_seconds_between)] = 120.0
    stores: list[StoreEntry] = Field(default_factory=list)
    updates: Annotated[_Updates, BeforeValidator(_mapping_or_empty)] = Field(
        default_factory=_Updates)
    accounting: AccountingEntry
    keys: Annotated[dict[str, str], BeforeValidator(_keys)] = Field(default_factory=dict)
    theme: ThemeName = None

    @field_validator("database", mode="before")
    @classmethod
    def _database_url(cls, value: Any, info: Any) -> str:
        if value is None:
            return f"sqlite:///{paths.data_dir() / 'orders.db'}"
        return _database(value, (info.context or {}).get("base"))

    @field_validator("stores")
    @classmethod
    def _unique_names(cls, stores: list[StoreOptions]) -> list[StoreOptions]:
        seen: set[str] = set()
        for i, store in enumerate(stores):
            if store.name in seen:
                raise problem(f"duplicate store name {store.name!r}", key=f"[{i}].name")
            seen.add(store.name)
        return stores

"""One open workspace: settings, the database, and store and accounting connectors on demand.

The CLI and the app each hold one :class:`Session`; services take it as
their first argument so they never reach for globals.
"""

from __future__ import annotations

import getpass
import threading
from collections.abc import Callable

from peewee import Database

from orderupd_tui.accounting.base import AccountingBackend, AccountingConfigError, make_backend
from orderupd_tui.config import ConfigError, Settings, StoreSettings
from orderupd_tui.db.connection import open_database
from orderupd_tui.db.models import Store
from orderupd_tui.stores.base import StoreClient

ClientFactory = Callable[[StoreSettings], StoreClient]


def os_user() -> str:
    """The actor recorded on events for actions a person takes."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Session:
    """Settings plus an open database plus lazily created store clients and books."""

    def __init__(
        self,
        settings: Settings,
        *,
        make_client: ClientFactory | None = None,
        actor: str | None = None,
    ) -> None:
        from orderupd_tui.stores.registry import make_client as default_factory

        self.settings = settings
        self.actor = actor or os_user()
        self.db: Database = open_database(settings.database)
        self._make_client = make_client or default_factory
        self._clients: dict[str, StoreClient] = {}
        self._books: AccountingBackend | None = None
        self._books_lock = threading.Lock()
        self._register_stores()

    def _register_stores(self) -> None:
        """Make sure every configured store has its row, keyed by name."""
        with self.db.atomic():
            for store in self.settings.stores:
                row = Store.get_or_none(Store.name == store.name)
                if row is None:
                    Store.create(name=store.name, platform=store.platform)
                elif row.platform != store.platform:
                    row.platform = store.platform
                    row.save()

    def store_row(self, name: str) -> Store:
        return Store.get(Store.name == name)

    def client(self, name: str) -> StoreClient:
        """The connector for a configured store, created on first use and then reused."""
        if name not in self._clients:
            self._clients[name] = self._make_client(self.settings.store(name))
        return self._clients[name]

    @property
    def has_books(self) -> bool:
        """Whether an accounting backend is configured (``backend: none`` turns posting off)."""
        return self.settings.accounting.backend != "none"

    def books(self) -> AccountingBackend:
        """The accounting backend, created on first use and then kept.

        Kept for the session's life because the Beancount backend's index of
        the journal is what makes each poll's status check read only what
        was appended.  Worker threads may ask at once, hence the lock.
        """
        with self._books_lock:
            if self._books is None:
                accounting = self.settings.accounting
                where = self.settings.source.name if self.settings.source else "the settings"
                if accounting.backend == "none":
                    raise ConfigError(f"accounting.backend: none, so there are no books to post "
                                      f"to ({where})")
                try:
                    books = make_backend({"backend": accounting.backend, **accounting.options})
                except AccountingConfigError as exc:
                    raise ConfigError(f"{exc} ({where})") from None
                assert books is not None
                self._books = books
            return self._books

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        if self._books is not None:
            self._books.close()
            self._books = None
        self.db.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

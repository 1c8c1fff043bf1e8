"""One open workspace: settings, the database, and store connectors made on demand.

The CLI and the app each hold one :class:`Session`; services take it as
their first argument so they never reach for globals.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable

from peewee import Database

from orderupd_tui.config import Settings, StoreSettings
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
    """Settings plus an open database plus lazily created store clients."""

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

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self.db.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

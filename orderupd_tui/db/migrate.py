"""Schema versions: numbered migration files applied in order, with peewee's runner.

The schema version is the number of the newest applied migration.  A
database that has migrations this program does not know was written by a
newer release; it is refused rather than half-understood.
"""

from __future__ import annotations

from pathlib import Path

from peewee import Database
from playhouse.migrations import Runner

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaTooNew(Exception):
    """The database was upgraded by a newer release of the program."""


def upgrade(db: Database, directory: Path = MIGRATIONS) -> list[str]:
    """Apply every pending migration in one go; returns the names applied."""
    runner = Runner(db, str(directory))
    status = runner.status()
    unknown = [m.idx for m in status if m.path is None]
    if unknown:
        known = max((m.idx for m in status if m.path is not None), default=0)
        raise SchemaTooNew(
            f"the database has schema version {max(unknown)}, newer than "
            f"this program knows ({known}): upgrade orderupd-tui to use it"
        )
    if all(m.applied for m in status):
        return []
    with db.atomic():
        return list(runner.up())


def version(db: Database, directory: Path = MIGRATIONS) -> int:
    """The schema version: the number of the newest applied migration (0 for an empty database)."""
    applied = [m.idx for m in Runner(db, str(directory)).status() if m.applied]
    return max(applied, default=0)

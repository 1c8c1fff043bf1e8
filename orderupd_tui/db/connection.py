"""Opening the database named by a URL, and bringing its schema up to date.

SQLite gets WAL (readers never block the poller), a busy timeout (two
processes may share the file) and enforced foreign keys.  PostgreSQL URLs
go to psycopg2 as they are, query options included, so a team can point
``search_path`` or SSL settings at their server.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from peewee import Database, OperationalError, PostgresqlDatabase, SqliteDatabase
from playhouse.db_url import parse as parse_url

from orderupd_tui import paths
from orderupd_tui.db import bulk, migrate
from orderupd_tui.db.models import database


class DatabaseError(Exception):
    """The database could not be opened or upgraded; the message is one line for the user."""


def open_database(url: str) -> Database:
    """Connect to ``url``, upgrade its schema, and bind the models to it."""
    db = _make(url)
    try:
        db.connect(reuse_if_open=True)
    except OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"cannot open database {redact(url)}: {first}") from None
    database.initialize(db)
    try:
        migrate.upgrade(db)
    except migrate.SchemaTooNew as exc:
        db.close()
        raise DatabaseError(str(exc)) from None
    bulk.repair(db)
    return db


def _make(url: str) -> Database:
    scheme = url.split("://", 1)[0]
    if scheme == "sqlite":
        path = unquote(urlsplit(url).path)
        if path != "/:memory:":
            _make_folder(Path(path).parent)
        else:
            path = ":memory:"
        return SqliteDatabase(
            path,
            # Write transactions take the lock when they begin, so a second
            # process waits (busy_timeout) instead of failing mid-transaction
            # when it upgrades a read to a write.
            lock_type="IMMEDIATE",
            pragmas={
                "busy_timeout": 10_000,
                "journal_mode": "wal",
                "foreign_keys": 1,
                "synchronous": "normal",
                "cache_size": -16_000,
            },
        )
    if scheme in ("postgresql", "postgres"):
        params = parse_url(url.replace("postgres://", "postgresql://", 1))
        name = params.pop("database")
        return PostgresqlDatabase(name, **params)
    raise DatabaseError(f"unsupported database URL {redact(url)}: use sqlite:/// or postgresql://")


def _make_folder(folder: Path) -> None:
    """Create the database's folder only under the user data dir, which is ours.

    Anywhere else a missing folder is a typo, and a new empty database there
    would show the user an empty inbox instead of an error (the config
    refuses it; this is the last guard).
    """
    if folder.is_dir():
        return
    folder = Path("/" + str(folder).lstrip("/"))  # sqlite:////x gives //x: the same folder
    data = paths.data_dir()
    if folder == data or data in folder.parents:
        folder.mkdir(parents=True, exist_ok=True)
        return
    raise DatabaseError(f"cannot open database: the folder {folder} does not exist")


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url

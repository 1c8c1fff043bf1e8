"""The database: URL handling, schema versions and migrations, and constraints that keep us safe."""

from __future__ import annotations

from pathlib import Path

import pytest
from peewee import IntegrityError, SqliteDatabase

from orderupd_tui.db import migrate
from orderupd_tui.db.connection import DatabaseError, open_database, redact
from orderupd_tui.db.models import Order, Store, Update, utcnow

EXAMPLE_0002 = '''
from peewee import TextField

def up(migrator, db):
    migrator.migrate(migrator.add_column("store", "colour", TextField(default="blue")))
'''


def test_fresh_database_is_at_the_latest_version(db_url):
    db = open_database(db_url)
    latest = max(int(p.name[:4]) for p in migrate.MIGRATIONS.glob("[0-9]*.py"))
    assert migrate.version(db) == latest >= 1
    assert {"orders", "order_update", "posting", "event", "store"} <= set(db.get_tables())
    db.close()


def test_sqlite_has_wal_busy_timeout_and_foreign_keys(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'x.db'}")
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 10000
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()


def test_an_example_migration_upgrades_in_place(tmp_path):
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    source = migrate.MIGRATIONS / "0001_initial.py"
    (migrations / source.name).write_text(source.read_text())
    db = SqliteDatabase(str(tmp_path / "m.db"))
    assert migrate.upgrade(db, migrations) == ["0001_initial"]
    db.execute_sql("INSERT INTO store (name, platform) VALUES ('main', 'shopify')")
    (migrations / "0002_store_colour.py").write_text(EXAMPLE_0002)
    assert migrate.upgrade(db, migrations) == ["0002_store_colour"]
    assert migrate.version(db, migrations) == 2
    assert db.execute_sql("SELECT name, colour FROM store").fetchall() == [("main", "blue")]
    assert migrate.upgrade(db, migrations) == []


def test_a_database_newer_than_the_program_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    db = open_database(url)
    db.execute_sql(
        "INSERT INTO schema_migration (name, applied) VALUES ('0007_future', '2030-01-01')"
    )
    db.close()
    with pytest.raises(DatabaseError, match="schema version 7, newer than this program knows"):
        open_database(url)


def test_one_pending_update_per_order_is_enforced_by_the_database(db_url):
    db = open_database(db_url)
    store = Store.create(name="main", platform="shopify")
    order = Order.create(store=store, remote_id="1", number="1001", created_at=utcnow(),
                         updated_at=utcnow(), total="1.00", currency="USD",
                         payment_status="paid", fulfillment_status="unfulfilled",
                         order_status="open", data="{}", payload="{}", digest="d",
                         downloaded_at=utcnow())
    Update.create(order=order, detected_at=utcnow(), kinds="totals", changes="[]")
    Update.create(order=order, detected_at=utcnow(), kinds="totals", changes="[]",
                  status="ignored")
    with pytest.raises(IntegrityError), db.atomic():
        Update.create(order=order, detected_at=utcnow(), kinds="totals", changes="[]")
    with pytest.raises(IntegrityError), db.atomic():
        Order.create(store=store, remote_id="1", number="1001", created_at=utcnow(),
                     updated_at=utcnow(), total="1.00", currency="USD",
                     payment_status="paid", fulfillment_status="unfulfilled",
                     order_status="open", data="{}", payload="{}", digest="d",
                     downloaded_at=utcnow())
    db.close()


def test_unreachable_database_is_one_line_without_password():
    with pytest.raises(DatabaseError) as info:
        open_database("postgresql://bob:secret@127.0.0.1:1/none?connect_timeout=2")
    assert "secret" not in str(info.value) and "\n" not in str(info.value)
    assert redact("postgresql://bob:secret@h/db") == "postgresql://bob:***@h/db"


def test_sqlite_directory_is_created_only_under_the_user_data_dir(tmp_path: Path, monkeypatch):
    """A missing folder elsewhere is a typo: a new empty database there would hide it."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    mine = tmp_path / "data" / "orderupd-tui" / "deep" / "o.db"
    open_database(f"sqlite:///{mine}").close()
    assert mine.exists()
    with pytest.raises(DatabaseError, match="does not exist"):
        open_database(f"sqlite:///{tmp_path / 'deep' / 'er' / 'o.db'}")
    assert not (tmp_path / "deep").exists()

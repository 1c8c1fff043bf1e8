"""Shared test plumbing: where the published fixtures are, and skipping cleanly without them."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    """The platforms' published payloads, read in place and never copied into the project."""
    if not FIXTURES.is_dir():
        pytest.skip("../shared/fixtures is absent (a fresh clone): platform fixture tests need it")
    return FIXTURES


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file always, and a PostgreSQL schema of its own when asked.

    PostgreSQL runs when ``ORDERUPD_TEST_PG_URL`` is set (CI sets it); each
    test gets a new schema through ``search_path`` and it is dropped after.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'orders.db'}"
        return
    base = os.environ.get("ORDERUPD_TEST_PG_URL")
    if not base:
        pytest.skip("ORDERUPD_TEST_PG_URL is not set: the PostgreSQL run needs a server")
    with pg_schema(base) as url:
        yield url


@contextmanager
def pg_schema(base: str) -> Iterator[str]:
    """A URL for a new PostgreSQL schema of its own on ``base``'s server, dropped after."""
    import psycopg2

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        from orderupd_tui.db.models import database

        if database.obj is not None:
            database.close()
        with admin.cursor() as cur:
            cur.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()

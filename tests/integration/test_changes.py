"""The change watch: another connection's writes are seen, its own silence is not a change."""

from __future__ import annotations

import sqlite3
import threading

from orderupd_tui.db.connection import open_database
from orderupd_tui.services.changes import ChangeWatch


def write_elsewhere(db_url: str) -> None:
    """An event written by another connection, as another process would."""
    if db_url.startswith("sqlite"):
        other = sqlite3.connect(db_url.removeprefix("sqlite:///"))
        other.execute("INSERT INTO event (at, actor, action, detail) "
                      "VALUES ('2026-03-02 09:30:00', 'bob', 'accept', '')")
        other.commit()
        other.close()
        return
    import psycopg2

    base, _, options = db_url.partition("?")
    other = psycopg2.connect(base, options=options.removeprefix("options=").replace(
        "%3D", "="))
    other.autocommit = True
    with other.cursor() as cur:
        cur.execute("INSERT INTO event (at, actor, action, detail) "
                    "VALUES ('2026-03-02 09:30:00', 'bob', 'accept', '')")
    other.close()


def test_another_connections_write_is_seen_once(db_url: str) -> None:
    db = open_database(db_url)
    watch = ChangeWatch(db)
    assert watch.changed()  # the first look: whatever was read before may be stale
    assert not watch.changed()
    write_elsewhere(db_url)
    assert watch.changed()
    assert not watch.changed()
    watch.close()
    db.close()


def test_it_is_asked_from_worker_threads(db_url: str) -> None:
    """The app asks from its pool threads; each answer is about every write before it."""
    db = open_database(db_url)
    watch = ChangeWatch(db)
    answers: list[bool] = []

    def ask() -> None:
        answers.append(watch.changed())
        db.close()

    for _ in range(2):
        thread = threading.Thread(target=ask)
        thread.start()
        thread.join()
    write_elsewhere(db_url)
    thread = threading.Thread(target=ask)
    thread.start()
    thread.join()
    assert answers == [True, False, True]
    watch.close()
    db.close()

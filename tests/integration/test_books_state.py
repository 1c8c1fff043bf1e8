"""Each Inbox and Updates row says what the books hold for its order, on both databases.

Orders are posted to a real Beancount journal through the services and
reset by accept (keep or void) as a reviewer would; the rows are then read
through the same listing the app pages with.  The listing's plan is checked
too: the books columns are per-row subqueries on ``posting(order_id)``, and
must not take the sort's index away from the keyset page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from orderupd_tui.db.models import Order
from orderupd_tui.demo.process import DemoProcess
from orderupd_tui.domain.states import BooksState
from orderupd_tui.services import posting
from orderupd_tui.services.inbox import Inbox, OrderRow, View
from orderupd_tui.services.review import OK, review
from tests.integration.posting_support import (
    beancount_session,
    change_and_poll,
    demo_store,
    order_of,
    paid_ids,
    polled,
)


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with demo_store() as server:
        yield server


def row_of(inbox: Inbox, ref: str) -> OrderRow:
    found = inbox.orders(View()).find(order_of(ref).id)
    assert found is not None
    return found


def test_posted_kept_voided_and_unknown_show_in_the_rows(make_session, demo, tmp_path: Path):
    ledger = tmp_path / "books" / "orders.beancount"
    session = polled(beancount_session(make_session, ledger, on_reset="keep"))
    inbox = Inbox(session.db)
    ids = paid_ids(demo, 4)
    kept, voided, unknown, untouched = (f"main:{Order.get(Order.remote_id == str(i)).number}"
                                        for i in ids)
    assert posting.post(session, [kept, voided, unknown]).exit_code == OK

    posted = row_of(inbox, kept)
    assert posted.books == BooksState.POSTED and posted.kept_ref is None
    assert posted.accounting_ref == order_of(kept).accounting_ref
    assert row_of(inbox, untouched).books == BooksState.UNPOSTED

    # Accept with keep: unposted here, the document still in the books.
    document = order_of(kept).accounting_ref
    change_and_poll(demo, session, ids[0])
    update_row = inbox.updates(View()).find(order_of(kept).updates[0].id)
    assert update_row is not None and update_row.books == BooksState.POSTED
    assert review(session, [kept], "accept", confirmed=True,
                  void=posting.void_in_books).exit_code == OK
    row = row_of(inbox, kept)
    assert (row.books, row.kept_ref, row.accounting_state) == (BooksState.KEPT, document,
                                                               "unposted")

    # Accept with void: the document was voided in the books first.
    change_and_poll(demo, session, ids[1])
    assert review(session, [voided], "accept", confirmed=True, reset="void",
                  void=posting.void_in_books).exit_code == OK
    row = row_of(inbox, voided)
    assert (row.books, row.kept_ref) == (BooksState.VOIDED, None)

    # A post whose answer was lost.
    Order.update(accounting_state="unknown").where(Order.id == order_of(unknown).id).execute()
    assert row_of(inbox, unknown).books == BooksState.UNKNOWN

    # A forced repost over the kept document: posted again, and that is what the row says.
    assert posting.post(session, [kept], force=True).exit_code == OK
    row = row_of(inbox, kept)
    assert row.books == BooksState.POSTED and row.accounting_ref != document

    # Every page read (first, next, far end) carries the same states.
    listing = inbox.orders(View())
    pages = listing.after(None, 500) + listing.before(None, 5)
    states = {r.number: r.books for r in pages}
    assert states[order_of(voided).number] == BooksState.VOIDED


def test_the_books_columns_keep_the_sort_index(make_session, demo):
    session = polled(make_session())
    inbox = Inbox(session.db)
    listing = inbox.orders(View(sort="date"))
    plans: list[str] = []
    original = inbox.rows

    def explained(sql: str, params=()):  # the page SQL, explained before it is run
        if sql.startswith("SELECT o.id, s.name"):
            prefix = "EXPLAIN QUERY PLAN " if inbox.sqlite else "EXPLAIN "
            plans.append("\n".join(str(r[-1]) for r in original(prefix + sql, params)))
        return original(sql, params)

    inbox.rows = explained  # type: ignore[method-assign]
    if not inbox.sqlite:
        # A few hundred rows fit a page of disk: without this PostgreSQL would scan them all
        # whatever the indexes, which says nothing about millions.
        session.db.execute_sql("SET enable_seqscan = off")
    first = listing.after(None, 20)
    listing.after(first[-1].key, 20)
    assert len(plans) == 2
    for plan in plans:
        if isinstance(session.db, SqliteDatabase):
            assert " o USING INDEX orders_by_created" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
            assert "SEARCH p USING INDEX posting_order_id (order_id=?)" in plan, plan
        else:
            assert "orders_by_created" in plan, plan
            assert "Sort" not in plan.split("SubPlan")[0], plan
            assert "posting_order_id" in plan, plan

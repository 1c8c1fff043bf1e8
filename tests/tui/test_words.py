"""Pilot tests of what the rows and the detail say: books state, document ids, change labels.

Orders come from the demo store and are posted to a real Beancount journal;
resets (accept with keep or void) go through the review service, as the
CLI's would, and the app is then read as a reviewer sees it.
"""

from __future__ import annotations

from typing import Any

import pytest

from orderupd_tui.db.records import find
from orderupd_tui.demo.process import DemoProcess
from orderupd_tui.services import posting, sync
from orderupd_tui.services.inbox import ORDER_SORTS, UPDATE_SORTS
from orderupd_tui.services.review import OK, review
from orderupd_tui.services.session import Session
from orderupd_tui.tui.screens.detail import DetailScreen
from tests.tui.conftest import change_orders, post_order, quiet
from tests.tui.test_app import app_for, line, table, text_of

pytestmark = pytest.mark.anyio

WIDE, NARROW = (120, 36), (80, 24)


def row_line(app: Any, number: str, pane: str = "inbox") -> str:
    """The drawn line of the order with this number (the cells are right-aligned numbers)."""
    rows = table(app, pane).visible_rows()
    index = next(i for i, r in enumerate(rows) if r.number == number)
    return line(app, index + 1, pane)


def accounting_cell(app: Any, number: str) -> str:
    """The last column's text of the order's Inbox row (the scrollbar cell dropped)."""
    drawn = row_line(app, number)
    header = line(app, 0)
    start = header.index("Acc")
    return drawn[start:-1].strip()


def reset(demo: DemoProcess, session: Session, ref: str, how: str) -> None:
    """Post the order, change it in the store, and accept the change with ``how``."""
    post_order(session, ref)
    remote = find(ref).remote_id
    demo.control.change(int(remote), "edit_note")
    sync.poll_once(session)
    done = review(session, [ref], "accept", confirmed=True, reset=how,
                  void=posting.void_in_books)
    assert done.exit_code == OK, done.summary()


def editable(demo: DemoProcess, count: int) -> list[str]:
    """Orders that can take a store change, newest first: on the Inbox's first screen."""
    orders = sorted(demo.control.orders(eligible="edit_note"), key=lambda o: o["order_number"],
                    reverse=True)
    return [f"main:{o['order_number']}" for o in orders][:count]


async def test_inbox_rows_show_kept_and_voided(demo: DemoProcess, session: Session) -> None:
    kept, voided, posted = editable(demo, 3)
    reset(demo, session, kept, "keep")
    reset(demo, session, voided, "void")
    document = post_order(session, posted)
    kept_document = next(p["document_ref"] for p in _postings(kept))
    app = app_for(session)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        await quiet(app)
        kept_cell = accounting_cell(app, kept.split(":")[1])
        assert kept_cell.startswith("kept ")
        assert kept_document.endswith(kept_cell.removeprefix("kept …"))
        assert accounting_cell(app, voided.split(":")[1]) == "voided"
        posted_cell = accounting_cell(app, posted.split(":")[1])
        assert posted_cell.startswith("…") and document.endswith(posted_cell[1:])
        # The detail says the same word, and what it means.
        while table(app).current_row.number != kept.split(":")[1]:
            await pilot.press("j")
        await pilot.press("enter")
        await quiet(app)
        await pilot.pause()
        content = text_of(app.screen.query_one("#detail-content"))
        assert "kept: an earlier document stays in the books" in content
        assert f"{kept_document} kept: still in the books" in content


def _postings(ref: str) -> list[dict[str, Any]]:
    from orderupd_tui.services.queries import history_json

    return list(history_json(ref)["postings"])


@pytest.mark.parametrize("size", [WIDE, NARROW])
async def test_documents_of_similar_orders_look_different(demo: DemoProcess, session: Session,
                                                          size: tuple[int, int]) -> None:
    refs = editable(demo, 4)
    documents = [post_order(session, ref) for ref in refs]
    app = app_for(session)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await quiet(app)
        cells = [accounting_cell(app, ref.split(":")[1]) for ref in refs]
        assert len(set(cells)) == len(cells), cells
        for cell, document in zip(cells, documents, strict=True):
            # What is shown is the document's own tail, not the store and order it shares.
            assert len(cell) >= 6 and document.endswith(cell.lstrip("…")), (cell, document)


async def test_updates_say_changes_in_words(demo: DemoProcess, session: Session) -> None:
    [paid] = change_orders(demo, session, "capture_payment", 1)
    app = app_for(session)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await quiet(app)
        drawn = row_line(app, paid.split(":")[1], "updates")
        assert "Payment: " in drawn and "→ paid" in drawn
        assert "payment_status" not in drawn
        header = line(app, 0, "updates")
        assert "Customer" in header and "Changes" in header and "Accounting" in header


async def test_the_detail_merges_kind_and_field_and_diffs_lines(demo: DemoProcess,
                                                                 session: Session) -> None:
    [edited] = change_orders(demo, session, "edit_line", 1)
    app = app_for(session)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        await pilot.press("2")
        await quiet(app)
        rows = table(app, "updates").visible_rows()
        assert [r.ref for r in rows] == [edited]
        await pilot.press("enter")
        await quiet(app)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DetailScreen)
        content = text_of(screen.query_one("#detail-content"))
        diff = content[content.index("Pending update"):content.index("\nLines")]
        assert "Change" in diff and "Kind" not in diff and "Field" not in diff
        assert "Line items" in diff
        changed = [s.strip() for s in diff.splitlines() if s.strip().startswith("~ ")]
        assert len(changed) == 1 and ": qty " in changed[0] and "total " in changed[0], diff
        assert "line_items" not in diff and "payment_status" not in diff


@pytest.mark.parametrize(("pane", "sorts"), [("inbox", ORDER_SORTS), ("updates", UPDATE_SORTS)])
async def test_every_sort_names_a_shown_column(demo: DemoProcess, session: Session, pane: str,
                                               sorts: Any) -> None:
    change_orders(demo, session, "edit_note", 2)
    app = app_for(session)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        if pane == "updates":
            await pilot.press("2")
        seen = []
        for _ in sorts:
            await quiet(app)
            header = line(app, 0, pane)
            marked = [word for word in header.split() if word.endswith(("↓", "↑"))]
            assert len(marked) == 1, header
            seen.append(marked[0])
            await pilot.press("o")
        assert len(set(seen)) == len(sorts), seen

"""Pilot tests of the main screen's trust: live filtered views, marks, keys that say why not,
and keys handled in the order they arrive."""

from __future__ import annotations

from typing import Any

import pytest

from orderupd_tui.demo.process import DemoProcess
from orderupd_tui.services.session import Session
from tests.tui.conftest import change_orders
from tests.tui.test_app import SIZE, app_for, counts, main_of, settle, table

pytestmark = pytest.mark.anyio


def drawn(app: Any, pane: str) -> list[str]:
    """The rows the pane draws now, as their refs (placeholders and blanks left out)."""
    t = table(app, pane)
    rows = []
    for y in range(1, t.size.height):
        text = t.render_line(y).text.strip()
        if text and text != "…" and not text.startswith("no "):
            rows.append(text)
    return rows


async def test_a_filtered_pane_stays_live_across_polls(demo: DemoProcess,
                                                       session: Session) -> None:
    change_orders(demo, session, "edit_note", 1)
    app = app_for(session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2", "slash", "m", "a", "i", "n", "enter")
        await settle(pilot)
        assert len(drawn(app, "updates")) == 1
        for _ in range(2):
            for order in demo.control.orders(eligible="edit_note")[:2]:
                demo.control.change(order["id"], "edit_note")
            await pilot.press("s")
            await settle(pilot)
            await pilot.pause(0.5)
            await settle(pilot)
            updates = table(app, "updates")
            print(counts(app), drawn(app, "updates"))
            assert updates.total_exact
            assert len(drawn(app, "updates")) == updates.total
            assert f"updates shown {updates.total} /" in counts(app)

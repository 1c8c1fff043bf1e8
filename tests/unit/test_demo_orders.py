"""The demo store's orders: Shopify's shape and names, every status, totals that add up."""

from __future__ import annotations

import json
import random
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.demo.generator import FIRST_ORDER_NUMBER, generate_orders
from orderupd_tui.demo.mutations import CHANGE_KINDS
from orderupd_tui.demo.schedule import ChangeSchedule
from orderupd_tui.demo.state import DemoStore, OrderQuery, encode
from orderupd_tui.demo.totals import cents

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def orders() -> list[dict[str, Any]]:
    return generate_orders(1500, seed=7, now=NOW)


def adds_up(order: dict[str, Any]) -> bool:
    shipping = cents(order["total_shipping_price_set"]["shop_money"]["amount"])
    return (
        cents(order["subtotal_price"])
        == cents(order["total_line_items_price"]) - cents(order["total_discounts"])
        and cents(order["total_price"])
        == cents(order["total_line_items_price"]) - cents(order["total_discounts"])
        + shipping + cents(order["total_tax"])
        and cents(order["total_tax"]) == sum(cents(t["price"]) for t in order["tax_lines"])
        and cents(order["total_line_items_price"])
        == sum(cents(li["price"]) * li["quantity"] for li in order["line_items"])
    )


def test_same_seed_same_orders_and_another_seed_differs() -> None:
    first = generate_orders(50, seed=3, now=NOW)
    assert first == generate_orders(50, seed=3, now=NOW)
    assert first != generate_orders(50, seed=4, now=NOW)


def test_ids_rise_numbers_start_at_1001_and_times_fall_in_the_last_30_days(
    orders: list[dict[str, Any]],
) -> None:
    ids = [o["id"] for o in orders]
    assert ids == sorted(set(ids))
    assert [o["order_number"] for o in orders] == list(
        range(FIRST_ORDER_NUMBER, FIRST_ORDER_NUMBER + len(orders)))
    assert orders[0]["name"] == "#1001" and orders[0]["number"] == 1
    for order in orders:
        created = datetime.fromisoformat(order["created_at"])
        updated = datetime.fromisoformat(order["updated_at"])
        assert order["created_at"].endswith("-05:00")
        assert (NOW - created).days <= 30
        assert created <= updated < NOW


def test_every_status_appears(orders: list[dict[str, Any]]) -> None:
    financial = Counter(o["financial_status"] for o in orders)
    assert set(financial) == {"pending", "authorized", "partially_paid", "paid",
                              "partially_refunded", "refunded", "voided"}
    assert {o["fulfillment_status"] for o in orders} == {None, "partial", "fulfilled"}
    assert any(o["cancelled_at"] and o["cancel_reason"] for o in orders)
    assert any(o["closed_at"] for o in orders)
    assert any(o["customer"] is None for o in orders)
    assert any(o["discount_codes"] for o in orders)
    assert any(len(o["tax_lines"]) == 2 for o in orders)
    assert any(len(o["line_items"]) >= 3 for o in orders)


def test_totals_add_up_and_refunds_match_current_totals(orders: list[dict[str, Any]]) -> None:
    for order in orders:
        assert adds_up(order), order["name"]
        refunded = sum(cents(tx["amount"]) for r in order["refunds"] for tx in r["transactions"])
        if order["financial_status"] in ("paid", "partially_refunded", "refunded") and not (
            order["cancelled_at"]
        ):
            assert cents(order["current_total_price"]) == cents(order["total_price"]) - refunded
        if order["financial_status"] in ("partially_refunded", "refunded"):
            assert refunded > 0


def test_orders_weigh_about_3_kb(orders: list[dict[str, Any]]) -> None:
    sizes = [len(encode(o)) for o in orders]
    assert 2500 <= statistics.median(sizes) <= 3800


def _keys(value: Any, path: str, out: dict[str, set[str]]) -> None:
    """Every dict key found under each path (list items share their list's path)."""
    if isinstance(value, dict):
        out.setdefault(path, set()).update(value)
        for key, item in value.items():
            _keys(item, f"{path}.{key}", out)
    elif isinstance(value, list):
        for item in value:
            _keys(item, path, out)


def test_field_names_are_shopifys(orders: list[dict[str, Any]], fixtures_dir: Path) -> None:
    """No invented names: every key we send is one the published order payload has."""
    fixture = json.loads((fixtures_dir / "shopify" / "docs_2026-07_order_get_450789469.json")
                         .read_text(encoding="utf-8"))["order"]
    published: dict[str, set[str]] = {}
    _keys(fixture, "order", published)
    ours: dict[str, set[str]] = {}
    for order in orders:
        _keys(order, "order", ours)
    # The fixture has no order_adjustments (an empty list); their shape is Shopify's documented one.
    ours.pop("order.refunds.order_adjustments")
    for path, keys in ours.items():
        assert keys <= published.get(path, set()), (path, keys - published.get(path, set()))


@pytest.fixture
def store() -> DemoStore:
    return DemoStore(400, seed=5, clock=lambda: NOW.timestamp())


def test_select_matches_a_plain_filter_whatever_index_it_uses(store: DemoStore) -> None:
    rng = random.Random(1)
    summaries = store.summaries()
    entries = {s["id"]: store.get(s["id"]) for s in summaries}
    stamps = sorted(datetime.fromisoformat(o["updated_at"]).timestamp()
                    for o in entries.values() if o)
    for _ in range(60):
        low = rng.choice(stamps)
        query = OrderQuery(
            status=rng.choice(("open", "any", "closed", "cancelled")),
            updated_min=low if rng.random() < 0.8 else None,
            updated_max=rng.choice(stamps) if rng.random() < 0.3 else None,
            since_id=rng.choice([0, summaries[100]["id"]]),
        )
        expected = [s["id"] for s in summaries if _plain_match(query, entries[s["id"]])]
        got: list[int] = []
        after = 0
        while True:
            page = store.select(query, 37, after=after)
            got += page.ids
            if not page.more_after:
                break
            after = page.ids[-1]
        assert got == expected
        assert store.count(query) == len(expected)


def _plain_match(query: OrderQuery, order: dict[str, Any] | None) -> bool:
    assert order is not None
    updated = datetime.fromisoformat(order["updated_at"]).timestamp()
    status_ok = {
        "any": True,
        "open": not order["cancelled_at"] and not order["closed_at"],
        "closed": bool(order["closed_at"]),
        "cancelled": bool(order["cancelled_at"]),
    }[query.status]
    return (status_ok and order["id"] > query.since_id
            and (query.updated_min is None or updated >= query.updated_min)
            and (query.updated_max is None or updated <= query.updated_max))


@pytest.mark.parametrize("kind", CHANGE_KINDS)
def test_each_change_keeps_the_order_adding_up(store: DemoStore, kind: str) -> None:
    for order_id in store.eligible(kind, limit=25):
        assert adds_up(store.change(order_id, kind))


def test_schedule_replays_the_same_changes_for_the_same_seed() -> None:
    def run() -> list[tuple[str, int]]:
        store = DemoStore(300, seed=9, clock=lambda: NOW.timestamp())
        schedule = ChangeSchedule(store, 1.0, seed=9)
        done = [schedule.apply_next() for _ in range(12)]
        return [(kind, order["id"]) for kind, order in filter(None, done)]

    first = run()
    assert len(first) == 12
    assert {kind for kind, _ in first} >= {"capture_payment", "fulfil", "cancel", "refund",
                                           "edit_address", "edit_line"}
    assert first == run()

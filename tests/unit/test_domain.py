"""The pure core: money, digests, diffs mapped to change kinds, and rule matching."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.domain.order import Address, LineItem, NormalizedOrder, money
from orderupd_tui.domain.rules import Rule, choose

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def order(**changes: object) -> NormalizedOrder:
    base = NormalizedOrder(
        remote_id="1", number="1001", created_at=T0, updated_at=T0, currency="USD",
        total=Decimal("110.00"), subtotal=Decimal("100.00"), tax=Decimal("10.00"),
        payment_status="pending", fulfillment_status="unfulfilled", platform_status="pending",
        customer="Ada Lovelace", email="ada@example.com",
        line_items=(LineItem("SKU-1", "Widget", 2, Decimal("50.00"), Decimal("100.00")),),
        shipping_address=Address(name="Ada", line1="1 Main St", city="London", country="GB"),
    )
    return replace(base, **changes)


def test_money_is_exact_from_strings_floats_and_four_decimals():
    assert money("19.9900") == Decimal("19.99")
    assert money(19.99) == Decimal("19.99")
    assert money(0.1 + 0.2) == Decimal("0.30")
    assert money(None) == Decimal("0.00")
    with pytest.raises(ValueError, match="not an amount"):
        money("ten")


def test_digest_ignores_updated_at_and_round_trips():
    a = order()
    assert a.digest() == replace(a, updated_at=T0 + timedelta(hours=1)).digest()
    assert a.digest() != replace(a, note="gift").digest()
    assert NormalizedOrder.from_dict(a.to_dict()) == a
    assert NormalizedOrder.from_dict(a.to_dict()).digest() == a.digest()


def test_unnormalized_status_is_rejected():
    with pytest.raises(ValueError, match="payment_status"):
        order(payment_status="PAID")


@pytest.mark.parametrize(
    ("changes", "kinds"),
    [
        ({"payment_status": "paid", "platform_status": "paid"}, ["payment_status"]),
        ({"platform_status": "on-hold"}, ["order_status"]),
        ({"fulfillment_status": "fulfilled"}, ["fulfillment_status"]),
        ({"order_status": "cancelled"}, ["cancelled"]),
        ({"total": Decimal("99.00"), "refunded": Decimal("11.00")}, ["totals"]),
        ({"line_items": ()}, ["line_items"]),
        ({"shipping_address": Address(name="Ada", line1="2 High St")}, ["shipping_address"]),
        ({"billing_address": Address(name="Ada")}, ["billing_address"]),
        ({"email": "ada@example.org"}, ["customer"]),
        ({"note": "leave at door"}, ["note"]),
        ({"updated_at": T0 + timedelta(days=1)}, []),
    ],
)
def test_diff_maps_fields_to_kinds(changes, kinds):
    assert kinds_of(diff(order(), order(**changes))) == kinds


def test_diff_renders_old_and_new():
    (change,) = diff(order(), order(payment_status="paid"))
    assert (change.field, change.old, change.new) == ("payment_status", "pending", "paid")


def test_rules_first_match_wins_and_posted_needs_consent():
    rules = [
        Rule(0, frozenset({"fulfillment_status"}), "accept"),
        Rule(1, frozenset({"fulfillment_status", "payment_status"}), "ignore", posted="any"),
    ]
    assert choose(rules, ["fulfillment_status"], posted=False).index == 0
    assert choose(rules, ["fulfillment_status"], posted=True).index == 1
    assert choose(rules, ["payment_status", "totals"], posted=False) is None
    only_posted = [Rule(0, frozenset({"totals"}), "review", posted="true")]
    assert choose(only_posted, ["totals"], posted=False) is None

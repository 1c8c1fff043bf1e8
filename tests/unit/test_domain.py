"""The pure core: money, digests, diffs mapped to change kinds, and rule matching."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from orderupd_tui.domain.changes import diff, kinds_of
from orderupd_tui.domain.currency import minor_unit
from orderupd_tui.domain.order import (
    Address,
    LineItem,
    NormalizedOrder,
    UnreadableField,
    currency_code,
    money,
    money_or_zero,
    quantity,
    rounded,
)
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
    assert money("19.9900", "USD") == Decimal("19.99")
    assert money(19.99, "USD") == Decimal("19.99")
    assert money(0.1 + 0.2, "USD") == Decimal("0.30")
    assert money_or_zero(None, "USD") == Decimal("0.00")
    with pytest.raises(UnreadableField, match=r"^total: 'ten' is not a finite number$"):
        money("ten", "USD", "total")


@pytest.mark.parametrize(("value", "currency", "expected"), [
    ("12.345", "KWD", "12.345"),
    ("12.3456", "KWD", "12.346"),
    (12.345, "BHD", "12.345"),
    ("1500", "JPY", "1500"),
    ("1500.00", "JPY", "1500"),
    (1500.4, "JPY", "1500"),
    ("19.9", "EUR", "19.90"),
    ("1500.50", "HUF", "1500.50"),  # ISO keeps 2 decimals where CLDR shows none
    ("7.125", "IQD", "7.125"),
    ("-5", "USD", "-5.00"),
    ("1e3", "USD", "1000.00"),
])
def test_money_takes_the_precision_of_its_currency(value, currency, expected):
    amount = money(value, currency)
    assert str(amount) == expected


@pytest.mark.parametrize(("value", "problem"), [
    ("NaN", "'NaN' is not a finite number"),
    ("nan", "'nan' is not a finite number"),
    (float("nan"), "nan is not a finite number"),
    ("Infinity", "'Infinity' is not a finite number"),
    (float("-inf"), "-inf is not a finite number"),
    ("sNaN", "'sNaN' is not a finite number"),
    ("1_000", "'1_000' is not a finite number"),
    ("12,50", "'12,50' is not a finite number"),
    ("", "missing"),
    (None, "missing"),
    (True, "True is not a number"),
    ([1], "[1] is not a number"),
    ({"amount": "1"}, "{'amount': '1'} is not a number"),
    (1e20, "1e+20 is out of range (amounts are below 1,000,000,000,000)"),
    ("1000000000000", "'1000000000000' is out of range (amounts are below 1,000,000,000,000)"),
    ("1e999999999", "'1e999999999' is out of range (amounts are below 1,000,000,000,000)"),
])
def test_unreadable_money_names_the_field(value, problem):
    with pytest.raises(UnreadableField) as caught:
        money(value, "USD", "total")
    assert (caught.value.field, caught.value.problem) == ("total", problem)
    assert str(caught.value) == f"total: {problem}"


@pytest.mark.parametrize("code", ["EURO", "XAU", "XXX", "", None, 978, "US"])
def test_an_unknown_currency_is_unreadable(code):
    with pytest.raises(UnreadableField, match=r"^currency: "):
        currency_code(code)
    with pytest.raises(UnreadableField, match=r"^total: "):
        money("1.00", str(code), "total")


def test_currency_codes_are_read_in_any_case_and_checked_against_iso_4217():
    assert currency_code(" kwd ") == "KWD"
    assert (minor_unit("KWD"), minor_unit("JPY"), minor_unit("USD")) == (3, 0, 2)


@pytest.mark.parametrize(("value", "expected"), [
    (2, "2"), ("2", "2"), ("2.0", "2"), ("2.000", "2"), (1.5, "1.5"), ("1.50", "1.5"),
    ("0.125", "0.125"), ("100", "100"), ("1E+2", "100"),
])
def test_quantities_are_exact_and_print_without_trailing_zeros(value, expected):
    assert str(quantity(value)) == expected


def test_a_line_given_an_int_quantity_holds_a_decimal():
    line = LineItem("S", "Widget", 3, Decimal("1.00"), Decimal("3.00"))  # type: ignore[arg-type]
    assert isinstance(line.quantity, Decimal) and str(line.quantity) == "3"


def test_fractional_quantities_survive_storage_and_are_diffed():
    kilo = LineItem("APL", "Apples (kg)", Decimal("1.5"), Decimal("4.00"), Decimal("6.00"))
    a = order(line_items=(kilo,))
    stored = NormalizedOrder.from_dict(json.loads(json.dumps(a.to_dict())))
    assert stored.line_items[0].quantity == Decimal("1.5")
    assert stored.digest() == a.digest() and diff(a, stored) == []
    more = order(line_items=(replace(kilo, quantity=Decimal("1.7")),))
    (change,) = diff(a, more)
    assert (change.kind, change.old, change.new) == (
        "line_items", "1.5 x APL @ 4.00", "1.7 x APL @ 4.00")
    assert a.digest() != more.digest()


def test_whole_quantities_keep_the_digest_they_had_as_ints():
    """Orders stored before quantities were decimals are not all rewritten by the next poll."""
    a = order()
    fields = [
        a.remote_id, a.number, a.created_at.isoformat(), a.currency, a.total, a.subtotal, a.tax,
        a.shipping, a.discount, a.refunded, a.payment_status, a.fulfillment_status,
        a.order_status, a.platform_status, a.customer, a.email, a.note,
        [("SKU-1", "Widget", 2, Decimal("50.00"), Decimal("100.00"))],
        a.shipping_address and (a.shipping_address.name, a.shipping_address.company,
                                a.shipping_address.line1, a.shipping_address.line2,
                                a.shipping_address.city, a.shipping_address.region,
                                a.shipping_address.postal_code, a.shipping_address.country,
                                a.shipping_address.phone),
        None,
    ]
    assert a.digest() == hashlib.blake2b(repr(fields).encode(), digest_size=16).hexdigest()


def test_stored_int_quantities_read_back():
    data = order().to_dict()
    data["line_items"][0]["quantity"] = 2  # as stored before quantities were decimals
    assert NormalizedOrder.from_dict(data) == order()


def test_rounded_follows_the_currency_and_leaves_what_it_cannot_round():
    assert str(rounded(Decimal("12.345"), "KWD")) == "12.345"
    assert str(rounded(Decimal("1500.00"), "JPY")) == "1500"
    assert str(rounded(Decimal("99.000"), "USD")) == "99.00"
    assert str(rounded(Decimal("5.5"), "EURO")) == "5.5"
    assert not rounded(Decimal("NaN"), "USD").is_finite()


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

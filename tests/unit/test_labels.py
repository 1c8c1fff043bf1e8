"""The words people read for changes, line items and documents (domain/labels.py)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from orderupd_tui.domain import labels
from orderupd_tui.domain.changes import CHANGE_KINDS, FIELD_KINDS, diff
from orderupd_tui.domain.labels import TIMES as X
from orderupd_tui.domain.labels import LineDelta, line_diff
from orderupd_tui.domain.order import LineItem
from tests.unit.test_domain import order as make_order


def line(sku: str | None, title: str | None, quantity: object, total: object,
         price: object = "12.00") -> dict[str, object]:
    return {"sku": sku, "title": title, "quantity": quantity, "unit_price": price,
            "total": total}


def texts(changes: list[labels.LineChange]) -> list[str]:
    return [str(c) for c in changes]


def test_every_kind_and_field_has_a_label_of_words() -> None:
    for name in (*CHANGE_KINDS, *FIELD_KINDS):
        label = labels.field_label(name)
        assert "_" not in label and label[0].isupper(), name
    assert labels.kind_label("fulfillment_status") == "Fulfilment"
    assert labels.kind_label("payment_status") == "Payment"


def test_a_status_change_reads_as_words() -> None:
    change = {"kind": "payment_status", "field": "payment_status",
              "old": "partially_paid", "new": "paid"}
    assert labels.change_label(change) == "Payment: partially paid → paid"
    # The field names the change, not the kind: a refund total is "Refunded", not "Totals".
    refund = {"kind": "totals", "field": "refunded", "old": "0.00", "new": "22.35"}
    assert labels.change_label(refund) == "Refunded: 0.00 → 22.35"
    assert labels.change_label({"kind": "customer", "field": "email", "old": "",
                                "new": "a@example.com"}) == "Email: — → a@example.com"


def test_a_summary_of_a_real_diff() -> None:
    old = make_order()
    new = replace(old, payment_status="refunded", order_status="cancelled",
                  note="leave at the door")
    changes = [c.to_dict() for c in diff(old, new)]
    text = labels.summary(changes)
    assert text.startswith("Payment: ")
    assert "→ refunded" in text and "Cancelled" in text and "Note changed" in text
    assert "payment_status" not in text and "_" not in text


def test_un_cancelling_is_said_so() -> None:
    change = {"kind": "cancelled", "field": "cancelled", "old": "yes", "new": "no"}
    assert labels.summary([change, change]) == "Un-cancelled"


def test_line_diff_added_removed_and_changed() -> None:
    old = [line("MUG-1", "Blue mug", "1", "12.00"), line("TEA-9", "Green tea", "3", "9.00")]
    new = [line("MUG-1", "Blue mug", "2", "24.00"), line("CUP-2", "Red cup", "1.5", "7.50")]
    assert texts(line_diff(old, new)) == [
        "~ Blue mug: qty 1 → 2, total 12.00 → 24.00",
        f"+ 1.5 {X} Red cup (CUP-2) 7.50",
        f"- 3 {X} Green tea (TEA-9) 9.00",
    ]


def test_equal_quantities_written_differently_are_no_change() -> None:
    assert line_diff([line("A", "Apple", "2.000", "4.00")], [line("A", "Apple", "2", "4.00")]) \
        == []
    assert labels.quantity_label("1.50") == "1.5"
    assert labels.quantity_label(Decimal("10")) == "10"


def test_a_repeated_sku_pairs_the_unchanged_line_first() -> None:
    # Two lines of the same SKU (say, engraved differently); the second one changes.
    old = [line("MUG-1", "Blue mug", "1", "12.00"), line("MUG-1", "Blue mug", "3", "36.00")]
    new = [line("MUG-1", "Blue mug", "3", "36.00"), line("MUG-1", "Blue mug", "4", "48.00")]
    assert texts(line_diff(old, new)) == ["~ Blue mug: qty 1 → 4, total 12.00 → 48.00"]
    # One of the two removed: one line goes, not two changes.
    assert texts(line_diff(old, old[1:])) == [f"- 1 {X} Blue mug (MUG-1) 12.00"]


def test_lines_without_sku_are_known_by_name_and_nulls_are_dashes() -> None:
    old = [line(None, "Gift wrap", "1", "2.00"), line("", None, None, None)]
    new = [line("", "Gift wrap", "1", "3.00", price="3.00"), line(None, None, "1", "5.00")]
    assert texts(line_diff(old, new)) == [
        "~ Gift wrap: price 12.00 → 3.00, total 2.00 → 3.00",
        "~ (unnamed line): qty — → 1, total — → 5.00",
    ]
    assert texts(line_diff(None, [line("X", "", "2", None)])) == [f"+ 2 {X} X"]
    assert line_diff([line("X", "", "2", None)], None)[0].delta == LineDelta.REMOVED


def test_a_renamed_line_of_the_same_sku_is_a_change() -> None:
    old = [line("MUG-1", "Blue mug", "1", "12.00")]
    new = [line("MUG-1", "Navy mug", "1", "12.00")]
    assert texts(line_diff(old, new)) == ["~ Navy mug: name Blue mug → Navy mug"]


def test_line_diff_of_normalized_orders() -> None:
    old = make_order()
    added = LineItem("TOTE-BLK", "Canvas Tote", Decimal("1.5"), Decimal("2.00"), Decimal("3.00"))
    new = replace(old, line_items=(*old.line_items, added))
    changes = line_diff(old.to_dict()["line_items"], new.to_dict()["line_items"])
    assert texts(changes) == [f"+ 1.5 {X} Canvas Tote (TOTE-BLK) 3.00"]


def test_document_ids_keep_what_tells_them_apart() -> None:
    one, two = "shop-1300-97a1350469", "shop-1300-f3c02d9e11"
    for width in (6, 9, 11, 16):
        a = labels.document_label(one, "shop", "1300", width)
        b = labels.document_label(two, "shop", "1300", width)
        assert a != b and len(a) <= width and a.startswith("…"), (width, a, b)
    assert labels.document_label(one, "shop", "1300", 16) == "…97a1350469"
    # Another backend's id: the middle goes, the head and the tail stay.
    xero = "Invoice:0f8fad5b-d9cb-469f-a165-70867728950e"
    assert labels.document_label(xero, "shop", "1300", 12) == "Inv…7728950e"
    assert labels.document_label("INV-0418", "shop", "1300", 12) == "INV-0418"
    # A store name the posting id had to make safe ("my shop" -> "my-shop").
    assert labels.document_label("my-shop-7-abc", "my shop", "7", 10) == "…abc"

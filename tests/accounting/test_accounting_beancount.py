"""The Beancount ledger: append-only postings and voids, status read back, bean-check clean."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orderupd_tui.accounting.base import (
    AccountingConfigError,
    AccountingError,
    DocumentGone,
    make_backend,
)
from orderupd_tui.accounting.beancount import BeancountLedger
from tests.accounting.conftest import MakeOrder

BeanCheck = Callable[[Path], None]


def _block(text: str, posting_id: str) -> str:
    """The transaction holding ``posting_id``, with its trailing blank line."""
    start = text.index(f'  posting_id: "{posting_id}"')
    start = text.rindex("\n\n", 0, start) + 2
    end = text.index("\n\n", start) + 2
    return text[start:end]


def test_post_appends_one_balanced_transaction_with_metadata_and_link(
        ledger_path: Path, make_order: MakeOrder, bean_check: BeanCheck) -> None:
    ledger = BeancountLedger(ledger_path)
    ref = ledger.post(make_order(), "main:1001", "p-1")
    assert ref == "p-1"
    bean_check(ledger_path)
    text = ledger_path.read_text()
    assert text.count('option "operating_currency" "USD"') == 1
    assert "1970-01-01 open Assets:Receivable:Orders" in text
    block = _block(text, "p-1")
    assert block.startswith('2026-01-05 * "Jane Doe" "Order main:1001" ^posting-p-1\n')
    assert '  order_ref: "main:1001"\n' in block
    assert "Assets:Receivable:Orders" in block and "113.45 USD" in block
    assert "-100.00 USD" in block and "-10.00 USD" in block and "-8.45 USD" in block
    assert "Income:Discounts" in block and " 5.00 USD" in block
    assert ledger.status("p-1") == "posted"


def test_posting_the_same_id_twice_appends_once(
        ledger_path: Path, make_order: MakeOrder, bean_check: BeanCheck) -> None:
    ledger = BeancountLedger(ledger_path)
    ledger.post(make_order(), "main:1001", "p-1")
    again = BeancountLedger(ledger_path)  # another process, same posting retried
    assert again.post(make_order(), "main:1001", "p-1") == "p-1"
    assert ledger_path.read_text().count('posting_id: "p-1"') == 1
    bean_check(ledger_path)


def test_void_appends_a_reversal_and_rewrites_nothing(
        ledger_path: Path, make_order: MakeOrder, bean_check: BeanCheck) -> None:
    ledger = BeancountLedger(ledger_path, today=lambda: date(2026, 2, 1))
    ledger.post(make_order(), "main:1001", "p-1")
    ledger.post(make_order("1002", total=Decimal("20.00"), tax=Decimal(0),
                           shipping=Decimal(0), discount=Decimal(0)), "main:1002", "p-2")
    before = ledger_path.read_text()
    ledger.void("p-1")
    after = ledger_path.read_text()
    assert after.startswith(before)
    reversal = after[len(before):]
    assert reversal.startswith('2026-02-01 * "Void of order main:1001" ^posting-p-1\n')
    assert '  voids: "p-1"\n' in reversal
    assert "-113.45 USD" in reversal and "100.00 USD" in reversal and "-5.00 USD" in reversal
    assert ledger.statuses(["p-1", "p-2"]) == {"p-1": "voided", "p-2": "posted"}
    bean_check(ledger_path)
    ledger.void("p-1")
    assert ledger_path.read_text() == after


def test_a_transaction_deleted_by_hand_is_missing(
        ledger_path: Path, make_order: MakeOrder, bean_check: BeanCheck) -> None:
    ledger = BeancountLedger(ledger_path)
    ledger.post(make_order(), "main:1001", "p-1")
    ledger.post(make_order("1002"), "main:1002", "p-2")
    assert ledger.status("p-1") == "posted"
    text = ledger_path.read_text()
    ledger_path.write_text(text.replace(_block(text, "p-1"), ""))
    bean_check(ledger_path)
    assert ledger.statuses(["p-1", "p-2"]) == {"p-1": "missing", "p-2": "posted"}
    assert ledger.find("main:1001", make_order(), "p-1") is None
    with pytest.raises(DocumentGone, match="p-1"):
        ledger.void("p-1")


def test_a_deletion_hidden_by_a_later_append_is_noticed(
        ledger_path: Path, make_order: MakeOrder) -> None:
    ledger = BeancountLedger(ledger_path)
    ledger.post(make_order(), "main:1001", "p-1")
    ledger.post(make_order("1002"), "main:1002", "p-2")
    assert ledger.status("p-2") == "posted"
    text = ledger_path.read_text()
    block = _block(text, "p-2")
    padding = "; " + "x" * (2 * len(block)) + "\n"
    ledger_path.write_text(text.replace(block, "") + padding)  # the file grew all the same
    assert ledger.status("p-2") == "missing"
    assert ledger.status("p-1") == "posted"


def test_an_edit_in_place_of_the_same_size_is_noticed(
        ledger_path: Path, make_order: MakeOrder) -> None:
    ledger = BeancountLedger(ledger_path)
    ledger.post(make_order(), "main:1001", "p-1")
    assert ledger.status("p-1") == "posted"
    stat = ledger_path.stat()
    ledger_path.write_text(ledger_path.read_text().replace('"p-1"', '"p-9"'))
    os.utime(ledger_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert ledger_path.stat().st_size == stat.st_size
    assert ledger.statuses(["p-1", "p-9"]) == {"p-1": "missing", "p-9": "posted"}


def test_status_reads_only_what_was_appended(ledger_path: Path, make_order: MakeOrder) -> None:
    writer = BeancountLedger(ledger_path)
    for n in range(200):
        writer.post(make_order(str(1000 + n)), f"main:{1000 + n}", f"p-{n}")
    reader = BeancountLedger(ledger_path)
    refs = [f"p-{n}" for n in range(200)]
    assert set(reader.statuses(refs).values()) == {"posted"}
    assert reader.last_read == ledger_path.stat().st_size
    reader.statuses(refs)
    assert reader.last_read == 0
    writer.void("p-7")
    result = reader.statuses(refs)
    assert result["p-7"] == "voided"
    assert 0 < reader.last_read < 1000


def test_a_ledger_without_the_accounts_gets_them_opened(
        ledger_path: Path, make_order: MakeOrder, bean_check: BeanCheck) -> None:
    ledger_path.parent.mkdir(parents=True)
    ledger_path.write_text('option "operating_currency" "EUR"\n'
                           "2020-01-01 open Assets:Bank\n"
                           "2020-01-01 open Income:Sales")  # the user's, no final newline
    BeancountLedger(ledger_path).post(make_order(), "main:1001", "p-1")
    text = ledger_path.read_text()
    assert "1970-01-01 open Income:Shipping" in text
    assert "1970-01-01 open Income:Sales" not in text
    bean_check(ledger_path)


def test_a_ledger_with_includes_is_trusted_with_its_opens(
        ledger_path: Path, make_order: MakeOrder, bean_check: BeanCheck) -> None:
    ledger_path.parent.mkdir(parents=True)
    opens = "".join(f"2000-01-01 open {a}\n" for a in (
        "Assets:Receivable:Orders", "Income:Sales", "Income:Shipping", "Liabilities:SalesTax",
        "Income:Discounts"))
    (ledger_path.parent / "accounts.beancount").write_text(opens)
    ledger_path.write_text('include "accounts.beancount"\n')
    BeancountLedger(ledger_path).post(make_order(), "main:1001", "p-1")
    assert " open " not in ledger_path.read_text()
    bean_check(ledger_path)


def test_accounts_and_currency_come_from_the_config(
        ledger_path: Path, make_order: MakeOrder, bean_check: BeanCheck) -> None:
    backend = make_backend({"backend": "beancount", "path": str(ledger_path), "on_reset": "ask",
                            "operating_currency": "CAD",
                            "accounts": {"sales": "Income:Shop:Sales",
                                         "receivable": "Assets:Stripe"}})
    assert backend is not None
    backend.post(make_order(), "main:1001", "p-1")
    text = ledger_path.read_text()
    assert 'option "operating_currency" "CAD"' in text
    assert "open Income:Shop:Sales" in text and "open Assets:Stripe" in text
    assert "  Income:Shop:Sales " in _block(text, "p-1")
    bean_check(ledger_path)


@pytest.mark.parametrize(("settings", "message"), [
    ({"accounts": {"sales": "sales"}}, "accounting.accounts.sales: 'sales' is not a Beancount"),
    ({"accounts": {"fees": "Expenses:Fees"}}, "accounting.accounts.fees: unknown role"),
    ({"ledger": "x"}, "accounting.ledger: unknown key for the beancount backend"),
    ({"operating_currency": "usd"}, "accounting.operating_currency: 'usd' is not a currency"),
])
def test_bad_settings_name_the_key(tmp_path: Path, settings: dict[str, object],
                                   message: str) -> None:
    with pytest.raises(AccountingConfigError) as caught:
        make_backend({"backend": "beancount", "path": str(tmp_path / "x.beancount"), **settings})
    assert str(caught.value).startswith(message)


def test_awkward_orders_still_make_a_valid_ledger(
        ledger_path: Path, make_order: MakeOrder, bean_check: BeanCheck) -> None:
    ledger = BeancountLedger(ledger_path)
    ledger.post(make_order(customer='Zoë "Z" O\\Brien\nLtd'), "main:1001", "p-1")
    ledger.post(make_order("1002", currency="JPY", total=Decimal("5000.00"),
                           subtotal=Decimal("4800.00")), "main:1002", "p-2")
    ledger.post(make_order("1003", total=Decimal("0.00"), subtotal=Decimal(0), tax=Decimal(0),
                           shipping=Decimal(0), discount=Decimal(0), customer=""),
                "main:1003", "p-3")
    ledger.void("p-2")
    assert ledger.statuses(["p-1", "p-2", "p-3"]) == {"p-1": "posted", "p-2": "voided",
                                                      "p-3": "posted"}
    bean_check(ledger_path)
    with pytest.raises(AccountingError, match="posting id"):
        ledger.post(make_order(), "main:1001", 'bad "id"')


def test_a_missing_ledger_has_no_postings(tmp_path: Path) -> None:
    ledger = BeancountLedger(tmp_path / "none.beancount")
    assert ledger.statuses(["p-1"]) == {"p-1": "missing"}


_WORKER = textwrap.dedent("""
    import sys
    from datetime import UTC, datetime
    from decimal import Decimal
    from pathlib import Path
    from orderupd_tui.accounting.beancount import BeancountLedger
    from orderupd_tui.domain.order import NormalizedOrder
    path, who = Path(sys.argv[1]), sys.argv[2]
    ledger = BeancountLedger(path)
    when = datetime(2026, 1, 5, tzinfo=UTC)
    for n in range(150):
        order = NormalizedOrder(remote_id=str(n), number=str(n), created_at=when,
                                updated_at=when, currency="USD", total=Decimal("12.50"),
                                shipping=Decimal("2.50"))
        ledger.post(order, f"{who}:{n}", f"{who}-{n}")
        if n % 10 == 0:
            ledger.void(f"{who}-{n}")
""")


def test_two_processes_writing_at_once_make_one_valid_ledger(
        ledger_path: Path, bean_check: BeanCheck) -> None:
    workers = [subprocess.Popen([sys.executable, "-c", _WORKER, str(ledger_path), who])
               for who in ("a", "b")]
    assert [w.wait(timeout=120) for w in workers] == [0, 0]
    bean_check(ledger_path)
    text = ledger_path.read_text()
    assert text.count("option ") == 1
    assert text.count("posting_id: ") == 300
    assert text.count("voids: ") == 30
    ledger = BeancountLedger(ledger_path)
    refs = [f"{who}-{n}" for who in "ab" for n in range(150)]
    result = ledger.statuses(refs)
    assert [r for r in refs if result[r] == "voided"] == [
        f"{who}-{n}" for who in "ab" for n in range(0, 150, 10)]


def test_a_posting_edited_beyond_reversal_is_refused(
        ledger_path: Path, make_order: MakeOrder) -> None:
    ledger = BeancountLedger(ledger_path)
    ledger.post(make_order(), "main:1001", "p-1")
    text = ledger_path.read_text()
    ledger_path.write_text(text.replace("  Income:Discounts ", "  ! Income:Discounts "))
    with pytest.raises(AccountingError, match="void it by hand"):
        ledger.void("p-1")
    assert ledger.status("p-1") == "posted"

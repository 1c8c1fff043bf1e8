"""The ``accounting:`` section: every key a backend reads is accepted and checked at load time."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderupd_tui.config import ConfigError, load

QUICKBOOKS = """\
accounting:
  backend: quickbooks
  realm_id: "9130355555555555"
  token: ${QBO_TOKEN}
  item_ref: "1"
  customer_ref: "1"
  minorversion: "75"
  shipping_item_ref: "2"
  tax_item_ref: "3"
  timeout: 20
  on_reset: void
"""

XERO = """\
accounting:
  backend: xero
  tenant_id: tenant
  token: ${XERO_TOKEN}
  account_code: "200"
  contact_name: Online store customers
  shipping_account_code: "210"
  tax_account_code: "820"
  tax_type: OUTPUT2
  timeout: 15
"""

BEANCOUNT = """\
accounting:
  path: books/orders.beancount
  operating_currency: EUR
  accounts:
    sales: Income:Shop:Sales
    receivable: Assets:Stripe
"""


def load_text(tmp_path: Path, text: str):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return load(path)


def test_every_backend_key_is_accepted(tmp_path, monkeypatch):
    monkeypatch.setenv("QBO_TOKEN", "qbo-secret")
    monkeypatch.setenv("XERO_TOKEN", "xero-secret")
    qbo = load_text(tmp_path, QUICKBOOKS).accounting
    assert (qbo.backend, qbo.on_reset, qbo.options["tax_item_ref"]) == ("quickbooks", "void", "3")
    assert qbo.secrets() == ["qbo-secret"] and "qbo-secret" not in repr(qbo)
    xero = load_text(tmp_path, XERO).accounting
    assert xero.options["tax_type"] == "OUTPUT2" and xero.options["timeout"] == 15
    beancount = load_text(tmp_path, BEANCOUNT).accounting
    assert beancount.options["accounts"]["sales"] == "Income:Shop:Sales"
    assert beancount.options["path"] == str(tmp_path.resolve() / "books/orders.beancount")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (QUICKBOOKS.replace('  item_ref: "1"\n', ""),
         "accounting.item_ref: required for the quickbooks backend"),
        (QUICKBOOKS.replace("timeout: 20", "timeout: soon"),
         "accounting.timeout: expected a positive number of seconds"),
        (QUICKBOOKS.replace("  on_reset: void\n", "  document: receipt\n"),
         "accounting.document: 'receipt' is not one of auto, sales_receipt, invoice"),
        (XERO.replace("  contact_name: Online store customers\n", ""),
         "accounting.contact_name: required for the xero backend"),
        (XERO.replace("  tax_type: OUTPUT2\n", "  item_ref: '1'\n"),
         "accounting.item_ref: unknown key"),
        (BEANCOUNT.replace("Income:Shop:Sales", "sales"),
         "accounting.accounts.sales: 'sales' is not a Beancount account name"),
        (BEANCOUNT.replace("    receivable:", "    bank:"),
         "accounting.accounts.bank: unknown role"),
        (BEANCOUNT.replace("EUR", "euro"),
         "accounting.operating_currency: 'euro' is not a currency"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_key_and_the_file(tmp_path, monkeypatch, text,
                                                             expected):
    monkeypatch.setenv("QBO_TOKEN", "qbo-secret")
    monkeypatch.setenv("XERO_TOKEN", "xero-secret")
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(expected) and message.endswith("(config.yaml)")
    assert "\n" not in message and "secret" not in message

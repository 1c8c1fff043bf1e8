"""The accounting backends; importing the package makes each one known to ``make_backend``."""

from orderupd_tui.accounting import base, beancount, quickbooks, xero

base.FACTORIES.update(
    beancount=beancount.BeancountLedger.from_options,
    quickbooks=quickbooks.QuickBooksBackend.from_options,
    xero=xero.XeroBackend.from_options,
)

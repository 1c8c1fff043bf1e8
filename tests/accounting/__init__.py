"""Accounting backends against a real ledger and fake QuickBooks and Xero servers."""

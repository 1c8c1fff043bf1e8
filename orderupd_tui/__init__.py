"""orderupd-tui: review online-store orders and their updates before they reach the books."""

__version__ = "0.1.0"

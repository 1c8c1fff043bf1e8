"""Currencies as ISO 4217 defines them: which codes exist, and how many decimals each has.

The table is the ``iso4217`` package, a copy of the list the ISO 4217
maintenance agency publishes, with its minor units (JPY 0, USD 2, KWD 3).
CLDR's table (what babel offers) is a display convention, not the standard:
it rounds HUF, IDR and COP to whole units and IQD to none where ISO keeps
two or three decimals, so an amount read through it would lose money.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from iso4217 import Currency


class UnknownCurrency(ValueError):
    """A code that is not an ISO 4217 currency with a minor unit (``EURO``, ``XAU``)."""


@lru_cache(maxsize=512)
def minor_unit(code: str) -> int:
    """How many decimals amounts in ``code`` carry; raises :class:`UnknownCurrency`."""
    try:
        exponent = Currency(code).exponent
    except ValueError:
        raise UnknownCurrency(f"{code!r} is not an ISO 4217 currency code") from None
    if exponent is None:  # gold, SDR, XXX: no minor unit, never what a shop charges in
        raise UnknownCurrency(f"{code!r} is not a currency that amounts can be charged in")
    return exponent


@lru_cache(maxsize=512)
def quantum(code: str) -> Decimal:
    """The smallest amount in ``code``: ``Decimal('0.01')`` for USD, ``Decimal('1')`` for JPY."""
    return Decimal(1).scaleb(-minor_unit(code))


def is_currency(code: str) -> bool:
    """Whether ``code`` is a currency :func:`minor_unit` knows."""
    try:
        minor_unit(code)
    except UnknownCurrency:
        return False
    return True

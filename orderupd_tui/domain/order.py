"""The platform-neutral order every connector produces and every service compares.

Connectors map their payloads onto :class:`NormalizedOrder`; the rest of the
program never looks at a platform's raw shape except to store it.  Money is a
``Decimal`` quantized to the currency's ISO 4217 minor unit (JPY 0, USD 2,
KWD 3) so that ``19.9`` and ``19.90`` compare equal and no float error creeps
into totals or digests.  Quantities are decimals too: 1.5 kg stays 1.5.

An amount that is not a finite number (``NaN``, ``Infinity``, ``"ten"``), is
missing where it is required, or does not fit the database's money columns
is *unreadable*: :class:`UnreadableField` names the field, and the order is
set aside rather than stored with a made-up value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from orderupd_tui.domain.currency import UnknownCurrency, quantum

PAYMENT_STATUSES = (
    "pending",
    "authorized",
    "paid",
    "partially_paid",
    "partially_refunded",
    "refunded",
    "voided",
    "failed",
    "unknown",
)
FULFILLMENT_STATUSES = ("unfulfilled", "partial", "fulfilled", "unknown")
ORDER_STATUSES = ("open", "closed", "cancelled")


class UnreadableField(ValueError):
    """One field of a store's payload cannot be read as what it must be.

    Raised by the connectors' ``normalize`` functions.  The message names the
    field (``date_created_gmt: missing``), because the order is then set aside
    and listed by ``errors``: the user has to find that field in the store.
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


#: Amounts must stay below this: the money columns are ``DECIMAL(15, 3)``, and 15
#: significant digits is also all SQLite keeps of a number, so both databases
#: hold every accepted amount exactly.
_MAX_POWER = 12
MAX_AMOUNT = Decimal(10) ** _MAX_POWER


def currency_code(value: Any, field: str = "currency") -> str:
    """An ISO 4217 code as a store sends it, upper-cased; unreadable otherwise."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if not code:
        raise UnreadableField(field, "missing" if value in (None, "") else
                              f"{value!r} is not a currency code")
    try:
        quantum(code)
    except UnknownCurrency as exc:
        raise UnreadableField(field, str(exc)) from None
    return code


def decimal(value: Any, field: str) -> Decimal:
    """A finite number from a string, int or float, below :data:`MAX_AMOUNT`.

    Floats are read through ``repr`` so that ``19.99`` stays ``19.99`` rather
    than the binary value closest to it.  Runs for every amount of every
    order read, so the usual types are told apart by ``type`` first.
    """
    kind = type(value)
    if kind is str:
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = _NAN
        if "_" in value or not value.isascii():  # digit grouping, other scripts: not JSON
            number = _NAN
    elif kind is float:
        number = Decimal(repr(value))
    elif kind is int or kind is Decimal:
        number = Decimal(value)
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UnreadableField(field, f"{value!r} is not a number")
    else:  # a subclass (an IntEnum, a str wrapper): read as the plain value
        plain_type = str if isinstance(value, str) else float if isinstance(value, float) else int
        return decimal(plain_type(value), field)
    # ``adjusted()`` is the power of ten of the leading digit: no arithmetic, so no
    # overflow on "1e999999999".
    if number.is_finite() and (not number or number.adjusted() < _MAX_POWER):
        return number
    if not number.is_finite():
        raise UnreadableField(field, f"{value!r} is not a finite number")
    raise UnreadableField(field, f"{value!r} is out of range (amounts are below {MAX_AMOUNT:,})")


_NAN = Decimal("NaN")


def money(value: Any, currency: str, field: str = "amount") -> Decimal:
    """An amount in ``currency``, rounded half-even to its minor unit.

    Missing (``None`` or ``""``) is unreadable: use :func:`money_or_zero` for
    the fields a platform leaves out or nulls when they are zero.  Values with
    more decimals than the currency (BigCommerce sends four) are rounded,
    which is exact for the ``"19.9900"`` form they use.
    """
    if value is None or value == "":
        raise UnreadableField(field, "missing")
    try:
        step = quantum(currency)
    except UnknownCurrency as exc:
        raise UnreadableField(field, str(exc)) from None
    return decimal(value, field).quantize(step, rounding=ROUND_HALF_EVEN)


def money_or_zero(value: Any, currency: str, field: str = "amount") -> Decimal:
    """:func:`money`, with a missing value read as zero (tax, discount, refunds...)."""
    if value is None or value == "":
        try:
            return _zero(currency)
        except UnknownCurrency as exc:
            raise UnreadableField(field, str(exc)) from None
    return money(value, currency, field)


@lru_cache(maxsize=512)
def _zero(currency: str) -> Decimal:
    return Decimal(0).quantize(quantum(currency))


def rounded(amount: Decimal, currency: str) -> Decimal:
    """``amount`` at ``currency``'s precision, for display and documents.

    An amount stored before precision followed the currency (``1500.00`` JPY)
    or in a code no longer listed comes back as it is rather than failing
    a listing; a non-finite one too, for the books to refuse.
    """
    if not amount.is_finite():
        return amount
    try:
        return amount.quantize(quantum(currency), rounding=ROUND_HALF_EVEN)
    except UnknownCurrency:
        return amount


def quantity(value: Any, field: str = "quantity") -> Decimal:
    """A line quantity, exact (1.5 kg stays 1.5) and written without trailing zeros."""
    return plain(decimal(value, field))


def plain(number: Decimal) -> Decimal:
    """``number`` without trailing zeros or an exponent: ``2``, ``1.5``, never ``2.0``."""
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def utc(value: datetime) -> datetime:
    """Return an aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Address:
    """A postal address, flattened to the fields every platform has."""

    name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""

    def one_line(self) -> str:
        """The address as a person would read it on one line, empty parts left out."""
        parts = [self.name, self.company, self.line1, self.line2, self.city, self.region,
                 self.postal_code, self.country]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class LineItem:
    """One order line; ``total`` is what the line contributes before order-level tax."""

    sku: str
    title: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.quantity, Decimal):  # an int from code, never a float
            object.__setattr__(self, "quantity", quantity(self.quantity))


@dataclass(frozen=True)
class NormalizedOrder:
    """An order as the program reasons about it, whatever platform it came from.

    ``updated_at`` is carried for cursors and display but left out of the
    digest: a store touching an order without changing it is not a change.
    """

    remote_id: str
    number: str
    created_at: datetime
    updated_at: datetime
    currency: str
    total: Decimal
    subtotal: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")
    shipping: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    refunded: Decimal = Decimal("0.00")
    payment_status: str = "unknown"
    fulfillment_status: str = "unknown"
    order_status: str = "open"
    platform_status: str = ""
    customer: str = ""
    email: str = ""
    line_items: tuple[LineItem, ...] = ()
    shipping_address: Address | None = None
    billing_address: Address | None = None
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    #: What reading the payload had to repair (a repeated line collapsed, a text cut to
    #: its column): never part of the digest, written to the order's history by the poll.
    notes: tuple[str, ...] = field(default=(), compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.payment_status not in PAYMENT_STATUSES:
            raise ValueError(f"payment_status {self.payment_status!r} is not normalized")
        if self.fulfillment_status not in FULFILLMENT_STATUSES:
            raise ValueError(f"fulfillment_status {self.fulfillment_status!r} is not normalized")
        if self.order_status not in ORDER_STATUSES:
            raise ValueError(f"order_status {self.order_status!r} is not normalized")

    @property
    def cancelled(self) -> bool:
        return self.order_status == "cancelled"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: Decimals as strings, times as ISO-8601 UTC.

        Written out by hand rather than with ``asdict``: it runs for every
        stored order, and the generic walk was most of an import's local cost.
        """
        return {
            "remote_id": self.remote_id,
            "number": self.number,
            "created_at": utc(self.created_at).isoformat(),
            "updated_at": utc(self.updated_at).isoformat(),
            "currency": self.currency,
            "total": str(self.total),
            "subtotal": str(self.subtotal),
            "tax": str(self.tax),
            "shipping": str(self.shipping),
            "discount": str(self.discount),
            "refunded": str(self.refunded),
            "payment_status": self.payment_status,
            "fulfillment_status": self.fulfillment_status,
            "order_status": self.order_status,
            "platform_status": self.platform_status,
            "customer": self.customer,
            "email": self.email,
            "line_items": [
                {"sku": li.sku, "title": li.title, "quantity": str(li.quantity),
                 "unit_price": str(li.unit_price), "total": str(li.total)}
                for li in self.line_items
            ],
            "shipping_address": _address_dict(self.shipping_address),
            "billing_address": _address_dict(self.billing_address),
            "note": self.note,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NormalizedOrder:
        """Rebuild an order stored with :meth:`to_dict`."""

        def address(value: dict[str, str] | None) -> Address | None:
            return Address(**value) if value else None

        return cls(
            remote_id=data["remote_id"],
            number=data["number"],
            created_at=datetime.fromisoformat(data["created_at"]),
            updated_at=datetime.fromisoformat(data["updated_at"]),
            currency=data["currency"],
            total=Decimal(data["total"]),
            subtotal=Decimal(data["subtotal"]),
            tax=Decimal(data["tax"]),
            shipping=Decimal(data["shipping"]),
            discount=Decimal(data["discount"]),
            refunded=Decimal(data["refunded"]),
            payment_status=data["payment_status"],
            fulfillment_status=data["fulfillment_status"],
            order_status=data["order_status"],
            platform_status=data["platform_status"],
            customer=data["customer"],
            email=data["email"],
            line_items=tuple(
                LineItem(
                    sku=li["sku"],
                    title=li["title"],
                    quantity=quantity(li["quantity"]),
                    unit_price=Decimal(li["unit_price"]),
                    total=Decimal(li["total"]),
                )
                for li in data["line_items"]
            ),
            shipping_address=address(data.get("shipping_address")),
            billing_address=address(data.get("billing_address")),
            note=data.get("note", ""),
            extra=dict(data.get("extra") or {}),
        )

    def digest(self) -> str:
        """A stable content hash that ignores noise.

        Left out: ``updated_at`` (a touch is not a change) and ``extra``
        (platform details kept for display only).  It hashes the normalized
        values in a fixed order, so the order in which a platform lists its
        keys never matters; built by hand because it runs for every order
        of every poll.
        """
        fields = [
            self.remote_id, self.number, utc(self.created_at).isoformat(), self.currency,
            self.total, self.subtotal, self.tax, self.shipping, self.discount, self.refunded,
            self.payment_status, self.fulfillment_status, self.order_status,
            self.platform_status, self.customer, self.email, self.note,
            [(li.sku, li.title, _hashed(li.quantity), li.unit_price, li.total)
             for li in self.line_items],
            self.shipping_address and _address_fields(self.shipping_address),
            self.billing_address and _address_fields(self.billing_address),
        ]
        blob = repr(fields).encode()
        return hashlib.blake2b(blob, digest_size=16).hexdigest()


def _hashed(number: Decimal) -> int | Decimal:
    """A whole quantity hashes as the int it used to be, so stored digests stay valid."""
    return int(number) if number == number.to_integral_value() else number


def _address_fields(address: Address) -> tuple[str, ...]:
    return (address.name, address.company, address.line1, address.line2, address.city,
            address.region, address.postal_code, address.country, address.phone)


def _address_dict(address: Address | None) -> dict[str, str] | None:
    return None if address is None else dict(zip(_ADDRESS_KEYS, _address_fields(address),
                                                  strict=True))


_ADDRESS_KEYS = tuple(f.name for f in fields(Address))

"""What the posting service needs from the books, whatever they are kept in.

A backend turns one order into one document (a Beancount transaction, a
QuickBooks sales receipt or invoice, a Xero invoice), voids it, finds it
again by the posting that made it, and says whether the books still hold it.
The service owns the posting rules and the database; backends own the
ledger or API and its quirks, and never touch the database.

Never double-posting rests on two things every backend provides: ``post``
is keyed by a posting id (a retry of the same posting returns the same
document), and an :class:`OutcomeUnknown` tells the caller that a create
may have landed, so it must ``find`` before trying again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from orderupd_tui.accounting.options import (
    BACKENDS,
    AccountingEntry,
    BackendOptions,
)
from orderupd_tui.config_errors import first_problem
from orderupd_tui.domain.order import NormalizedOrder

DOCUMENT_STATUSES = ("posted", "voided", "deleted", "missing")
"""``posted``: in the books and counting; ``voided``: reversed or voided there;
``deleted``: the books say it was deleted; ``missing``: the books have no trace of it."""

#: Each backend's constructor from its validated options, by name.  Filled by the
#: package's ``__init__`` (which imports every backend), so this module never imports
#: its own backends and they import it without a circle.
FACTORIES: dict[str, Callable[[Any], AccountingBackend]] = {}


class AccountingError(Exception):
    """The books could not do what was asked; the message is one line fit for the user."""


class OutcomeUnknown(AccountingError):
    """A create was sent but its answer was lost (timeout, dropped connection, 5xx).

    The document may or may not exist: the caller must reconcile with
    :meth:`AccountingBackend.find` and never simply post again.
    """


class DocumentGone(AccountingError):
    """A void was asked for a document the books no longer hold (deleted or missing)."""


class AccountingConfigError(AccountingError):
    """The ``accounting:`` section is wrong; the message starts with the key path."""


@dataclass(frozen=True)
class Document:
    """A document as the books hold it, found again from the posting that made it."""

    ref: str
    """The document ref :meth:`AccountingBackend.post` returned for it."""
    status: str
    """One of :data:`DOCUMENT_STATUSES`."""
    number: str = ""
    """What a person looks for in the books (DocNumber, InvoiceNumber, link)."""


class AccountingBackend(Protocol):
    """The protocol every accounting module implements."""

    name: str

    def post(self, order: NormalizedOrder, ref: str, posting_id: str) -> str:
        """Write one document for ``order`` and return its document ref.

        ``ref`` is the human order ref (``main:1001``).  Posting the same
        ``posting_id`` again returns the first document instead of a second.
        Raises :class:`OutcomeUnknown` when the create may have landed.
        """
        ...

    def void(self, document_ref: str) -> None:
        """Void (or reverse) the document; a document already voided is left alone.

        Raises :class:`DocumentGone` when the books no longer hold it.
        """
        ...

    def find(self, ref: str, order: NormalizedOrder, posting_id: str) -> Document | None:
        """The document this posting made, if the books hold one (to settle an unknown outcome)."""
        ...

    def status(self, document_ref: str) -> str:
        """One of :data:`DOCUMENT_STATUSES` for this document."""
        ...

    def statuses(self, document_refs: Iterable[str]) -> dict[str, str]:
        """:meth:`status` of many documents in as few reads as the books allow."""
        ...

    def close(self) -> None:
        """Release connections; the backend is not used afterwards."""
        ...


def checked_amounts(order: NormalizedOrder, ref: str) -> NormalizedOrder:
    """``order`` if every amount and quantity in it is a finite number, else one-line refusal.

    The connectors already refuse such an order when reading it; this is the
    second line of defence, because a ``NaN`` in a journal that is only ever
    appended to can never be taken out again.
    """
    amounts = [("total", order.total), ("subtotal", order.subtotal), ("tax", order.tax),
               ("shipping", order.shipping), ("discount", order.discount),
               ("refunded", order.refunded)]
    for n, line in enumerate(order.line_items):
        amounts += [(f"line {n + 1} quantity", line.quantity),
                    (f"line {n + 1} unit price", line.unit_price),
                    (f"line {n + 1} total", line.total)]
    for name, value in amounts:
        if not value.is_finite():
            raise AccountingError(f"order {ref}: {name} {value} is not a finite amount: "
                                  "not posted")
    return order


def idempotency_key(posting_id: str) -> str:
    """A short, header- and URL-safe key derived from a posting id.

    QuickBooks limits ``requestid`` to 50 characters and Xero's
    ``Idempotency-Key`` to 128, and posting ids are the caller's to choose,
    so the key is a hash: the same posting always sends the same key.
    """
    digest = hashlib.sha256(posting_id.encode()).hexdigest()[:32]
    return f"orderupd-{digest}"


def make_backend(settings: Mapping[str, Any] | BackendOptions) -> AccountingBackend | None:
    """Build the backend the ``accounting:`` section names; ``None`` for ``backend: none``.

    ``settings`` is the validated section, or the section as a plain dict
    (``${VAR}`` already expanded, ``path`` already absolute), which is
    validated here against the backend's model.  Raises
    :class:`AccountingConfigError` for a missing, unknown or malformed key.
    """
    options = settings if isinstance(settings, BackendOptions) else _validate(settings)
    if options.backend == "none":
        return None
    return FACTORIES[options.backend](options)


_SECTION: TypeAdapter[BackendOptions] = TypeAdapter(AccountingEntry)


def _validate(settings: Mapping[str, Any]) -> BackendOptions:
    data = dict(settings)
    try:
        return _SECTION.validate_python(data)
    except ValidationError as exc:
        raise AccountingConfigError(first_problem(
            exc, data, prefix="accounting", choices={"accounting": BACKENDS})) from None

"""The default books: a Beancount journal that orders are appended to and never rewritten.

Each posting is one balanced transaction dated on the order date, carrying
``order_ref`` and ``posting_id`` metadata and a ``^posting-<id>`` link; a
void is a second, reversing transaction with the same link and a ``voids``
key, dated the day it was made.  The journal is the record a person audits,
so nothing already in it is ever changed: every write is an append made
under an exclusive ``flock`` on the journal itself, so two apps (or an app
and a ``poll --watch`` daemon) never interleave their transactions.

The status of a posting is read back from the journal, because a person may
edit it by hand: a transaction deleted from it is ``missing``.  The journal
can grow to hundreds of thousands of transactions and is checked on every
poll, so an index of what was read is kept with the byte offset it reached,
and each check reads only what was appended since.  The file is read again
from the start when it was replaced (another inode), shrank, kept its size
but got a new mtime, or no longer has the same bytes just before that
offset: a hand edit shifts them, even one followed by an append.

The writer needs nothing from the ``beancount`` package: the format written
is small and fixed, and ``bean-check`` is run on it by the tests.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from orderupd_tui.accounting.base import (
    AccountingConfigError,
    AccountingError,
    Document,
    DocumentGone,
    checked_amounts,
)
from orderupd_tui.accounting.lines import revenue_split
from orderupd_tui.accounting.options import BeancountOptions
from orderupd_tui.domain.order import NormalizedOrder, rounded, utc

DEFAULT_ACCOUNTS = {
    "receivable": "Assets:Receivable:Orders",
    "sales": "Income:Sales",
    "shipping": "Income:Shipping",
    "tax": "Liabilities:SalesTax",
    "discounts": "Income:Discounts",
}
"""The accounts a posting uses, by role; each can be renamed under ``accounting.accounts``."""

OPEN_DATE = "1970-01-01"
"""Accounts are opened before any order could be dated, so an old order never precedes its open."""

_ACCOUNT = re.compile(r"[A-Z][A-Za-z0-9-]*(?::[A-Z0-9][A-Za-z0-9-]*)+")
_CURRENCY = re.compile(r"[A-Z][A-Z0-9'._-]{0,22}[A-Z0-9]|[A-Z]")
_POSTING_ID = re.compile(r"[^\s\"\\]{1,200}")
_LINK_UNSAFE = re.compile(r"[^A-Za-z0-9_/.-]")
_SPACES = re.compile(r"\s+")

_ENTRY = re.compile(rb"^\d{4}-\d\d-\d\d[^\n]*(?:\n[ \t]+[^\n]*)*", re.M)
_META = re.compile(rb'^[ \t]+(posting_id|voids|order_ref):[ \t]*"([^"\n]*)"', re.M)
_OPEN = re.compile(rb"^\d{4}-\d\d-\d\d[ \t]+open[ \t]+(\S+)")
_INCLUDE = re.compile(rb"^include[ \t]", re.M)
_META_LINE = re.compile(r"^[ \t]+[a-z][A-Za-z0-9_-]*:(?:[ \t]|$)")
_LEG = re.compile(r"^[ \t]+([A-Z][^\s;]*)[ \t]+(-?[0-9][0-9,]*(?:\.[0-9]+)?)"
                  r"[ \t]+([A-Z][A-Z0-9'._-]*)[ \t]*(?:;.*)?$")

_TAIL = 64
"""Bytes kept from just before the read offset, to notice an edit there."""


@dataclass
class _Index:
    """What was found in the journal up to ``offset``, and how to tell the file changed."""

    file_id: tuple[int, int]
    offset: int = 0
    mtime_ns: int = 0
    tail: bytes = b""
    postings: dict[str, tuple[int, int]] = field(default_factory=dict)
    """posting id -> (start, end) byte span of its transaction."""
    voids: set[str] = field(default_factory=set)
    opened: set[str] = field(default_factory=set)
    includes: bool = False


class BeancountLedger:
    """An :class:`~orderupd_tui.accounting.base.AccountingBackend` over one journal file.

    The document ref of a posting is its posting id: it is what the link
    and the metadata carry, so a person can find it with ``grep``.
    """

    name = "beancount"

    def __init__(
        self,
        path: Path,
        *,
        accounts: Mapping[str, str] | None = None,
        operating_currency: str | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.path = Path(path)
        self.accounts = {**DEFAULT_ACCOUNTS, **(accounts or {})}
        for role, account in self.accounts.items():
            if role not in DEFAULT_ACCOUNTS:
                raise AccountingConfigError(
                    f"accounting.accounts.{role}: unknown role (use "
                    f"{', '.join(DEFAULT_ACCOUNTS)})"
                )
            if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
                raise AccountingConfigError(
                    f"accounting.accounts.{role}: {account!r} is not a Beancount account name"
                )
        if operating_currency is not None and not _CURRENCY.fullmatch(operating_currency):
            raise AccountingConfigError(
                f"accounting.operating_currency: {operating_currency!r} is not a currency"
            )
        self.operating_currency = operating_currency
        self._today = today
        self._index: _Index | None = None
        self._mutex = threading.Lock()
        self.last_read = 0
        """Bytes of the journal the last check read: only what was appended, once indexed."""

    @classmethod
    def from_options(cls, options: BeancountOptions) -> BeancountLedger:
        """Build from the validated ``accounting:`` section (``path`` already absolute)."""
        return cls(Path(options.path), accounts=options.accounts,
                   operating_currency=options.operating_currency)

    # -- the protocol ---------------------------------------------------------------------

    def post(self, order: NormalizedOrder, ref: str, posting_id: str) -> str:
        """Append the posting's transaction, unless the journal already holds it."""
        _check_posting_id(posting_id)
        checked_amounts(order, ref)
        if not _CURRENCY.fullmatch(order.currency):
            raise AccountingError(f"order {ref}: currency {order.currency!r} cannot be written "
                                  "to a Beancount ledger")
        with self._mutex, self._locked(write=True) as fd:
            index = self._refresh(fd)
            if posting_id in index.postings:
                return posting_id
            if index.offset < os.fstat(fd).st_size:
                self._append(fd, "")  # end a hand-typed last line, so its opens are read
                index = self._refresh(fd)
            text = ""
            if os.fstat(fd).st_size == 0:
                text = self._header(order.currency)
            elif not index.includes:
                needed = [a for a in self.accounts.values() if a not in index.opened]
                text = "".join(f"{OPEN_DATE} open {a}\n" for a in needed)
                text += "\n" if text else ""
            text += self._transaction(order, ref, posting_id)
            self._append(fd, text)
            self._refresh(fd)
        return posting_id

    def void(self, document_ref: str) -> None:
        """Append a transaction reversing the posting, dated today."""
        with self._mutex, self._locked(write=True) as fd:
            index = self._refresh(fd)
            span = index.postings.get(document_ref)
            if span is None:
                raise DocumentGone(f"posting {document_ref} is no longer in {self.path.name}: "
                                   "nothing to void")
            if document_ref in index.voids:
                return
            block = os.pread(fd, span[1] - span[0], span[0]).decode("utf-8", "replace")
            self._append(fd, self._reversal(document_ref, block))
            self._refresh(fd)

    def find(self, ref: str, order: NormalizedOrder, posting_id: str) -> Document | None:
        """The posting's transaction, if the journal holds it."""
        status = self.statuses([posting_id])[posting_id]
        if status == "missing":
            return None
        return Document(ref=posting_id, status=status, number=f"^{_link(posting_id)}")

    def status(self, document_ref: str) -> str:
        """``posted``, ``voided`` or ``missing`` (deleted from the journal by hand)."""
        return self.statuses([document_ref])[document_ref]

    def statuses(self, document_refs: Iterable[str]) -> dict[str, str]:
        """The status of each posting, reading only what was appended since the last check."""
        refs = list(document_refs)
        with self._mutex:
            if not self.path.exists():
                self._index = None
                return dict.fromkeys(refs, "missing")
            with self._locked(write=False) as fd:
                index = self._refresh(fd)
        result = {}
        for ref in refs:
            if ref not in index.postings:
                result[ref] = "missing"
            elif ref in index.voids:
                result[ref] = "voided"
            else:
                result[ref] = "posted"
        return result

    def close(self) -> None:
        """Nothing is held open between calls."""

    # -- the journal file -----------------------------------------------------------------

    def _locked(self, *, write: bool) -> _Flock:
        try:
            if write:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            else:
                fd = os.open(self.path, os.O_RDONLY)
        except OSError as exc:
            raise AccountingError(f"cannot open the ledger {self.path}: {exc.strerror}") from None
        return _Flock(fd, fcntl.LOCK_EX if write else fcntl.LOCK_SH)

    def _append(self, fd: int, text: str) -> None:
        data = text.encode("utf-8")
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a hand edit left the last line unfinished
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(0, "short write (disk full?)")
            os.fsync(fd)
        except OSError as exc:
            raise AccountingError(f"cannot write the ledger {self.path}: {exc.strerror}") from None

    def _refresh(self, fd: int) -> _Index:
        """Bring the index up to date with the file, reading as little as possible."""
        st = os.fstat(fd)
        file_id = (st.st_dev, st.st_ino)
        index = self._index
        if index is None or index.file_id != file_id or st.st_size < index.offset:
            index = _Index(file_id)
        elif st.st_size == index.offset:
            if st.st_mtime_ns == index.mtime_ns:
                self.last_read = 0
                return index
            index = _Index(file_id)  # same size, new content: edited in place
        elif index.tail and os.pread(fd, len(index.tail),
                                     index.offset - len(index.tail)) != index.tail:
            index = _Index(file_id)
        chunk = os.pread(fd, st.st_size - index.offset, index.offset)
        self.last_read = len(chunk)
        end = chunk.rfind(b"\n") + 1  # a line still being typed is read next time
        _scan(chunk[:end], index.offset, index)
        index.offset += end
        index.tail = (index.tail + chunk[:end])[-_TAIL:]
        index.mtime_ns = st.st_mtime_ns
        self._index = index
        return index

    # -- what is written ------------------------------------------------------------------

    def _header(self, currency: str) -> str:
        operating = self.operating_currency or currency
        opens = "".join(f"{OPEN_DATE} open {a}\n" for a in self.accounts.values())
        return (
            "; Orders posted by orderupd-tui. This journal is only appended to:\n"
            "; a void is a new transaction reversing the posting it links to.\n"
            f'option "operating_currency" "{operating}"\n\n{opens}\n'
        )

    def _transaction(self, order: NormalizedOrder, ref: str, posting_id: str) -> str:
        split = revenue_split(order)
        day = utc(order.created_at).date().isoformat()
        payee = _string(order.customer)
        strings = f'"{payee}" "Order {_string(ref)}"' if payee else f'"Order {_string(ref)}"'
        legs = [(self.accounts["receivable"], split.receivable),
                (self.accounts["sales"], -split.sales)]
        if split.shipping:
            legs.append((self.accounts["shipping"], -split.shipping))
        if split.tax:
            legs.append((self.accounts["tax"], -split.tax))
        if split.discount:
            legs.append((self.accounts["discounts"], split.discount))
        return (
            f"{day} * {strings} ^{_link(posting_id)}\n"
            f'  order_ref: "{_string(ref)}"\n'
            f'  posting_id: "{posting_id}"\n'
            + "".join(_leg(account, rounded(amount, order.currency), order.currency)
                      for account, amount in legs)
            + "\n"
        )

    def _reversal(self, posting_id: str, block: str) -> str:
        """The transaction undoing ``block`` leg by leg, as the journal holds it now."""
        legs = []
        for line in block.splitlines()[1:]:
            if not line.strip() or line.lstrip().startswith(";") or _META_LINE.match(line):
                continue
            match = _LEG.match(line)
            if not match:
                raise AccountingError(f"posting {posting_id} was edited by hand into a form that "
                                      "cannot be reversed automatically; void it by hand")
            amount = Decimal(match.group(2).replace(",", ""))
            legs.append(_leg(match.group(1), -amount, match.group(3)))
        if not legs:
            raise AccountingError(f"posting {posting_id} has no amounts to reverse in "
                                  f"{self.path.name}; void it by hand")
        refs = [m.group(2).decode() for m in _META.finditer(block.encode())
                if m.group(1) == b"order_ref"]
        ref = refs[0] if refs else posting_id
        return (
            f'{self._today().isoformat()} * "Void of order {ref}" ^{_link(posting_id)}\n'
            f'  voids: "{posting_id}"\n'
            f'  order_ref: "{ref}"\n'
            + "".join(legs)
            + "\n"
        )


class _Flock:
    """An open journal descriptor held under ``flock`` for the length of a ``with``."""

    def __init__(self, fd: int, mode: int) -> None:
        self.fd = fd
        self.mode = mode

    def __enter__(self) -> int:
        try:
            fcntl.flock(self.fd, self.mode)
        except OSError:
            os.close(self.fd)
            raise
        return self.fd

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)  # closing the descriptor releases the lock


def _scan(data: bytes, base: int, index: _Index) -> None:
    """Add the postings, voids and opens found in ``data`` (which starts at byte ``base``)."""
    if _INCLUDE.search(data):
        index.includes = True
    for entry in _ENTRY.finditer(data):
        block = entry.group()
        if b":" not in block[10:]:
            continue
        opened = _OPEN.match(block)
        if opened:
            index.opened.add(opened.group(1).decode())
            continue
        for meta in _META.finditer(block):
            key, value = meta.group(1), meta.group(2).decode("utf-8", "replace")
            if key == b"posting_id":
                index.postings[value] = (base + entry.start(), base + entry.end())
            elif key == b"voids":
                index.voids.add(value)


def _check_posting_id(posting_id: str) -> None:
    if not _POSTING_ID.fullmatch(posting_id):
        raise AccountingError(f"posting id {posting_id!r} cannot be written to a Beancount "
                              "ledger (no spaces, quotes or backslashes)")


def _link(posting_id: str) -> str:
    return "posting-" + _LINK_UNSAFE.sub("-", posting_id)


def _string(text: str) -> str:
    """Text made safe inside a Beancount string: one line, no quotes or backslashes."""
    return _SPACES.sub(" ", text.replace('"', "'").replace("\\", "/")).strip()


def _leg(account: str, amount: Decimal, currency: str) -> str:
    return f"  {account:<40} {amount + 0:>12} {currency}\n"

"""Mal's E-Commerce: the cart pushes each completed order once, as a "remote call".

Mal's has no API to list or re-download orders, so this module is a small
HTTP receiver for those calls plus a client that reads what it received.
The receiver reads every call as an order *before* answering: one that cannot
become an order is answered 422 with the reason and kept in the spool's
``rejected/`` folder, where every poll shows it as set aside (Mal's never
resends, so it must not vanish).  A good call is written to an append-only
JSONL spool and fsynced before it is answered 200, so a call the cart saw
answered is never lost; the client turns the spooled calls into orders on
the next poll.  Nothing here
can see a later change to an order, hence ``supports_updates = False``.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from orderupd_tui.domain.order import (
    Address,
    LineItem,
    NormalizedOrder,
    UnreadableField,
    currency_code,
    money,
    money_or_zero,
    quantity,
    utc,
)
from orderupd_tui.stores.base import (
    READ_ERRORS,
    Fetched,
    Page,
    StoreError,
    StoreUnsupported,
    read_orders,
)

log = logging.getLogger(__name__)

#: Where the cart's call is received: ``http://HOST:PORT/remote-call``.
REMOTE_CALL_PATH = "/remote-call"
#: The spool file inside the directory given to the receiver and the client.
SPOOL_NAME = "mals-remote-calls.jsonl"
#: Calls are stamped just before they are written, so a poll reading the spool
#: while a call is being written could see a later stamp on an earlier line;
#: reading this far back before ``since`` keeps such a call from being skipped.
#: Rereading a few calls is harmless: the services match orders by remote id.
SPOOL_GRACE = timedelta(minutes=1)
#: A remote call is a few kilobytes; anything this big is not one.
MAX_BODY = 1 << 20
#: How much of an oversized body is read (and dropped) so the sender gets its 413
#: rather than a reset connection; past this the connection is simply closed.
MAX_DRAIN = 16 << 20
#: The folder, inside the spool directory, holding calls answered 4xx as unreadable.
REJECTED = "rejected"
PAGE_SIZE = 100
#: How often the idle server checks for stop(): the longest stop() waits.
SHUTDOWN_POLL = 0.1

#: Payment methods paid outside the cart (a cheque or money order in the post):
#: the order is complete but the money has not arrived.  Every other method
#: (Card, PayPal, gateways) has taken the payment before the call is made.
OFFLINE_METHODS = frozenset({"check", "cheque", "mo", "money order", "invoice", "cod", "offline"})


# --- the cart string and the call's fields --------------------------------------------------


@dataclass(frozen=True)
class CartItem:
    """One ``desc:qty:price:ship_units:scode`` entry of the ``cart`` field."""

    description: str
    quantity: Decimal
    price: Decimal
    ship_units: str
    stock_code: str


def parse_cart(cart: str, currency: str = "USD") -> list[CartItem]:
    """Split the ``~``-separated cart string into its items.

    Each item is split from the right, so a description that itself holds a
    colon stays whole; the four fields after it never do.
    """
    items = []
    for number, entry in enumerate(e for e in cart.split("~") if e.strip()):
        parts = entry.rsplit(":", 4)
        if len(parts) != 5:
            raise ValueError(f"cart item {entry!r} is not desc:qty:price:ship_units:scode")
        description, count, price, ship_units, stock_code = parts
        items.append(CartItem(description.strip(), quantity(count, f"cart[{number}].qty"),
                              money(price, currency, f"cart[{number}].price"),
                              ship_units.strip(), stock_code.strip()))
    return items


def normalize(fields: Mapping[str, str], received_at: datetime,
              currency: str = "USD") -> NormalizedOrder:
    """Map one remote call's fields onto :class:`NormalizedOrder`.

    Times are the moment the call was received: the call is made when the
    order completes, and Mal's own ``date`` ("21 May 2010 - 19:00") has no
    time zone, so it is kept in ``extra`` for display only.  The call's
    ``currency`` is a code (0 for "$") that names no ISO currency, so the
    store's configured ``currency`` is used.  Raises :class:`UnreadableField`
    naming a field that is missing or cannot be read (``total`` is required:
    a call without one is not an order anyone can book), else a
    ``ValueError`` with one line naming the order.
    """
    try:
        return _normalize(fields, utc(received_at), currency)
    except UnreadableField:
        raise
    except (KeyError, ValueError) as exc:
        problem = f"missing field {exc.args[0]!r}" if isinstance(exc, KeyError) else str(exc)
        raise ValueError(f"Mal's order {fields.get('id', '?')}: {problem}") from exc


def _normalize(fields: Mapping[str, str], received_at: datetime,
               currency: str) -> NormalizedOrder:
    order_id = fields["id"].strip()
    if not order_id:
        raise ValueError("empty id")
    currency = currency_code(currency, "currency")
    lines = tuple(
        LineItem(sku=i.stock_code, title=i.description, quantity=i.quantity, unit_price=i.price,
                 total=money(i.price * i.quantity, currency, f"cart[{n}]"))
        for n, i in enumerate(parse_cart(fields.get("cart", ""), currency))
    )
    method = fields.get("method", "").strip()
    if not method:
        payment = "unknown"
    elif method.lower() in OFFLINE_METHODS:
        payment = "pending"
    else:
        payment = "paid"
    extra = {k: fields[k] for k in ("date", "method", "currency", "voucher", "giftvcode",
                                    "shipping_calc", "sd") if fields.get(k)}
    return NormalizedOrder(
        remote_id=order_id,
        number=order_id,
        created_at=received_at,
        updated_at=received_at,
        currency=currency,
        total=money(fields.get("total"), currency, "total"),
        subtotal=money_or_zero(fields.get("subtotal"), currency, "subtotal"),
        tax=money_or_zero(fields.get("tax"), currency, "tax"),
        shipping=money_or_zero(fields.get("shipping"), currency, "shipping"),
        discount=money_or_zero(fields.get("discount") or fields.get("vval"), currency,
                               "discount"),
        refunded=money_or_zero(0, currency),  # a call is made once, before any refund
        payment_status=payment,
        fulfillment_status="unfulfilled",
        order_status="open",
        customer=(fields.get("inv_name") or fields.get("del_name") or "").strip(),
        email=fields.get("email", "").strip(),
        line_items=lines,
        shipping_address=_address(fields, "del", "del_tel"),
        billing_address=_address(fields, "inv", "tel"),
        extra=extra,
    )


def _address(fields: Mapping[str, str], prefix: str, phone: str) -> Address | None:
    def get(name: str) -> str:
        return fields.get(f"{prefix}_{name}", "").strip()

    address = Address(
        name=get("name"),
        company=get("company"),
        line1=get("addr1"),
        line2=get("addr2"),  # Mal's says "usually the city", but it is whatever was typed
        region=get("state"),
        postal_code=get("zip"),
        country=get("country"),
        phone=fields.get(phone, "").strip(),
    )
    return address if address != Address() else None


# --- the spool ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SpooledCall:
    """One received call as written to the spool."""

    received_at: datetime
    fields: dict[str, str]

    def to_json(self) -> str:
        return json.dumps({"received_at": self.received_at.isoformat(), "fields": self.fields},
                          ensure_ascii=False, sort_keys=True)


def read_spool(spool_dir: Path) -> Iterator[SpooledCall]:
    """Every call in the spool, oldest first.

    A line that does not parse is a write cut short by a crash; it was never
    answered, so the cart still counts it as not delivered, and it is skipped.
    """
    path = spool_dir / SPOOL_NAME
    try:
        # A torn line may end inside a character; it is skipped below, not fatal here.
        handle = path.open(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            try:
                record = json.loads(line)
                yield SpooledCall(datetime.fromisoformat(record["received_at"]),
                                  {str(k): str(v) for k, v in record["fields"].items()})
            except (ValueError, KeyError, TypeError, AttributeError):
                log.warning("skipping a damaged line in %s", path)


class Spool:
    """The append-only file the receiver writes, with the order ids already in it."""

    def __init__(self, spool_dir: Path) -> None:
        self.path = spool_dir / SPOOL_NAME
        self._lock = threading.Lock()
        spool_dir.mkdir(parents=True, exist_ok=True)
        self._seen = {c.fields.get("id", "") for c in read_spool(spool_dir)}
        self._end_torn_line()
        self._torn = False

    def add(self, fields: dict[str, str]) -> bool:
        """Append and fsync one call; False (and nothing written) for an order id already held."""
        with self._lock:
            if fields["id"] in self._seen:
                return False
            if self._torn:
                self._end_torn_line()
                self._torn = False
            call = SpooledCall(datetime.now(UTC), fields)
            created = not self.path.exists()
            try:
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(call.to_json() + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError:
                self._torn = True  # part of the line may be there: end it before the next one
                raise
            if created:
                _fsync_dir(self.path.parent)
            self._seen.add(fields["id"])
            return True

    def _end_torn_line(self) -> None:
        """Close a line left unfinished by a crash, so the next call starts on its own line."""
        try:
            with self.path.open("rb+") as handle:
                handle.seek(0, os.SEEK_END)
                if handle.tell() == 0:
                    return
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")
                    handle.flush()
                    os.fsync(handle.fileno())
        except FileNotFoundError:
            pass


def _fsync_dir(path: Path) -> None:
    """Make a new file's directory entry durable too (POSIX; a no-op where unsupported)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# --- the receiver -------------------------------------------------------------------------


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:PORT`` for IPv6) as a bind address; raises ValueError otherwise."""
    host, sep, port = listen.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"listen must be HOST:PORT, not {listen!r}")
    return host, int(port)


class MalsReceiver:
    """An HTTP server for the cart's remote calls at ``/remote-call`` (POST form or GET query).

    Each call is checked (an ``id``; the configured Mals ID if one is set),
    written durably to the spool, and only then answered 200.  A second call
    for an order id already spooled is answered 200 too, so the cart stops
    resending, but is not written again.  Runs in a background thread.
    """

    def __init__(self, listen: str, spool_dir: Path, username: str | None = None,
                 currency: str = "USD") -> None:
        self.bind = parse_listen(listen)
        self.spool_dir = spool_dir
        self.username = username.strip() if username else None
        self.currency = currency
        self._spool: Spool | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port (the real port when ``listen`` asked for port 0)."""
        if self._server is None:
            return self.bind
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}{REMOTE_CALL_PATH}"

    def start(self) -> None:
        """Open the spool and start listening; a port in use becomes one StoreError line."""
        self._spool = Spool(self.spool_dir)
        server_class = _Server6 if ":" in self.bind[0] else _Server
        try:
            self._server = server_class(self.bind, _Handler, self)
        except OSError as exc:
            host, port = self.bind
            raise StoreError(f"cannot listen on {host}:{port} for Mal's remote calls: "
                             f"{exc.strerror or exc}") from exc
        self._thread = threading.Thread(target=self._server.serve_forever, args=(SHUTDOWN_POLL,),
                                        name=f"mals-receiver-{self.address[1]}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> MalsReceiver:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def receive(self, fields: dict[str, str]) -> tuple[HTTPStatus, str]:
        """Check, read and spool one call; the status and one-line text to answer with.

        The call is read as an order here, with the same code the poll uses,
        so that nothing answered 200 can fail later.
        """
        order_id = fields.get("id", "").strip()
        if not order_id:
            return HTTPStatus.BAD_REQUEST, "refused: the call has no order id"
        caller = fields.get("username", "").strip()
        if self.username and caller.lower() != self.username.lower():
            return HTTPStatus.FORBIDDEN, (
                f"refused: Mals ID {caller or '(none)'} is not this store's ({self.username})"
            )
        if self._spool is None:
            raise RuntimeError("MalsReceiver.receive() before start()")
        fields = {**fields, "id": order_id}
        try:
            normalize(fields, datetime.now(UTC), self.currency)
        except READ_ERRORS as exc:
            return self._reject(fields, str(exc))
        try:
            stored = self._spool.add(fields)
        except OSError as exc:
            log.error("could not store Mal's order %s: %s", order_id, exc)
            return HTTPStatus.INTERNAL_SERVER_ERROR, f"not stored: {exc.strerror or exc}"
        if not stored:
            return HTTPStatus.OK, f"duplicate: order {order_id} was already received"
        return HTTPStatus.OK, f"stored: order {order_id}"


    def _reject(self, fields: dict[str, str], error: str) -> tuple[HTTPStatus, str]:
        """Keep an unreadable call where every poll lists it, then refuse it in one line."""
        call = SpooledCall(datetime.now(UTC), fields)
        folder = self.spool_dir / REJECTED
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_durably(folder / _rejected_name(call), call.to_json() + "\n")
        except OSError as exc:
            log.error("could not keep Mal's call %s: %s", fields["id"], exc)
            return HTTPStatus.INTERNAL_SERVER_ERROR, f"not stored: {exc.strerror or exc}"
        log.warning("refused Mal's call %s: %s", fields["id"], error)
        return HTTPStatus.UNPROCESSABLE_ENTITY, f"refused: {error}"


def _rejected_name(call: SpooledCall) -> str:
    """A file name that sorts by arrival and cannot leave the folder, whatever the id holds."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in call.fields["id"])[:64]
    return f"{call.received_at.strftime('%Y%m%dT%H%M%S%fZ')}-{safe}.json"


def _write_durably(path: Path, text: str) -> None:
    """Write a new file and fsync it and its folder before the call is answered."""
    with path.open("x", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    _fsync_dir(path.parent)


def read_rejected(spool_dir: Path) -> Iterator[tuple[str, SpooledCall]]:
    """The calls the receiver refused, oldest first, with their file names."""
    folder = spool_dir / REJECTED
    try:
        names = sorted(p.name for p in folder.iterdir() if p.suffix == ".json")
    except FileNotFoundError:
        return
    for name in names:
        try:
            record = json.loads((folder / name).read_text(encoding="utf-8"))
            yield name, SpooledCall(datetime.fromisoformat(record["received_at"]),
                                    {str(k): str(v) for k, v in record["fields"].items()})
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            log.warning("skipping an unreadable file in %s: %s", folder, name)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, bind: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 receiver: MalsReceiver) -> None:
        self.receiver = receiver
        super().__init__(bind, handler)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "orderupd-tui"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != REMOTE_CALL_PATH:
            self._answer(HTTPStatus.NOT_FOUND, f"not found: calls go to {REMOTE_CALL_PATH}")
            return
        self._handle(url.query.encode("latin-1"))

    def do_POST(self) -> None:
        if urlsplit(self.path).path != REMOTE_CALL_PATH:
            self._answer(HTTPStatus.NOT_FOUND, f"not found: calls go to {REMOTE_CALL_PATH}")
            return
        kind = self.headers.get_content_type()
        if self.headers.get("Content-Type") and kind != "application/x-www-form-urlencoded":
            self._answer(HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                         f"refused: expected a urlencoded form, not {kind}")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._drain(length)
            self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                         f"refused: a remote call is at most {MAX_BODY >> 10} KiB, "
                         f"this body is {'of unknown size' if length < 0 else f'{length} bytes'}")
            return
        self._handle(self.rfile.read(length))

    def _drain(self, length: int) -> None:
        """Read and drop an oversized body, so the client reads our answer before we close.

        Without this the socket closes with unread data, the kernel sends a
        reset, and the sender sees a broken connection instead of the 413.
        """
        self.close_connection = True
        left = min(length, MAX_DRAIN) if length > 0 else 0
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                return
            left -= len(chunk)

    def _handle(self, body: bytes) -> None:
        status, text = self.server.receiver.receive(_form(body))
        self._answer(status, text)

    def _answer(self, status: HTTPStatus, text: str) -> None:
        data = (text + "\n").encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Requests go to the log, never to stderr, which the full-screen app owns."""
        log.debug("remote call %s: " + format, self.client_address[0], *args)


def _form(body: bytes) -> dict[str, str]:
    """A urlencoded form as a flat dict (first value wins), in UTF-8 or else Latin-1."""
    text = body.decode("latin-1")
    try:
        parsed = parse_qs(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        parsed = parse_qs(text, keep_blank_values=True, encoding="latin-1")
    return {key: values[0] for key, values in parsed.items()}


def _raw(call: SpooledCall) -> dict[str, Any]:
    """The payload kept with a Mal's order: the call as received, its order id on top."""
    return {"id": call.fields.get("id", "").strip(), "received_at": call.received_at.isoformat(),
            "fields": call.fields}


# --- the client ---------------------------------------------------------------------------


class MalsClient:
    """The StoreClient for a Mal's store: new orders from the spool, and nothing else."""

    supports_updates = False

    def __init__(self, name: str, spool_dir: Path, currency: str = "USD") -> None:
        self.name = name
        self.spool_dir = spool_dir
        self.currency = currency

    def changed_since(self, since: datetime) -> Iterator[Page]:
        """Spooled calls received since ``since`` (less :data:`SPOOL_GRACE`), as orders.

        A spooled call that cannot be read (one spooled by an older release,
        before calls were read on arrival) is set aside like any store's odd
        order.  The calls the receiver refused come last, every poll: they
        stay set aside until dismissed, or until a newer release reads them.
        """
        start = utc(since) - SPOOL_GRACE
        seen: set[str] = set()
        batch: list[dict[str, Any]] = []
        number = 0
        for call in read_spool(self.spool_dir):
            order_id = call.fields.get("id", "")
            if utc(call.received_at) < start or order_id in seen:
                continue
            seen.add(order_id)
            batch.append(_raw(call))
            if len(batch) == PAGE_SIZE:
                number += 1
                yield self._page(batch, number)
                batch = []
        if batch:
            number += 1
            yield self._page(batch, number)
        rejected = [{**_raw(call), "rejected": name}
                    for name, call in read_rejected(self.spool_dir)]
        if rejected:
            yield self._page(rejected, number + 1)

    def _page(self, raws: list[dict[str, Any]], number: int) -> Page:
        """Read a batch of calls; their ``id`` is the order id the cart sent."""
        orders, unreadable = read_orders(raws, self._normalize, page=number, id_key="id")
        return Page(orders, number, unreadable)

    def _normalize(self, raw: dict[str, Any]) -> NormalizedOrder:
        return normalize(raw["fields"], datetime.fromisoformat(raw["received_at"]),
                         self.currency)

    def store_clock(self) -> datetime | None:
        """None: the calls are stamped with this machine's clock, so there is no other."""
        return None

    def fetch(self, remote_ids: Sequence[str]) -> Fetched:
        """Mal's keeps no orders to ask for: a re-download is refused in one line."""
        raise StoreUnsupported(
            f"store {self.name!r} is Mal's E-Commerce: it cannot re-download orders"
        )

    def close(self) -> None:
        """Nothing to release: the spool is opened per read."""

"""The windowed queries behind the app's Inbox and Updates panes.

The app never loads every order: it shows a window of rows and asks for
the rows around it.  Everything here is shaped by that:

- **Keyset paging.**  Each sort has a key (its columns plus ``id``) with a
  matching index (migration 0002).  The next page is ``WHERE key > last
  ORDER BY key LIMIT n``; the far end is read in reverse order.  ``OFFSET``
  is kept for the rare jump to an arbitrary position (dragging the
  scrollbar) and then taken from the nearer end.
- **Counting in SQL.**  Counts are ``count(*)`` on indexes.  A position
  (how many rows come before a key) is a range count, which is how the app
  keeps its cursor on the same order when a poll inserts rows above it.
- **An indexed substring filter.**  On SQLite the filter reads the FTS5
  trigram table.  A rare substring's matches are read from that index
  once and their sort keys held; a common one (or one under three
  characters, which trigrams cannot index) walks the sort index instead
  and tests each row, which finds a page of matches quickly precisely
  because matches are dense.  The walk's weak spot is a common substring
  whose matches all sort at the far end (a customer's first name, sorted
  by customer): it reads most of the index before the first match.
  Its exact count is then the slow part, so :meth:`Listing.count` is kept
  apart for the app to run in the background.  PostgreSQL's planner makes
  the same choice on its own with the ``pg_trgm`` indexes.

Nothing here imports textual: rows are plain frozen dataclasses.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from peewee import Database, DatabaseError, SqliteDatabase

from orderupd_tui.db.models import Update
from orderupd_tui.db.records import SHARED_NUMBER, find
from orderupd_tui.domain import labels
from orderupd_tui.domain.changes import Change
from orderupd_tui.domain.order import rounded
from orderupd_tui.domain.states import (
    AccountingState,
    BooksState,
    LocalStatus,
    PostingState,
    UpdateStatus,
)
from orderupd_tui.services import queries
from orderupd_tui.services.resolution import seen_of

#: Below this many trigram matches a filter is rare: its matches are read from the trigram
#: index and their sort keys held, at a cost that grows with the matches wherever they
#: fall in the sort.  Above it, walking the sort index and testing each row finds a page
#: of matches in a few thousand rows, unless the matches cluster at the far end of the sort
#: (see the module's note).
FTS_SPARSE_LIMIT = 20_000
#: Ids per ``IN (...)`` list, well under every database's bound-parameter limit.
ID_CHUNK = 500
#: SQLite page cache (KiB) of the connections the inbox reads with.  Windows are small and
#: counts read each page once, so the bulk-write default would only inflate the app's memory.
CACHE_KIB = 8000

Key = tuple[Any, ...]

#: A row's books columns: its latest kept (detached) document, and whether one was voided.
#: Correlated subqueries on ``posting(order_id)``, evaluated only for the rows of a page:
#: the keyset index still drives the listing (EXPLAIN QUERY PLAN in the tests).
BOOKS_COLUMNS = (
    "(SELECT coalesce(p.document_ref, p.posting_id) FROM posting p WHERE p.order_id = o.id "
    f"AND p.state = '{PostingState.DETACHED}' ORDER BY p.id DESC LIMIT 1), "
    "EXISTS (SELECT 1 FROM posting p WHERE p.order_id = o.id "
    f"AND p.state = '{PostingState.VOIDED}')"
)


class CountCancelled(Exception):
    """A background count was stopped because its listing was replaced."""


@dataclass(frozen=True)
class Sort:
    """One way to order a pane: SQL expressions (``id`` is appended) and a natural direction."""

    name: str
    exprs: tuple[str, ...]
    descending: bool


ORDER_SORTS: tuple[Sort, ...] = (
    Sort("date", ("o.created_at",), True),
    Sort("number", ("length(o.number)", "o.number"), True),
    Sort("store", ("o.store_id", "o.created_at"), True),
    Sort("customer", ("o.customer",), False),
    Sort("total", ("o.total",), True),
    Sort("payment", ("o.payment_status", "o.created_at"), True),
    Sort("fulfilment", ("o.fulfillment_status", "o.created_at"), True),
    Sort("accounting", ("o.accounting_state", "o.created_at"), False),
)
UPDATE_SORTS: tuple[Sort, ...] = (
    Sort("detected", ("u.detected_at",), True),
    Sort("number", ("length(o.number)", "o.number"), True),
    Sort("store", ("o.store_id", "u.detected_at"), True),
    Sort("customer", ("o.customer",), False),
)


@dataclass(frozen=True)
class View:
    """What a pane shows: a substring filter and a sort (by name), possibly reversed."""

    text: str = ""
    sort: str = ""
    reverse: bool = False


@dataclass(frozen=True)
class OrderRow:
    """One inbox line: the order's denormalized columns, and its position key in the sort."""

    id: int
    key: Key
    store: str
    number: str
    created_at: datetime
    customer: str
    email: str
    total: Decimal
    currency: str
    payment_status: str
    fulfillment_status: str
    order_status: str
    local_status: str
    pending: bool
    accounting_state: str
    accounting_ref: str | None
    #: Another order of the same store has this number: only the id names this one.
    shared_number: bool = False
    #: What the books hold (posted, kept, voided, …), and the kept document if any.
    books: BooksState = BooksState.UNPOSTED
    kept_ref: str | None = None

    @property
    def ref(self) -> str:
        return str(self.id) if self.shared_number else f"{self.store}:{self.number}"

    @property
    def cancelled(self) -> bool:
        return self.local_status == LocalStatus.CANCELLED or self.order_status == "cancelled"

    @property
    def cancelled_here(self) -> bool:
        """Cancelled here and not by its store: the one cancel un-cancel can undo."""
        return self.local_status == LocalStatus.CANCELLED and self.order_status != "cancelled"

    @property
    def posted(self) -> bool:
        return self.accounting_state == AccountingState.POSTED


@dataclass(frozen=True)
class UpdateRow:
    """One Updates line: a pending update, its order, and a one-line summary of the changes."""

    id: int
    key: Key
    order_id: int
    store: str
    number: str
    customer: str
    detected_at: datetime
    source: str
    kinds: tuple[str, ...]
    summary: str
    accounting_state: str
    accounting_ref: str | None
    cancelled: bool
    books: BooksState = BooksState.UNPOSTED
    kept_ref: str | None = None
    #: Cancelled here and not by its store: the one cancel un-cancel can undo.
    cancelled_here: bool = False

    @property
    def ref(self) -> str:
        return f"{self.store}:{self.number}"

    @property
    def posted(self) -> bool:
        return self.accounting_state == AccountingState.POSTED


@dataclass(frozen=True)
class Target:
    """An order a batch action would touch, with what the confirmation must say about it.

    Enough to recognise the order by (customer, total) and what its pending
    update would change, because a confirmation that names only a ref can
    name an order the reviewer never looked at (a poll moved the rows).
    """

    id: int
    ref: str
    store: str
    pending: bool
    accounting_state: str
    document: str | None
    customer: str = ""
    total: Decimal = Decimal(0)
    currency: str = ""
    local_status: str = LocalStatus.ACTIVE
    order_status: str = ""
    #: The pending update's changes, if it has one.
    changes: tuple[Change, ...] = ()
    #: Earlier postings a reset detached: unposted here, still in the books.
    kept: int = 0
    #: The pending update as the confirmation showed it (``resolution.seen_of``), or None.
    seen: str | None = None

    @property
    def posted(self) -> bool:
        return self.accounting_state == AccountingState.POSTED

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.kind for c in self.changes))

    @property
    def alarms(self) -> tuple[str, ...]:
        """``("refunded", "cancelled")``: what the pending change does that money depends on."""
        return alarms(self.changes)


def alarms(changes: Iterable[Change]) -> tuple[str, ...]:
    """Which of ``refunded`` and ``cancelled`` a set of changes brings.

    A refund is a payment status that becomes (partially) refunded or a
    refunded amount that changes; a cancellation is the ``cancelled`` kind
    becoming yes, or an order status becoming cancelled.  These are the
    changes a batch must never take (or ignore) without saying so.
    """
    found = []
    for c in changes:
        if (c.field == "payment_status" and "refunded" in c.new) or c.field == "refunded":
            found.append("refunded")
        elif (c.kind == "cancelled" and c.new == "yes") or (
                c.field == "order_status" and c.new == "cancelled"):
            found.append("cancelled")
    return tuple(sorted(set(found), key=("refunded", "cancelled").index))


@dataclass(frozen=True)
class StoreState:
    """A store's last poll as recorded in the database (by this or another process)."""

    name: str
    last_poll_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class Detail:
    """Everything the Detail screen shows about one order."""

    order: dict[str, Any]
    fields: dict[str, Any]
    update: dict[str, Any] | None
    history: dict[str, Any]
    #: The order as the pending update would make it (None: no update, or one from the
    #: books), for the per-line diff of its line items.
    new_fields: dict[str, Any] | None = None


def _time(value: Any) -> datetime:
    """A stored naive-UTC time (text on SQLite, a datetime on PostgreSQL), made aware."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _money(value: Any, currency: str) -> Decimal:
    return rounded(Decimal(str(value)), currency)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(text: str) -> str:
    """The filter as one FTS5 phrase: with trigrams, a phrase matches as a substring."""
    return '"' + text.replace('"', '""') + '"'


def normalize_filter(text: str) -> str:
    """People type ``#1012`` for order 1012; numbers are stored without the ``#``."""
    return text.strip().lstrip("#")


class Inbox:
    """The inbox's queries on one open database; knows which substring index it has."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.sqlite = isinstance(db, SqliteDatabase)
        self.param = db.param
        self.fts = self.sqlite and bool(
            db.execute_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'orders_fts'"
            ).fetchone()
        )
        self.small_cache()

    def small_cache(self) -> None:
        """Keep this thread's SQLite connection's page cache small (see :data:`CACHE_KIB`)."""
        if self.sqlite:
            self.db.execute_sql(f"PRAGMA cache_size = -{CACHE_KIB}")

    def orders(self, view: View, *, count: bool = True) -> OrderList:
        return OrderList(self, view, count=count)

    def updates(self, view: View, *, count: bool = True) -> UpdateList:
        return UpdateList(self, view, count=count)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.db.execute_sql(sql.replace("?", self.param), tuple(params)).fetchone()[0]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.db.execute_sql(sql.replace("?", self.param), tuple(params)).fetchall())

    def order_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM orders"))

    def pending_count(self) -> int:
        return int(self.scalar("SELECT count(*) FROM orders WHERE pending"))

    def stores(self) -> list[StoreState]:
        return [StoreState(name, _time(polled) if polled else None, error)
                for name, polled, error in self.rows(
                    "SELECT name, last_poll_at, last_error FROM store ORDER BY name")]

    def targets(self, order_ids: Iterable[int]) -> list[Target]:
        """The orders a batch would act on, in the order given, for its confirmation."""
        wanted = list(dict.fromkeys(order_ids))
        found: dict[int, Target] = {}
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start:start + ID_CHUNK]
            marks = ", ".join("?" * len(chunk))
            for row in self.rows(
                "SELECT o.id, s.name, o.number, o.pending, o.accounting_state, o.accounting_ref, "
                f"{SHARED_NUMBER}, o.customer, o.total, o.currency, o.local_status, "
                "o.order_status, u.changes, (SELECT count(*) FROM posting p WHERE "
                "p.order_id = o.id AND p.state = 'detached'), u.id, u.new_digest "
                "FROM orders o JOIN store s ON s.id = o.store_id "
                "LEFT JOIN order_update u ON u.order_id = o.id AND u.status = 'pending' "
                f"WHERE o.id IN ({marks})",
                chunk,
            ):
                ref = str(row[0]) if row[6] else f"{row[1]}:{row[2]}"
                changes = tuple(Change(**c) for c in json.loads(row[12])) if row[12] else ()
                found[row[0]] = Target(id=row[0], ref=ref, store=row[1],
                                       pending=bool(row[3]), accounting_state=row[4],
                                       document=row[5], customer=row[7] or "",
                                       total=_money(row[8], row[9]), currency=row[9],
                                       local_status=row[10], order_status=row[11],
                                       changes=changes, kept=int(row[13]),
                                       seen=seen_of(row[14], row[15]))
        return [found[i] for i in wanted if i in found]

    def resolutions(self, order_ids: Iterable[int]) -> dict[int, str]:
        """How each order's last update was resolved, and by whom, for orders without a
        pending one: what a reviewer is told who acts on a row another reviewer just did."""
        wanted = list(dict.fromkeys(order_ids))
        found: dict[int, str] = {}
        for start in range(0, len(wanted), ID_CHUNK):
            chunk = wanted[start:start + ID_CHUNK]
            marks = ", ".join("?" * len(chunk))
            for order, status, who, at in self.rows(
                "SELECT order_id, status, resolved_by, resolved_at FROM order_update "
                f"WHERE order_id IN ({marks}) AND status <> 'pending' "
                "ORDER BY resolved_at, id", chunk,
            ):
                when = f" at {_time(at):%H:%M:%S} UTC" if at else ""
                found[order] = f"{status} by {who or 'someone'}{when}"
        return found

    def detail(self, order_id: int) -> Detail:
        """The order's fields, its pending update (if any) and its history."""
        row = find(str(order_id))
        history = queries.history_json(str(row.id))
        previous = [{"ref": p["document_ref"], "state": p["state"], "posted_at": p["posted_at"]}
                    for p in history["postings"] if p["state"] in queries.PREVIOUS_STATES]
        pending = Update.get_or_none((Update.order == row)
                                     & (Update.status == UpdateStatus.PENDING))
        return Detail(
            order=queries.order_json(row, previous),
            fields=json.loads(row.data),
            update=queries.update_json(pending) if pending is not None else None,
            history=history,
            new_fields=json.loads(pending.new_data) if pending is not None and pending.new_data
            else None,
        )


class Listing:
    """A filtered, sorted list read one window at a time; subclasses give the SQL.

    ``from_sql`` holds only what counting needs (no store join), so counts,
    positions and offsets run on covering indexes; pages add the join.
    """

    SORTS: tuple[Sort, ...] = ()
    COLUMNS = ""
    BASE_FROM = ""
    BASE_WHERE = "1 = 1"
    JOIN_STORE = " JOIN store s ON s.id = o.store_id"
    id_expr = "o.id"

    def __init__(self, inbox: Inbox, view: View, *, count: bool = True) -> None:
        """``count``: count an unfiltered list at once (an index count); the app says no,
        to show the first rows a round trip sooner, and counts right after."""
        self.inbox = inbox
        self.text = normalize_filter(view.text)
        self.view = view
        sort = next((s for s in self.SORTS if s.name == view.sort), self.SORTS[0])
        self.sort = sort
        self.descending = sort.descending != view.reverse
        self.key_exprs = (*sort.exprs, self.id_expr)
        self.from_sql = self.BASE_FROM
        self.where_sql = self.BASE_WHERE
        self.params: list[Any] = []
        #: The exact count once known; ``lower_bound`` holds until then.
        self.total: int | None = None
        self.lower_bound = 0
        self._counting: Any = None
        self._cancelled = False
        self._plan_filter()
        if count and not self.text:
            self.count()

    def _plan_filter(self) -> None:
        """Choose how the filter is answered, and count it when that is cheap."""
        if self.text:
            self._like_filter()

    def _like_filter(self) -> None:
        op = "LIKE" if self.inbox.sqlite else "ILIKE"
        pattern = _like(self.text)
        # The store is matched by id, so counts and positions never need the store join.
        self.where_sql += (
            f" AND (o.number {op} ? ESCAPE '\\' OR o.customer {op} ? ESCAPE '\\' "
            f"OR o.email {op} ? ESCAPE '\\' "
            f"OR o.store_id IN (SELECT id FROM store WHERE name {op} ? ESCAPE '\\'))"
        )
        self.params += [pattern] * 4

    # -- counting ---------------------------------------------------------------------------

    def count(self) -> int:
        """The exact number of rows: an index count, but a long one for a common filter.

        The app calls this in the background when :attr:`total` is still
        ``None``, and shows :attr:`lower_bound` meanwhile; :meth:`cancel`
        stops it from another thread (raising :class:`CountCancelled` here).
        """
        if self.total is None:
            self.inbox.small_cache()
            self._counting = self.inbox.db.connection()
            try:
                if self._cancelled:
                    raise CountCancelled
                self.total = int(self.inbox.scalar(
                    f"SELECT count(*) FROM {self.from_sql} WHERE {self.where_sql}",
                    self.params))
            except DatabaseError:
                if self._cancelled:
                    raise CountCancelled from None
                raise
            finally:
                self._counting = None
        return self.total

    def found_end(self, total: int) -> None:
        """A page read came back short at position ``total``: the list has that many rows,
        as exact as a count taken now (a poll changes both alike)."""
        if self.total is None:
            self.total = total

    def among(self, order_ids: Sequence[int]) -> set[int]:
        """Which of these orders this list shows: a mark outside it is hidden."""
        found: set[int] = set()
        for start in range(0, len(order_ids), ID_CHUNK):
            chunk = list(order_ids[start:start + ID_CHUNK])
            marks = ", ".join("?" * len(chunk))
            found.update(r[0] for r in self.inbox.rows(
                f"SELECT o.id FROM {self.from_sql} WHERE {self.where_sql} "
                f"AND o.id IN ({marks})", [*self.params, *chunk]))
        return found

    def cancel(self) -> None:
        """Stop a count running in another thread: typing on makes it useless."""
        self._cancelled = True
        connection = self._counting
        if connection is not None:
            # sqlite3 interrupts, psycopg2 cancels; both are safe from another thread.
            (connection.interrupt if self.inbox.sqlite else connection.cancel)()

    def position(self, key: Key, near_end: bool = False) -> int:
        """How many rows come before ``key`` in display order (the row need not exist).

        ``near_end`` counts the rows from ``key`` to the end instead and
        subtracts, which is the shorter count for a key in the second half.
        """
        before = ">" if self.descending else "<"
        if near_end:
            after = "<=" if self.descending else ">="
            rest = int(self.inbox.scalar(
                f"SELECT count(*) FROM {self.from_sql} WHERE {self.where_sql} "
                f"AND {self._tuple()} {after} {self._marks(key)}", [*self.params, *key]))
            return self.count() - rest
        return int(self.inbox.scalar(
            f"SELECT count(*) FROM {self.from_sql} WHERE {self.where_sql} "
            f"AND {self._tuple()} {before} {self._marks(key)}", [*self.params, *key]))

    # -- windows ----------------------------------------------------------------------------

    def after(self, key: Key | None, limit: int, *, inclusive: bool = False) -> list[Any]:
        """Up to ``limit`` rows following ``key`` in display order (from the top if None)."""
        return self._page(key, limit, forward=True, inclusive=inclusive)

    def before(self, key: Key | None, limit: int) -> list[Any]:
        """Up to ``limit`` rows preceding ``key`` (the last rows if None), in display order."""
        rows = self._page(key, limit, forward=False, inclusive=False)
        rows.reverse()
        return rows

    def at(self, position: int, limit: int) -> list[Any]:
        """Rows from ``position`` on, for a jump: the key found by an OFFSET on the index alone,
        from whichever end is nearer, then a keyset page."""
        total = self.count()
        position = max(0, min(position, total - 1))
        if total == 0:
            return []
        if position <= total // 2:
            offset, descending = position, self.descending
        else:
            offset, descending = total - 1 - position, not self.descending
        direction = " DESC" if descending else ""
        found = self.inbox.rows(
            f"SELECT {', '.join(self.key_exprs)} FROM {self.from_sql} WHERE {self.where_sql} "
            f"ORDER BY {', '.join(e + direction for e in self.key_exprs)} "
            f"LIMIT 1 OFFSET {int(offset)}", self.params)
        return self.after(tuple(found[0]), limit, inclusive=True) if found else []

    def find(self, row_id: int) -> Any | None:
        """The row with this id, if it is in this list (it may have left the filter)."""
        rows = self._select(f" AND {self.id_expr} = ?", [row_id], self.descending, 1)
        return rows[0] if rows else None

    def ids(self) -> list[int]:
        """The order id of every row shown, for marking them all."""
        return [r[0] for r in self.inbox.rows(
            f"SELECT o.id FROM {self.from_sql} WHERE {self.where_sql}", self.params)]

    def _page(self, key: Key | None, limit: int, *, forward: bool, inclusive: bool) -> list[Any]:
        descending = self.descending if forward else not self.descending
        if key is None:
            return self._select("", [], descending, limit)
        cmp = "<" if descending else ">"
        if inclusive:
            cmp += "="
        return self._select(f" AND {self._tuple()} {cmp} {self._marks(key)}", list(key),
                            descending, limit)

    def _select(self, extra: str, params: list[Any], descending: bool, limit: int) -> list[Any]:
        direction = " DESC" if descending else ""
        order = ", ".join(e + direction for e in self.key_exprs)
        sql = (f"SELECT {self.COLUMNS}, {', '.join(self.key_exprs)} "
               f"FROM {self.from_sql}{self.JOIN_STORE} "
               f"WHERE {self.where_sql}{extra} ORDER BY {order} LIMIT {int(limit)}")
        width = len(self.key_exprs)
        return [self._make(r[:-width], tuple(r[-width:]))
                for r in self.inbox.rows(sql, [*self.params, *params])]

    def _tuple(self) -> str:
        return "(" + ", ".join(self.key_exprs) + ")"

    @staticmethod
    def _marks(key: Key) -> str:
        return "(" + ", ".join("?" * len(key)) + ")"

    def _make(self, values: tuple[Any, ...], key: Key) -> Any:
        raise NotImplementedError


class OrderList(Listing):
    """The Inbox: every downloaded order.

    With a rare substring (fewer trigram matches than
    :data:`FTS_SPARSE_LIMIT`) it holds the sorted keys of all its matches, read once from
    the trigram index: windows, positions and jumps are then lookups in
    that list plus a fetch of the few rows shown, by id.
    """

    SORTS = ORDER_SORTS
    COLUMNS = ("o.id, s.name, o.number, o.created_at, o.customer, o.email, o.total, o.currency, "
               "o.payment_status, o.fulfillment_status, o.order_status, o.local_status, "
               f"o.pending, o.accounting_state, o.accounting_ref, {SHARED_NUMBER}, "
               f"{BOOKS_COLUMNS}")
    BASE_FROM = "orders o"

    def __init__(self, inbox: Inbox, view: View, *, count: bool = True) -> None:
        #: The keys of every match in display order, when the filter is rare; else None.
        self.keys: list[Key] | None = None
        self._places: dict[int, int] = {}
        super().__init__(inbox, view, count=count)

    def _plan_filter(self) -> None:
        if not self.text:
            return
        if self.inbox.fts and len(self.text) >= 3:
            phrase = _fts_phrase(self.text)
            found = int(self.inbox.scalar(
                "SELECT count(*) FROM (SELECT 1 FROM orders_fts WHERE orders_fts MATCH ? "
                f"LIMIT {FTS_SPARSE_LIMIT}) AS capped", [phrase]))
            if found < FTS_SPARSE_LIMIT:
                self._hold_matches(phrase)
                return
            self.lower_bound = found
        self._like_filter()

    def _hold_matches(self, phrase: str) -> None:
        direction = " DESC" if self.descending else ""
        order = ", ".join(e + direction for e in self.key_exprs)
        self.where_sql = "o.id IN (SELECT rowid FROM orders_fts WHERE orders_fts MATCH ?)"
        self.params = [phrase]
        self.keys = [tuple(r) for r in self.inbox.rows(
            f"SELECT {', '.join(self.key_exprs)} FROM orders o WHERE {self.where_sql} "
            f"ORDER BY {order}", self.params)]
        self._places = {key[-1]: i for i, key in enumerate(self.keys)}
        self.total = len(self.keys)

    def position(self, key: Key, near_end: bool = False) -> int:
        if self.keys is None:
            return super().position(key, near_end)
        if key[-1] in self._places and self.keys[self._places[key[-1]]] == key:
            return self._places[key[-1]]
        return self._bisect(key)

    def _bisect(self, key: Key) -> int:
        """Where ``key`` would sit in the held keys (display order)."""
        assert self.keys is not None
        low, high = 0, len(self.keys)
        while low < high:
            middle = (low + high) // 2
            held = self.keys[middle]
            if (held > key) if self.descending else (held < key):
                low = middle + 1
            else:
                high = middle
        return low

    def after(self, key: Key | None, limit: int, *, inclusive: bool = False) -> list[Any]:
        if self.keys is None:
            return super().after(key, limit, inclusive=inclusive)
        start = 0 if key is None else self.position(key)
        if key is not None and not inclusive and start < len(self.keys) \
                and self.keys[start] == key:
            start += 1
        return self._held(start, start + limit)

    def before(self, key: Key | None, limit: int) -> list[Any]:
        if self.keys is None:
            return super().before(key, limit)
        end = len(self.keys) if key is None else self.position(key)
        return self._held(max(0, end - limit), end)

    def at(self, position: int, limit: int) -> list[Any]:
        if self.keys is None:
            return super().at(position, limit)
        return self._held(position, position + limit)

    def find(self, row_id: int) -> Any | None:
        if self.keys is not None and row_id not in self._places:
            return None
        return super().find(row_id)

    def ids(self) -> list[int]:
        if self.keys is None:
            return super().ids()
        return [int(key[-1]) for key in self.keys]

    def among(self, order_ids: Sequence[int]) -> set[int]:
        if self.keys is None:
            return super().among(order_ids)
        return {i for i in order_ids if i in self._places}

    def _held(self, start: int, end: int) -> list[OrderRow]:
        """The held matches ``[start, end)``, fetched by id (a row changed since is skipped)."""
        assert self.keys is not None
        ids = [key[-1] for key in self.keys[max(0, start):end]]
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        width = len(self.key_exprs)
        found = {
            r[0]: self._make(r[:-width], tuple(r[-width:]))
            for r in self.inbox.rows(
                f"SELECT {self.COLUMNS}, {', '.join(self.key_exprs)} "
                f"FROM orders o{self.JOIN_STORE} WHERE o.id IN ({marks})", ids)
        }
        return [found[i] for i in ids if i in found]

    def _make(self, v: tuple[Any, ...], key: Key) -> OrderRow:
        return OrderRow(id=v[0], key=key, store=v[1], number=v[2], created_at=_time(v[3]),
                        customer=v[4] or "", email=v[5] or "", total=_money(v[6], v[7]),
                        currency=v[7], payment_status=v[8], fulfillment_status=v[9],
                        order_status=v[10], local_status=v[11], pending=bool(v[12]),
                        accounting_state=v[13], accounting_ref=v[14],
                        shared_number=bool(v[15]),
                        books=BooksState.of(v[13], kept=v[16] is not None, voided=bool(v[17])),
                        kept_ref=v[16])


class UpdateList(Listing):
    """The Updates pane: pending updates, one per order (a database constraint)."""

    SORTS = UPDATE_SORTS
    COLUMNS = ("o.id, s.name, o.number, o.customer, u.id, u.detected_at, u.source, u.kinds, "
               "u.changes, o.accounting_state, o.accounting_ref, o.local_status, o.order_status, "
               f"{BOOKS_COLUMNS}")
    BASE_FROM = "order_update u JOIN orders o ON o.id = u.order_id"
    BASE_WHERE = "u.status = 'pending'"
    id_expr = "u.id"

    def _make(self, v: tuple[Any, ...], key: Key) -> UpdateRow:
        changes = json.loads(v[8]) if v[8] else []
        return UpdateRow(id=v[4], key=key, order_id=v[0], store=v[1], number=v[2],
                         customer=v[3] or "", detected_at=_time(v[5]), source=v[6],
                         kinds=tuple(k for k in (v[7] or "").split(",") if k),
                         summary=labels.summary(changes), accounting_state=v[9],
                         accounting_ref=v[10],
                         cancelled=v[11] == "cancelled" or v[12] == "cancelled",
                         books=BooksState.of(v[9], kept=v[13] is not None, voided=bool(v[14])),
                         kept_ref=v[13],
                         cancelled_here=v[11] == "cancelled" and v[12] != "cancelled")


def stores_of(targets: Sequence[Target]) -> Counter[str]:
    """How many of the targets each store holds, for the confirmation's wording."""
    return Counter(t.store for t in targets)

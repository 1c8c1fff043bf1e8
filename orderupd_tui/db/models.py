"""The peewee models: stores and their cursors, orders, updates, postings and events.

Times are stored as naive UTC (``timestamp`` on PostgreSQL, ISO text on
SQLite) so that both databases sort them the same way; :func:`as_utc`
turns them back into aware values at the edge.  Uniqueness that matters for
safety (one order per store and remote id, one pending update per order,
one posting per posting id) is enforced by the database itself: see the
migrations, which also hold the partial index peewee cannot declare.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DatabaseProxy,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

database = DatabaseProxy()


def db_time(value: datetime) -> datetime:
    """An aware datetime as the naive UTC value the database keeps."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def as_utc(value: datetime | None) -> datetime | None:
    """A stored naive UTC value as an aware datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class MoneyField(DecimalField):
    """An amount with up to three decimals (KWD, BHD), read back as ``Decimal("99.000")``.

    ``DECIMAL(15, 3)``: 12 digits before the point, the range the connectors
    accept (:data:`~orderupd_tui.domain.order.MAX_AMOUNT`), and 15 digits in
    all, which is what SQLite keeps of a number exactly.  SQLite keeps
    ``DECIMAL`` columns as numbers, so ``99.00`` would come back as ``99``;
    quantizing on the way out makes SQLite and PostgreSQL report money
    identically.  Shown to people, an amount is rounded to its currency
    (``domain.order.rounded``): the column does not know the currency.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, auto_round=True,
                         **kwargs)

    def python_value(self, value: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(_MILL)


#: The money columns' ``DECIMAL(MONEY_DIGITS, MONEY_PLACES)`` (migration 0004).
MONEY_DIGITS, MONEY_PLACES = 15, 3
_MILL = Decimal(1).scaleb(-MONEY_PLACES)


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Store(BaseModel):
    """A configured store, keyed by its config name, with its sync state and poll lease."""

    id = AutoField()
    name = CharField(unique=True)
    platform = CharField()
    cursor = DateTimeField(null=True)
    last_poll_at = DateTimeField(null=True)
    last_success_at = DateTimeField(null=True)
    last_error = TextField(null=True)
    lease_owner = CharField(null=True)
    lease_until = DateTimeField(null=True)
    #: What the last poll warned of without failing (a store clock far from ours).
    last_warning = TextField(null=True)


class Order(BaseModel):
    """The local copy of an order: normalized columns, the normalized JSON and the raw payload."""

    id = AutoField()
    store = ForeignKeyField(Store, backref="orders", on_delete="RESTRICT")
    store_id: int  # the foreign key's raw value, which peewee exposes without a query
    remote_id = CharField()
    number = CharField()
    created_at = DateTimeField()
    updated_at = DateTimeField()
    customer = CharField(default="")
    email = CharField(default="")
    total = MoneyField()
    currency = CharField(max_length=3)
    payment_status = CharField()
    fulfillment_status = CharField()
    order_status = CharField()
    platform_status = CharField(default="")
    local_status = CharField(default="active")
    pending = BooleanField(default=False)
    accounting_state = CharField(default="unposted")
    accounting_ref = CharField(null=True)
    posted_at = DateTimeField(null=True)
    data = TextField()
    payload = TextField()
    digest = CharField(max_length=32)
    ignored_digest = CharField(max_length=32, null=True)
    downloaded_at = DateTimeField()

    class Meta:
        table_name = "orders"
        indexes = ((("store", "remote_id"), True), (("store", "number"), False))

    @property
    def ref(self) -> str:
        return f"{self.store.name}:{self.number}"


class Update(BaseModel):
    """A detected change waiting for (or resolved by) a reviewer or a rule."""

    id = AutoField()
    order = ForeignKeyField(Order, backref="updates", on_delete="RESTRICT")
    order_id: int
    detected_at = DateTimeField()
    source = CharField(default="store")
    kinds = CharField()
    changes = TextField()
    new_data = TextField(null=True)
    new_payload = TextField(null=True)
    new_digest = CharField(max_length=32, null=True)
    status = CharField(default="pending")
    resolved_at = DateTimeField(null=True)
    resolved_by = CharField(null=True)
    reason = TextField(null=True)

    class Meta:
        table_name = "order_update"


class Posting(BaseModel):
    """One attempt to put an order in the books; never deleted, only moved between states."""

    id = AutoField()
    posting_id = CharField(unique=True)
    order = ForeignKeyField(Order, backref="postings", on_delete="RESTRICT")
    order_id: int
    backend = CharField()
    document_ref = CharField(null=True)
    state = CharField()
    amount = MoneyField()
    currency = CharField(max_length=3)
    created_at = DateTimeField()
    posted_at = DateTimeField(null=True)
    settled_at = DateTimeField(null=True)
    detail = TextField(null=True)


class Event(BaseModel):
    """The audit trail: every action, by a person or a rule, on an order. Never deleted."""

    id = AutoField()
    at = DateTimeField()
    actor = CharField()
    order = ForeignKeyField(Order, backref="events", null=True, on_delete="RESTRICT")
    action = CharField()
    detail = TextField(default="")


class SetAside(BaseModel):
    """A payload a poll could not read as an order: kept here, apart from the orders.

    ``key`` is the remote id, or a hash of the payload when it had none.  An
    entry is ``open`` until its order reads (``resolved``) or a person
    dismisses it on purpose (``dismissed``, with the reason).  Only open
    entries are retried, counted, and make ``poll`` exit 1.
    """

    id = AutoField()
    store = ForeignKeyField(Store, backref="set_aside", on_delete="RESTRICT")
    store_id: int
    key = CharField()
    remote_id = CharField(null=True)
    number = CharField(null=True)
    position = CharField(default="")
    error = TextField()
    payload = TextField()
    first_seen = DateTimeField()
    last_seen = DateTimeField()
    attempts = IntegerField(default=1)
    state = CharField(default="open")
    closed_at = DateTimeField(null=True)
    closed_by = CharField(null=True)
    reason = TextField(null=True)

    class Meta:
        table_name = "set_aside"
        indexes = ((("store", "key"), True),)


ALL_MODELS = (Store, Order, Update, Posting, Event, SetAside)

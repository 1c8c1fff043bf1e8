"""The first schema: stores, orders, updates, postings and events.

The models here are a frozen copy of the schema as it stood at this
release, deliberately independent of ``orderupd_tui.db.models``: later
releases change the models and add migrations, and this file must keep
creating exactly what 0.1 created.
"""

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    Model,
    TextField,
)


def up(migrator, db):
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Store(Base):
        id = AutoField()
        name = CharField(unique=True)
        platform = CharField()
        cursor = DateTimeField(null=True)
        last_poll_at = DateTimeField(null=True)
        last_success_at = DateTimeField(null=True)
        last_error = TextField(null=True)
        lease_owner = CharField(null=True)
        lease_until = DateTimeField(null=True)

    class Order(Base):
        id = AutoField()
        store = ForeignKeyField(Store, on_delete="RESTRICT")
        remote_id = CharField()
        number = CharField()
        created_at = DateTimeField()
        updated_at = DateTimeField()
        customer = CharField(default="")
        email = CharField(default="")
        total = DecimalField(max_digits=14, decimal_places=2, auto_round=True)
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

    class Update(Base):
        id = AutoField()
        order = ForeignKeyField(Order, on_delete="RESTRICT")
        detected_at = DateTimeField()
        source = CharField(default="store")
        kinds = CharField()
        changes = TextField()
        new_data = TextField(null=True)
        new_payload = TextField(null=True)
        new_digest = CharField(max_length=32, null=True)
        status = CharField(default="pending", index=True)
        resolved_at = DateTimeField(null=True)
        resolved_by = CharField(null=True)
        reason = TextField(null=True)

        class Meta:
            table_name = "order_update"

    class Posting(Base):
        id = AutoField()
        posting_id = CharField(unique=True)
        order = ForeignKeyField(Order, on_delete="RESTRICT")
        backend = CharField()
        document_ref = CharField(null=True)
        state = CharField()
        amount = DecimalField(max_digits=14, decimal_places=2, auto_round=True)
        currency = CharField(max_length=3)
        created_at = DateTimeField()
        posted_at = DateTimeField(null=True)
        settled_at = DateTimeField(null=True)
        detail = TextField(null=True)

    class Event(Base):
        id = AutoField()
        at = DateTimeField()
        actor = CharField()
        order = ForeignKeyField(Order, null=True, on_delete="RESTRICT")
        action = CharField()
        detail = TextField(default="")

    db.create_tables([Store, Order, Update, Posting, Event])
    # One pending update per order, enforced by the database, not only by the code.
    db.execute_sql(
        "CREATE UNIQUE INDEX order_update_one_pending ON order_update (order_id) "
        "WHERE status = 'pending'"
    )

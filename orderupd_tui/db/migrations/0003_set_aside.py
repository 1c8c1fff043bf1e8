"""Unreadable orders set aside, and each store's last warning.

A payload a poll cannot read is kept in ``set_aside`` instead of stopping
its store's poll, and retried by id until it reads.  The table is created
from a frozen copy of its columns, as 0001 does, so later model changes
cannot change what this migration creates.
"""

from peewee import (
    AutoField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
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

    class SetAside(Base):
        id = AutoField()
        store = ForeignKeyField(Store, on_delete="RESTRICT")
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

    SetAside.create_table(safe=False)
    db.execute_sql("CREATE INDEX set_aside_open ON set_aside (store_id, id) WHERE state = 'open'")
    migrator.add_column("store", "last_warning", TextField(null=True)).run()

"""Read statements, built once per shape and run again with other values.

Building a statement and working out its cache key costs more than running it, so the
reads keep what they built under the request's shape (type, fieldset, sort, filters,
includes...). What differs between two requests of one shape is bound by name at
execution: the page's size and offset, the parents' keys, the id asked for, a ranking's
values (and the caller's health system, which types bind through a callable).
"""

from collections import OrderedDict

from flask import g
from sqlalchemy import bindparam

from inquick.extensions import db

LIMIT, OFFSET = bindparam("limit"), bindparam("offset")
# Bound by name: the keys of an include's parents, one parent's key or id, an id.
PARENTS, PARENT, ID = "parents", "parent", "id"


class Statements:
    """Built statements by shape, the least recently used dropped past `size`."""

    def __init__(self, size=1024):
        self.size = size
        self.built = OrderedDict()

    def get(self, shape, build):
        statement = self.built.get(shape)
        if statement is None:
            statement = self.built[shape] = build()
            if len(self.built) > self.size:
                self.built.popitem(last=False)
        else:
            self.built.move_to_end(shape)
        return statement


STATEMENTS = Statements()


def plan_per_value():
    """Have PostgreSQL plan the rest of this transaction's statements for their values.

    After five runs of a statement PostgreSQL may settle on one plan for every value. For
    a search that plan is ruinous: the plan fit for "dana v" (a few names) reads and sorts
    every name for "d" or "da", 3 to 20 times slower at 20,000 providers. Planned for each
    value, every letter typed costs about the same at any size. `SET LOCAL` ends with the
    transaction: a pooled connection goes back as it was. It needs a transaction, so a read
    whose statements ran alone (`inquick.database.statements_alone`) goes on in one.
    """
    g.one_snapshot = True
    if g.get("statements_alone"):
        db.session.commit()  # ends their run: nothing was written, no round trip
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


def execute(statement, values):
    """Run a read statement on the session's connection: its rows are plain rows, and
    the ORM's layer of execution (built for objects) is skipped. Changes the session
    holds are flushed first, as the session itself would, so that a read sees them."""
    db.session.flush()
    return db.session.connection().execute(statement, values)

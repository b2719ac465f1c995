"""Read statements, built once per shape and run again with other values.

Building a statement and working out its cache key costs more than running it, so the
reads keep what they built under the request's shape (type, fieldset, sort, filters,
includes...). What differs between two requests of one shape is bound by name at
execution: the page's size and offset, the parents' keys, the id asked for, a ranking's
values (and the caller's health system, which types bind through a callable).

A kept statement is also compiled once per database and run on the driver's own cursor:
SQLAlchemy's execution (a cache key worked out per run, an execution context, a result
object and its rows) was a sixth of a small read's Python time (a location's schedules:
2.18 -> 1.85 ms of CPU a request in-process). What it
would have done that a read needs is done here: bound values pass through their types'
processors, rows' values through theirs, listeners hear `before_cursor_execute` (the
statement counters do), and a failure goes to SQLAlchemy's own handler.
"""

from collections import OrderedDict

from sqlalchemy import bindparam

from inquick.database import read_connection

LIMIT, OFFSET = bindparam("limit"), bindparam("offset")
# Bound by name: the keys of an include's parents, one parent's key or id, an id.
PARENTS, PARENT, ID = "parents", "parent", "id"
READING_CURSOR = "inquick.reading_cursor"


class Kept:
    """A statement kept under its shape, with its compiled form for each database."""

    __slots__ = ("compiled", "statement")

    def __init__(self, statement):
        self.statement = statement
        self.compiled = {}

    def compiled_for(self, dialect):
        database = (dialect.name, dialect.driver, dialect.server_version_info)
        found = self.compiled.get(database)
        if found is None:
            found = self.compiled[database] = Compiled(self.statement.compile(dialect=dialect))
        return found


class Compiled:
    """One database's SQL of a statement, the processors of its bound values (by name),
    and those of its rows' columns (known once the driver has described them, at the
    first run)."""

    __slots__ = ("binds", "converters", "sql")

    def __init__(self, sql):
        self.sql = sql
        dialect = sql.dialect
        self.binds = {}
        for name, bind in sql.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                self.binds[name] = process
        self.converters = None

    def bound(self, values):
        """The SQL to send and its parameters, as the driver takes them: in the SQL's order,
        or by the names the SQL spells (a name SQL cannot hold is spelled otherwise)."""
        expanded = self.sql.construct_expanded_state(values, escape_names=False)
        parameters = expanded.parameters
        for processors in (self.binds, expanded.processors):  # the second: expanded lists'
            for name, process in processors.items():
                if name in parameters:
                    parameters[name] = process(parameters[name])
        if expanded.positiontup is not None:
            return expanded.statement, [parameters[name] for name in expanded.positiontup]
        spelled = self.sql.escaped_bind_names
        if spelled:
            parameters = {spelled.get(name, name): value for name, value in parameters.items()}
        return expanded.statement, parameters

    def row_converters(self, dialect, cursor):
        """(column number, processor) of each column whose values its type converts from the
        driver's (SQLite's dates, say); worked out at the first run only, since the driver
        builds its description anew on every reading."""
        if self.converters is None:
            converters = []
            columns = self.sql.statement.selected_columns
            for n, (column, described) in enumerate(zip(columns, cursor.description, strict=True)):
                process = column.type.dialect_impl(dialect).result_processor(dialect, described[1])
                if process is not None:
                    converters.append((n, process))
            self.converters = tuple(converters)
        return self.converters


class Statements:
    """Built statements by shape, the least recently used dropped past `size`."""

    def __init__(self, size=1024):
        self.size = size
        self.built = OrderedDict()

    def get(self, shape, build):
        kept = self.built.get(shape)
        if kept is None:
            kept = self.built[shape] = Kept(build())
            if len(self.built) > self.size:
                self.built.popitem(last=False)
        else:
            self.built.move_to_end(shape)
        return kept


STATEMENTS = Statements()


def execute(kept, values, per_value=False):
    """Run a kept read statement on the read's connection (`inquick.database.read_connection`:
    its own, or the session's once the changes it holds are flushed); its rows, as tuples.

    `per_value`: PostgreSQL plans the statement for its values every time.
    After five runs of a prepared statement it may settle on one plan for every value, and
    for a search that plan is ruinous: the plan fit for "dana v" (a few names) reads and
    sorts every name for "d" or "da", 3 to 20 times slower at 20,000 providers. Sent
    unprepared, every letter typed costs about the same at any size.
    """
    connection = read_connection()
    dialect = connection.dialect
    compiled = kept.compiled_for(dialect)
    sql, parameters = compiled.bound(values)
    cursor = reading_cursor(connection)
    try:
        connection.dispatch.before_cursor_execute(connection, cursor, sql, parameters, None, False)
        if per_value and dialect.name == "postgresql":
            cursor.execute(sql, parameters, prepare=False)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall()
        converters = compiled.row_converters(dialect, cursor)
    except BaseException as failure:
        # The handler closes the cursor: the connection must not keep it for its next read.
        if connection.info.get(READING_CURSOR) is cursor:
            del connection.info[READING_CURSOR]
        # Raised by SQLAlchemy's own handler, the one its execution calls (private, so a
        # test kills a connection under a read): a driver's error becomes SQLAlchemy's
        # (its values hidden, as the engine is configured), a broken connection is
        # invalidated and so is every pooled one opened before it (a restart broke them).
        connection._handle_dbapi_exception(failure, sql, parameters, cursor, None)
    if converters:
        rows = [converted(row, converters) for row in rows]
    return rows


def reading_cursor(connection):
    """The driver's cursor kept with the connection for reads. A psycopg cursor works out
    how to load each column's type at its first result (a loader made for each JSON
    column); a cursor made for every statement did so every time: about 15 of the 130 us
    of CPU a page of a location's schedules takes the client. The cursor goes when the
    pool closes or replaces its connection (`info` is the connection's own)."""
    cursor = connection.info.get(READING_CURSOR)
    if cursor is None:
        cursor = connection.info[READING_CURSOR] = connection.connection.driver_connection.cursor()
    return cursor


def converted(row, converters):
    values = list(row)
    for n, process in converters:
        values[n] = process(values[n])
    return tuple(values)

"""SQL constructs that each database spells its own way."""

import json

from sqlalchemy import JSON, Boolean, String, Text, bindparam, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator


class JsonListContains(ColumnElement):
    """True when a JSON array of strings holds `value`, compared case-insensitively."""

    type = Boolean()
    inherit_cache = True
    # Both parts take part in the statement cache key, so the bound value is never stale.
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("value", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column, value):
        self.column = column
        self.value = literal(value, String)


@compiles(JsonListContains, "postgresql")
def _contains_postgresql(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    value = compiler.process(element.value, **kw)
    return (
        f"EXISTS (SELECT 1 FROM json_array_elements_text({column}) AS item(value) "
        f"WHERE lower(item.value) = lower({value}))"
    )


@compiles(JsonListContains, "sqlite")
def _contains_sqlite(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    value = compiler.process(element.value, **kw)
    return (
        f"EXISTS (SELECT 1 FROM json_each({column}) WHERE lower(json_each.value) = lower({value}))"
    )


# JSON built by the database: a read selects a list-shaped attribute (opening hours, a
# provider's groups) as one JSON value per row instead of loading its rows one by one.


class JsonObject(ColumnElement):
    """A JSON object of `keys` to `values`, in that order; booleans stay booleans."""

    type = JSON()
    inherit_cache = True
    _traverse_internals = [
        ("keys", InternalTraversal.dp_string_list),
        ("values", InternalTraversal.dp_clauseelement_list),
    ]

    def __init__(self, keys, values):
        self.keys = list(keys)
        self.values = list(values)


@compiles(JsonObject, "postgresql")
def _object_postgresql(element, compiler, **kw):
    pairs = ", ".join(
        f"'{key}', {compiler.process(value, **kw)}"
        for key, value in zip(element.keys, element.values, strict=True)
    )
    return f"json_build_object({pairs})"


@compiles(JsonObject, "sqlite")
def _object_sqlite(element, compiler, **kw):
    pairs = (
        f"'{key}', {_json_value_sqlite(value, compiler, **kw)}"
        for key, value in zip(element.keys, element.values, strict=True)
    )
    return f"json_object({', '.join(pairs)})"


def _json_value_sqlite(value, compiler, **kw):
    sql = compiler.process(value, **kw)
    if isinstance(value.type, Boolean):  # SQLite stores 0/1; JSON wants true/false
        return f"json(CASE WHEN {sql} IS NULL THEN NULL WHEN {sql} THEN 'true' ELSE 'false' END)"
    return sql


class JsonArray(ColumnElement):
    """A JSON array of `values`, in that order; booleans stay booleans."""

    type = JSON()
    inherit_cache = True
    _traverse_internals = [("values", InternalTraversal.dp_clauseelement_list)]

    def __init__(self, values):
        self.values = list(values)


@compiles(JsonArray, "postgresql")
def _json_array_postgresql(element, compiler, **kw):
    return f"json_build_array({', '.join(compiler.process(v, **kw) for v in element.values)})"


@compiles(JsonArray, "sqlite")
def _json_array_sqlite(element, compiler, **kw):
    values = (_json_value_sqlite(value, compiler, **kw) for value in element.values)
    return f"json_array({', '.join(values)})"


class JsonArrayOf(ColumnElement):
    """The JSON array of an item (an object, an array) per row of the enclosing SELECT, in
    its rows' order."""

    type = JSON()
    inherit_cache = True
    _traverse_internals = [("item", InternalTraversal.dp_clauseelement)]

    def __init__(self, item):
        self.item = item


@compiles(JsonArrayOf, "postgresql")
def _array_postgresql(element, compiler, **kw):
    return f"coalesce(json_agg({compiler.process(element.item, **kw)}), '[]'::json)"


@compiles(JsonArrayOf, "sqlite")
def _array_sqlite(element, compiler, **kw):
    return f"json_group_array({compiler.process(element.item, **kw)})"


class JsonListOrNull(ColumnElement):
    """The JSON array of a column's values over the enclosing SELECT's rows, or null when
    there are none, so that `coalesce` passes over an empty list to the next."""

    type = JSON()
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column


@compiles(JsonListOrNull, "postgresql")
def _list_or_null_postgresql(element, compiler, **kw):
    return f"json_agg({compiler.process(element.column, **kw)})"


@compiles(JsonListOrNull, "sqlite")
def _list_or_null_sqlite(element, compiler, **kw):
    return f"nullif(json_group_array({compiler.process(element.column, **kw)}), '[]')"


class JsonListItems(FunctionElement):
    """The items of a JSON array as rows: with `.table_valued("value")`, a FROM element
    whose `value` column holds each item (as text on PostgreSQL). Like any function in a
    FROM clause, its argument may refer to the tables before it."""

    inherit_cache = True
    name = "json_list_items"


@compiles(JsonListItems, "postgresql")
def _list_items_postgresql(element, compiler, **kw):
    return f"json_array_elements_text({compiler.process(element.clauses, **kw)})"


@compiles(JsonListItems, "sqlite")
def _list_items_sqlite(element, compiler, **kw):
    return f"json_each({compiler.process(element.clauses, **kw)})"


def json_list(rows, keys, *, correlate):
    """One JSON value: the array of `rows` (a SELECT, in its ORDER BY) as objects of `keys`.

    `rows` selects one column per key and refers to the row it belongs to through the
    tables in `correlate` (a provider's groups refer to `providers`). An empty list is
    `[]`, never null. The array keeps the rows' order, which both databases take from an
    ordered subquery (SQLite before 3.44 has no ORDER BY inside an aggregate).
    """
    inner = rows.correlate(*correlate).subquery("rows")
    columns = list(inner.c)[: len(keys)]
    aggregate = select(JsonArrayOf(JsonObject(keys, columns))).select_from(inner).scalar_subquery()
    return type_coerce(aggregate, JSON)


def json_rows(rows, *, correlate):
    """One JSON value: the array of `rows` (a SELECT, in its ORDER BY), each row the array
    of its columns' values. `rows` refers to the row it belongs to through the FROM
    elements in `correlate` only; an empty list is `[]`."""
    inner = rows.correlate(*correlate).subquery("rows")
    aggregate = select(JsonArrayOf(JsonArray(inner.c))).select_from(inner).scalar_subquery()
    return type_coerce(aggregate, JSON)


class OneColumnForm(ColumnElement):
    """A column through a SQL template of each dialect's (`{}` stands for the column)."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]
    templates = {}

    def __init__(self, column):
        self.column = column


@compiles(OneColumnForm)
def _one_column_form(element, compiler, **kw):
    template = element.templates[compiler.dialect.name]
    return template.format(compiler.process(element.column, **kw))


class ClockText(OneColumnForm):
    """A TIME as the API writes it, `HH:MM` (SQLite holds a TIME as `HH:MM:SS.ffffff`)."""

    type = String()
    inherit_cache = True
    templates = {"postgresql": "to_char({}, 'HH24:MI')", "sqlite": "substr({}, 1, 5)"}


class DateText(OneColumnForm):
    """A DATE as the API writes it, `YYYY-MM-DD` (SQLite holds a DATE as that text)."""

    type = String()
    inherit_cache = True
    templates = {"postgresql": "to_char({}, 'YYYY-MM-DD')", "sqlite": "{}"}


class CodePointOrder(OneColumnForm):
    """A text column ordered by code point, as Python's `sorted` orders strings, whatever
    the database's collation (SQLite's default, BINARY, is code point order)."""

    type = String()
    inherit_cache = True
    templates = {"postgresql": '({} COLLATE "C")', "sqlite": "{}"}


class ValueList(TypeDecorator):
    """A list bound as one parameter: an array on PostgreSQL, JSON text on SQLite."""

    impl = String
    cache_ok = True

    def __init__(self, item_type):
        super().__init__()
        self.item_type = item_type

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            # Strings as text[]: PostgreSQL compares VARCHAR as text, and a varchar[]
            # parameter would be cast to text[] again for every row a generic plan reads.
            item = Text() if isinstance(self.item_type, String) else self.item_type
            return dialect.type_descriptor(ARRAY(item))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value, dialect):
        values = list(value)
        return values if dialect.name == "postgresql" else json.dumps(values)


class InValues(ColumnElement):
    """`column IN values`, with the values bound as one parameter.

    An IN list spells one placeholder per value, so each length is another statement for
    the database to plan; one parameter keeps the statement's text the same, and
    PostgreSQL plans a prepared statement once for all the lists it is given.
    """

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column, values=(), *, key=None):
        """`values` now, or bound at execution under the name `key`."""
        self.column = column
        if key is None:
            self.values = bindparam(None, list(values), type_=ValueList(column.type))
        else:
            self.values = bindparam(key, type_=ValueList(column.type))


@compiles(InValues, "postgresql")
def _in_values_postgresql(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    values = compiler.process(element.values, **kw)
    # A set to join, not `= ANY(array)`: in a plan made for every list a prepared statement
    # is given, a scan would compare each row with each value of the array.
    return f"{column} IN (SELECT unnest({values}))"


@compiles(InValues, "sqlite")
def _in_values_sqlite(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(element.values, **kw)}))"

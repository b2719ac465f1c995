"""SQL constructs that each database spells its own way."""

from sqlalchemy import Boolean, String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


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

"""The one kind of schema field the JSON:API machinery adds: an attribute the database computes.

A type's schema stays the only declaration of its attributes. An attribute stored in a
plain column needs nothing more than its field; one computed from other rows or columns
(a provider's medical groups, a schedule's opening hours) declares here the SQL that
computes it, so that reads select it with the row, with no second declaration anywhere.
"""

from marshmallow import ValidationError, fields


class Computed(fields.Field):
    """An attribute read from SQL declared with it.

    `sql` is one SQL expression, or a tuple of them, over the type's table (a zero-argument
    callable returning them is also accepted, for SQL that must be built late); `convert`
    turns the value(s) a row holds into the attribute's JSON value (by default: the one
    value, as it is). `load` reads the attribute from a request for a write; without it
    the attribute is read-only.
    """

    def __init__(self, sql, *, convert=None, load=None, **kwargs):
        if load is None:
            kwargs.setdefault("dump_only", True)
        super().__init__(**kwargs)
        self.sql = sql
        self.convert = convert
        self.load = load

    def expressions(self):
        """The SQL expressions a row of the type carries for this attribute."""
        sql = self.sql() if callable(self.sql) else self.sql
        return sql if isinstance(sql, tuple) else (sql,)

    def _serialize(self, value, attr, obj, **kwargs):
        return value  # already the JSON value: reads take it from the row

    def _deserialize(self, value, attr, data, **kwargs):
        if self.load is None:
            raise ValidationError("is read-only")
        return self.load(value)

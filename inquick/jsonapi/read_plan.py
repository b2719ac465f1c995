"""A type's read plan, built once from its schema: what a read selects, and how a row dumps.

Reads select rows, not objects: each attribute of a type is one or more SQL expressions
over its table (a plain column, or the SQL a `Computed` field declares), and a row becomes
the resource object's attributes through a dump function made once per sparse fieldset.
Nothing here is written per type: an attribute added to a schema is in every read at once.
"""

from datetime import date, datetime

from marshmallow import fields
from sqlalchemy import Boolean, Enum, Integer, String, inspect
from sqlalchemy.orm.attributes import InstrumentedAttribute
from sqlalchemy.orm.properties import ColumnProperty

from inquick.jsonapi.fields import Computed

# Fields whose JSON value is the column's value as the driver returns it.
PASSED_THROUGH = (fields.String, fields.Integer, fields.Float, fields.Boolean, fields.List,
                  fields.Dict, fields.Raw)  # fmt: skip
KEY, ID = "key", "id"  # the labels of a row's first two columns
# The types whose values come through JSON as the driver would return them (a boolean of
# SQLite's as true or false: `inquick.sql.JsonArray`); a date, say, would come as text,
# and an enumeration's member as its name.
SAME_IN_JSON = (String, Integer, Boolean)


class UnreadableAttribute(TypeError):
    """A schema attribute that is neither a plain column nor `Computed`: it cannot be read."""


def plain_column(model, schema_field, name):
    """The model's column behind a schema field, or None when it is not a plain column."""
    attribute = getattr(model, schema_field.attribute or name, None)
    if isinstance(attribute, InstrumentedAttribute) and isinstance(
        attribute.property, ColumnProperty
    ):
        return attribute.property.columns[0]
    return None


def value_converter(schema_field, column):
    """How a plain column's value becomes the field's JSON value (None: as it is)."""
    if isinstance(schema_field, PASSED_THROUGH) and column.type.python_type not in (
        datetime,
        date,
    ):
        return None
    return lambda value: schema_field._serialize(value, schema_field.name, None)


class ReadPlan:
    """The columns of one type's rows and the functions that dump them."""

    def __init__(self, resource):
        self.resource = resource
        model = resource.model
        self.key = inspect(model).primary_key[0]
        self.id = getattr(model, resource.id_attribute).property.columns[0]
        self.table = self.key.table
        # json name -> (expressions, convert); expressions are shared between attributes
        # that read the same column (a visit's patient attributes all read `patient`).
        self.sources = {}
        for name, schema_field in resource.attributes.items():
            if isinstance(schema_field, Computed):
                expressions = schema_field.expressions()
                convert = schema_field.convert
            else:
                column = plain_column(model, schema_field, schema_field.name)
                if column is None:
                    raise UnreadableAttribute(
                        f"{resource.type}.{name} is neither a plain column nor Computed"
                    )
                expressions, convert = (column,), value_converter(schema_field, column)
            self.sources[name] = (expressions, convert)
        self._layouts, self._same_in_json = {}, {}

    def layout(self, wanted):
        """(expressions, dump) for a fieldset: the row's columns after its key and id, and
        the function turning a row into its attributes."""
        fieldset = None if wanted is None else frozenset(wanted)
        found = self._layouts.get(fieldset)
        if found is None:
            found = self._layouts[fieldset] = self._build_layout(fieldset)
        return found

    def _build_layout(self, fieldset):
        expressions, positions, steps = [], {}, []
        for name, (sources, convert) in self.sources.items():
            if fieldset is not None and name not in fieldset:
                continue
            offsets = []
            for expression in sources:
                if id(expression) not in positions:
                    positions[id(expression)] = 2 + len(expressions)
                    expressions.append(expression)
                offsets.append(positions[id(expression)])
            steps.append((name, tuple(offsets), convert))
        return tuple(expressions), make_dump(steps)

    def same_in_json(self, wanted):
        """Whether a row for `wanted` attributes can be read as a JSON array of its values
        (`inquick.sql.json_rows`) and dump as it would from the row itself."""
        fieldset = None if wanted is None else frozenset(wanted)
        found = self._same_in_json.get(fieldset)
        if found is None:  # asked for each include of each page: worked out once
            expressions, _ = self.layout(fieldset)
            types = [e.type for e in (self.key, self.id, *expressions)]
            found = all(isinstance(t, SAME_IN_JSON) and not isinstance(t, Enum) for t in types)
            self._same_in_json[fieldset] = found
        return found

    def columns(self, wanted, prefix=""):
        """What a row of this type selects for `wanted` attributes: key, id, then the rest
        (labelled after `prefix`, to tell apart the columns of two types in one row)."""
        expressions, _ = self.layout(wanted)
        labelled = [expression.label(f"{prefix}a{n}") for n, expression in enumerate(expressions)]
        return [self.key.label(f"{prefix}{KEY}"), self.id.label(f"{prefix}{ID}"), *labelled]


def make_dump(steps):
    """A function from a row to its attributes, for (name, offsets, convert) steps.

    It is generated as one dict display (`{"name": row[2], "hours": c1(row[3]), ...}`),
    the cheapest way CPython has to build a dict, since it runs for every row of a read.
    """
    namespace, items = {}, []
    for n, (name, offsets, convert) in enumerate(steps):
        values = ", ".join(f"row[{offset}]" for offset in offsets)
        if convert is None:
            items.append(f"{name!r}: {values}")
        else:
            namespace[f"c{n}"] = convert
            items.append(f"{name!r}: c{n}({values})")
    return eval(f"lambda row: {{{', '.join(items)}}}", namespace)

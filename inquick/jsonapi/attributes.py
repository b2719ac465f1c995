"""Reading a request's attributes against a type's schema: types, writability and limits.

A type's marshmallow-jsonapi schema says which attributes exist, which are read-only
(`dump_only`), which a new resource must have (`required`) and what values are valid
(`validate`); the model's columns add what the database can hold (string lengths,
integer range). Types are checked strictly, as JSON has them: `"5"` is not a number and
`1` is not `true`.
"""

from marshmallow import ValidationError, fields
from sqlalchemy import Integer, String
from sqlalchemy.orm.attributes import InstrumentedAttribute
from sqlalchemy.orm.properties import ColumnProperty

from inquick.jsonapi.errors import ErrorList, Unprocessable
from inquick.jsonapi.request_document import members

# The JSON types a field of each kind takes (checked before marshmallow sees the value).
JSON_TYPES = (
    (fields.Boolean, (bool,), "true or false"),
    (fields.Integer, (int,), "a whole number"),
    (fields.Float, (int, float), "a number"),
    (fields.String, (str,), "a string"),
    (fields.List, (list,), "an array"),
    (fields.Dict, (dict,), "an object"),
)
INTEGER_RANGE = (-(2**31), 2**31 - 1)  # what an INTEGER column holds on every database


def type_problem(schema_field, value):
    """Why `value` is not of the field's JSON type, or None."""
    if value is None:
        return None  # the field's allow_none decides
    for kind, types, described in JSON_TYPES:
        if isinstance(schema_field, kind):
            wrong = not isinstance(value, types) or (bool not in types and isinstance(value, bool))
            return f"must be {described}" if wrong else None
    return None  # a field with its own deserializer checks its input itself


def holds_nul(value):
    """Whether a NUL character hides anywhere in the value (no database stores one in text)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    return False


def column_of(model, schema_field):
    """The model's column behind a schema field, when it is a plain column."""
    attribute = getattr(model, schema_field.attribute or schema_field.name, None) if model else None
    if isinstance(attribute, InstrumentedAttribute) and isinstance(
        attribute.property, ColumnProperty
    ):
        return attribute.property.columns[0]
    return None


def column_problem(column, value):
    """Why the column cannot hold `value`, or None."""
    if column is None or value is None:
        return None
    if isinstance(column.type, String) and column.type.length and len(value) > column.type.length:
        return f"must be at most {column.type.length} characters long"
    low, high = INTEGER_RANGE
    if isinstance(column.type, Integer) and isinstance(value, int) and not low <= value <= high:
        return f"must be between {low} and {high}"
    return None


def marshmallow_messages(error):
    """marshmallow's messages, flat (a list field reports them by item index)."""
    messages = error.messages
    if isinstance(messages, dict):
        return [f"item {index}: {m}" for index, item in messages.items() for m in item]
    return list(messages)


def read_attributes(resource, attributes, *, creating):
    """{schema field name: value} for a request's attributes, or one 422 per bad attribute.

    An attribute that does not exist or is read-only is refused, not ignored: a client
    that believes it set a value must learn that it did not.
    """
    errors, values = [], {}
    for name in members(attributes):
        value, pointer = attributes[name], f"/data/attributes/{name}"
        schema_field = resource.attributes.get(name)
        if schema_field is None:
            errors.append(Unprocessable(f"{resource.type} have no attribute {name!r}.",
                                        pointer=pointer))  # fmt: skip
            continue
        if schema_field.dump_only:
            errors.append(Unprocessable(f"{name} is read-only.", pointer=pointer))
            continue
        problem = type_problem(schema_field, value)
        if problem is None and holds_nul(value):
            problem = "must not contain NUL characters"
        problem = problem or column_problem(column_of(resource.model, schema_field), value)
        if problem is None:
            try:
                values[schema_field.name] = schema_field.deserialize(value)
            except ValidationError as error:
                problem = " ".join(marshmallow_messages(error))
        if problem is not None:
            errors.append(Unprocessable(f"{name}: {problem}", pointer=pointer))
    if creating:
        errors.extend(
            Unprocessable(f"{name} is required.", pointer=f"/data/attributes/{name}")
            for name, schema_field in resource.attributes.items()
            if schema_field.required and name not in attributes
        )
    if errors:
        raise ErrorList(errors)
    return values


def load_attributes(schema, attributes):
    """{field name: value} loaded by a plain marshmallow schema, or one 422 per bad attribute.

    The schema's messages say what an attribute must be ("must be …"); a detail is the
    attribute's name and the first of them. An attribute the schema does not declare
    cannot be set. Errors come in the request's order for those, then the schema's.
    """
    declared = [schema_field.data_key or name for name, schema_field in schema.fields.items()]
    errors = [
        Unprocessable(f"{name} cannot be set.", pointer=f"/data/attributes/{name}")
        for name in attributes
        if name not in declared
    ]
    try:
        values = schema.load({k: v for k, v in attributes.items() if k in declared})
    except ValidationError as error:
        errors.extend(
            Unprocessable(
                f"{name} {first_message(error.messages[name])}", pointer=f"/data/attributes/{name}"
            )
            for name in declared
            if name in error.messages
        )
    if errors:
        raise ErrorList(errors)
    return values


def first_message(messages):
    """The first of marshmallow's messages for a field."""
    if isinstance(messages, dict):  # a list field's, by item index
        messages = next(iter(messages.values()))
    return messages[0]

"""A JSON:API type declared once: its schema, model, relationships, filters and sorts.

The machinery in this package reads these declarations; it knows nothing of what
the types mean. A type's attributes and relationships come from its
marshmallow-jsonapi schema, so the schema stays the single description of a type.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from marshmallow_jsonapi.fields import BaseRelationship
from sqlalchemy import Column, select
from sqlalchemy.orm import MANYTOONE, ONETOMANY
from sqlalchemy.orm.attributes import InstrumentedAttribute
from sqlalchemy.orm.properties import ColumnProperty
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList

from inquick.jsonapi.errors import InvalidFilter
from inquick.jsonapi.read_plan import KEY, ReadPlan
from inquick.jsonapi.records import Link

REGISTRY = {}


def checked(parse, value, parameter):
    """`parse(value)`, its `InvalidFilter` naming the query parameter that held the value."""
    try:
        return parse(value)
    except InvalidFilter as error:
        error.source = {"parameter": parameter}
        raise


def is_plain_column(attribute):
    """A mapped column of a scalar type (not JSON, not a relationship or a property)."""
    return (
        isinstance(attribute, InstrumentedAttribute)
        and isinstance(attribute.property, ColumnProperty)
        and attribute.type.python_type in (str, int, float, bool, datetime, date)
    )


@dataclass(frozen=True)
class RelationshipSpec:
    """One relationship of a type, read from its schema's `Relationship` field."""

    name: str
    type: str
    many: bool
    attribute: str

    @property
    def target(self):
        return REGISTRY[self.type]


@dataclass(frozen=True)
class Filter:
    """A filter key of a type.

    `condition(value)` returns a WHERE clause (or None for "no restriction"); filters
    sharing a `together` function have their clauses combined by it into one clause, for
    conditions that must hold on the same related row. A filter with `rank(value)` orders
    the results instead: it returns a ranking, whose `values` are bound by name when its
    statement runs and whose `page(where, order, limit, offset, dialect)` returns the
    SELECT of one page's keys (`key`) and sort keys (`s0` its own, then `s1`... for
    `order`'s (expression, descending) pairs) among the rows `where` lets through. Both
    raise `InvalidFilter` for a malformed value.
    """

    condition: object = None
    rank: object = None
    together: object = None


@dataclass(frozen=True)
class ParsedFilters:
    """A request's filters as a read's statement sees them: `shape` tells statements apart
    (a ranking's value is bound, not built in), `values` are the rankings' bound values."""

    shape: tuple
    values: dict
    ranked: bool


@dataclass
class Resource:
    """The declaration of one JSON:API type, backed by one SQLAlchemy model (or by none,
    for a type that is only ever built in Python and serialized)."""

    schema_class: type
    model: type
    default_sort: tuple = ("id",)
    filters: dict = field(default_factory=dict)
    # How rows pair up for relationships that are not a plain SQLAlchemy relationship of
    # the model: name -> callable() -> `Link`.
    links: dict = field(default_factory=dict)
    # Relationships whose linkage is always given.
    always_linked: tuple = ()
    # Sort keys for attributes that are not a plain column: JSON name -> column.
    extra_sorts: dict = field(default_factory=dict)
    # Called with (objects, params) after the list or show endpoint loaded them: for a
    # type whose every read must be recorded.
    on_read: object = lambda objects, params: None
    # Whether the API serves URLs for this type's objects and their relationships; a type
    # built only inside another document (a validation of a visit-settings) has none. A
    # callable decides per object.
    self_links: object = True
    relationship_links: bool = True
    # Relationships a client may set: JSON name -> the model attribute a write assigns
    # (which may differ from the one read, as for a list resolved by inheritance).
    writable_relationships: dict = field(default_factory=dict)

    def __post_init__(self):
        self.schema = self.schema_class()
        self.type = self.schema.opts.type_
        self.id_attribute = self.schema.fields["id"].attribute or "id"
        self.attributes = {}
        self.relationships = {}
        for name, schema_field in self.schema.dump_fields.items():
            key = schema_field.data_key or name
            if name == "id":
                continue
            if isinstance(schema_field, BaseRelationship):
                self.relationships[key] = RelationshipSpec(
                    key, schema_field.type_, schema_field.many, schema_field.attribute or name
                )
            else:
                self.attributes[key] = schema_field
        self.sorts = {**self._sortable_columns(), **self.extra_sorts}
        self.filters = {"id": Filter(self._with_ids), **self.filters}
        REGISTRY[self.type] = self

    def _with_ids(self, value):
        ids = [part.strip() for part in value.split(",") if part.strip()]
        if not ids:
            raise InvalidFilter("The id filter needs at least one id.")
        # Compared as the column holds ids: an id it cannot hold (text, for an integer id)
        # matches nothing, where PostgreSQL would refuse to compare the two types at all.
        return self.id_column().in_([i for i in map(self.parse_id, ids) if i is not None])

    def apply_filters(self, statement, filters):
        """`statement` narrowed by {key: (value, parameter name)}, and the rankings the
        filters order by."""
        grouped, rankings = {}, []
        for key, (value, parameter) in filters.items():
            declared = self.filters[key]
            if declared.rank is not None:
                rankings.append(checked(declared.rank, value, parameter))
                continue
            clause = checked(declared.condition, value, parameter)
            if clause is None:
                continue
            if declared.together is not None:
                grouped.setdefault(declared.together, []).append(clause)
            else:
                statement = statement.where(clause)
        for combine, clauses in grouped.items():
            statement = statement.where(combine(clauses))
        return statement, rankings

    def parsed_filters(self, filters):
        """The shape and bound values of a request's filters (see `ParsedFilters`)."""
        shape, values, ranked = [], {}, False
        for key, (value, parameter) in sorted(filters.items()):
            declared = self.filters[key]
            if declared.rank is not None:
                values.update(checked(declared.rank, value, parameter).values)
                shape.append((key, None))
                ranked = True
            else:
                shape.append((key, value))
        return ParsedFilters(tuple(shape), values, ranked)

    def check_filters(self, filters):
        """Refuse a malformed filter value (400) now, before the request does anything else.

        Filters are applied to a response, and a write answers after it commits: a bad value
        found only then would refuse a request whose change is already made.
        """
        self.apply_filters(select(self.model), filters)

    def _sortable_columns(self):
        """Attributes stored in a plain column of the model can be sorted on."""
        if self.model is None:  # a type built in Python, never listed from a table
            return {}
        sorts = {"id": getattr(self.model, self.id_attribute)}
        for key, schema_field in self.attributes.items():
            column = getattr(self.model, schema_field.attribute or schema_field.name, None)
            if is_plain_column(column):
                sorts[key] = column
        return sorts

    @cached_property
    def read_plan(self):
        """What reads of this type select, built from its schema on first use."""
        return ReadPlan(self)

    def base_query(self):
        """The objects a write may change: those the caller may see (`scoped`)."""
        return self.scoped(select(self.model))

    def keys_query(self):
        """The keys of the rows the caller may see: every read starts from these."""
        return self.scoped(select(self.read_plan.key.label(KEY)))

    def list_query(self):
        """What the collection endpoint lists: by default, everything the caller may address."""
        return self.keys_query()

    def link(self, relationship):
        """How `relationship` pairs this type's rows with its target's (a `Link`)."""
        custom = self.links.get(relationship.name)
        if custom is not None:
            return custom()
        prop = getattr(self.model, relationship.attribute).property
        return direct_link(prop) or joined_link(self, relationship, prop)

    def links_to(self, obj):
        """Whether `obj` has a URL of its own."""
        return self.self_links(obj) if callable(self.self_links) else self.self_links

    def scoped(self, statement):
        """Narrow a statement to what the current caller may see. Subclasses override."""
        return statement

    def id_column(self):
        return getattr(self.model, self.id_attribute)

    def parse_id(self, object_id):
        """The id as the id column holds it, or None when it cannot be one (then: 404)."""
        if self.id_column().type.python_type is int:
            return int(object_id) if object_id.isdigit() and len(object_id) < 18 else None
        return object_id

    def object_id(self, obj):
        return str(getattr(obj, self.id_attribute))

    def related(self, obj, relationship):
        """The object(s) a relationship points at, for a type built in Python."""
        return getattr(obj, relationship.attribute)

    def lock(self, obj):
        """Serialize this write with others on the same object that need it. Default: none."""

    def assign(self, obj, name, value):
        """Set one attribute read from a request (`name` is the schema field's)."""
        setattr(obj, self.schema.fields[name].attribute or name, value)

    def settle(self, obj):
        """Complete and cross-check an object after a write: the errors found, if any."""
        return []


def direct_link(prop):
    """The pairs of a plain relationship, read from the one table that holds them: a
    foreign key (to-one: the parent's row; to-many: the target's, with the relationship's
    own conditions on it) or an association table. None for any other relationship."""
    order = tuple(prop.order_by or ())
    if prop.secondary is not None:
        if len(prop.synchronize_pairs) != 1 or len(prop.secondary_synchronize_pairs) != 1:
            return None
        [(_, parent)], [(_, target)] = prop.synchronize_pairs, prop.secondary_synchronize_pairs
        if parent.table is not prop.secondary or target.table is not prop.secondary:
            return None  # not an association table: a relationship through another table
        return Link(select(parent.label("parent"), target.label("target")), parent, order)
    if len(prop.local_remote_pairs) != 1:
        return None
    [(local, remote)] = prop.local_remote_pairs
    extra = [c for c in and_clauses(prop.primaryjoin) if not pairs(c, local, remote)]
    parent_key, target_key = prop.parent.primary_key[0], prop.mapper.primary_key[0]
    if prop.direction is MANYTOONE and not extra:  # the parent's row holds the key
        return Link(select(parent_key.label("parent"), local.label("target")), parent_key, order)
    if prop.direction is ONETOMANY and all(
        set(c._from_objects) <= {remote.table} for c in extra
    ):  # the target's row holds the key, and the conditions are on the target
        statement = select(remote.label("parent"), target_key.label("target")).where(*extra)
        return Link(statement, remote, order)
    return None


def joined_link(resource, relationship, prop):
    """The pairs of any relationship, through SQLAlchemy's join of the two types."""
    target_key = relationship.target.read_plan.key
    statement = (
        select(resource.read_plan.key.label("parent"), target_key.label("target"))
        .select_from(resource.model)
        .join(getattr(resource.model, relationship.attribute))
    )
    return Link(statement, resource.read_plan.key, tuple(prop.order_by or ()))


def and_clauses(condition):
    """The conditions ANDed together in `condition`."""
    if isinstance(condition, BooleanClauseList) and condition.operator is operators.and_:
        return list(condition.clauses)
    return [condition]


def pairs(clause, local, remote):
    """Whether `clause` is the equality of the two columns."""
    sides = {getattr(clause, "left", None), getattr(clause, "right", None)}
    wanted = {local, remote}
    return getattr(clause, "operator", None) is operators.eq and {
        (c.table, c.key) for c in sides if isinstance(c, Column)
    } == {(c.table, c.key) for c in wanted}

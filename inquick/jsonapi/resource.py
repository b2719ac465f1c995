"""A JSON:API type declared once: its schema, model, relationships, filters and sorts.

The machinery in this package reads these declarations; it knows nothing of what
the types mean. A type's attributes and relationships come from its
marshmallow-jsonapi schema, so the schema stays the single description of a type.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from marshmallow_jsonapi.fields import BaseRelationship
from sqlalchemy import select
from sqlalchemy.orm.attributes import InstrumentedAttribute
from sqlalchemy.orm.properties import ColumnProperty

from inquick.jsonapi.comparisons import OPERATORS, Comparison, comparable_type
from inquick.jsonapi.errors import InvalidFilter
from inquick.jsonapi.links import direct_link, joined_link
from inquick.jsonapi.read_plan import KEY, ReadPlan

# The declared types by name, as relationships and query parameters name them: filled by
# `register`, never by declaring a type, so a declaration can be built (in a test, say)
# without replacing the one the API serves.
REGISTRY = {}
# Sets of filter values a type keeps as found good; past this many it starts again.
GOOD_FILTERS_KEPT = 4096


def register(*resources):
    """Make `resources` the types that relationships, `include` and `fields[TYPE]` name."""
    REGISTRY.update((resource.type, resource) for resource in resources)


def checked(parse, value, parameter):
    """`parse(value)`; the `ValueError` of a value it cannot read answered as a 400 naming
    the query parameter that held it (filters are declared by modules that know no HTTP)."""
    try:
        return parse(value)
    except ValueError as error:
        raise InvalidFilter(str(error), parameter=parameter) from None


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
    raise `ValueError` (its message for the client) for a value they cannot read. A filter
    with both a condition and a ranking restricts and ranks; a ranking that `yields_to_sort`
    orders only when the request gives no `sort`. A filter with `bound(value)` binds its
    value by name instead of building it in: it returns (outcome, {name: value}), the
    outcome telling statements apart when the value decides the clause alone (see
    `comparisons.Comparison`).
    """

    condition: object = None
    rank: object = None
    together: object = None
    bound: object = None


@dataclass(frozen=True)
class ParsedFilters:
    """A request's filters as a read's statement sees them: `shape` tells statements apart
    (a ranking's or a comparison's value is bound, not built in), `values` are the rankings'
    bound values, `compared` the comparisons' (which decide the rows, and so the total);
    `planned_per_value` when the best plan depends on the values (a search's: see
    `inquick.jsonapi.statements.execute`)."""

    shape: tuple
    values: dict
    ranked: bool
    compared: dict
    planned_per_value: bool = False


@dataclass(eq=False)  # a declaration is itself: compared and hashed by identity
class Resource:
    """The declaration of one JSON:API type, backed by one SQLAlchemy model (or by none,
    for a type that is only ever built in Python and serialized)."""

    schema_class: type
    model: type
    default_sort: tuple = ("id",)
    filters: dict = field(default_factory=dict)
    # Attributes (JSON names, each a number, date or date-time column it can be sorted by)
    # filtered by comparison: `filter[NAME][OP]=VALUE`, and `filter[NAME]=VALUE` for `eq`.
    comparable: tuple = ()
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
        self._links = {}
        self._good_filters = set()
        self.filters = {"id": Filter(self._with_ids), **self.filters, **self._comparisons()}

    def _comparisons(self):
        """The filters of `comparable`: NAME (equal to) and NAME[OP] for every operator."""
        found = {}
        for name in self.comparable:
            column = self.sorts.get(name)
            if column is None or comparable_type(column) is None:
                raise TypeError(f"{self.type}.{name} cannot be a comparison filter")
            for op in (None, *OPERATORS):
                key = name if op is None else f"{name}[{op}]"
                bound_as = f"compare_{name}_{op or 'plain'}".replace("-", "_")
                comparison = Comparison(column, op or "eq", bound_as)
                found[key] = Filter(comparison.condition, bound=comparison.bound)
        return found

    def _with_ids(self, value):
        ids = [part.strip() for part in value.split(",") if part.strip()]
        if not ids:
            raise ValueError("The id filter needs at least one id.")
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
                if declared.condition is None:
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
        shape, values, ranked, compared, per_value = [], {}, False, {}, False
        for key, (value, parameter) in sorted(filters.items()):
            declared = self.filters[key]
            if declared.rank is not None and declared.bound is None:
                values.update(checked(declared.rank, value, parameter).values)
                shape.append((key, None))
                ranked = True
            elif declared.bound is not None:
                outcome, bound = checked(declared.bound, value, parameter)
                compared.update(bound)
                shape.append((key, outcome))
                if declared.rank is not None:  # restricts, and ranks (a search)
                    values.update(checked(declared.rank, value, parameter).values)
                    ranked = per_value = True
            else:
                shape.append((key, value))
        return ParsedFilters(tuple(shape), values, ranked, compared, per_value)

    def check_filters(self, filters):
        """Refuse a malformed filter value (400) now, before the request does anything else.

        Filters are applied to a response, and a write answers after it commits: a bad value
        found only then would refuse a request whose change is already made. Whether values
        are good depends on the values alone, so a set of them found good is not built again
        (building a provider search's conditions took about 0.2 ms of every search).
        """
        seen = tuple(sorted(filters.items()))
        if seen in self._good_filters:
            return
        self.apply_filters(select(self.model), filters)
        if len(self._good_filters) >= GOOD_FILTERS_KEPT:
            self._good_filters.clear()
        self._good_filters.add(seen)

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
        found = self._links.get(relationship.name)
        if found is None:
            custom = self.links.get(relationship.name)
            if custom is not None:
                found = custom()
            else:
                prop = getattr(self.model, relationship.attribute).property
                found = direct_link(prop) or joined_link(self, relationship, prop)
            self._links[relationship.name] = found
        return found

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
            # ASCII digits only: int() refuses some that isdigit() accepts ("²").
            digits = object_id.isascii() and object_id.isdigit()
            return int(object_id) if digits and len(object_id) < 18 else None
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

    def written(self, obj):
        """Called once a write of `obj` is complete and checked, before it commits: what the
        write brings about in the same transaction (an event in an outbox). Default: none."""

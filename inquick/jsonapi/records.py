"""Reading resources for a document: rows, not objects.

A page is one statement (its keys filtered, sorted and cut in a subquery, with the total
beside them); each relationship an include follows is one more statement, for every
parent on the page at once. So a request costs the same number of statements whatever
its page size, and no row is turned into an ORM object. Each row becomes a `Record`,
once per document: a resource reached twice (primary and included, or by two include
paths) is one record.

Statements are built once per shape (type, fieldset, sort, filters...) and kept: building
one and working out its cache key costs more than running it. What differs between two
requests of one shape is bound by name at execution: the page's size and offset, the
parents' keys, the id asked for, a ranking's values.
"""

from collections import OrderedDict
from dataclasses import dataclass

from sqlalchemy import bindparam, func, null, select

from inquick.extensions import db
from inquick.jsonapi.read_plan import KEY
from inquick.sql import InValues

TOTAL, TOTAL_AT = "total", -2  # a page's rows end with its total, then the data's version
LIMIT, OFFSET = bindparam("limit"), bindparam("offset")
# Bound by name: the keys of an include's parents, one parent's key, an id.
PARENTS, PARENT, ID = "parents", "parent", "id"


@dataclass(frozen=True)
class Link:
    """How a relationship pairs rows: `select` has the columns `parent` (the parent's key)
    and `target` (the related row's key); `parent` is the column to narrow it by before
    it becomes a subquery; `order`, columns of the target's table, orders each parent's."""

    select: object
    parent: object
    order: tuple = ()
    # Narrow by `= ANY(array)` (a union's arms each take the condition) instead of a set.
    narrowed_as_array: bool = False

    def narrowed(self, condition):
        return self.select.where(condition(self.parent)).subquery("link")


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
# Totals by (data version, selection, bound values); the oldest go first past the limit.
TOTALS, TOTALS_KEPT = {}, 4096


class Record:
    """One resource of a document: its key, id and attributes, and the relationships read
    for it (`linkage`: ids; `related`: records, for included relationships)."""

    __slots__ = ("attributes", "built", "has_url", "id", "key", "linkage", "related", "resource")

    def __init__(self, resource, key, object_id, attributes, has_url=True):
        self.resource = resource
        self.key = key
        self.id = object_id
        self.attributes = attributes
        self.linkage = {}
        self.related = {}
        self.has_url = has_url
        self.built = None


class Reader:
    """The records read for one document, each (type, key) once.

    `version`, when the data read has one (a `conditional.DataVersion`), is read with the
    first statement and keeps collections' totals: a page then counts its rows only the
    first time its filters are seen at that version.
    """

    def __init__(self, fields, version=None):
        self.fields = fields  # sparse fieldsets: type -> names, as parsed from the request
        self.version = version
        self.known = {}

    def fieldset(self, resource):
        wanted = self.fields.get(resource.type)
        return None if wanted is None else frozenset(wanted)

    def records(self, resource, rows):
        """A record per row (known ones reused), in the rows' order."""
        _, dump = resource.read_plan.layout(self.fieldset(resource))
        found = []
        for row in rows:
            record = self.known.get((resource.type, row[0]))
            if record is None:
                record = Record(resource, row[0], str(row[1]), dump(row))
                self.known[(resource.type, row[0])] = record
            found.append(record)
        return found

    def carries_version(self):
        """Whether the next statement should bring the data's version (not yet read)."""
        return self.version is not None and self.version.value is None

    def learn_version(self, rows, carried):
        """Take the version from the rows of a statement that carried it (or read it)."""
        if carried:
            if rows:
                self.version.learn(rows[0][-1])
            else:
                self.version.read()

    def page(self, resource, params, base, shape=(), values=None):
        """One page of the keys `base()` selects, filtered, sorted and cut: its records and
        the total. `shape` tells apart what `base` builds; `values` are its bound values."""
        filters = resource.parsed_filters(params.filters)
        values = values or {}
        # Counted beside the page, a total costs reading every row the filters let
        # through; counted apart, it can be kept (or, for a ranking, it must be).
        apart = filters.ranked or self.version is not None
        carried = self.carries_version()
        selection = (resource.type, shape, filters.shape, db.engine.dialect.name)
        key = ("page", selection, self.fieldset(resource), params.sort, apart, carried)
        statement = STATEMENTS.get(
            key, lambda: self.page_statement(resource, params, base, apart, carried)
        )
        offset = (params.page_number - 1) * params.page_size
        bound = {**values, **filters.values, "limit": params.page_size, "offset": offset}
        rows = execute(statement, bound).all()
        self.learn_version(rows, carried)
        if apart:
            total = self.total(resource, params, base, selection, values)
        elif rows:
            total = rows[0][TOTAL_AT]
        else:  # past the end, or nothing at all: the page cannot say how many there are
            total = self.count(resource, params, base, selection, values)
        return self.records(resource, rows), total

    def page_statement(self, resource, params, base, apart, carried):
        plan = resource.read_plan
        statement, rankings = resource.apply_filters(base(), params.filters)
        order = [(resource.sorts[name], descending) for name, descending in params.sort]
        order.append((plan.id, False))  # a stable order whatever the sort keys
        if rankings:
            # A ranking orders first, and works out which rows reach the page itself.
            dialect = db.engine.dialect.name
            inner = rankings[0].page(statement.whereclause, order, LIMIT, OFFSET, dialect)
            inner = inner.subquery("page")
        else:
            sort_keys = [expression.label(f"s{n}") for n, (expression, _) in enumerate(order)]
            directions = [descending for _, descending in order]
            if not apart:
                sort_keys.append(func.count().over().label(TOTAL))
            inner = (
                statement.add_columns(*sort_keys)
                .order_by(*map(ordered, sort_keys, directions))
                .limit(LIMIT)
                .offset(OFFSET)
                .subquery("page")
            )
        sort_columns = [column for column in inner.c if column.name.startswith("s")]
        directions = [False] * (len(sort_columns) - len(order)) + [d for _, d in order]
        total = null() if apart else inner.c[TOTAL]
        return (
            select(
                *resource.read_plan.columns(self.fieldset(resource)),
                total.label(TOTAL),
                self.version.column if carried else null(),
            )
            .select_from(inner.join(plan.table, plan.key == inner.c[KEY]))
            .order_by(*map(ordered, sort_columns, directions))
        )

    def total(self, resource, params, base, selection, values):
        """The count of `selection`'s rows, kept under the data's version when it has one."""
        if self.version is None:
            return self.count(resource, params, base, selection, values)
        key = (self.version.read(), selection, tuple(sorted(values.items())))
        total = TOTALS.get(key)
        if total is None:
            total = TOTALS[key] = self.count(resource, params, base, selection, values)
            if len(TOTALS) > TOTALS_KEPT:
                del TOTALS[next(iter(TOTALS))]
        return total

    def count(self, resource, params, base, selection, values):
        """How many rows the page's filters let through."""

        def build():
            statement, _ = resource.apply_filters(base(), params.filters)
            return select(func.count()).select_from(statement.subquery())

        return execute(STATEMENTS.get(("count", selection), build), values).scalar()

    def one(self, resource, shape, where, values):
        """The record of the caller's row that `where()` picks by the bound `values`."""
        plan = resource.read_plan
        fieldset = self.fieldset(resource)
        carried = self.carries_version()

        def build():
            keys = resource.keys_query().where(where())
            version = self.version.column if carried else null()
            return select(*plan.columns(fieldset), version).where(plan.key.in_(keys))

        key = ("one", resource.type, shape, fieldset, carried)
        rows = execute(STATEMENTS.get(key, build), values).all()
        self.learn_version(rows, carried)
        found = self.records(resource, rows)
        return found[0] if found else None

    def include(self, resource, records, tree):
        """Follow `tree` from `records`: one statement per relationship per level."""
        for name, subtree in tree.items():
            relationship = resource.relationships[name]
            children = self.follow(resource, relationship, records)
            if subtree and children:
                self.include(relationship.target, children, subtree)

    def follow(self, resource, relationship, records):
        """Read what `relationship` links `records` to; set each record's linkage and
        related records; return the related records, each once."""
        target = relationship.target
        fieldset = self.fieldset(target)

        def build():
            plan = target.read_plan
            link = resource.link(relationship)
            pairs = parents_of(link)
            return (
                select(*plan.columns(fieldset), pairs.c.parent)
                .select_from(pairs.join(plan.table, plan.key == pairs.c.target))
                .order_by(*link.order, plan.key)
            )

        key = ("follow", resource.type, relationship.name, fieldset)
        rows = execute(STATEMENTS.get(key, build), parent_keys(records)).all()
        children = self.records(target, rows)
        by_parent = {}
        for row, child in zip(rows, children, strict=True):
            by_parent.setdefault(row[-1], []).append(child)
        for record in records:
            linked = by_parent.get(record.key, [])
            if relationship.many:
                record.related[relationship.name] = linked
                record.linkage[relationship.name] = [child.id for child in linked]
            else:
                record.related[relationship.name] = linked[0] if linked else None
                record.linkage[relationship.name] = linked[0].id if linked else None
        return list({id(child): child for child in children}.values())

    def link_ids(self, resource, relationship, records):
        """Only the ids `relationship` links `records` to (linkage that is always shown)."""

        def build():
            plan = relationship.target.read_plan
            link = resource.link(relationship)
            pairs = parents_of(link)
            return (
                select(pairs.c.parent, plan.id)
                .select_from(pairs.join(plan.table, plan.key == pairs.c.target))
                .order_by(*link.order, plan.key)
            )

        key = ("link_ids", resource.type, relationship.name)
        by_parent = {}
        for parent, target_id in execute(STATEMENTS.get(key, build), parent_keys(records)):
            by_parent.setdefault(parent, []).append(str(target_id))
        for record in records:
            ids = by_parent.get(record.key, [])
            if relationship.many:
                record.linkage[relationship.name] = ids
            else:
                record.linkage[relationship.name] = ids[0] if ids else None

    def always_linked(self, resource, records, tree):
        """The linkage a type always shows, for relationships the request did not include."""
        for name in resource.always_linked:
            if name not in tree and records:
                self.link_ids(resource, resource.relationships[name], records)

    def objects(self, resource, objects, tree):
        """Records of objects built in Python (a type with no table), following `tree`."""
        wanted = self.fields.get(resource.type)
        found = []
        for obj in objects:
            object_id = resource.object_id(obj)
            record = self.known.get((resource.type, object_id))
            if record is None:
                attributes = {
                    name: schema_field.serialize(schema_field.name, obj)
                    for name, schema_field in resource.attributes.items()
                    if wanted is None or name in wanted
                }
                record = Record(resource, object_id, object_id, attributes, resource.links_to(obj))
                self.known[(resource.type, object_id)] = record
            for name, subtree in tree.items():
                relationship = resource.relationships[name]
                related = resource.related(obj, relationship)
                if relationship.many:
                    children = self.objects(relationship.target, related, subtree)
                    record.related[name] = children
                    record.linkage[name] = [child.id for child in children]
                else:
                    present = [related] if related else []
                    child = next(iter(self.objects(relationship.target, present, subtree)), None)
                    record.related[name] = child
                    record.linkage[name] = child.id if child else None
            found.append(record)
        return found


def execute(statement, values):
    """Run a read statement on the session's connection: its rows are plain rows, and
    the ORM's layer of execution (built for objects) is skipped. Changes the session
    holds are flushed first, as the session itself would, so that a read sees them."""
    db.session.flush()
    return db.session.connection().execute(statement, values)


def parents_of(link):
    """The pairs of `link` for the parents bound as `parents`, as a subquery."""
    return link.narrowed(
        lambda parent: InValues(parent, key=PARENTS, as_array=link.narrowed_as_array)
    )


def parent_keys(records):
    return {PARENTS: list({record.key: None for record in records})}


def ordered(expression, descending):
    return expression.desc() if descending else expression.asc()

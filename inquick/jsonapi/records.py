"""Reading resources for a document: rows, not objects.

A page is one statement (its keys filtered, sorted and cut in a subquery); each
relationship an include follows is one more statement, for every parent on the page at
once, except a to-one relationship whose key the parent's row holds (a schedule's
provider), whose rows come joined to the parent's, and, on a page, one that includes
nothing further and whose target's rows are text, whole numbers and booleans (a
schedule's plans), whose rows come as one JSON value in the parent's. So a request costs
the same number of statements whatever its page size, and no row becomes an ORM object.
Each row becomes a `Record`, once per document: a resource reached twice (primary and
included, or by two include paths) is one record.

A read of versioned data (`conditional.DataVersion`) has every statement bring the
version with its rows and checks that they all saw the same one: its statements need not
share a transaction (`inquick.database.reads_by_version`).
"""

from sqlalchemy import bindparam, func, null, select
from sqlalchemy.sql.util import ClauseAdapter

from inquick.extensions import db
from inquick.jsonapi.read_plan import KEY
from inquick.jsonapi.statements import (
    ID,
    LIMIT,
    OFFSET,
    PARENTS,
    STATEMENTS,
    execute,
)
from inquick.sql import InValues, json_rows

TOTAL = "total"
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

    `version`, when the data read has one (a `conditional.DataVersion`), comes with the
    rows of every statement and keeps collections' totals: a page then counts its rows
    only the first time its filters are seen at that version.
    """

    def __init__(self, fields, version=None):
        self.fields = fields  # sparse fieldsets: type -> names, as parsed from the request
        self.version = version
        self.known = {}

    def fieldset(self, resource):
        wanted = self.fields.get(resource.type)
        return None if wanted is None else frozenset(wanted)

    def records(self, resource, rows, start=0):
        """A record per row (known ones reused), in the rows' order; from column `start`
        on (a joined include's columns), a row whose key is null is no record (None)."""
        plan = resource.read_plan
        expressions, dump = plan.layout(self.fieldset(resource))
        end = start + 2 + len(expressions)
        found = []
        for row in rows:
            values = row if start == 0 else row[start:end]
            key = values[0]
            if key is None:
                found.append(None)
                continue
            record = self.known.get((resource.type, key))
            if record is None:
                record = Record(resource, key, str(values[1]), dump(values))
                self.known[(resource.type, key)] = record
            found.append(record)
        return found

    # Joined includes.

    def joinable(self, resource, tree):
        """The names of `tree`'s relationships whose rows can come joined to the rows of
        `resource`: to-one, their key held by its row, and of another table."""
        names = []
        for name in tree:
            relationship = resource.relationships[name]
            held = not relationship.many and resource.link(relationship).held_key is not None
            if held and relationship.target.read_plan.table is not resource.read_plan.table:
                names.append(name)
        return tuple(names)

    def joins_shape(self, resource, names):
        return tuple((name, self.fieldset(resource.relationships[name].target)) for name in names)

    def joined(self, resource, names, from_clause):
        """`from_clause` with each named relationship's table joined (as an alias), and
        the columns its rows bring, adapted to the alias."""
        columns = []
        for n, name in enumerate(names):
            relationship = resource.relationships[name]
            plan = relationship.target.read_plan
            alias = plan.table.alias(f"joined_{n}")
            condition = alias.c[plan.key.name] == resource.link(relationship).held_key
            from_clause = from_clause.outerjoin(alias, condition)
            adapter = ClauseAdapter(alias)
            target_columns = plan.columns(self.fieldset(relationship.target), prefix=f"j{n}_")
            columns.extend(adapter.traverse(column) for column in target_columns)
        return from_clause, columns

    def attach(self, resource, records, rows, names, start):
        """Set the joined relationships of `records` from their rows' columns after
        `start`; return where those columns end."""
        for name in names:
            relationship = resource.relationships[name]
            target = relationship.target
            children = self.records(target, rows, start)
            for record, child in zip(records, children, strict=True):
                record.related[name] = child
                record.linkage[name] = child.id if child is not None else None
            start += 2 + len(target.read_plan.layout(self.fieldset(target))[0])
        return start

    # Embedded includes.

    def embeddable(self, resource, tree, joined):
        """The names of `tree`'s relationships, neither joined nor followed further, whose
        targets' rows can come with their parent's row as one JSON value
        (`ReadPlan.same_in_json`). A statement fewer a request for each: a statement's
        own cost, in the driver and on the wire, was a tenth of a location's schedules
        with their plans (in-process, 1.37 -> 1.23 ms of CPU a request)."""
        names = []
        for name, subtree in tree.items():
            target = resource.relationships[name].target
            if name in joined or subtree or target.model is None:  # None: built in Python
                continue
            if target.read_plan.same_in_json(self.fieldset(target)):
                names.append(name)
        return tuple(names)

    def embedded_columns(self, resource, names, page):
        """A column for each named relationship: the JSON array of the rows it links the
        row's parent to (the `page` subquery's key), each row its target's columns, in the
        relationship's order."""
        columns = []
        for n, name in enumerate(names):
            relationship = resource.relationships[name]
            plan = relationship.target.read_plan
            link = resource.link(relationship)
            pairs = link.narrowed(lambda parent: parent == page.c[KEY], correlate=page)
            rows = (
                select(*plan.columns(self.fieldset(relationship.target)))
                .select_from(pairs.join(plan.table, plan.key == pairs.c.target))
                .order_by(*link.order, plan.key)
            )
            columns.append(json_rows(rows, correlate=[page]).label(f"e{n}"))
        return columns

    def attach_embedded(self, resource, records, rows, names, start):
        """Set the embedded relationships of `records` from their rows' JSON columns, the
        first at `start`."""
        for column, name in enumerate(names, start):
            relationship = resource.relationships[name]
            for record, row in zip(records, rows, strict=True):
                relate(record, relationship, self.records(relationship.target, row[column]))

    # The data's version.

    def version_column(self):
        """The column that brings a statement's rows the data's version (null: none)."""
        return self.version.column if self.version is not None else null()

    def saw(self, rows, after=0):
        """Check the version a statement's rows bring (`after` columns from their end).

        A statement without rows brings none: the version is read now if no statement
        brought it yet, else checked once the read is done (`DataVersion.confirm`).
        """
        if self.version is None:
            return
        if rows:
            self.version.agree(rows[0][-1 - after])
        elif self.version.value is None:
            self.version.read_after_nothing()
        else:
            self.version.unconfirmed = True

    # Pages and single resources.

    def page(self, resource, params, base, shape=(), values=None, tree=None):
        """One page of the keys `base()` selects, filtered, sorted and cut, with `tree`
        included: its records and the total. `shape` tells apart what `base` builds;
        `values` are its bound values."""
        tree = tree or {}
        filters = resource.parsed_filters(params.filters)
        values = {**(values or {}), **filters.compared}  # they decide the rows, and the total
        # Counted beside the page, a total costs reading every row the filters let
        # through; counted apart, it can be kept (or, for a ranking, it must be).
        apart = filters.ranked or self.version is not None
        names = self.joinable(resource, tree)
        embedded = self.embeddable(resource, tree, names)
        selection = (resource, shape, filters.shape, db.engine.dialect.name)
        key = ("page", selection, self.fieldset(resource), params.sort, params.sort_given,
               apart, self.version is not None, self.joins_shape(resource, names),
               self.joins_shape(resource, embedded))  # fmt: skip
        statement = STATEMENTS.get(
            key, lambda: self.page_statement(resource, params, base, apart, names, embedded)
        )
        offset = (params.page_number - 1) * params.page_size
        bound = {**values, **filters.values, "limit": params.page_size, "offset": offset}
        rows = execute(statement, bound, filters.planned_per_value)
        self.saw(rows)
        records = self.records(resource, rows)
        if apart:
            total = self.total(resource, params, base, selection, values)
        elif rows:
            total = rows[0][-2]  # the rows end with the total, then the version
        else:  # past the end, or nothing at all: the page cannot say how many there are
            total = self.count(resource, params, base, selection, values)
        self.complete(resource, records, rows, tree, names, embedded)
        return records, total

    def page_statement(self, resource, params, base, apart, names, embedded):
        plan = resource.read_plan
        statement, rankings = resource.apply_filters(base(), params.filters)
        # A ranking that yields to a sort (a search's) orders only when none is given, and
        # after one that does not (`near`: distance first).
        yields = [getattr(ranking, "yields_to_sort", False) for ranking in rankings]
        rankings = [r for r, y in sorted(zip(rankings, yields, strict=True), key=lambda p: p[1])
                    if not (y and params.sort_given)]  # fmt: skip
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
        from_clause, joined = self.joined(
            resource, names, inner.join(plan.table, plan.key == inner.c[KEY])
        )
        return (
            select(
                *plan.columns(self.fieldset(resource)),
                *joined,
                *self.embedded_columns(resource, embedded, inner),
                (null() if apart else inner.c[TOTAL]).label(TOTAL),
                self.version_column(),
            )
            .select_from(from_clause)
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
        """How many rows the page's filters let through, planned as their page is."""

        def build():
            statement, _ = resource.apply_filters(base(), params.filters)
            counted = select(func.count(), self.version_column())
            return counted.select_from(statement.subquery())

        key = ("count", selection, self.version is not None)
        per_value = resource.parsed_filters(params.filters).planned_per_value
        rows = execute(STATEMENTS.get(key, build), values, per_value)
        self.saw(rows)
        return rows[0][0]

    def key(self, resource, parsed_id):
        """The key of the caller's row of `resource` with this (parsed) id, or None."""

        def build():
            where = resource.id_column() == bindparam(ID)
            return resource.keys_query().where(where).add_columns(self.version_column())

        key = ("key", resource, self.version is not None)
        rows = execute(STATEMENTS.get(key, build), {ID: parsed_id})
        self.saw(rows)
        return rows[0][0] if rows else None

    def one(self, resource, shape, where, values, tree=None):
        """The record of the caller's row that `where()` picks by the bound `values`, with
        `tree` included, or None."""
        tree = tree or {}
        plan = resource.read_plan
        fieldset = self.fieldset(resource)
        names = self.joinable(resource, tree)

        def build():
            keys = resource.keys_query().where(where())
            from_clause, joined = self.joined(resource, names, plan.table)
            return (
                select(*plan.columns(fieldset), *joined, self.version_column())
                .select_from(from_clause)
                .where(plan.key.in_(keys))
            )

        key = ("one", resource, shape, fieldset, self.version is not None,
               self.joins_shape(resource, names))  # fmt: skip
        rows = execute(STATEMENTS.get(key, build), values)
        self.saw(rows)
        records = self.records(resource, rows)
        self.complete(resource, records, rows, tree, names)
        return records[0] if records else None

    # Includes.

    def complete(self, resource, records, rows, tree, joined, embedded=()):
        """Set the joined and embedded relationships from `rows`, then read the rest of
        `tree`."""
        start = 2 + len(resource.read_plan.layout(self.fieldset(resource))[0])
        start = self.attach(resource, records, rows, joined, start)
        self.attach_embedded(resource, records, rows, embedded, start)
        self.include(resource, records, tree, joined + embedded)

    def include(self, resource, records, tree, read=()):
        """Follow `tree` from `records`: the relationships in `read` are read already;
        each other one costs a statement, for all of `records` at once."""
        for name, subtree in tree.items():
            relationship = resource.relationships[name]
            if name in read:
                related = (record.related[name] for record in records)
                children = list({id(c): c for c in related if c is not None}.values())
                if subtree and children:
                    self.include(relationship.target, children, subtree)
            else:
                self.follow(resource, relationship, records, subtree)

    def follow(self, resource, relationship, records, tree):
        """Read what `relationship` links `records` to, with `tree` included; set each
        record's linkage and related records."""
        target = relationship.target
        fieldset = self.fieldset(target)
        names = self.joinable(target, tree)

        def build():
            plan = target.read_plan
            link = resource.link(relationship)
            pairs = parents_of(link)
            from_clause, joined = self.joined(
                target, names, pairs.join(plan.table, plan.key == pairs.c.target)
            )
            return (
                select(*plan.columns(fieldset), *joined, self.version_column(), pairs.c.parent)
                .select_from(from_clause)
                .order_by(*link.order, plan.key)
            )

        key = ("follow", resource, relationship.name, fieldset,
               self.joins_shape(target, names), self.version is not None)  # fmt: skip
        rows = execute(STATEMENTS.get(key, build), parent_keys(records))
        self.saw(rows, after=1)
        children = self.records(target, rows)
        by_parent = {}
        for row, child in zip(rows, children, strict=True):
            by_parent.setdefault(row[-1], []).append(child)
        for record in records:
            relate(record, relationship, by_parent.get(record.key, []))
        unique = list({id(child): child for child in children}.values())
        if unique and tree:
            first = {}  # each child once, with its first row, for its joined relationships
            for row, child in zip(rows, children, strict=True):
                first.setdefault(id(child), row)
            self.complete(target, unique, [first[id(c)] for c in unique], tree, names)

    def link_ids(self, resource, relationship, records):
        """Only the ids `relationship` links `records` to (linkage that is always shown)."""

        def build():
            plan = relationship.target.read_plan
            link = resource.link(relationship)
            pairs = parents_of(link)
            return (
                select(pairs.c.parent, plan.id, self.version_column())
                .select_from(pairs.join(plan.table, plan.key == pairs.c.target))
                .order_by(*link.order, plan.key)
            )

        key = ("link_ids", resource, relationship.name, self.version is not None)
        rows = execute(STATEMENTS.get(key, build), parent_keys(records))
        self.saw(rows)
        by_parent = {}
        for parent, target_id, _version in rows:
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


def relate(record, relationship, linked):
    """Set what `relationship` links `record` to: the `linked` records, in order."""
    if relationship.many:
        record.related[relationship.name] = linked
        record.linkage[relationship.name] = [child.id for child in linked]
    else:
        record.related[relationship.name] = linked[0] if linked else None
        record.linkage[relationship.name] = linked[0].id if linked else None


def parents_of(link):
    """The pairs of `link` for the parents bound as `parents`, as a subquery."""
    return link.narrowed(lambda parent: InValues(parent, key=PARENTS))


def parent_keys(records):
    return {PARENTS: list({record.key: None for record in records})}


def ordered(expression, descending):
    return expression.desc() if descending else expression.asc()

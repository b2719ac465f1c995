"""Reading resources for a document: rows, not objects.

A page is one statement (its keys filtered, sorted and cut in a subquery, with the total
beside them); each relationship an include follows is one more statement, for every
parent on the page at once. So a request costs the same number of statements whatever
its page size, and no row is turned into an ORM object. Each row becomes a `Record`,
once per document: a resource reached twice (primary and included, or by two include
paths) is one record.
"""

from dataclasses import dataclass

from sqlalchemy import func, select

from inquick.extensions import db
from inquick.jsonapi.read_plan import KEY

TOTAL = "total"


@dataclass(frozen=True)
class Link:
    """How a relationship pairs rows: `select` has the columns `parent` (the parent's key),
    `target` (the related row's key) and `o0`, `o1`... (the relationship's order);
    `parent` is the column to narrow it by before it becomes a subquery."""

    select: object
    parent: object

    def narrowed(self, condition):
        return self.select.where(condition(self.parent)).subquery("link")


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
    """The records read for one document, each (type, key) once."""

    def __init__(self, fields):
        self.fields = fields  # sparse fieldsets: type -> names, as parsed from the request
        self.known = {}

    def wanted(self, resource):
        return self.fields.get(resource.type)

    def records(self, resource, rows):
        """A record per row (known ones reused), in the rows' order."""
        plan = resource.read_plan
        _, dump = plan.layout(self.wanted(resource))
        found = []
        for row in rows:
            record = self.known.get((resource.type, row[0]))
            if record is None:
                record = Record(resource, row[0], str(row[1]), dump(row))
                self.known[(resource.type, row[0])] = record
            found.append(record)
        return found

    def page(self, resource, statement, params):
        """One page of `statement` (a select of the type's keys) filtered, sorted and cut:
        its records and the total."""
        plan = resource.read_plan
        statement, leading = resource.apply_filters(statement, params.filters)
        order = [*((expression, False) for expression in leading), *params.sort]
        order.append((plan.id, False))  # a stable order whatever the sort keys
        sort_keys = [expression.label(f"s{n}") for n, (expression, _) in enumerate(order)]
        inner = (
            statement.add_columns(*sort_keys, func.count().over().label(TOTAL))
            .order_by(
                *(
                    ordered(key, descending)
                    for key, (_, descending) in zip(sort_keys, order, strict=True)
                )
            )
            .limit(params.page_size)
            .offset((params.page_number - 1) * params.page_size)
            .subquery("page")
        )
        outer = (
            select(*plan.columns(self.wanted(resource)), inner.c[TOTAL])
            .select_from(inner.join(plan.table, plan.key == inner.c[KEY]))
            .order_by(
                *(ordered(inner.c[f"s{n}"], descending) for n, (_, descending) in enumerate(order))
            )
        )
        rows = db.session.execute(outer).all()
        if rows:
            total = rows[0][-1]
        elif params.page_number > 1:  # past the end: the total is still asked of the rows
            total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
        else:
            total = 0
        return self.records(resource, rows), total

    def one(self, resource, condition):
        """The record of the caller's row meeting `condition` (on the type's key), or None."""
        plan = resource.read_plan
        statement = select(*plan.columns(self.wanted(resource))).where(
            plan.key.in_(resource.keys_query().where(condition))
        )
        found = self.records(resource, db.session.execute(statement).all())
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
        plan = target.read_plan
        keys = list({record.key: None for record in records})
        pairs = resource.link(relationship).narrowed(lambda parent: parent.in_(keys))
        statement = (
            select(*plan.columns(self.wanted(target)), pairs.c.parent)
            .select_from(pairs.join(plan.table, plan.key == pairs.c.target))
            .order_by(*link_order(pairs))
        )
        rows = db.session.execute(statement).all()
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
        target = relationship.target
        keys = list({record.key: None for record in records})
        pairs = resource.link(relationship).narrowed(lambda parent: parent.in_(keys))
        plan = target.read_plan
        statement = (
            select(pairs.c.parent, plan.id)
            .select_from(pairs.join(plan.table, plan.key == pairs.c.target))
            .order_by(*link_order(pairs))
        )
        by_parent = {}
        for parent, target_id in db.session.execute(statement):
            by_parent.setdefault(parent, []).append(str(target_id))
        for record in records:
            ids = by_parent.get(record.key, [])
            if relationship.many:
                record.linkage[relationship.name] = ids
            else:
                record.linkage[relationship.name] = ids[0] if ids else None

    def objects(self, resource, objects, tree):
        """Records of objects built in Python (a type with no table), following `tree`."""
        wanted = self.wanted(resource)
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
                    found = self.objects(relationship.target, [related] if related else [], subtree)
                    child = found[0] if found else None
                    record.related[name] = child
                    record.linkage[name] = child.id if child else None
            found.append(record)
        return found

    def always_linked(self, resource, records, tree):
        """The linkage a type always shows, for relationships the request did not include."""
        for name in resource.always_linked:
            if name not in tree and records:
                self.link_ids(resource, resource.relationships[name], records)


def ordered(expression, descending):
    return expression.desc() if descending else expression.asc()


def link_order(pairs):
    """A relationship's own order (its `o` columns), then its targets' keys."""
    order = []
    while f"o{len(order)}" in pairs.c:
        order.append(pairs.c[f"o{len(order)}"])
    return [*order, pairs.c.target]

"""How a relationship pairs rows: a `Link`, read from a type's declaration.

Reads of a relationship (an include, a related endpoint, linkage) select pairs of keys,
parent and target. A plain relationship's pairs come from the one table that holds
them; any other relationship's, from SQLAlchemy's join of the two types; a type may
declare its own (a schedule's plans in effect resolve through a union).
"""

from dataclasses import dataclass

from sqlalchemy import Column, select
from sqlalchemy.orm import MANYTOONE, ONETOMANY
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList


@dataclass(frozen=True)
class Link:
    """`select` has the columns `parent` (the parent's key) and `target` (the related
    row's key); `parent` is the column to narrow it by before it becomes a subquery;
    `order`, columns of the target's table, orders each parent's targets. `held_key` is
    the parent table's column holding the target's key, when there is one (a to-one
    relationship whose target can then be joined to the parent's own rows).
    `on_target`, when the target's own row holds the parent's key (a to-many relationship
    by foreign key), is what else that row must meet to be linked: a condition on the
    target's rows then says "linked to this parent" without joining its table to itself.
    """

    select: object
    parent: object
    order: tuple = ()
    held_key: object = None
    on_target: tuple | None = None

    def narrowed(self, condition, correlate=None):
        """The pairs whose parent meets `condition(parent)`, as a subquery; within an
        enclosing statement, correlated to its FROM element `correlate` only."""
        narrowed = self.select.where(condition(self.parent))
        if correlate is not None:
            narrowed = narrowed.correlate(correlate)
        return narrowed.subquery("link")


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
        statement = select(parent_key.label("parent"), local.label("target"))
        return Link(statement, parent_key, order, held_key=local)
    if prop.direction is ONETOMANY and all(
        set(c._from_objects) <= {remote.table} for c in extra
    ):  # the target's row holds the key, and the conditions are on the target
        statement = select(remote.label("parent"), target_key.label("target")).where(*extra)
        return Link(statement, remote, order, on_target=tuple(extra))
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

"""The event of a schedule whose availability changed: its rules, or its withdrawal.

A receiver that keeps free times (a partner's cache, a search index) reads them again
from `available-appointment-times`; the event says which schedule and what changed.
"""

from sqlalchemy import inspect

from inquick.webhooks.events import AVAILABILITY_CHANGED, emit


def value_of(item):
    """What an item of a rule compares by: its own column values (a window's day and hours,
    an exception's date), not its row id, which a rewritten list renews."""
    mapper = inspect(item).mapper
    return tuple(
        getattr(item, attribute.key)
        for attribute in mapper.column_attrs
        if not any(column.primary_key or column.foreign_keys for column in attribute.columns)
    )


def comparable(values):
    """A rule's values in an order-free form (a list of windows is a set of windows)."""
    if values and inspect(values[0], raiseerr=False) is not None:  # rows, not plain values
        return sorted(map(value_of, values), key=repr)
    return list(values)


def changed_attributes(obj, names):
    """Which of the attributes `names` of a stored object this write changed in value
    (a rule list written again as it was is no change)."""
    state = inspect(obj)
    changed = []
    for name in names:
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        before = [*history.unchanged, *history.deleted]
        after = [*history.unchanged, *history.added]
        if comparable(before) != comparable(after):
            changed.append(name)
    return changed


def availability_changed(session, schedule, changed, now):
    """Announce that a schedule's rules `changed` (JSON attribute names)."""
    return emit(
        session,
        health_system_id=schedule.health_system_id,
        event_type=AVAILABILITY_CHANGED,
        data={"schedule": schedule.id, "change": "rules", "changed": sorted(changed)},
        now=now,
    )


def schedule_withdrawn(session, schedule, cancelled, now):
    """Announce that a schedule takes no more bookings, `cancelled` visits with it."""
    return emit(
        session,
        health_system_id=schedule.health_system_id,
        event_type=AVAILABILITY_CHANGED,
        data={"schedule": schedule.id, "change": "withdrawn", "cancelled-visits": len(cancelled)},
        now=now,
    )

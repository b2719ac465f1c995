"""Kept read statements run on the driver's cursor: values and rows pass through their
types as SQLAlchemy's own execution would pass them."""

from datetime import date

from sqlalchemy import Date, Integer, bindparam, literal, select

from inquick.jsonapi.statements import READING_CURSOR, Kept, execute


def test_values_and_rows_pass_through_their_types(session):
    day = bindparam("day", type_=Date)  # SQLite holds a date as text, both ways
    kept = Kept(select(bindparam("a.b", type_=Integer) + 1, day))  # a name SQL spells otherwise
    assert execute(kept, {"a.b": 1, "day": date(2026, 12, 6)}) == [(2, date(2026, 12, 6))]


def test_an_expanded_list_is_bound_item_by_item(session):
    days = bindparam("some days", type_=Date, expanding=True)
    kept = Kept(select(literal(1)).where(bindparam("day", type_=Date).in_(days)))
    assert execute(kept, {"day": date(2026, 12, 6), "some days": [date(2026, 12, 6)]}) == [(1,)]
    assert execute(kept, {"day": date(2026, 12, 7), "some days": [date(2026, 12, 6)]}) == []


def test_reads_on_one_connection_share_one_cursor(session):
    """A cursor made per statement had psycopg work out every column's loader again."""
    assert execute(Kept(select(literal(1))), {}) == [(1,)]
    connection = session.connection()
    cursor = connection.info[READING_CURSOR]
    assert execute(Kept(select(literal(2))), {}) == [(2,)]
    assert connection.info[READING_CURSOR] is cursor

"""search: folded name-like columns and their trigram indexes

`filter[search]` compares folded query words with stored, folded copies of each searched
type's name-like attributes (`search_name`, `search_text`), written by the ORM as a row
is written (`inquick.models.catalog.Searchable`), folded in Python by the same function
as the query. A stored column rather than an expression index over `unaccent()`: that
function is not IMMUTABLE (it reads a dictionary), a wrapper declared IMMUTABLE would
fold the rows one way and Python the query another for letters the two treat apart, and
an expression would be computed again for every row a search checks (a trigram index is
lossy, and a one-letter search checks nearly every row). On PostgreSQL a GIN trigram
index (`pg_trgm`) serves `search_text LIKE '%word%'` (SQLite gets a plain index, for the
models and the migrations to agree), and a B-tree on (health system, `search_name`) reads
the names starting with a search in the order they rank, without ranking the others.

Rows written past the ORM (an operator's SQL, the bench's COPY) must fill the two columns
with `inquick.catalog.folding`; this revision fills those already there.

Revision ID: 5e1f0c3a9b27
Revises: 0a089c957f0f
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

from inquick.catalog.folding import fold, folded_parts

revision = '5e1f0c3a9b27'
down_revision = '0a089c957f0f'
branch_labels = None
depends_on = None

# As the models' `search_sources` listed them when this revision was written.
SOURCES = {
    "providers": ("name", "credentials", "subspecialties", "languages"),
    "locations": ("name", "facility_name", "city", "zip"),
    "services": ("name",),
    "appointment_types": ("name",),
}
LISTS = ("subspecialties", "languages")
# Code-point order on PostgreSQL: its B-tree then answers `LIKE 'prefix%'` with a range.
SEARCH_NAME_TYPE = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # Plain ALTER TABLE, never a batch: SQLite's batch mode copies the table anew, which
    # drops its triggers (the catalog version's). The server default stays, for the same
    # reason (SQLite cannot drop one in place); the ORM always writes both columns.
    for table, sources in SOURCES.items():
        op.add_column(table, sa.Column('search_name', SEARCH_NAME_TYPE, nullable=False, server_default=''))
        op.add_column(table, sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
        fill(table, sources)
        op.create_index(f'ix_{table}_search_text', table, ['search_text'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
        op.create_index(f'ix_{table}_health_system_id_search_name', table,
                        ['health_system_id', 'search_name'], unique=False)


def fill(table, sources):
    """Fold the name-like attributes of the rows already there."""
    columns = [sa.column("id"), *(sa.column(name, sa.JSON if name in LISTS else sa.Text)
                                  for name in sources)]
    rows = sa.table(table, *columns, sa.column("search_name"), sa.column("search_text"))
    connection = op.get_bind()
    updates = [
        {"row_id": row[0], "folded_name": fold(row[1] or ""), "folded_text": folded_parts(*row[1:])}
        for row in connection.execute(sa.select(*(rows.c[c.name] for c in columns)))
    ]
    if updates:
        connection.execute(
            rows.update()
            .where(rows.c.id == sa.bindparam("row_id"))
            .values(search_name=sa.bindparam("folded_name"), search_text=sa.bindparam("folded_text")),
            updates,
        )


def downgrade():
    for table in SOURCES:
        op.drop_index(f'ix_{table}_health_system_id_search_name', table_name=table)
        op.drop_index(f'ix_{table}_search_text', table_name=table)
        op.drop_column(table, 'search_text')  # SQLite 3.35+ drops a column in place
        op.drop_column(table, 'search_name')

"""visits: booking references and calendar sequences

Every visit gets a booking reference (`inquick.booking.references`): the visits already
booked are given theirs here, in batches, each drawn like a new one. The column becomes
NOT NULL and unique once they all have one (through a batch on SQLite, which cannot add
the constraint in place; visits carry no trigger a batch's copy of the table would lose).
`calendar_sequence` counts the changes to a booking's calendar entry.

Revision ID: 7b3d9e2f4a61
Revises: 5e1f0c3a9b27
Create Date: 2026-12-06 02:00:00
"""

import sys

import sqlalchemy as sa
from alembic import op

from inquick.booking.references import new_reference

revision = '7b3d9e2f4a61'
down_revision = '5e1f0c3a9b27'
branch_labels = None
depends_on = None

BATCH = 10_000


def upgrade():
    op.add_column('visits', sa.Column('booking_reference', sa.String(length=12), nullable=True))
    op.add_column('visits', sa.Column('calendar_sequence', sa.Integer(), nullable=False,
                                      server_default='0'))
    give_references()
    with op.batch_alter_table('visits') as batch:
        batch.alter_column('booking_reference', existing_type=sa.String(length=12),
                           nullable=False)
        batch.create_unique_constraint(op.f('uq_visits_booking_reference'), ['booking_reference'])


def give_references():
    """A reference for each visit already booked, a batch at a time, saying how far it got."""
    connection = op.get_bind()
    visits = sa.table('visits', sa.column('id'), sa.column('booking_reference'))
    total = connection.scalar(sa.select(sa.func.count()).select_from(visits))
    done = 0
    while True:
        ids = connection.scalars(
            sa.select(visits.c.id).where(visits.c.booking_reference.is_(None)).limit(BATCH)
        ).all()
        if not ids:
            break
        connection.execute(
            visits.update().where(visits.c.id == sa.bindparam('visit_id'))
            .values(booking_reference=sa.bindparam('reference')),
            [{'visit_id': visit_id, 'reference': new_reference()} for visit_id in ids],
        )
        done += len(ids)
        print(f"booking references: {done:,} of {total:,} visits", file=sys.stderr)


def downgrade():
    with op.batch_alter_table('visits') as batch:
        batch.drop_constraint(op.f('uq_visits_booking_reference'), type_='unique')
        batch.drop_column('calendar_sequence')
        batch.drop_column('booking_reference')

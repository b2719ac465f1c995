"""health systems: publication of slots (SMART Scheduling Links) and the booking page

`publishes_slots` opts a health system in to `$bulk-publish`; `booking_url` is the page its
slots' booking deep links open. Plain added columns: a batch copy of `health_systems`
would drop the catalog-version triggers it carries.

Revision ID: b8e1f0c2d3a4
Revises: 9d4b6f2e8c13
Create Date: 2026-12-07 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'b8e1f0c2d3a4'
down_revision = '9d4b6f2e8c13'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('health_systems', sa.Column('publishes_slots', sa.Boolean(), nullable=False,
                                              server_default=sa.false()))
    op.add_column('health_systems', sa.Column('booking_url', sa.String(length=500),
                                              nullable=True))


def downgrade():
    op.drop_column('health_systems', 'booking_url')
    op.drop_column('health_systems', 'publishes_slots')

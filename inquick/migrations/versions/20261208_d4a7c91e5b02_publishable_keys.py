"""api keys: publishable keys, bound to allowed origins

A publishable key is made for pages in patients' browsers: `publishable` marks it,
`allowed_origins` lists the origins (space-separated) whose pages may use it, and
`public_value` keeps the whole key, which is meant to be seen in page source. Going
back down revokes every publishable key: it would otherwise be a secret key anyone can read.

Revision ID: d4a7c91e5b02
Revises: b8e1f0c2d3a4
Create Date: 2026-12-08 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = 'd4a7c91e5b02'
down_revision = 'b8e1f0c2d3a4'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('api_keys', sa.Column('publishable', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column('api_keys', sa.Column('allowed_origins', sa.Text(), nullable=True))
    op.add_column('api_keys', sa.Column('public_value', sa.String(length=100), nullable=True))


def downgrade():
    # Without the columns a publishable key would be a secret key whose value is public,
    # with every scope it holds: revoke those keys first, so that their values stop working.
    api_keys = sa.table('api_keys', sa.column('publishable', sa.Boolean()),
                        sa.column('revoked_at', sa.DateTime(timezone=True)))
    op.execute(
        api_keys.update()
        .where(api_keys.c.publishable.is_(True), api_keys.c.revoked_at.is_(None))
        .values(revoked_at=sa.func.now())
    )
    op.drop_column('api_keys', 'public_value')
    op.drop_column('api_keys', 'allowed_origins')
    op.drop_column('api_keys', 'publishable')

"""audit log; visit change reason and cancellation time

Revision ID: cc24a202e400
Revises: fc8a2ce0d0c3
Create Date: 2026-11-21 09:18:29.967070
"""

import sqlalchemy as sa
from alembic import op

revision = 'cc24a202e400'
down_revision = 'fc8a2ce0d0c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=True),
    sa.Column('token_id', sa.String(length=64), nullable=True),
    sa.Column('visit_id', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_audit_entries_health_system_id_health_systems')),
    sa.ForeignKeyConstraint(['key_id'], ['api_keys.id'], name=op.f('fk_audit_entries_key_id_api_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_health_system_id_at', ['health_system_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_visit_id'), ['visit_id'], unique=False)

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('change_reason')

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_visit_id'))
        batch_op.drop_index('ix_audit_entries_health_system_id_at')

    op.drop_table('audit_entries')

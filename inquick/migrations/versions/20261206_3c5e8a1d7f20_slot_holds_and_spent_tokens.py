"""slot holds, spent visit tokens and each schedule's hold time

Revision ID: 3c5e8a1d7f20
Revises: 7b3d9e2f4a61
Create Date: 2026-12-06 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '3c5e8a1d7f20'
down_revision = '7b3d9e2f4a61'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('schedules', sa.Column('hold_minutes', sa.Integer(), nullable=False,
                                         server_default='10'))
    op.create_table(
        'slot_holds',
        sa.Column('token_id', sa.String(length=64), nullable=False),
        sa.Column('health_system_id', sa.Integer(), nullable=False),
        sa.Column('schedule_id', sa.String(length=36), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('api_key_id', sa.Integer(), nullable=False),
        sa.Column('client_digest', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'],
                                name=op.f('fk_slot_holds_api_key_id_api_keys'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'],
                                name=op.f('fk_slot_holds_health_system_id_health_systems'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'],
                                name=op.f('fk_slot_holds_schedule_id_schedules'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_id', name=op.f('pk_slot_holds')),
    )
    op.create_index(op.f('ix_slot_holds_health_system_id'), 'slot_holds', ['health_system_id'])
    op.create_index('ix_slot_holds_schedule_id_starts_at', 'slot_holds',
                    ['schedule_id', 'starts_at'])
    op.create_index('ix_slot_holds_api_key_id_expires_at', 'slot_holds',
                    ['api_key_id', 'expires_at'])
    op.create_index('ix_slot_holds_client_digest_expires_at', 'slot_holds',
                    ['client_digest', 'expires_at'])
    op.create_table(
        'spent_visit_tokens',
        sa.Column('token_id', sa.String(length=64), nullable=False),
        sa.Column('health_system_id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.String(length=32), nullable=False),
        sa.Column('spent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'],
                                name=op.f('fk_spent_visit_tokens_health_system_id_health_systems'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'],
                                name=op.f('fk_spent_visit_tokens_visit_id_visits'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_id', name=op.f('pk_spent_visit_tokens')),
    )
    op.create_index(op.f('ix_spent_visit_tokens_health_system_id'), 'spent_visit_tokens',
                    ['health_system_id'])
    op.create_index(op.f('ix_spent_visit_tokens_visit_id'), 'spent_visit_tokens', ['visit_id'])


def downgrade():
    op.drop_table('spent_visit_tokens')
    op.drop_table('slot_holds')
    with op.batch_alter_table('schedules') as batch:
        batch.drop_column('hold_minutes')

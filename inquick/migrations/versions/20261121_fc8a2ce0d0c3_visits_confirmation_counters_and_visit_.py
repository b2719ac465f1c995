"""visits, confirmation counters and visit settings

Revision ID: fc8a2ce0d0c3
Revises: f27fb8a893e6
Create Date: 2026-11-21 08:40:28.975547
"""

import sqlalchemy as sa
from alembic import op

revision = 'fc8a2ce0d0c3'
down_revision = 'f27fb8a893e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('confirmation_counters',
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_confirmation_counters_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('health_system_id', name=op.f('pk_confirmation_counters'))
    )
    op.create_table('visit_settings',
    sa.Column('schedule_id', sa.String(length=36), nullable=False),
    sa.Column('enabled_fields', sa.JSON(), nullable=True),
    sa.Column('patient_instructions', sa.Text(), nullable=True),
    sa.Column('preregistration_form', sa.String(length=500), nullable=True),
    sa.Column('screening_questions', sa.String(length=500), nullable=True),
    sa.Column('emergency_keywords', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_visit_settings_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('schedule_id', name=op.f('pk_visit_settings'))
    )
    op.create_table('visit_validations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('schedule_id', sa.String(length=36), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_visit_validations_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_validations'))
    )
    with op.batch_alter_table('visit_validations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_validations_schedule_id'), ['schedule_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.String(length=36), nullable=False),
    sa.Column('appointment_type_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('confirmation_number', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.String(length=64), nullable=True),
    sa.Column('request_digest', sa.String(length=64), nullable=True),
    sa.Column('remote_uid', sa.String(length=200), nullable=True),
    sa.Column('patient', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_types.id'], name=op.f('fk_visits_appointment_type_id_appointment_types')),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_visits_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_visits_schedule_id_schedules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits')),
    sa.UniqueConstraint('health_system_id', 'confirmation_number', name=op.f('uq_visits_health_system_id_confirmation_number')),
    sa.UniqueConstraint('token_id', name=op.f('uq_visits_token_id'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_health_system_id'), ['health_system_id'], unique=False)
        batch_op.create_index('ix_visits_schedule_id_starts_at', ['schedule_id', 'starts_at'], unique=False)



def downgrade():
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_schedule_id_starts_at')
        batch_op.drop_index(batch_op.f('ix_visits_health_system_id'))

    op.drop_table('visits')
    with op.batch_alter_table('visit_validations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_validations_schedule_id'))

    op.drop_table('visit_validations')
    op.drop_table('visit_settings')
    op.drop_table('confirmation_counters')

"""catalog, tenancy and keys

Revision ID: f27fb8a893e6
Revises: 
Create Date: 2026-11-21 08:31:02.309534

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f27fb8a893e6'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('health_systems',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('mode', sa.String(length=4), nullable=False),
    sa.Column('live_system_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('use_gtm_container', sa.Boolean(), nullable=False),
    sa.Column('disable_google_indexing', sa.Boolean(), nullable=False),
    sa.Column('gtm_container', sa.String(length=40), nullable=True),
    sa.Column('gtag_conversion_event_id', sa.String(length=120), nullable=True),
    sa.Column('gtag_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['live_system_id'], ['health_systems.id'], name=op.f('fk_health_systems_live_system_id_health_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_systems')),
    sa.UniqueConstraint('live_system_id', name=op.f('uq_health_systems_live_system_id')),
    sa.UniqueConstraint('slug', 'mode', name=op.f('uq_health_systems_slug_mode'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=24), nullable=False),
    sa.Column('mode', sa.String(length=4), nullable=False),
    sa.Column('scopes', sa.String(length=400), nullable=False),
    sa.Column('rate_limit', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_api_keys_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('digest', name=op.f('uq_api_keys_digest'))
    )
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_keys_health_system_id'), ['health_system_id'], unique=False)

    op.create_table('appointment_types',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('contexts', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_appointment_types_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_types')),
    sa.UniqueConstraint('health_system_id', 'slug', name='uq_appointment_types_health_system_slug')
    )
    with op.batch_alter_table('appointment_types', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointment_types_health_system_id'), ['health_system_id'], unique=False)

    op.create_table('insurance_plans',
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('accepted_by_default', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_insurance_plans_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_insurance_plans')),
    sa.UniqueConstraint('health_system_id', 'slug', name='uq_insurance_plans_health_system_slug')
    )
    with op.batch_alter_table('insurance_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insurance_plans_health_system_id'), ['health_system_id'], unique=False)

    op.create_table('medical_groups',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_medical_groups_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_groups')),
    sa.UniqueConstraint('health_system_id', 'slug', name='uq_medical_groups_health_system_slug')
    )
    with op.batch_alter_table('medical_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medical_groups_health_system_id'), ['health_system_id'], unique=False)

    op.create_table('partner_hostnames',
    sa.Column('hostname', sa.String(length=253), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_partner_hostnames_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hostname', name=op.f('pk_partner_hostnames'))
    )
    with op.batch_alter_table('partner_hostnames', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_hostnames_health_system_id'), ['health_system_id'], unique=False)

    op.create_table('providers',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('suffix', sa.String(length=40), nullable=True),
    sa.Column('credentials', sa.String(length=120), nullable=True),
    sa.Column('provider_type', sa.String(length=20), nullable=False),
    sa.Column('gender', sa.String(length=10), nullable=True),
    sa.Column('affiliation', sa.String(length=20), nullable=True),
    sa.Column('bio', sa.Text(), nullable=True),
    sa.Column('backgrounds', sa.JSON(), nullable=False),
    sa.Column('subspecialties', sa.JSON(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('grad_school', sa.String(length=200), nullable=True),
    sa.Column('undergrad_school', sa.String(length=200), nullable=True),
    sa.Column('card_image', sa.String(length=500), nullable=True),
    sa.Column('profile_image', sa.String(length=500), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_providers_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_providers')),
    sa.UniqueConstraint('health_system_id', 'slug', name='uq_providers_health_system_slug')
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_providers_health_system_id'), ['health_system_id'], unique=False)

    op.create_table('regions',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_regions_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regions')),
    sa.UniqueConstraint('health_system_id', 'slug', name='uq_regions_health_system_slug')
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_regions_health_system_id'), ['health_system_id'], unique=False)

    op.create_table('services',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_services_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('health_system_id', 'slug', name='uq_services_health_system_slug')
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_health_system_id'), ['health_system_id'], unique=False)

    op.create_table('appointment_type_services',
    sa.Column('appointment_type_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_types.id'], name=op.f('fk_appointment_type_services_appointment_type_id_appointment_types'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_appointment_type_services_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('appointment_type_id', 'service_id', name=op.f('pk_appointment_type_services'))
    )
    op.create_table('locations',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('facility_name', sa.String(length=200), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('city', sa.String(length=120), nullable=True),
    sa.Column('state', sa.String(length=40), nullable=True),
    sa.Column('zip', sa.String(length=20), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('time_zone_name', sa.String(length=64), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_locations_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_locations_region_id_regions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('health_system_id', 'slug', name='uq_locations_health_system_slug')
    )
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locations_health_system_id'), ['health_system_id'], unique=False)

    op.create_table('provider_medical_groups',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('medical_group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['medical_group_id'], ['medical_groups.id'], name=op.f('fk_provider_medical_groups_medical_group_id_medical_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_provider_medical_groups_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', 'medical_group_id', name=op.f('pk_provider_medical_groups'))
    )
    op.create_table('region_insurance_plans',
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('insurance_plan_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['insurance_plan_id'], ['insurance_plans.id'], name=op.f('fk_region_insurance_plans_insurance_plan_id_insurance_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_region_insurance_plans_region_id_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('region_id', 'insurance_plan_id', name=op.f('pk_region_insurance_plans'))
    )
    op.create_table('location_insurance_plans',
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('insurance_plan_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['insurance_plan_id'], ['insurance_plans.id'], name=op.f('fk_location_insurance_plans_insurance_plan_id_insurance_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_location_insurance_plans_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('location_id', 'insurance_plan_id', name=op.f('pk_location_insurance_plans'))
    )
    op.create_table('schedules',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('health_system_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('schedule_type', sa.String(length=40), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('time_zone_name', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('accepting_new_patients', sa.Boolean(), nullable=False),
    sa.Column('age_limit_threshold', sa.Integer(), nullable=True),
    sa.Column('age_limit_direction', sa.String(length=8), nullable=True),
    sa.Column('translator_languages', sa.JSON(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('slot_interval_minutes', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('minimum_notice_minutes', sa.Integer(), nullable=False),
    sa.Column('booking_horizon_days', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['health_system_id'], ['health_systems.id'], name=op.f('fk_schedules_health_system_id_health_systems'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_schedules_location_id_locations')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_schedules_provider_id_providers')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_schedules_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules'))
    )
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedules_health_system_id'), ['health_system_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedules_location_id'), ['location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedules_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_schedules_service_id'), ['service_id'], unique=False)

    op.create_table('schedule_appointment_types',
    sa.Column('schedule_id', sa.String(length=36), nullable=False),
    sa.Column('appointment_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appointment_type_id'], ['appointment_types.id'], name=op.f('fk_schedule_appointment_types_appointment_type_id_appointment_types'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_schedule_appointment_types_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('schedule_id', 'appointment_type_id', name=op.f('pk_schedule_appointment_types'))
    )
    op.create_table('schedule_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.String(length=36), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('opens_at', sa.Time(), nullable=True),
    sa.Column('closes_at', sa.Time(), nullable=True),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_schedule_exceptions_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_exceptions'))
    )
    with op.batch_alter_table('schedule_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedule_exceptions_schedule_id'), ['schedule_id'], unique=False)

    op.create_table('schedule_insurance_plans',
    sa.Column('schedule_id', sa.String(length=36), nullable=False),
    sa.Column('insurance_plan_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['insurance_plan_id'], ['insurance_plans.id'], name=op.f('fk_schedule_insurance_plans_insurance_plan_id_insurance_plans'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_schedule_insurance_plans_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('schedule_id', 'insurance_plan_id', name=op.f('pk_schedule_insurance_plans'))
    )
    op.create_table('weekly_windows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.String(length=36), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.Time(), nullable=False),
    sa.Column('closes_at', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['schedule_id'], ['schedules.id'], name=op.f('fk_weekly_windows_schedule_id_schedules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weekly_windows'))
    )
    with op.batch_alter_table('weekly_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weekly_windows_schedule_id'), ['schedule_id'], unique=False)



def downgrade():
    with op.batch_alter_table('weekly_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weekly_windows_schedule_id'))

    op.drop_table('weekly_windows')
    op.drop_table('schedule_insurance_plans')
    with op.batch_alter_table('schedule_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedule_exceptions_schedule_id'))

    op.drop_table('schedule_exceptions')
    op.drop_table('schedule_appointment_types')
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedules_service_id'))
        batch_op.drop_index(batch_op.f('ix_schedules_provider_id'))
        batch_op.drop_index(batch_op.f('ix_schedules_location_id'))
        batch_op.drop_index(batch_op.f('ix_schedules_health_system_id'))

    op.drop_table('schedules')
    op.drop_table('location_insurance_plans')
    op.drop_table('region_insurance_plans')
    op.drop_table('provider_medical_groups')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locations_health_system_id'))

    op.drop_table('locations')
    op.drop_table('appointment_type_services')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_health_system_id'))

    op.drop_table('services')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regions_health_system_id'))

    op.drop_table('regions')
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_providers_health_system_id'))

    op.drop_table('providers')
    with op.batch_alter_table('partner_hostnames', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_hostnames_health_system_id'))

    op.drop_table('partner_hostnames')
    with op.batch_alter_table('medical_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medical_groups_health_system_id'))

    op.drop_table('medical_groups')
    with op.batch_alter_table('insurance_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insurance_plans_health_system_id'))

    op.drop_table('insurance_plans')
    with op.batch_alter_table('appointment_types', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_types_health_system_id'))

    op.drop_table('appointment_types')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_keys_health_system_id'))

    op.drop_table('api_keys')
    op.drop_table('health_systems')

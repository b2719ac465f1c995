"""The catalog's version: a token the database changes whenever any catalog row changes.

Triggers on every catalog table (see the migration that adds them) give `version` a new
random value in each transaction that changes a catalog row, whoever writes it: the API,
the demo seeder, an operator's SQL. A read that sees a version sees the catalog as it
was at that version, so anything derived from the catalog alone (a collection's total,
a document's ETag) can be kept under it. Random, not counted: a database restored from a
backup never hands out a version it already used for other data.
"""

from sqlalchemy import CheckConstraint, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from inquick.extensions import db

# What the triggers watch; every other table (visits, keys, the audit log...) holds no
# catalog data. A test checks that the two lists cover every table.
CATALOG_TABLES = (
    "health_systems", "regions", "region_insurance_plans", "locations",
    "location_insurance_plans", "services", "medical_groups", "appointment_types",
    "appointment_type_services", "insurance_plans", "providers", "provider_medical_groups",
    "schedules", "schedule_insurance_plans", "schedule_appointment_types", "weekly_windows",
    "schedule_exceptions", "visit_settings", "visit_validations",
)  # fmt: skip
OTHER_TABLES = (
    "partner_hostnames", "api_keys", "visits", "confirmation_counters", "audit_entries",
    "catalog_state", "slot_holds", "spent_visit_tokens", "webhook_endpoints", "webhook_events",
    "webhook_deliveries",
)  # fmt: skip


class CatalogState(db.Model):
    """The one row holding the catalog's version."""

    __tablename__ = "catalog_state"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(36))


# The catalog's version, as SQL a read can select with its rows.
CATALOG_VERSION = select(CatalogState.version).scalar_subquery()

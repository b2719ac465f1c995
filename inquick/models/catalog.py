"""The published catalog: regions, locations, services, groups, types, plans and providers."""

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inquick.catalog.folding import fold, folded_parts
from inquick.extensions import db
from inquick.models.base import StringList, TenantOwned

# The values of the catalog's enumerated columns, as stored and shown. Schemas, filters
# and visit rules all read them here, so that what is written, searched and checked agree.

# Where an appointment type may be booked from: a patient's own booking, a hospital
# discharge, staff (filters take them in any case).
CONTEXTS = ("Patient", "Discharge", "Internal")
# A practitioner, or a resource such as an MRI machine.
PROVIDER_TYPES = ("Practitioner", "HealthResource")
# A provider's gender, and the genders a visit's patient may give.
GENDERS = ("male", "female")
# Employed by the health system, or affiliated with it.
AFFILIATIONS = ("employed", "affiliated")


def association(name, left, right):
    """A many-to-many link table between two catalog tables, indexed both ways (its key
    serves lookups from the left; the index, from the right: the plans' own list)."""
    return Table(
        name,
        db.metadata,
        Column(f"{left}_id", ForeignKey(f"{left}s.id", ondelete="CASCADE"), primary_key=True),
        Column(
            f"{right}_id",
            ForeignKey(f"{right}s.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
    )


region_insurance_plans = association("region_insurance_plans", "region", "insurance_plan")
location_insurance_plans = association("location_insurance_plans", "location", "insurance_plan")
provider_medical_groups = association("provider_medical_groups", "provider", "medical_group")
appointment_type_services = association("appointment_type_services", "appointment_type", "service")


def slug_unique(table):
    return (UniqueConstraint("health_system_id", "slug", name=f"uq_{table}_health_system_slug"),)


def searched(table):
    """The indexes `filter[search]` reads: its words in the text (trigrams, on PostgreSQL;
    a plain index on SQLite), and the names starting with it, in the order they rank."""
    return (
        Index(
            f"ix_{table}_search_text",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
        Index(f"ix_{table}_health_system_id_search_name", "health_system_id", "search_name"),
    )


SEARCH_NAME_TYPE = Text().with_variant(Text(collation="C"), "postgresql")


class Searchable:
    """A type found by `filter[search]`: folded copies of its name-like attributes
    (`search_sources`), kept by the ORM on every write (see `inquick.catalog.search`)."""

    search_sources = ("name",)
    # In code-point order on PostgreSQL too, so that its index answers `LIKE 'prefix%'`
    # with a range, in the order names rank (SQLite's own order is code points).
    search_name: Mapped[str] = mapped_column(SEARCH_NAME_TYPE, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")


@event.listens_for(Searchable, "before_insert", propagate=True)
@event.listens_for(Searchable, "before_update", propagate=True)
def fold_search_columns(_mapper, _connection, row):
    """Fold the row's name-like attributes into its search columns as it is written."""
    row.search_name = fold(row.name or "")
    row.search_text = folded_parts(*(getattr(row, name) for name in row.search_sources))


class InsurancePlan(TenantOwned, db.Model):
    """A plan a health system accepts; `accepted_by_default` is the system-wide list."""

    __tablename__ = "insurance_plans"
    __table_args__ = slug_unique("insurance_plans")

    company: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    accepted_by_default: Mapped[bool] = mapped_column(Boolean, default=False)


class Region(TenantOwned, db.Model):
    """A group of locations that may share a list of accepted plans."""

    __tablename__ = "regions"
    __table_args__ = slug_unique("regions")

    name: Mapped[str] = mapped_column(String(200))
    insurance_plans: Mapped[list[InsurancePlan]] = relationship(
        secondary=region_insurance_plans, order_by=InsurancePlan.slug
    )


class Location(Searchable, TenantOwned, db.Model):
    """A facility where schedules take place."""

    __tablename__ = "locations"
    __table_args__ = (*slug_unique("locations"), *searched("locations"))
    search_sources = ("name", "facility_name", "city", "zip")

    name: Mapped[str] = mapped_column(String(200))
    facility_name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    city: Mapped[str | None] = mapped_column(String(120))
    state: Mapped[str | None] = mapped_column(String(40))
    zip: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(40))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    time_zone_name: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="SET NULL"))

    region: Mapped[Region | None] = relationship()
    insurance_plans: Mapped[list[InsurancePlan]] = relationship(
        secondary=location_insurance_plans, order_by=InsurancePlan.slug
    )


class Service(Searchable, TenantOwned, db.Model):
    """A line of care (primary care, urgent care) that schedules offer."""

    __tablename__ = "services"
    __table_args__ = (*slug_unique("services"), *searched("services"))

    name: Mapped[str] = mapped_column(String(200))


class MedicalGroup(TenantOwned, db.Model):
    """A practice that providers belong to."""

    __tablename__ = "medical_groups"
    __table_args__ = slug_unique("medical_groups")

    name: Mapped[str] = mapped_column(String(200))


class AppointmentType(Searchable, TenantOwned, db.Model):
    """A kind of visit; its duration decides how long a booked slot is occupied."""

    __tablename__ = "appointment_types"
    __table_args__ = (*slug_unique("appointment_types"), *searched("appointment_types"))

    name: Mapped[str] = mapped_column(String(200))
    priority: Mapped[int] = mapped_column(Integer, default=5)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=30)
    contexts: Mapped[list[str]] = mapped_column(StringList, default=lambda: ["Patient"])
    services: Mapped[list[Service]] = relationship(
        secondary=appointment_type_services, order_by=Service.slug
    )


class Provider(Searchable, TenantOwned, db.Model):
    """A practitioner, or a resource such as an MRI machine, that holds schedules."""

    __tablename__ = "providers"
    __table_args__ = (
        *slug_unique("providers"),
        # Lists in the default order (name, then id) read a page without sorting them all.
        Index("ix_providers_health_system_id_name", "health_system_id", "name", "slug"),
        *searched("providers"),
    )
    search_sources = ("name", "credentials", "subspecialties", "languages")

    name: Mapped[str] = mapped_column(String(200))
    suffix: Mapped[str | None] = mapped_column(String(40))
    credentials: Mapped[str | None] = mapped_column(String(120))
    provider_type: Mapped[str] = mapped_column(String(20), default="Practitioner")
    gender: Mapped[str | None] = mapped_column(String(10))
    affiliation: Mapped[str | None] = mapped_column(String(20))
    bio: Mapped[str | None] = mapped_column(Text)
    backgrounds: Mapped[list[str]] = mapped_column(StringList, default=list)
    subspecialties: Mapped[list[str]] = mapped_column(StringList, default=list)
    languages: Mapped[list[str]] = mapped_column(StringList, default=list)
    grad_school: Mapped[str | None] = mapped_column(String(200))
    undergrad_school: Mapped[str | None] = mapped_column(String(200))
    card_image: Mapped[str | None] = mapped_column(String(500))
    profile_image: Mapped[str | None] = mapped_column(String(500))

    medical_groups: Mapped[list[MedicalGroup]] = relationship(
        secondary=provider_medical_groups, order_by=MedicalGroup.slug
    )

    schedules = relationship(
        "Schedule",
        primaryjoin="and_(Schedule.provider_id == Provider.id, Schedule.active)",
        viewonly=True,
        order_by="(Schedule.sort_order, Schedule.id)",
    )


Location.schedules = relationship(
    "Schedule",
    primaryjoin="and_(Schedule.location_id == Location.id, Schedule.active)",
    viewonly=True,
    order_by="(Schedule.sort_order, Schedule.id)",
)

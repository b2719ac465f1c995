"""Column types and mixins shared by every model."""

from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship


def utcnow():
    """The current time, timezone-aware in UTC (called per row, never at import)."""
    return datetime.now(UTC)


def as_utc(moment):
    """An aware UTC datetime; SQLite hands back naive ones, which we always store in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Timestamped:
    """Creation and update times, set by the application on every write."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class TenantOwned(Timestamped):
    """A row that belongs to exactly one health system, addressed by a slug unique within it."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120))

    @declared_attr
    def health_system_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("health_systems.id", ondelete="CASCADE"), index=True)

    @declared_attr
    def health_system(cls):
        return relationship("HealthSystem")


# A list of strings (languages, contexts): JSON on every database.
StringList = JSON

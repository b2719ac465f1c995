"""Health systems, the partner hostnames that address them, and their API keys."""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inquick.extensions import db
from inquick.models.base import Timestamped, utcnow

# Live data, or the sandbox beside it (a key's mode is also in its prefix).
MODES = ("live", "test")


class HealthSystem(Timestamped, db.Model):
    """A tenant. A sandbox is a health system of mode `test` attached to its live one."""

    __tablename__ = "health_systems"
    __table_args__ = (UniqueConstraint("slug", "mode"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120))
    mode: Mapped[str] = mapped_column(String(4), default="live")
    live_system_id: Mapped[int | None] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(200))
    use_gtm_container: Mapped[bool] = mapped_column(Boolean, default=False)
    disable_google_indexing: Mapped[bool] = mapped_column(Boolean, default=False)
    gtm_container: Mapped[str | None] = mapped_column(String(40))
    gtag_conversion_event_id: Mapped[str | None] = mapped_column(String(120))
    gtag_id: Mapped[str | None] = mapped_column(String(40))
    # SMART Scheduling Links: whether the system publishes its slots (`$bulk-publish`, no
    # key needed), and the booking page their deep links open.
    publishes_slots: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    booking_url: Mapped[str | None] = mapped_column(String(500))

    hostnames: Mapped[list["PartnerHostname"]] = relationship(
        back_populates="health_system", cascade="all, delete-orphan"
    )

    def new_sandbox(self):
        """The test-mode twin of this live system: same slug and name, no hostnames."""
        return HealthSystem(slug=self.slug, name=self.name, mode="test", live_system_id=self.id)


class PartnerHostname(db.Model):
    """A client-facing domain of a live health system; the first path segment of every URL."""

    __tablename__ = "partner_hostnames"

    hostname: Mapped[str] = mapped_column(String(253), primary_key=True)
    health_system_id: Mapped[int] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), index=True
    )
    health_system: Mapped[HealthSystem] = relationship(back_populates="hostnames")


class ApiKey(db.Model):
    """A partner's credential. Only a digest of a secret key is stored; a publishable key,
    made to be shown in page source, is kept whole so that it can be shown again."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    health_system_id: Mapped[int] = mapped_column(
        ForeignKey("health_systems.id", ondelete="CASCADE"), index=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(24))
    mode: Mapped[str] = mapped_column(String(4))
    scopes: Mapped[str] = mapped_column(String(400))
    rate_limit: Mapped[int | None] = mapped_column(Integer)
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A key for pages in patients' browsers: few scopes, only from `allowed_origins`
    # (space-separated serialized origins, `https://host[:port]`, lower-case).
    publishable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    allowed_origins: Mapped[str | None] = mapped_column(Text)
    public_value: Mapped[str | None] = mapped_column(String(100))

    health_system: Mapped[HealthSystem] = relationship()

    @property
    def scope_set(self):
        return frozenset(self.scopes.split())

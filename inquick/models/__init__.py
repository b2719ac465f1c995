"""The data model, split by domain; importing this package registers every table."""

from inquick.models.audit import AuditEntry
from inquick.models.catalog import (
    AppointmentType,
    InsurancePlan,
    Location,
    MedicalGroup,
    Provider,
    Region,
    Service,
)
from inquick.models.catalog_state import CatalogState
from inquick.models.holds import SlotHold, SpentVisitToken
from inquick.models.schedules import Schedule, ScheduleException, WeeklyWindow
from inquick.models.tenancy import ApiKey, HealthSystem, PartnerHostname
from inquick.models.visits import (
    ConfirmationCounter,
    Visit,
    VisitSettings,
    VisitValidation,
)
from inquick.models.webhooks import WebhookDelivery, WebhookEndpoint, WebhookEvent

__all__ = [
    "ApiKey",
    "AppointmentType",
    "AuditEntry",
    "CatalogState",
    "ConfirmationCounter",
    "HealthSystem",
    "InsurancePlan",
    "Location",
    "MedicalGroup",
    "PartnerHostname",
    "Provider",
    "Region",
    "Schedule",
    "ScheduleException",
    "Service",
    "SlotHold",
    "SpentVisitToken",
    "Visit",
    "VisitSettings",
    "VisitValidation",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WeeklyWindow",
]

"""Every malformed attribute is refused with the error its fault calls for, pointing at it,
and leaves the database as it was; no attribute the API manages itself (ids, tenancy,
timestamps, `active`) can be assigned."""

import pytest

from tests.resources.writes import (
    HEALTH_SYSTEMS,
    KINDS,
    PATCHABLE,
    assert_pointed,
    assert_refused,
    columns,
    create_body,
    error,
    existing,
    patch_body,
    row_count,
)

pytestmark = pytest.mark.usefixtures("world")


def refused_attribute(writer, session, tenant, kind, attribute, value, status, detail=None):
    """PATCH `attribute` (beside a valid change) and POST it: each answers the one error
    object pointing at it (with `detail`, when given), and neither changes the database."""
    pointer = f"/data/attributes/{attribute}"

    def check(response):
        if detail is None:
            assert_pointed(response, status, pointer)
        else:
            assert_refused(response, status, error(status, detail, pointer))

    row, id_ = existing(kind, tenant)
    before = columns(session, row)
    check(
        writer.patch(f"/{kind.type}/{id_}", patch_body(kind, id_, {**kind.patch, attribute: value}))
    )
    assert columns(session, row) == before
    if kind.factory is not None:
        count = row_count(session, kind)
        attributes = {**kind.create, attribute: value}
        check(writer.post(f"/{kind.type}", create_body(kind, attributes=attributes)))
        assert row_count(session, kind) == count


WRONG_JSON_TYPES = [
    ("appointment-types", "priority", "5", "a whole number"),
    ("appointment-types", "duration-minutes", 15.0, "a whole number"),
    ("appointment-types", "contexts", "Patient", "an array"),
    ("insurance-plans", "accepted-by-default", 1, "true or false"),
    ("insurance-plans", "company", 42, "a string"),
    ("schedules", "accepting-new-patients", "true", "true or false"),
    ("schedules", "capacity", "2", "a whole number"),
    ("schedules", "sort-order", True, "a whole number"),
    ("services", "name", 5, "a string"),
    ("medical-groups", "name", ["Coastal"], "a string"),
    ("locations", "latitude", "43.5", "a number"),
    ("locations", "longitude", False, "a number"),
    ("locations", "zip", 4101, "a string"),
    ("providers", "languages", "English", "an array"),
    ("providers", "name", {"first": "Zoë"}, "a string"),
    ("health-systems", "use-gtm-container", "yes", "true or false"),
    ("health-systems", "gtag-id", 12345, "a string"),
]


@pytest.mark.parametrize(
    ("type_", "attribute", "value", "described"),
    WRONG_JSON_TYPES,
    ids=[f"{t}.{a}" for t, a, _v, _d in WRONG_JSON_TYPES],
)
def test_an_attribute_of_the_wrong_json_type_is_unprocessable(
    writer, session, tenant, type_, attribute, value, described
):
    refused_attribute(
        writer,
        session,
        tenant,
        KINDS[type_],
        attribute,
        value,
        422,
        f"{attribute}: must be {described}",
    )


INVALID_VALUES = [
    ("schedules", "capacity", 0),
    ("schedules", "capacity", 1001),
    ("schedules", "sort-order", 2**31),
    ("schedules", "booking-horizon-days", 0),
    ("schedules", "time-zone-name", "Mars/Olympus_Mons"),
    ("schedules", "time-zone-name", None),
    ("schedules", "translator-languages", [""]),
    ("schedules", "age-limit-direction", "sideways"),
    ("schedules", "name", "   "),
    ("appointment-types", "priority", 11),
    ("appointment-types", "duration-minutes", 4),
    ("appointment-types", "contexts", []),
    ("appointment-types", "contexts", ["Walk-in"]),
    ("providers", "gender", "other"),
    ("providers", "provider-type", "Robot"),
    ("providers", "card-image", "ftp://img.example.org/a.png"),
    ("providers", "languages", ["x" * 101]),
    ("providers", "medical-groups", ["harbor-group"]),
    ("providers", "medical-groups", None),
    ("locations", "latitude", 91),
    ("locations", "time-zone-name", "EST5EDT-ish"),
    ("locations", "name", None),
    ("insurance-plans", "name", ""),
    ("health-systems", "name", " "),
]


@pytest.mark.parametrize(
    ("type_", "attribute", "value"),
    INVALID_VALUES,
    ids=[f"{t}.{a}={v!r:.12}" for t, a, v in INVALID_VALUES],
)
def test_an_invalid_value_is_unprocessable(writer, session, tenant, type_, attribute, value):
    kind = KINDS[type_]
    row, id_ = existing(kind, tenant)
    before = columns(session, row)
    response = writer.patch(
        f"/{kind.type}/{id_}", patch_body(kind, id_, {**kind.patch, attribute: value})
    )
    assert_pointed(response, 422, f"/data/attributes/{attribute}")
    assert columns(session, row) == before


COLUMN_LIMITS = [
    ("locations", "state", 40),
    ("locations", "name", 200),
    ("services", "name", 200),
    ("medical-groups", "name", 200),
    ("appointment-types", "name", 200),
    ("insurance-plans", "company", 200),
    ("providers", "credentials", 120),
    ("schedules", "schedule-type", 40),
    ("health-systems", "gtm-container", 40),
]


@pytest.mark.parametrize(
    ("type_", "attribute", "limit"), COLUMN_LIMITS, ids=[f"{t}.{a}" for t, a, _l in COLUMN_LIMITS]
)
def test_a_string_longer_than_its_column_is_unprocessable(
    writer, session, tenant, type_, attribute, limit
):
    kind = KINDS[type_]
    refused_attribute(
        writer,
        session,
        tenant,
        kind,
        attribute,
        "é" * (limit + 1),
        422,
        f"{attribute}: must be at most {limit} characters long",
    )
    row, id_ = existing(kind, tenant)
    fits = writer.patch(f"/{kind.type}/{id_}", patch_body(kind, id_, {attribute: "é" * limit}))
    assert fits.status_code == 200, fits.json
    session.refresh(row)
    assert getattr(row, attribute.replace("-", "_")) == "é" * limit


NUL_VALUES = [
    ("services", "name", "Primary\x00Care"),
    ("locations", "address", "1 Main\x00Street"),
    ("providers", "languages", ["Eng\x00lish"]),
    ("schedules", "hours", [{"day": "monday\x00", "opens-at": "09:00", "closes-at": "17:00"}]),
    ("schedules", "exceptions", [{"date\x00": "2030-12-25", "closed": True}]),
    ("health-systems", "name", "Tenant\x00A"),
]


@pytest.mark.parametrize(
    ("type_", "attribute", "value"), NUL_VALUES, ids=[f"{t}.{a}" for t, a, _v in NUL_VALUES]
)
def test_a_nul_character_is_unprocessable(writer, session, tenant, type_, attribute, value):
    refused_attribute(
        writer,
        session,
        tenant,
        KINDS[type_],
        attribute,
        value,
        422,
        f"{attribute}: must not contain NUL characters",
    )


READ_ONLY = [
    ("schedules", "service-name", "Urgent Care"),
    ("providers", "appointment-types", [{"id": "checkup", "name": "Checkup"}]),
]


@pytest.mark.parametrize(
    ("type_", "attribute", "value"), READ_ONLY, ids=[f"{t}.{a}" for t, a, _v in READ_ONLY]
)
def test_a_read_only_attribute_is_unprocessable(writer, session, tenant, type_, attribute, value):
    refused_attribute(
        writer, session, tenant, KINDS[type_], attribute, value, 422, f"{attribute} is read-only."
    )


MANAGED = [
    "id",
    "type",
    "slug",
    "health-system",
    "health-system-id",
    "health_system_id",
    "created-at",
    "updated-at",
    "active",
]
MANAGED_BY_KIND = [(kind, name) for kind in PATCHABLE for name in MANAGED] + [
    (HEALTH_SYSTEMS, name) for name in ("mode", "live-system-id", "hostnames")
]


def managed_value(name, other_tenant):
    """A value a client hijacking the attribute would send."""
    return {
        "id": "hijacked",
        "type": "services",
        "slug": "hijacked",
        "health-system": {"type": "health-systems", "id": "tenant-b"},
        "health-system-id": other_tenant.id,
        "health_system_id": other_tenant.id,
        "created-at": "2001-01-01T00:00:00Z",
        "updated-at": "2001-01-01T00:00:00Z",
        "active": False,
        "mode": "test",
        "live-system-id": other_tenant.id,
        "hostnames": ["evil.example.org"],
    }[name]


@pytest.mark.parametrize(
    ("kind", "name"), MANAGED_BY_KIND, ids=[f"{k}.{n}" for k, n in MANAGED_BY_KIND]
)
def test_an_attribute_the_api_manages_cannot_be_assigned(
    writer, session, tenant, other_tenant, kind, name
):
    refused_attribute(
        writer,
        session,
        tenant,
        kind,
        name,
        managed_value(name, other_tenant),
        422,
        f"{kind.type} have no attribute {name!r}.",
    )


def test_each_bad_attribute_gets_its_own_error(writer, session):
    kind = KINDS["providers"]
    attributes = {
        "name": 5,
        "gender": "other",
        "credentials": "x" * 121,
        "slug": "x",
        "appointment-types": [],
        "bio": "ok",
    }
    count = row_count(session, kind)
    response = writer.post("/providers", create_body(kind, attributes=attributes))
    pointers = [f"/data/attributes/{name}" for name in attributes if name != "bio"]
    assert_pointed(response, 422, *pointers)
    assert row_count(session, kind) == count


@pytest.mark.parametrize(
    ("type_", "missing"),
    [
        ("services", ["name"]),
        ("medical-groups", ["name"]),
        ("appointment-types", ["name"]),
        ("insurance-plans", ["company", "name"]),
        ("locations", ["name", "time-zone-name"]),
        ("providers", ["name"]),
        ("schedules", ["name"]),
    ],
)
def test_a_required_attribute_missing_on_post_is_unprocessable(writer, session, type_, missing):
    kind = KINDS[type_]
    attributes = {n: v for n, v in kind.create.items() if n not in missing}
    count = row_count(session, kind)
    response = writer.post(f"/{type_}", create_body(kind, attributes=attributes))
    assert response.status_code == 422, response.json
    assert sorted(response.json["errors"], key=lambda e: e["detail"]) == [
        error(422, f"{name} is required.", f"/data/attributes/{name}") for name in missing
    ]
    assert row_count(session, kind) == count


def test_a_patch_needs_no_required_attribute(writer, tenant):
    _row, id_ = existing(KINDS["insurance-plans"], tenant)
    response = writer.patch(
        f"/insurance-plans/{id_}", patch_body(KINDS["insurance-plans"], id_, {})
    )
    assert response.status_code == 200, response.json

"""The valid documents the body cases spoil: one per operation that takes a body, built on the
data set's rows."""

import copy
import json

from inquick.jsonapi.resource import REGISTRY


def encode(document):
    return json.dumps(document, ensure_ascii=False).encode()


def changed(document, trail, value):
    """A copy of `document` with the member at `trail` (keys and indexes) set to `value`."""
    document = copy.deepcopy(document)
    node = document
    for step in trail[:-1]:
        node = node[step]
    node[trail[-1]] = value
    return document


def nested(inner, key, depth):
    """`inner` under `depth` levels of objects of one member `key`."""
    for _ in range(depth):
        inner = {key: inner}
    return inner


def identifier(type_, object_id):
    return {"type": type_, "id": object_id}


def to_one(type_, object_id):
    return {"data": identifier(type_, object_id)}


def to_many(type_, *ids):
    return {"data": [identifier(type_, i) for i in ids]}


def resource(type_, attributes, object_id=None, relationships=None):
    data = {"type": type_} | ({"id": object_id} if object_id is not None else {})
    data["attributes"] = attributes
    if relationships:
        data["relationships"] = relationships
    return {"data": data}


NEW_SCHEDULE_ID = "7d8f5c1e-2b4a-4c6d-8e9f-0a1b2c3d4e5f"
HOURS = {
    "hours": [{"day": "monday", "opens-at": "09:00", "closes-at": "17:00"}],
    "exceptions": [
        {"date": "2031-01-02", "closed": False, "opens-at": "10:00", "closes-at": "12:00"}
    ],
}
# POST /TYPE of a catalog type: (attributes, relationships) of a new resource.
CREATES = {
    "locations": lambda w: (
        {"name": "Made Here", "time-zone-name": "America/Chicago"},
        {"insurance-plans": to_many("insurance-plans", w.second["insurance-plans"])},
    ),
    "services": lambda w: ({"name": "Made Here"}, None),
    "medical-groups": lambda w: ({"name": "Made Here"}, None),
    "appointment-types": lambda w: (
        {"name": "Made Here", "duration-minutes": 20},
        {"services": to_many("services", w.first["services"])},
    ),
    "insurance-plans": lambda w: ({"company": "Made", "name": "Here"}, None),
    "providers": lambda w: (
        {"name": "Made Here", "medical-groups": [{"id": w.first["medical-groups"]}]},
        None,
    ),
    "schedules": lambda w: (
        {"name": "Made Here", "time-zone-name": "America/Chicago", **HOURS},
        {
            "location": to_one("locations", w.first["locations"]),
            "provider": to_one("providers", w.first["providers"]),
        },
    ),
}
# PATCH /TYPE/{id} of a catalog type: the attributes changed (`name` for any other type).
CHANGES = {
    "locations": {"name": "Changed", "time-zone-name": "America/Denver"},
    "schedules": {"name": "Changed", "time-zone-name": "America/Denver", **HOURS},
}
PATIENT = {
    "first-name": "Ada",
    "last-name": "Byron",
    "email": "ada.byron@example.org",
    "phone-number": "(207) 555-0101",
    "birthdate": "1990-01-31",
    "gender": "female",
    "new-patient": "yes",
    "zip": "04101",
}
# The other operations with a body: (the text attribute the text shapes spoil, document).
BODIES = {
    ("/api-keys", "post"): (
        "label",
        lambda w, ids: resource("api-keys", {"scopes": ["catalog:read"], "label": "Made here"}),
    ),
    ("/visits", "post"): (
        "first-name",
        lambda w, ids: resource(
            "visits",
            {**PATIENT, "appointment-at": w.slot, "appointment-type": w.first["appointment-types"]},
            relationships={"schedule": to_one("schedules", w.first["schedules"])},
        ),
    ),
    ("/visits/{id}", "patch"): (
        "reason",
        lambda w, ids: resource(
            "visits", {"appointment-at": w.later_slot, "reason": "Changed"}, ids["id"]
        ),
    ),
    ("/visit-settings/{schedule_id}", "patch"): (
        "patient-instructions",
        lambda w, ids: resource(
            "visit-settings", {"patient-instructions": "Changed"}, ids["schedule_id"]
        ),
    ),
    ("/validations", "post"): (
        "message",
        lambda w, ids: resource(
            "validations",
            {"kind": "presence", "attributes": ["zip"], "message": "Changed"},
            relationships={"schedule": to_one("schedules", w.first["schedules"])},
        ),
    ),
    # A move (the richer change): to the slot the world's visit token holds.
    ("/bookings/{reference}", "patch"): (
        "reason",
        lambda w, ids: {
            **resource(
                "bookings", {"appointment-at": w.slot, "reason": "Changed"}, ids["reference"]
            ),
            "meta": {"visit-token": w.token},
        },
    ),
    ("/validations/{validation_id}", "patch"): (
        "message",
        lambda w, ids: resource("validations", {"message": "Changed"}, ids["validation_id"]),
    ),
    ("/webhook-endpoints", "post"): (
        "description",
        lambda w, ids: resource(
            "webhook-endpoints",
            {"url": "https://93.184.216.34/made-here", "description": "Made here"},
        ),
    ),
    ("/webhook-endpoints/{id}", "patch"): (
        "description",
        lambda w, ids: resource("webhook-endpoints", {"description": "Changed"}, ids["id"]),
    ),
}
# Creates that take no client-generated id: any id, of any JSON type, is a 403.
NO_CLIENT_IDS = {
    ("/api-keys", "post"),
    ("/visits", "post"),
    ("/validations", "post"),
    ("/webhook-endpoints", "post"),
}


def path_type(path):
    return path.split("/")[1].replace("_", "-")


def text_attribute(operation):
    return BODIES.get((operation.path, operation.method), ("name",))[0]


def valid_document(operation, world, ids, *, changing=True):
    """A document `operation` accepts: one that changes rows, or (linkage) one that does not.

    The data set's first row of each type links only to first rows, and it is the row in
    the URL. So a linkage change names second rows (or removes first ones), and a linkage
    that changes nothing restates the first rows (or adds and removes nothing).
    """
    if operation.linkage:
        owner, _, _, name = operation.path.strip("/").split("/")
        target = REGISTRY[owner.replace("_", "-")].relationships[name].type
        first, second = world.first[target], world.second[target]
        if not operation.to_many:
            return to_one(target, second if changing else first)
        linked = {"patch": [second], "post": [second], "delete": [first]}[operation.method]
        unchanged = {"patch": [first], "post": [], "delete": []}[operation.method]
        return to_many(target, *(linked if changing else unchanged))
    key = (operation.path, operation.method)
    if key in BODIES:
        return BODIES[key][1](world, ids)
    type_ = path_type(operation.path)
    if operation.method == "post":
        attributes, relationships = CREATES[type_](world)
        object_id = NEW_SCHEDULE_ID if type_ == "schedules" else "made-here"
        return resource(type_, attributes, object_id, relationships)
    return resource(type_, CHANGES.get(type_, {"name": "Changed"}), ids["id"])

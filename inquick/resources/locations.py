"""locations: the facilities, each with its active schedules."""

from marshmallow import validate
from marshmallow_jsonapi import Schema, fields

from inquick.catalog.opening_hours import check_time_zone
from inquick.models import Location
from inquick.resources.base import (
    CatalogResource,
    catalog_blueprint,
    dasherize,
    not_blank,
    search_filter,
)


class LocationSchema(Schema):
    id = fields.Str(attribute="slug")
    name = fields.Str(required=True, validate=not_blank)
    facility_name = fields.Str(allow_none=True)
    address = fields.Str(allow_none=True)
    city = fields.Str(allow_none=True)
    state = fields.Str(allow_none=True)
    zip = fields.Str(allow_none=True)
    phone = fields.Str(allow_none=True)
    latitude = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    longitude = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    time_zone_name = fields.Str(required=True, validate=check_time_zone)
    schedules = fields.Relationship(type_="schedules", many=True)
    # The location's own accepted plans (empty: its region's or the health system's apply).
    insurance_plans = fields.Relationship(type_="insurance-plans", many=True)

    class Meta:
        type_ = "locations"
        inflect = dasherize


locations = CatalogResource(
    LocationSchema,
    Location,
    default_sort=("name",),
    filters={"search": search_filter(Location)},
    writable_relationships={"insurance-plans": "insurance_plans"},
)
blueprint = catalog_blueprint(locations)

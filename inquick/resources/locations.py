"""locations: the facilities, each with its active schedules."""

from marshmallow_jsonapi import Schema, fields

from inquick.models import Location
from inquick.resources.base import CatalogResource, catalog_blueprint, dasherize


class LocationSchema(Schema):
    id = fields.Str(attribute="slug")
    name = fields.Str(required=True)
    facility_name = fields.Str(allow_none=True)
    address = fields.Str(allow_none=True)
    city = fields.Str(allow_none=True)
    state = fields.Str(allow_none=True)
    zip = fields.Str(allow_none=True)
    phone = fields.Str(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    time_zone_name = fields.Str(required=True)
    schedules = fields.Relationship(type_="schedules", many=True)

    class Meta:
        type_ = "locations"
        inflect = dasherize


locations = CatalogResource(LocationSchema, Location, default_sort=("name",))
blueprint = catalog_blueprint(locations)

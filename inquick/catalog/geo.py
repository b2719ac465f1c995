"""Distances on the sphere, for ordering providers by their nearest location."""

from math import cos, radians

from sqlalchemy import Float, bindparam, func

from inquick.catalog.filters import FilterValueError

# The point distances are measured from, bound by name when a statement runs.
LATITUDE, LONGITUDE, COS_LATITUDE = "near_latitude", "near_longitude", "near_cos_latitude"


def parse_point(value):
    """`[lat,lng]` (brackets optional) -> (lat, lng) in degrees, or `FilterValueError`."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        lat, lng = (float(part) for part in text.split(","))
    except ValueError:
        raise FilterValueError("near must be [latitude,longitude], e.g. [43.66,-70.26].") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):  # also refuses nan and inf
        raise FilterValueError("near needs a latitude in [-90,90] and a longitude in [-180,180].")
    return lat, lng


def point_values(value):
    """The bound values of `haversine_term` for the point `value` names."""
    lat, lng = parse_point(value)
    return {LATITUDE: lat, LONGITUDE: lng, COS_LATITUDE: cos(radians(lat))}


def haversine_term(lat_column, lng_column):
    """SQL for the haversine `a` of the distance to the bound point: it grows with the
    distance.

    Ordering by `a` orders by great-circle distance without asin/sqrt, which keeps the
    expression to functions every database has (SQLite gets them from `database.py`).
    """
    half_dlat = func.radians(lat_column - bindparam(LATITUDE, type_=Float)) / 2
    half_dlng = func.radians(lng_column - bindparam(LONGITUDE, type_=Float)) / 2
    sin_dlat, sin_dlng = func.sin(half_dlat), func.sin(half_dlng)
    cos_lat = bindparam(COS_LATITUDE, type_=Float)
    return sin_dlat * sin_dlat + cos_lat * func.cos(func.radians(lat_column)) * sin_dlng * sin_dlng

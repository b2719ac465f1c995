"""Distances on the sphere, for ordering providers by their nearest location."""

import math

from sqlalchemy import func

from inquick.jsonapi.errors import InvalidFilter


def parse_point(value):
    """`[lat,lng]` (brackets optional) -> (lat, lng) in degrees, or a 400."""
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        lat, lng = (float(part) for part in text.split(","))
    except ValueError:
        raise InvalidFilter("near must be [latitude,longitude], e.g. [43.66,-70.26].") from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):  # also refuses nan and inf
        raise InvalidFilter("near needs a latitude in [-90,90] and a longitude in [-180,180].")
    return lat, lng


def haversine_term(lat, lng, lat_column, lng_column):
    """SQL for the haversine `a` of the distance to (lat, lng): it grows with the distance.

    Ordering by `a` orders by great-circle distance without asin/sqrt, which keeps the
    expression to functions every database has (SQLite gets them from `database.py`).
    """
    half_dlat = func.radians(lat_column - lat) / 2
    half_dlng = func.radians(lng_column - lng) / 2
    sin_dlat, sin_dlng = func.sin(half_dlat), func.sin(half_dlng)
    return (
        sin_dlat * sin_dlat
        + math.cos(math.radians(lat)) * func.cos(func.radians(lat_column)) * sin_dlng * sin_dlng
    )

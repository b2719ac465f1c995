"""FHIR logical ids of inquick's rows: at most 64 letters, digits, `-` and `.`.

Catalog rows are addressed by their slug, as in JSON:API; a slug is up to 100 characters,
so one longer than a FHIR id may be is served under its first characters and a digest of
the whole slug. Schedules and visits keep their ids (a UUID, 32 hex digits).
"""

import hashlib
import re

from sqlalchemy import and_, func

MAX_ID = 64
# A long slug's id: its first 51 characters, a dot, 12 hex digits of its SHA-256.
KEPT, DIGITS = MAX_ID - 13, 12
DIGESTED = re.compile(rf"(?P<prefix>[a-z0-9-]{{{KEPT}}})\.(?P<digest>[0-9a-f]{{{DIGITS}}})")


def logical_id(slug):
    """The FHIR id of a row addressed by `slug`."""
    if len(slug) <= MAX_ID:
        return slug
    return f"{slug[:KEPT]}.{hashlib.sha256(slug.encode()).hexdigest()[:DIGITS]}"


def slug_is(column, fhir_id):
    """SQL: the row whose slug `column` holds has the FHIR id `fhir_id` (or, for a digested
    id, one of the long slugs sharing its prefix: `logical_id` tells them apart)."""
    digested = DIGESTED.fullmatch(fhir_id)
    if digested is None:
        return column == fhir_id
    return and_(
        column.startswith(digested["prefix"], autoescape=True), func.length(column) > MAX_ID
    )

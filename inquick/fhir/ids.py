"""FHIR logical ids of inquick's rows: at most 64 letters, digits, `-` and `.`.

Catalog rows are addressed by their slug, as in JSON:API; a slug is up to 100 characters,
so one longer than a FHIR id may be is served under its first characters and a digest of
the whole slug. Schedules and visits keep their ids (a UUID, 32 hex digits).
"""

import hashlib
import re

from sqlalchemy import func, or_, select

MAX_ID = 64
# A long slug's id: its first 51 characters, a dot, 12 hex digits of its SHA-256.
KEPT, DIGITS = MAX_ID - 13, 12
DIGESTED = re.compile(rf"(?P<prefix>[a-z0-9-]{{{KEPT}}})\.(?P<digest>[0-9a-f]{{{DIGITS}}})")


def logical_id(slug):
    """The FHIR id of a row addressed by `slug`."""
    if len(slug) <= MAX_ID:
        return slug
    return f"{slug[:KEPT]}.{hashlib.sha256(slug.encode()).hexdigest()[:DIGITS]}"


def slugs_named(session, model, tenant_id, fhir_ids):
    """The slugs of the health system's `model` rows that `fhir_ids` name: a short id is its
    slug; a digested one, the one long slug it is the id of. Long slugs may share their
    first characters, and SQL cannot compute the digest everywhere, so the slugs sharing a
    digested id's prefix are read and the digest picks among them."""
    matches = {fhir_id: DIGESTED.fullmatch(fhir_id) for fhir_id in fhir_ids}
    digested = {fhir_id: match["prefix"] for fhir_id, match in matches.items() if match}
    slugs = [fhir_id for fhir_id in fhir_ids if fhir_id not in digested]
    if digested:
        prefixes = (model.slug.startswith(p, autoescape=True) for p in set(digested.values()))
        candidates = session.scalars(
            select(model.slug).where(
                model.health_system_id == tenant_id,
                func.length(model.slug) > MAX_ID,
                or_(*prefixes),
            )
        )
        slugs += [slug for slug in candidates if logical_id(slug) in digested]
    return slugs

"""Slugs: the ids of catalog resources, unique within a health system."""

import re
import unicodedata

from sqlalchemy import select

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_SLUG = 100  # leaves room under the column's 120 for a "-N" suffix


def slugify(text):
    """`Dr. Zoë Ávila` -> `dr-zoe-avila`: lowercase ASCII words joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:MAX_SLUG].strip("-")


def is_slug(text):
    return len(text) <= MAX_SLUG and SLUG.fullmatch(text) is not None


def slug_taken(session, model, health_system_id, slug):
    statement = select(model.id).where(
        model.health_system_id == health_system_id, model.slug == slug
    )
    return session.scalar(statement) is not None


def free_slug(session, model, health_system_id, name, fallback):
    """A slug made from `name` that no row of the health system holds yet (`-2`, `-3`…)."""
    base = slugify(name) or fallback
    statement = select(model.slug).where(
        model.health_system_id == health_system_id, model.slug.startswith(base, autoescape=True)
    )
    taken = set(session.scalars(statement))
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate

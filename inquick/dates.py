"""Calendar dates as clients write them: exactly YYYY-MM-DD, a day that exists."""

import re
from datetime import date

# `date.fromisoformat` alone also takes other ISO 8601 spellings (`20250131`, week dates).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value):
    """The date `value` spells as YYYY-MM-DD, or None (not text, not that form, no such day)."""
    if not (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:  # 2025-02-30
        return None

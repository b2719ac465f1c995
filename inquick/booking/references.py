"""Booking references: what a patient reads over the phone to find their booking again.

Twelve characters of Crockford's base32 (60 random bits, from `secrets`), shown in three
groups of four: "7KQ2-M9XD-4HTR". The alphabet has no I, L, O or U, so nothing in it can
be mistaken for another character, and a reference typed back is read forgivingly: case,
spaces and hyphens are ignored, and O is read as 0, I and L as 1. A reference is a
credential (with a partner key it shows and cancels a booking): lookups are rate limited
per key and per client address (`inquick.ratelimit.spend_for_lookup`).
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH, GROUP = 12, 4
# What a person may type for a character of the alphabet.
READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def new_reference():
    """A fresh reference, as stored: twelve characters, no separators."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(reference):
    """The stored reference in groups of four, as patients are given it."""
    return "-".join(reference[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def read_reference(text):
    """The stored form of a reference as someone typed it, or None if it cannot be one."""
    if not isinstance(text, str) or len(text) > 3 * LENGTH:
        return None
    stored = text.upper().translate(READ_AS)
    if len(stored) != LENGTH or any(c not in ALPHABET for c in stored):
        return None
    return stored

"""Conditional reads: a strong ETag from the version of the data a document is built from.

A read whose data carries a version (a token that changes whenever any of it changes)
knows its document's ETag from the version, the URL asked for and this build of the
code, which decide the document byte for byte (so the version and the rows must agree,
below). A request whose `If-None-Match` holds the ETag is answered `304 Not Modified` at
the cost of reading the version alone; any other read takes the version with its
statements, and can keep its document's total under it (see `records`).

Every statement of such a read brings the version with its rows, so a read whose
statements each see a snapshot of their own (`inquick.database.reads_by_version`: no
transaction, no BEGIN or COMMIT) still knows that they all saw one state of the data:
the same version. When a change commits between two of them, the read is made again,
in one snapshot. Other reads (FHIR's) run in one snapshot from the start.
"""

import hashlib
import sys
from functools import wraps
from importlib import metadata
from pathlib import Path

from flask import g, request
from sqlalchemy import select

from inquick.database import read_in_one_snapshot
from inquick.jsonapi.document import request_url
from inquick.jsonapi.media import empty_response
from inquick.jsonapi.statements import STATEMENTS, execute

# Caches may keep a document but must ask again every time (the key is checked then); a
# cache shared between callers keeps one copy per credential.
CACHE_HEADERS = {"Cache-Control": "no-cache, public", "Vary": "Authorization"}


def never_stored(response):
    """An `after_request` hook for answers no cache may keep (patient data, keys)."""
    response.headers["Cache-Control"] = "no-store"
    return response


def build_digest():
    """What else decides a document's bytes: this code and the libraries that write it."""
    digest = hashlib.sha256(sys.version.encode())
    for package in ("orjson", "marshmallow", "SQLAlchemy", "psycopg"):
        digest.update(f"{package}={metadata.version(package)}".encode())
    package_root = Path(__file__).resolve().parents[1]
    for source in sorted(package_root.rglob("*.py")):
        digest.update(source.relative_to(package_root).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


BUILD = build_digest()


class VersionUnsure(Exception):
    """The statements of a read may not all have seen one version of its data."""


class DataVersion:
    """The version of the data this request reads: `column` is the SQL that reads it,
    `scope` tells apart what callers see of it; `value` is set once it has been read.
    `unconfirmed`: a statement since brought no rows, so no version to check;
    `ran_alone`: a version was seen outside a transaction, so a later snapshot (should
    the read move into one) may be of another."""

    def __init__(self, column, scope):
        self.column, self.scope, self.value = column, scope, None
        self.unconfirmed = self.ran_alone = False

    def agree(self, version):
        """Take the version a statement saw: the first learns it, any other must match."""
        self.ran_alone = self.ran_alone or bool(g.get("statements_alone"))
        seen = f"{version}:{self.scope}"
        if self.value is None:
            self.value = seen
        elif seen != self.value:
            raise VersionUnsure(f"{self.value} then {seen}")

    def read(self):
        """The value, reading it now if no statement brought it yet."""
        if self.value is None:
            self.agree(self.read_now())
        return self.value

    def read_now(self):
        """The version as it is now, read as the read's statements are (`execute`): through
        SQLAlchemy's execution it would begin a transaction on a connection whose statements
        run alone."""
        kept = STATEMENTS.get(("version", self.column), lambda: select(self.column))
        return execute(kept, {})[0][0]

    def read_after_nothing(self):
        """The value, when the read's first statement brought no rows (so no version).

        Read after it, the version may be a later one than it saw, unless the two shared
        a snapshot: a read whose statements run alone is then made again in one.
        """
        if g.get("statements_alone"):
            raise VersionUnsure("the first statement brought no rows")
        return self.read()

    def confirm(self):
        """Check, once a read is done, what its statements without rows saw.

        Between two snapshots that see one version, no change committed: so a version
        read after them, equal to the first, vouches for every statement in between. When
        every version was seen in one transaction, its statements share its snapshot, and
        nothing is read.
        """
        if self.unconfirmed and self.ran_alone:
            self.unconfirmed = False
            self.agree(self.read_now())


def entity_tag(version):
    """The ETag of this request's document when its data is at `version`."""
    identity = f"{BUILD}\n{version}\n{request_url()}".encode()
    return hashlib.sha256(identity).hexdigest()[:40]


def revalidated(column, scope):
    """A view decorator: ETag, Cache-Control and 304 for a read of versioned data.

    `column` is a SQL scalar that reads the data's version (it must change whenever the
    data does); `scope()` tells apart what different callers see of the same data.
    """

    def decorator(view):
        def answer(*args, **kwargs):
            g.data_version = version = DataVersion(column, scope())
            asked = request.if_none_match
            if asked and not asked.star_tag:
                tag = entity_tag(version.read())
                if asked.contains_weak(tag):
                    return not_modified(tag)
            response = view(*args, **kwargs)
            version.confirm()
            if response.status_code == 200:
                tag = entity_tag(version.read())
                response.headers.update({"ETag": f'"{tag}"', **CACHE_HEADERS})
                if asked.star_tag:  # "*": any current document; this one exists
                    return not_modified(tag)
            return response

        @wraps(view)
        def conditional(*args, **kwargs):
            try:
                return answer(*args, **kwargs)
            except VersionUnsure:
                # A change may have committed between two of the read's statements: read
                # again in one snapshot (ending their run sends nothing: nothing was written).
                read_in_one_snapshot()
                return answer(*args, **kwargs)

        return conditional

    return decorator


def not_modified(tag):
    return empty_response(304, {"ETag": f'"{tag}"', **CACHE_HEADERS})

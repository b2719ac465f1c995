"""Conditional reads: a strong ETag from the version of the data a document is built from.

A read whose data carries a version (a token that changes whenever any of it changes)
knows its document's ETag from the version, the URL asked for and this build of the
code, which decide the document byte for byte (reads see one snapshot of the database,
`inquick.database`, so the version and the rows agree). A request whose `If-None-Match`
holds the ETag is answered `304 Not Modified` at the cost of reading the version alone;
any other read takes the version with its first statement, and can keep its document's
total under it (see `records`).
"""

import hashlib
import sys
from functools import wraps
from importlib import metadata
from pathlib import Path

from flask import g, request
from sqlalchemy import select

from inquick.extensions import db
from inquick.jsonapi.document import request_url
from inquick.jsonapi.media import empty_response

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


class DataVersion:
    """The version of the data this request reads: `column` is the SQL that reads it,
    `scope` tells apart what callers see of it; `value` is set once it has been read."""

    def __init__(self, column, scope):
        self.column, self.scope, self.value = column, scope, None

    def learn(self, version):
        self.value = f"{version}:{self.scope}"

    def read(self):
        """The value, reading it now if no statement brought it yet."""
        if self.value is None:
            self.learn(db.session.scalar(select(self.column)))
        return self.value


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
        @wraps(view)
        def conditional(*args, **kwargs):
            g.data_version = version = DataVersion(column, scope())
            asked = request.if_none_match
            if asked and not asked.star_tag:
                tag = entity_tag(version.read())
                if asked.contains_weak(tag):
                    return not_modified(tag)
            response = view(*args, **kwargs)
            if response.status_code == 200:
                tag = entity_tag(version.read())
                response.headers.update({"ETag": f'"{tag}"', **CACHE_HEADERS})
                if asked.star_tag:  # "*": any current document; this one exists
                    return not_modified(tag)
            return response

        return conditional

    return decorator


def not_modified(tag):
    return empty_response(304, {"ETag": f'"{tag}"', **CACHE_HEADERS})

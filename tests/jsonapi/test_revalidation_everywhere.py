"""Every operation the spec says may answer 304 does, and every other read never does.

The operations come from spec/openapi.yaml, so a catalog read added later is walked too;
each is called once for its ETag and again with it.
"""

import pytest

from tests.conftest import CONFORMANCE
from tests.test_tenancy import populate

HOST = "tenant-a.example.org"
GETS = sorted(
    (path, operation)
    for path, item in CONFORMANCE.spec["paths"].items()
    # The FHIR API's reads are walked by tests/fhir/test_revalidation.py.
    if "$ref" not in item and "get" in item and path.startswith("/") and "/fhir/" not in path
    for operation in [item["get"]]
)
REVALIDATED = [path for path, operation in GETS if "304" in operation["responses"]]
CATALOG_READS = [
    path for path, operation in GETS if operation.get("x-required-scopes") == ["catalog:read"]
]
# A type's id fills `{id}` after its first path segment; the others name theirs.
NAMED = {"{schedule_id}": "schedules", "{validation_id}": "validations"}


def concrete(path, published):
    """The path with the ids of rows that exist."""
    segments = path.strip("/").split("/")
    filled = []
    for index, segment in enumerate(segments):
        if segment == "{id}":
            segment = published[segments[index - 1]][0]
        elif segment in NAMED:
            segment = published[NAMED[segment]][0]
        filled.append(segment)
    return "/" + "/".join(filled)


@pytest.fixture
def published(session, tenant):
    return populate(tenant, "Tag").published


@pytest.mark.parametrize("path", REVALIDATED)
def test_a_documented_304_is_answered(api, published, path):
    url = concrete(path, published)
    first = api.get(url)
    assert first.status_code == 200, first.get_data(as_text=True)[:300]
    again = api.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_the_catalog_reads_and_only_they_are_revalidated():
    assert REVALIDATED == CATALOG_READS
    assert len(REVALIDATED) > 30

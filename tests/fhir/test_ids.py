"""Reads by id: one statement serves every id, and an id names exactly one resource."""

from inquick.fhir.ids import logical_id
from inquick.jsonapi.statements import STATEMENTS
from tests import factories
from tests.fhir.conftest import matches

# Long slugs sharing more than the 51 characters their ids keep: their ids differ only
# in the digest.
SHARED = "department-of-orthopaedic-surgery-and-sports-medicine-at-the-"


def statements_built_by(request):
    """The statements a request had to build (none when it reuses those built before)."""
    before = set(STATEMENTS.built)
    response = request()
    assert response.status_code == 200, response.get_data(as_text=True)
    return set(STATEMENTS.built) - before


def test_reads_of_other_ids_reuse_the_statement(fhir, world):
    schedules = list(world["schedules"].values())
    statements_built_by(lambda: fhir.get("/Location/portland"))
    statements_built_by(lambda: fhir.get(f"/Schedule/{schedules[0].id}"))
    statements_built_by(lambda: fhir.get("/Schedule", {"actor": "Location/portland"}))
    assert statements_built_by(lambda: fhir.get("/Location/denver")) == set()
    assert statements_built_by(lambda: fhir.get(f"/Schedule/{schedules[1].id}")) == set()
    assert statements_built_by(lambda: fhir.get("/Location", {"_id": "denver,x"})) == set()
    assert statements_built_by(lambda: fhir.get("/Schedule", {"actor": "Location/denver"})) == set()


def test_a_digested_id_names_one_of_the_slugs_sharing_its_prefix(fhir, tenant, world):
    slugs = [SHARED + campus for campus in ("east-campus", "west-campus", "north-campus")]
    for n, slug in enumerate(slugs):
        factories.LocationFactory(health_system=tenant, slug=slug, name=f"Orthopaedics {n}")
    schedule = world["schedules"]["chen-denver"]
    schedule.location = factories.LocationFactory(
        health_system=tenant, slug=SHARED + "south-campus", name="Orthopaedics South"
    )
    ids = [logical_id(slug) for slug in slugs]
    assert len({fhir_id[:51] for fhir_id in ids}) == 1
    for n, fhir_id in enumerate(ids):
        assert fhir.get(f"/Location/{fhir_id}").json["name"] == f"Orthopaedics {n}"
        assert [r["id"] for r in matches(fhir.get("/Location", {"_id": fhir_id}))] == [fhir_id]
        assert matches(fhir.get("/Schedule", {"actor": f"Location/{fhir_id}"})) == []
    south = logical_id(SHARED + "south-campus")
    assert [r["id"] for r in matches(fhir.get("/Schedule", {"actor": f"Location/{south}"}))] == [
        schedule.id
    ]

"""This request's URLs, worked out once for their parts, are werkzeug's to the byte."""

import pytest

from inquick.request_urls import base_url, current_url, host_url

PATHS = [
    "/api/v3/tenant-a.example.org/locations/feestport/schedules",
    "/api/v3/tenant-a.example.org/providers/ren%C3%A9e-dubois",
    "/api/v3/tenant-a.example.org/providers/a%20b%2Fc%3Fd%23e",
    "/fhir/r4/tenant-a.example.org/Slot",
    "/",
    "/api/v3/tenant-a.example.org/providers/" + "x" * 300,  # not remembered: as long
]
HOSTS = ["localhost", "127.0.0.1:8000", "[::1]:8443"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("root", ["", "/scheduling"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_urls_are_werkzeugs(app, path, host, root, scheme):
    with pytest.MonkeyPatch.context() as patched:
        patched.setitem(app.config, "TRUSTED_HOSTS", None)  # every host of the test's
        for _ in range(2):  # worked out, then remembered
            with app.test_request_context(
                path, base_url=f"{scheme}://{host}{root}", query_string="a=1"
            ) as context:
                assert host_url() == context.request.host_url
                assert base_url() == context.request.base_url
    assert current_url.cache_info().hits


def test_only_a_short_path_is_remembered(app):
    current_url.cache_clear()
    path = "/api/v3/tenant-a.example.org/providers/" + "y" * 300
    for wanted, size in ((path, 0), (path[:200], 1)):
        with app.test_request_context(wanted, base_url="http://localhost") as context:
            assert base_url() == context.request.base_url
        assert current_url.cache_info().currsize == size

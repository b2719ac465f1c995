"""The suite's conformance check (tests/conformance) has seen every operation succeed.

Every response the suite receives is checked against the JSON:API schema and against its
operation's response schema in spec/openapi.yaml (conftest's `responses_conform`). This
test runs last (conftest orders it) and fails for an operation no test saw answer with
success: its success response would be unchecked. (Operations that only ever refuse, such
as `POST /health-systems`, document no success and are left out.) The second test fails
for a status an operation documents that no test saw it answer: either a test provokes it
or the spec stops promising it.
"""

import pytest

from tests.conftest import CONFORMANCE


def whole_suite(config):
    """Whether this run collected the whole suite (no paths named, no -k or -m)."""
    return (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and not config.option.keyword
        and not config.option.markexpr
    )


def test_every_operation_of_the_spec_was_checked(request):
    if not whole_suite(request.config):
        return  # a part of the suite cannot have called every operation
    missing = sorted(CONFORMANCE.operations() - CONFORMANCE.seen)
    assert missing == [], f"operations no test saw succeed: {missing}"
    assert len(CONFORMANCE.seen) > 100


def test_every_documented_status_was_answered(request):
    if not whole_suite(request.config):
        return
    missing = sorted(CONFORMANCE.documented_statuses() - CONFORMANCE.answered)
    listed = "\n".join(f"{method.upper()} {path} {status}" for path, method, status in missing)
    assert missing == [], f"documented statuses no test saw answered:\n{listed}"

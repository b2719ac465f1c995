"""Every hostile case of every operation, in the order the walk sends them."""

from tests.hostile.bodies import body_cases
from tests.hostile.expectations import (
    Case,
    Refused,
)
from tests.hostile.paths import nul_cases
from tests.hostile.queries import query_cases
from tests.hostile.spec import api_operations


def operation_cases(operation):
    yield from nul_cases(operation)
    if operation.refuses_everything:
        # Refused before the body or any parameter is read: a 403 whatever comes with it.
        refused = Refused(403, "forbidden", None)
        yield Case(operation, "body is malformed JSON", refused, spoil=lambda d: b'{"data": ')
        for case in query_cases(operation):
            yield Case(operation, case.shape, refused, case.query, case.path_values)
        return
    yield from query_cases(operation)
    if operation.body_schema is not None:
        yield from body_cases(operation)


CASES = [case for operation in api_operations() for case in operation_cases(operation)]
BODY_OPERATIONS = [op for op in api_operations() if op.body_schema is not None]

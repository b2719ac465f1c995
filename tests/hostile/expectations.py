"""What a hostile case expects: refused (with the error naming the culprit), no rows, some
rows, the write done, or a value stored as sent."""

from dataclasses import dataclass

from tests.hostile.spec import (
    HOST,
    Operation,
)


@dataclass(frozen=True)
class Refused:
    """A JSON:API error document of one error: status, code and source (None: no source)."""

    status: int
    code: str
    source: dict | None


@dataclass(frozen=True)
class NoRows:
    """200 with empty primary data: the value was taken as text and matched nothing."""


@dataclass(frozen=True)
class Rows:
    """200 with the data set's rows: the value was taken, and every row matches it."""


@dataclass(frozen=True)
class Accepted:
    """2xx, and rows changed: what the case added was ignored and the write was done."""


@dataclass(frozen=True)
class Stored:
    """2xx, and the attribute read back afterwards is exactly the value sent."""

    attribute: str
    value: object


def refused_body(pointer, status=400, code="invalid-document"):
    return Refused(status, code, {"pointer": pointer})


def refused_parameter(parameter, code="invalid-query-parameter", status=400):
    return Refused(status, code, {"parameter": parameter})


@dataclass(frozen=True)
class Case:
    """One hostile request: its operation, what is wrong with it, and the answer it must get.

    `query` and `path_values` are laid over the operation's valid request, and `raw_query`
    is added to its query as written; `spoil` turns the operation's valid document into the
    bytes sent (None: the valid document as is).
    """

    operation: Operation
    shape: str
    expect: object
    query: tuple = ()
    path_values: tuple = ()
    spoil: object = None
    hostname: str = HOST
    raw_query: str = ""

    def __str__(self):
        return f"{self.operation}: {self.shape}"

"""Hostile path parameters (values that look like SQL) and a NUL character anywhere in the
URL: hostname, path or query."""

from tests.hostile.expectations import (
    Case,
    Refused,
    refused_parameter,
)
from tests.hostile.spec import resolve

SQL = ("' OR 1=1 --", "1; DROP TABLE visits;--", "%' UNION SELECT digest, prefix FROM api_keys --")


def sent_names(parameter):
    """The names a query parameter is sent under (`page[size]`, `filter[KEY]`, ...)."""
    if parameter.get("style") != "deepObject":
        return [parameter["name"]]
    schema = resolve(parameter["schema"])
    members = list(schema.get("properties", {})) or schema["propertyNames"]["enum"][:1]
    return [f"{parameter['name']}[{member}]" for member in members]


def nul_cases(operation):
    """A NUL character anywhere in the URL: no database can compare it, so it is refused
    before any view runs (inquick.jsonapi.hygiene)."""
    nul, missing = "a\x00b", Refused(404, "not-found", None)
    yield Case(operation, "partner_hostname holds a NUL character", missing, hostname=nul)
    names = []
    for parameter in operation.parameters:
        if parameter["in"] == "path":
            name, where = parameter["name"], ((parameter["name"], nul),)
            yield Case(operation, f"path {name} holds a NUL character", missing, path_values=where)
        else:
            names += sent_names(parameter)
    for name in names:
        refused, query = refused_parameter(name), ((name, nul),)
        yield Case(operation, f"{name} holds a NUL character", refused, query=query)
    if names:
        refused, query = refused_parameter(names[0]), ((f"{names[0]}\x00", "a"),)
        yield Case(operation, f"the name {names[0]} holds a NUL character", refused, query=query)
    refused, query = refused_parameter("hostile"), (("hostile", nul),)
    yield Case(operation, "an unknown parameter holds a NUL character", refused, query=query)


def path_cases(operation, name):
    """A path parameter that looks like SQL names no row: a 404."""
    for value in SQL:
        yield Case(
            operation,
            f"path {name} looks like SQL ({value})",
            Refused(404, "not-found", None),
            path_values=((name, value),),
        )

"""FHIR search: the parameters a type takes, and a request's query read against them.

Repeating a parameter combines its values with AND, a comma inside one value with OR
(FHIR's rules). A parameter the type does not take is a 400 naming it, unless the client
sent `Prefer: handling=lenient`, which has it ignored (and left out of the links).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

from inquick.config import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from inquick.fhir.moments import MomentError, read_criterion
from inquick.jsonapi.errors import InvalidQueryParameter
from inquick.jsonapi.query import MAX_PAGE_NUMBER

WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
# Parameters of the request rather than of the search: never criteria, never refused.
# `api_key` is the JSON:API's way of passing a key; it is never copied into a link.
REQUEST_PARAMETERS = ("_format", "api_key")
PRIVATE_PARAMETERS = ("api_key",)


@dataclass(frozen=True)
class SearchParameter:
    """A search parameter a type takes: its FHIR name and type, what it matches, and how
    its values are read (`read(search, name, context)`: the value its filter takes)."""

    name: str
    type: str
    documentation: str
    read: Callable = None

    def value(self, search, context):
        return self.read(search, self.name, context)


@dataclass(frozen=True)
class Search:
    """A search as read from a request: `criteria` maps each parameter given to its
    occurrences, each a tuple of the values it allows (any of them)."""

    criteria: dict
    count: int
    page: int
    includes: tuple
    used: tuple  # the (name, value) pairs taken, in order: what the links repeat

    def values(self, name):
        """The occurrences of a parameter, () when it was not given."""
        return self.criteria.get(name, ())

    @property
    def offset(self):
        return (self.page - 1) * self.count


def is_lenient(prefer_header):
    """Whether `Prefer` asks that unknown parameters be ignored (`handling=lenient`)."""
    parts = re.split(r"[,;]", prefer_header or "")
    return any(part.strip().replace(" ", "") == "handling=lenient" for part in parts)


def parse_search(args, parameters, includes=(), *, lenient=False):
    """A `Search` from a query (a MultiDict), for a type taking `parameters` (names) and
    `_include` values `includes`; `InvalidQueryParameter` (400) for what it cannot take."""
    criteria, used, chosen = {}, [], []
    count, page = DEFAULT_PAGE_SIZE, 1
    for name, value in args.items(multi=True):
        if name in REQUEST_PARAMETERS:
            if name not in PRIVATE_PARAMETERS:
                used.append((name, value))
            continue
        if name == "_count":
            count = min(whole_number(value, name), MAX_PAGE_SIZE)
        elif name == "_page":
            page = whole_number(value, name)
            if not 1 <= page <= MAX_PAGE_NUMBER:
                raise InvalidQueryParameter(
                    f"_page is from 1 to {MAX_PAGE_NUMBER}.", parameter="_page"
                )
            continue  # each link names its own page
        elif name == "_include":
            if value not in includes:
                if lenient:
                    continue
                offered = ", ".join(includes) or "none"
                raise InvalidQueryParameter(
                    f"_include={value} is not supported here (supported: {offered}).",
                    parameter="_include",
                )
            chosen.append(value)
        elif name in parameters:
            alternatives = tuple(part.strip() for part in value.split(",") if part.strip())
            if not alternatives:  # FHIR: an empty value is ignored
                continue
            criteria.setdefault(name, []).append(alternatives)
        elif lenient:
            continue
        else:
            known = ", ".join([*sorted(parameters), "_count", *(["_include"] if includes else [])])
            raise InvalidQueryParameter(
                f"This search does not take the parameter {name!r} (it takes: {known}).",
                parameter=name,
            )
        used.append((name, value))
    criteria = {name: tuple(occurrences) for name, occurrences in criteria.items()}
    return Search(criteria, count, page, tuple(dict.fromkeys(chosen)), tuple(used))


def whole_number(value, name):
    if not WHOLE_NUMBER.fullmatch(value):
        raise InvalidQueryParameter(f"{name} takes a whole number.", parameter=name)
    return int(value)


def date_criteria(search, name):
    """The `DateCriterion`s of a date parameter, all of which must hold (a comma is refused:
    no range is meant by "either of two dates")."""
    found = []
    for alternatives in search.values(name):
        if len(alternatives) > 1:
            raise InvalidQueryParameter(
                f"{name} takes one value; repeat the parameter to combine bounds.",
                parameter=name,
            )
        try:
            found.append(read_criterion(alternatives[0]))
        except MomentError as error:
            raise InvalidQueryParameter(f"{name}: {error}", parameter=name) from None
    return tuple(found)


def tokens(search, name, system):
    """The codes of a token parameter, per occurrence: `code` or `system|code`; a code of
    another system matches nothing, so it is dropped."""
    found = []
    for alternatives in search.values(name):
        codes = []
        for value in alternatives:
            given_system, bar, code = value.rpartition("|")
            if not bar or given_system == system:
                codes.append(code)
        found.append(tuple(codes))
    return tuple(found)


def references(search, name, types, base):
    """The (type, id) pairs of a reference parameter, per occurrence: `id` (type None),
    `Type/id`, or the absolute URL of `Type/id` under this server's `base`; a reference to a
    type it cannot name, or to another server, matches nothing, so it is dropped."""
    found = []
    for alternatives in search.values(name):
        pairs = []
        for value in alternatives:
            relative = value.removeprefix(f"{base}/")
            kind, slash, object_id = relative.rpartition("/")
            if not slash:
                pairs.append((None, object_id))
            elif kind in types and object_id:
                pairs.append((kind, object_id))
        found.append(tuple(pairs))
    return tuple(found)

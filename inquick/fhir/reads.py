"""Reading FHIR's rows through the JSON:API read path: a page of a source's rows, or one.

A page is the statements a JSON:API page of the same type costs (its rows with the to-one
relationships joined, a count, one statement per further include but those that come in
its rows as JSON, `Reader.embeddable`), whatever its size.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import g, request

from inquick.booking.audit import record_read
from inquick.extensions import db
from inquick.fhir.appointments import PATIENT_FIELDS
from inquick.jsonapi.query import QueryParams, parse_sort
from inquick.jsonapi.records import Reader
from inquick.jsonapi.resource import Resource


@dataclass(frozen=True)
class Found:
    """A search's answer: its matches on this page, how many there are, and the resources
    `_include` brought."""

    resources: list
    total: int
    included: list = field(default_factory=list)


@dataclass(frozen=True)
class Rows:
    """A FHIR type written from the rows of one source, record by record (`write`), each
    read with `fields` and the relationships of `tree`."""

    source: Resource
    write: Callable
    fields: dict = field(default_factory=dict)
    tree: dict = field(default_factory=dict)
    # Called with the records read, before they are answered (the audit of patient data).
    on_read: Callable = lambda records: None

    def page(self, filters, count, page=1):
        """(records, total) of one page of the rows `filters` ({key: (value, parameter)})
        let through, in the source's default order."""
        params = QueryParams(
            include=self.tree,
            fields=self.fields,
            sort=parse_sort(None, self.source),
            page_number=page,
            page_size=count,
            filters=filters,
        )
        self.source.check_filters(filters)
        # A revalidated read's statements bring its version, as the JSON:API's do.
        reader = Reader(params.fields, g.get("data_version"))
        records, total = reader.page(self.source, params, self.source.list_query, tree=self.tree)
        self.on_read(records)
        return records, total

    def by_ids(self, fhir_ids):
        """The records of these FHIR ids (those the caller may see), in the default order."""
        wanted = tuple(dict.fromkeys(fhir_ids))
        if not wanted:
            return []
        records, _ = self.page({"_id": ((wanted,), "_id")}, count=len(wanted))
        return records

    def read(self, fhir_id, context):
        """The resource with this id, or None."""
        found = self.by_ids([fhir_id])
        return self.write(found[0], context) if found else None


def audit_reads(records):
    """Every visit read through FHIR leaves one audit entry, as a JSON:API read does."""
    if request.method == "HEAD" or not records:  # headers only: no patient data leaves
        return
    record_read(db.session, tenant=g.tenant, visits=records, fields=PATIENT_FIELDS, key=g.api_key)

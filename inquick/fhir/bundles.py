"""Searchset Bundles: a search's page of matches, what `_include` brought, and the links
to this page and the next, previous and first ones."""

import math
from urllib.parse import urlencode


def search_link(url, search, page):
    """The URL of a page of the search, repeating the parameters it took."""
    pairs = [*search.used, ("_page", str(page))] if page > 1 else list(search.used)
    return url + ("?" + urlencode(pairs) if pairs else "")


def page_links(url, search, total):
    """self, first, previous and next, as far as there are such pages."""
    links = [("self", search_link(url, search, search.page))]
    links.append(("first", search_link(url, search, 1)))
    if search.page > 1:
        last = max(1, math.ceil(total / search.count)) if search.count else 1
        links.append(("previous", search_link(url, search, min(search.page - 1, last))))
    if search.count and search.offset + search.count < total:
        links.append(("next", search_link(url, search, search.page + 1)))
    return [{"relation": relation, "url": link} for relation, link in links]


def searchset(url, base, search, found):
    """The Bundle answering a search at `url` (without query), entries under `base`."""

    def entry(resource, mode):
        return {
            "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
            "search": {"mode": mode},
        }

    included = {(r["resourceType"], r["id"]): r for r in found.included}
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": found.total,
        "link": page_links(url, search, found.total),
    }
    entries = [entry(r, "match") for r in found.resources]
    entries += [entry(r, "include") for r in included.values()]
    if entries:  # FHIR has no empty lists
        bundle["entry"] = entries
    return bundle

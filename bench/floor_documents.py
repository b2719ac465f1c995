"""The floor's resource objects and links, written out by hand for the types it serves.

Nested lists arrive from PostgreSQL as JSON text and go into the document as
`orjson.Fragment`s, unparsed.
"""

from math import ceil
from urllib.parse import quote, urlencode

from orjson import Fragment

SCHEDULE_LINKS = ("location", "provider", "service", "insurance-plans", "appointment-types")


def relationship_links(url, names):
    return {
        name: {"links": {"self": f"{url}/relationships/{name}", "related": f"{url}/{name}"}}
        for name in names
    }


def identifier(kind, object_id):
    return {"type": kind, "id": object_id}


def provider_object(root, row):
    """A provider from the floor's PROVIDER columns (its database id first)."""
    (_, slug, name, suffix, credentials, kind, gender, affiliation, bio, backgrounds,
     subspecialties, languages, grad_school, undergrad_school, card_image, profile_image,
     groups, offered) = row  # fmt: skip
    url = f"{root}/providers/{slug}"
    return {
        "type": "providers",
        "id": slug,
        "attributes": {
            "name": name,
            "suffix": suffix,
            "credentials": credentials,
            "provider-type": kind,
            "gender": gender,
            "affiliation": affiliation,
            "bio": bio,
            "backgrounds": Fragment(backgrounds),
            "subspecialties": Fragment(subspecialties),
            "languages": Fragment(languages),
            "grad-school": grad_school,
            "undergrad-school": undergrad_school,
            "card-image": card_image,
            "profile-image": profile_image,
            "appointment-types": Fragment(offered),
            "medical-groups": Fragment(groups),
        },
        "relationships": relationship_links(url, ("schedules",)),
        "links": {"self": url},
    }


# How many columns the floor's SCHEDULE and PROVIDER select: the rows holding them are cut there.
SCHEDULE_COLUMNS = 17
PROVIDER_COLUMNS = 18


def schedule_object(root, row):
    """A schedule from the floor's SCHEDULE columns."""
    (schedule_id, name, kind, sort_order, zone, service_name, new_patients, age_threshold,
     age_direction, languages, hours, exceptions, interval, capacity, notice,
     horizon, hold) = row  # fmt: skip
    url = f"{root}/schedules/{schedule_id}"
    return {
        "type": "schedules",
        "id": schedule_id,
        "attributes": {
            "name": name,
            "schedule-type": kind,
            "sort-order": sort_order,
            "time-zone-name": zone,
            "service-name": service_name,
            "accepting-new-patients": new_patients,
            "age-limit-threshold": age_threshold,
            "age-limit-direction": age_direction,
            "translator-languages": Fragment(languages),
            "hours": Fragment(hours),
            "exceptions": Fragment(exceptions),
            "slot-interval-minutes": interval,
            "capacity": capacity,
            "minimum-notice-minutes": notice,
            "booking-horizon-days": horizon,
            "hold-minutes": hold,
        },
        "relationships": relationship_links(url, SCHEDULE_LINKS),
        "links": {"self": url},
    }


def location_object(root, row):
    """A location from the floor's LOCATION columns."""
    slug, name, facility, address, city, state, zip_code, phone, lat, lng, zone = row
    url = f"{root}/locations/{slug}"
    return {
        "type": "locations",
        "id": slug,
        "attributes": {
            "name": name,
            "facility-name": facility,
            "address": address,
            "city": city,
            "state": state,
            "zip": zip_code,
            "phone": phone,
            "latitude": lat,
            "longitude": lng,
            "time-zone-name": zone,
        },
        "relationships": relationship_links(url, ("schedules", "insurance-plans")),
        "links": {"self": url},
    }


def plan_object(root, plan):
    slug, company, name, by_default = plan
    return {
        "type": "insurance-plans",
        "id": slug,
        "attributes": {"company": company, "name": name, "accepted-by-default": by_default},
        "links": {"self": f"{root}/insurance-plans/{slug}"},
    }


def availability_object(root, schedule_id, kind, first_day, last_day, times):
    return {
        "type": "available-appointment-times",
        "id": f"{schedule_id}:{kind or 'none'}",
        "attributes": {
            "schedule-id": schedule_id,
            "appointment-type": kind,
            "start-date": first_day.isoformat(),
            "end-date": last_day.isoformat(),
            "times": times,
        },
        "relationships": {
            "schedule": {
                "links": {"related": f"{root}/schedules/{schedule_id}"},
                "data": identifier("schedules", schedule_id),
            }
        },
    }


class RequestUrl:
    """This request's URL as the app writes it in links: parameters grouped by name in the
    order they first appear, `api_key` left out, replaced ones moved to the end."""

    def __init__(self, environ, pairs):
        host = environ.get("HTTP_HOST") or f"{environ['SERVER_NAME']}:{environ['SERVER_PORT']}"
        self.host_url = f"{environ['wsgi.url_scheme']}://{host}"
        self.base = self.host_url + quote(environ["PATH_INFO"])
        grouped = {}
        for name, value in pairs:
            grouped.setdefault(name, []).append(value)
        self.pairs = [(k, v) for k, values in grouped.items() if k != "api_key" for v in values]

    def __call__(self, **replace):
        pairs = [(k, v) for k, v in self.pairs if k not in replace] + list(replace.items())
        return self.base + ("?" + urlencode(pairs) if pairs else "")

    def page_links(self, number, size, total):
        """self, first, last, and prev/next where there is one, as the app gives them."""
        count = max(1, ceil(total / size))

        def page(n):
            return self(**{"page[number]": str(n), "page[size]": str(size)})

        links = {"self": self(), "first": page(1), "last": page(count)}
        if number > 1:
            links["prev"] = page(min(number - 1, count))
        if number < count:
            links["next"] = page(number + 1)
        return links, {"record-count": total, "page-count": count}

"""The floor: the bench's read requests answered with no framework at all.

A plain WSGI callable, psycopg 3 and orjson, with hand-written SQL: about the least a
Python server can do to answer the same documents as the app. The bench serves it with
the app's gunicorn settings and checks that its documents equal the app's, so that the
app's time over the floor's is the cost of the app's machinery. It serves only the
request shapes the bench sends and refuses anything else with a 400.
"""

import hashlib
import os
import re
from datetime import UTC, date, datetime, time, timedelta
from http import HTTPStatus
from math import cos, radians
from urllib.parse import parse_qsl, quote

import orjson
import psycopg
from psycopg.types.json import set_json_loads

from bench import floor_sql as sql
from bench.floor_documents import (
    PROVIDER_COLUMNS,
    SCHEDULE_COLUMNS,
    RequestUrl,
    availability_object,
    identifier,
    location_object,
    plan_object,
    provider_object,
    schedule_object,
)
from bench.floor_slots import free_times
from inquick.catalog.folding import escape_like, fold, successor

API_PATH = re.compile(r"^/api/v3/(?P<hostname>[^/]+)/(?P<rest>.+)$")
LOCATION_SCHEDULES = re.compile(r"^locations/(?P<slug>[^/]+)/schedules$")
POINT = re.compile(r"^\[?(-?[0-9.]+),(-?[0-9.]+)\]?$")
PAGE = ("page[number]", "page[size]")


class Refusal(Exception):
    """A request the floor does not serve, answered with an error status."""

    def __init__(self, status, title):
        super().__init__(title)
        self.status, self.title = status, title


class Floor:
    """The WSGI application; `statements` counts the SQL statements it has run."""

    def __init__(self, connect):
        self.connect = connect
        self.connection = None
        self.statements = 0
        self.version = None
        self.counts = {}
        self.name_searches = {}  # SQL by number of words

    def rows(self, statement, params, prepare=None):
        """Run one statement (counted) on the process's connection, opened on first use;
        `prepare=False` has it planned for its values every time (as the app has a
        search's: `inquick.jsonapi.statements.execute`)."""
        if self.connection is None:
            self.connection = self.connect()
        self.statements += 1
        return self.connection.execute(statement, params, prepare=prepare).fetchall()

    def __call__(self, environ, start_response):
        try:
            status, document = self.route(environ)
        except Refusal as refusal:
            status = refusal.status
            document = {"errors": [{"status": str(status), "title": refusal.title}]}
        body = orjson.dumps(document)
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [("Content-Type", "application/vnd.api+json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    def route(self, environ):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return 200, {"meta": {"status": "ok"}}
        matched = API_PATH.match(path)
        if environ["REQUEST_METHOD"] != "GET" or matched is None:
            raise Refusal(404, "The floor serves three GET requests.")
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        args = {}
        for name, value in pairs:
            args.setdefault(name, value)
        hostname, rest = matched["hostname"].lower(), matched["rest"]
        url = RequestUrl(environ, pairs)
        root = f"{url.host_url}/api/v3/{quote(hostname, safe='')}"
        if rest == "providers" and "filter[search]" in args:
            system = self.caller(environ, args, hostname, "catalog:read")
            return 200, self.name_search(root, url, system, args)
        if rest == "providers":
            system = self.caller(environ, args, hostname, "catalog:read")
            return 200, self.provider_search(root, url, system, args)
        if location := LOCATION_SCHEDULES.match(rest):
            system = self.caller(environ, args, hostname, "catalog:read")
            return 200, self.location_schedules(root, url, system, location["slug"], args)
        if rest == "available-appointment-times":
            system = self.caller(environ, args, hostname, "availability:read")
            ids = list(dict.fromkeys(v for k, v in pairs if k == "schedule_ids[]"))
            return 200, self.available_times(root, url, system, ids, args)
        raise Refusal(404, "The floor serves three GET requests.")

    def caller(self, environ, args, hostname, scope):
        """The health system whose live key this is, or a 401 (403 without the scope); the
        catalog's version is kept in `self.version`."""
        header = environ.get("HTTP_AUTHORIZATION", "").strip()
        scheme, _, token = header.partition(" ")
        secret = args.get("api_key") or (token.strip() if scheme.lower() == "bearer" else header)
        found = self.rows(
            sql.CALLER,
            {"hostname": hostname, "digest": hashlib.sha256(secret.encode()).hexdigest()},
        )
        if not found:
            raise Refusal(401, "The API key is not valid for this health system.")
        system, scopes, self.version = found[0]
        if scope not in scopes.split():
            raise Refusal(403, f"This key lacks the {scope} scope.")
        return system

    def page(self, args, allowed):
        """(number, size) of a collection request that sends only `allowed` parameters."""
        if set(args) - set(allowed) - set(PAGE) - {"api_key"}:
            raise Refusal(400, "The floor serves only the bench's parameters.")
        try:
            return int(args.get("page[number]", 1)), int(args.get("page[size]", 10))
        except ValueError:
            raise Refusal(400, "page[number] and page[size] are numbers.") from None

    def provider_search(self, root, url, system, args):
        """GET /providers?filter[service]&filter[accepting-new-patients]&filter[near]
        &include=schedules.location"""
        filters = ("filter[service]", "filter[accepting-new-patients]", "filter[near]")
        number, size = self.page(args, (*filters, "include"))
        point = POINT.match(args.get("filter[near]", ""))
        if (
            args.get("include") != "schedules.location"
            or "filter[service]" not in args
            or not point
        ):
            raise Refusal(400, "The floor serves only the bench's provider search.")
        lat, lng = float(point[1]), float(point[2])
        params = {
            "system": system,
            "services": [s.strip() for s in args["filter[service]"].split(",") if s.strip()],
            "new_patients": args.get("filter[accepting-new-patients]") == "true",
            "lat": lat, "lng": lng, "cos_lat": cos(radians(lat)),
            "limit": size, "offset": (number - 1) * size,
        }  # fmt: skip
        providers = self.rows(sql.PROVIDER_SEARCH, params)
        total = self.kept_count(sql.PROVIDER_COUNT, params, ("system", "services", "new_patients"))
        schedules = {}
        for row in self.rows(sql.SCHEDULES_OF_PROVIDERS, {"providers": [p[0] for p in providers]}):
            schedules.setdefault(row[0], []).append(row)
        data, included, locations = [], [], set()
        for provider in providers:
            built = provider_object(root, provider)
            own = schedules.get(provider[0], [])
            built["relationships"]["schedules"]["data"] = [
                identifier("schedules", s[1]) for s in own
            ]
            data.append(built)
            for row in own:
                schedule = schedule_object(root, row[1 : 1 + SCHEDULE_COLUMNS])
                location = row[1 + SCHEDULE_COLUMNS :]
                schedule["relationships"]["location"]["data"] = identifier("locations", location[0])
                included.append(schedule)
                if location[0] not in locations:
                    locations.add(location[0])
                    included.append(location_object(root, location))
        return collection(url, data, included, number, size, total)

    def name_search(self, root, url, system, args):
        """GET /providers?filter[search]: a name typed, best match first."""
        number, size = self.page(args, ("filter[search]",))
        words = fold(args["filter[search]"]).split()
        if not words:
            raise Refusal(400, "The floor serves only the bench's name searches.")
        typed = " ".join(words)
        params = {
            "system": system, "limit": size, "offset": (number - 1) * size,
            "enough": number * size, "name_from": typed,
            "name_before": successor(typed),
            "word_prefix": f"% {escape_like(typed)}%",
            **{f"word{n}": f"%{escape_like(w)}%" for n, w in enumerate(words)},
            **{f"word_start{n}": f"% {escape_like(w)}%" for n, w in enumerate(words)},
        }  # fmt: skip
        if len(words) not in self.name_searches:
            self.name_searches[len(words)] = sql.name_search(len(words))
        page, count = self.name_searches[len(words)]
        providers = self.rows(page, params, prepare=False)
        total = self.kept_count(count, params, [f"word{n}" for n in range(len(words))])
        data = [provider_object(root, provider) for provider in providers]
        return collection(url, data, [], number, size, total)

    def location_schedules(self, root, url, system, slug, args):
        """GET /locations/{id}/schedules?include=insurance-plans,provider"""
        number, size = self.page(args, ("include",))
        if args.get("include") != "insurance-plans,provider":
            raise Refusal(400, "The floor serves only include=insurance-plans,provider here.")
        params = {
            "system": system, "slug": slug, "limit": size, "offset": (number - 1) * size,
        }  # fmt: skip
        rows = self.rows(sql.SCHEDULES_AT_LOCATION, params)
        if not rows and not self.rows(sql.LOCATION_ID, params):
            raise Refusal(404, f"There is no locations with id {slug!r}.")
        total = rows[0][-1] if rows else self.count(sql.SCHEDULES_AT_LOCATION_COUNT, params, number)
        data, included, seen = [], [], set()
        provider_end = SCHEDULE_COLUMNS + PROVIDER_COLUMNS
        for row in rows:
            schedule = schedule_object(root, row[:SCHEDULE_COLUMNS])
            provider, plans = row[SCHEDULE_COLUMNS:provider_end], row[provider_end]
            links = schedule["relationships"]
            links["insurance-plans"]["data"] = [identifier("insurance-plans", p[0]) for p in plans]
            links["provider"]["data"] = identifier("providers", provider[1])
            data.append(schedule)
            for plan in plans:
                if ("plan", plan[0]) not in seen:
                    seen.add(("plan", plan[0]))
                    included.append(plan_object(root, plan))
            if ("provider", provider[0]) not in seen:
                seen.add(("provider", provider[0]))
                included.append(provider_object(root, provider))
        return collection(url, data, included, number, size, total)

    def available_times(self, root, url, system, ids, args):
        """GET /available-appointment-times?schedule_ids[]=…&start_date&end_date"""
        if set(args) - {"schedule_ids[]", "start_date", "end_date", "api_key"} or not ids:
            raise Refusal(400, "The floor serves only schedule_ids[], start_date and end_date.")
        try:
            first_day = date.fromisoformat(args["start_date"])
            last_day = date.fromisoformat(args["end_date"])
        except (KeyError, ValueError):
            raise Refusal(400, "start_date and end_date are dates.") from None
        schedules = {
            row[0]: row for row in self.rows(sql.SCHEDULE_RULES, {"ids": ids, "system": system})
        }
        missing = [i for i in ids if i not in schedules]
        if missing:
            raise Refusal(404, f"No schedule {missing[0]!r}.")
        booked = {i: [] for i in ids}
        since = datetime.combine(first_day, time.min, tzinfo=UTC) - timedelta(days=1)
        until = datetime.combine(last_day, time.min, tzinfo=UTC) + timedelta(days=2)
        now = datetime.now(UTC)
        for schedule_id, starts, ends in self.rows(
            sql.BOOKED, {"ids": ids, "since": since, "until": until, "now": now}
        ):
            booked[schedule_id].append((starts, ends))
        data = []
        for schedule_id in ids:
            _, zone, interval, capacity, notice, horizon, windows, exceptions, kind, minutes = (
                schedules[schedule_id]
            )
            rules = (zone, interval, capacity, notice, horizon, windows or [], exceptions or [])
            times = free_times(
                rules, minutes or interval, booked[schedule_id], first_day, last_day, now
            )
            data.append(availability_object(root, schedule_id, kind, first_day, last_day, times))
        return {"jsonapi": {"version": "1.1"}, "links": {"self": url()}, "data": data}

    def count(self, statement, params, number):
        """The collection's size when its page is empty: none on page 1, else ask."""
        return self.rows(statement, params)[0][0] if number > 1 else 0

    def kept_count(self, statement, params, names):
        """A count kept under the catalog's version, as the app keeps its totals; `names`
        are the parameters the count depends on."""
        key = (self.version, statement, *(repr(params[name]) for name in names))
        if key not in self.counts:
            self.counts[key] = self.rows(statement, params)[0][0]
        return self.counts[key]


def collection(url, data, included, number, size, total):
    links, meta = url.page_links(number, size, total)
    document = {"jsonapi": {"version": "1.1"}, "links": links, "data": data}
    if included:
        document["included"] = included
    document["meta"] = meta
    return document


def serve_floor():
    """The WSGI application gunicorn serves: one autocommit connection per worker process,
    opened on its first request, with orjson reading JSON columns."""
    url = os.environ["DATABASE_URL"]

    def connect():
        connection = psycopg.connect(url, autocommit=True)
        set_json_loads(orjson.loads, connection)
        return connection

    return Floor(connect)

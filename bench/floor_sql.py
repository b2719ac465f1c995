"""The floor's hand-written SQL: one statement per need, nested lists built as JSON text.

PostgreSQL assembles the small nested lists (hours, groups, plans…) as JSON, which the
floor splices into its documents unparsed. Orders follow the app's: SQL `ORDER BY` where
the app orders in SQL, `COLLATE "C"` (code-point order) where it sorts in Python.
"""

# The key's health system and scopes, and the catalog's version (totals are kept by it).
CALLER = """
SELECT hs.id, k.scopes, (SELECT version FROM catalog_state)
FROM partner_hostnames h
JOIN health_systems hs ON hs.id = h.health_system_id AND hs.mode = 'live'
JOIN api_keys k ON k.health_system_id = hs.id
WHERE h.hostname = %(hostname)s AND k.digest = %(digest)s AND k.mode = 'live'
  AND k.revoked_at IS NULL
"""

# A provider's attributes, the last two as JSON text: its groups, and the appointment types
# of its active schedules (sorted as the app sorts them in Python).
PROVIDER = """
p.id, p.slug, p.name, p.suffix, p.credentials, p.provider_type, p.gender, p.affiliation,
p.bio, p.backgrounds::text, p.subspecialties::text, p.languages::text, p.grad_school,
p.undergrad_school, p.card_image, p.profile_image,
(SELECT coalesce(json_agg(json_build_object('id', g.slug, 'name', g.name) ORDER BY g.slug),
                 '[]')::text
 FROM provider_medical_groups pg JOIN medical_groups g ON g.id = pg.medical_group_id
 WHERE pg.provider_id = p.id),
(SELECT coalesce(json_agg(json_build_object('id', t.slug, 'name', t.name)
                          ORDER BY t.priority, t.slug COLLATE "C"), '[]')::text
 FROM appointment_types t
 WHERE t.id IN (SELECT st.appointment_type_id
                FROM schedule_appointment_types st JOIN schedules s ON s.id = st.schedule_id
                WHERE s.provider_id = p.id AND s.active))
"""

SCHEDULE = """
s.id, s.name, s.schedule_type, s.sort_order, s.time_zone_name, sv.name,
s.accepting_new_patients, s.age_limit_threshold, s.age_limit_direction,
s.translator_languages::text,
(SELECT coalesce(json_agg(json_build_object(
            'day', (ARRAY['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday',
                          'sunday'])[w.weekday + 1],
            'opens-at', to_char(w.opens_at, 'HH24:MI'),
            'closes-at', to_char(w.closes_at, 'HH24:MI'))
        ORDER BY w.weekday, w.opens_at), '[]')::text
 FROM weekly_windows w WHERE w.schedule_id = s.id),
(SELECT coalesce(json_agg(json_build_object(
            'date', to_char(e.on_date, 'YYYY-MM-DD'), 'closed', e.closed,
            'opens-at', to_char(e.opens_at, 'HH24:MI'),
            'closes-at', to_char(e.closes_at, 'HH24:MI'))
        ORDER BY e.on_date), '[]')::text
 FROM schedule_exceptions e WHERE e.schedule_id = s.id),
s.slot_interval_minutes, s.capacity, s.minimum_notice_minutes, s.booking_horizon_days,
s.hold_minutes
"""

LOCATION = """
l.slug, l.name, l.facility_name, l.address, l.city, l.state, l.zip, l.phone, l.latitude,
l.longitude, l.time_zone_name
"""


# The haversine `a` of the distance to the point: the same arithmetic as the app's, so
# that equal distances tie (and fall back to name, then id) exactly as there.
def distance(table):
    half_dlat = f"sin(radians({table}.latitude - %(lat)s) / 2)"
    half_dlng = f"sin(radians({table}.longitude - %(lng)s) / 2)"
    cos_lat = f"%(cos_lat)s * cos(radians({table}.latitude))"
    return f"{half_dlat} * {half_dlat} + {cos_lat} * {half_dlng} * {half_dlng}"


# Offers one of the services on an active schedule (accepting new patients when asked).
OFFERS = """
EXISTS (SELECT 1 FROM schedules s JOIN services sv ON sv.id = s.service_id
        WHERE s.provider_id = p.id AND s.active AND sv.slug = ANY(%(services)s)
          AND sv.health_system_id = s.health_system_id
          AND (s.accepting_new_patients OR NOT %(new_patients)s))
"""
# Taken at the stop it is nearest to: no active schedule of it at a nearer location.
NEAREST_HERE = f"""
NOT EXISTS (SELECT 1 FROM schedules o JOIN locations ol ON ol.id = o.location_id
            WHERE o.provider_id = p.id AND o.active
              AND ({distance("ol")}, ol.id) < (walk.distance, walk.id))
"""

# The page of providers nearest first, as the app finds it: the system's locations walked
# nearest first (LATERAL takes them one by one and stops once the page is full), each
# giving the providers it is nearest for; providers with no located active schedule at a
# last stop, at distance 2.
PROVIDER_SEARCH = f"""
WITH stops AS (
    SELECT l.id, {distance("l")} AS distance FROM locations l
    WHERE l.health_system_id = %(system)s AND l.latitude IS NOT NULL
      AND l.longitude IS NOT NULL
    UNION ALL SELECT NULL, 2
), page AS (
    SELECT walk.distance, taken.id, taken.name, taken.slug
    FROM (SELECT id, distance FROM stops ORDER BY distance, id) walk
    CROSS JOIN LATERAL (
        SELECT p.id, p.name, p.slug FROM providers p
        WHERE p.id IN (SELECT provider_id FROM schedules WHERE location_id = walk.id AND active)
          AND p.health_system_id = %(system)s AND {OFFERS} AND {NEAREST_HERE}
        UNION ALL
        SELECT p.id, p.name, p.slug FROM providers p
        WHERE walk.id IS NULL AND p.health_system_id = %(system)s AND {OFFERS} AND {NEAREST_HERE}
    ) taken
    ORDER BY walk.distance, taken.name, taken.slug
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT {PROVIDER}
FROM page JOIN providers p ON p.id = page.id
ORDER BY page.distance, page.name, page.slug
"""

PROVIDER_COUNT = f"""
SELECT count(*) FROM providers p WHERE p.health_system_id = %(system)s AND {OFFERS}
"""

# The active schedules of some providers, each with its location.
SCHEDULES_OF_PROVIDERS = f"""
SELECT s.provider_id, {SCHEDULE}, {LOCATION}
FROM schedules s
LEFT JOIN services sv ON sv.id = s.service_id
JOIN locations l ON l.id = s.location_id
WHERE s.provider_id = ANY(%(providers)s) AND s.active
ORDER BY s.provider_id, s.sort_order, s.id
"""

LOCATION_ID = """
SELECT id FROM locations WHERE health_system_id = %(system)s AND slug = %(slug)s
"""

# The plans a schedule accepts in effect: its own, else its location's, else its region's,
# else the health system's default plans.
EFFECTIVE_PLANS = """
(SELECT coalesce(json_agg(json_build_array(ip.slug, ip.company, ip.name,
                                           ip.accepted_by_default)
                          ORDER BY ip.slug), '[]')
 FROM insurance_plans ip
 WHERE ip.id = ANY(coalesce(
    (SELECT array_agg(insurance_plan_id) FROM schedule_insurance_plans
     WHERE schedule_id = s.id),
    (SELECT array_agg(insurance_plan_id) FROM location_insurance_plans
     WHERE location_id = s.location_id),
    (SELECT array_agg(rp.insurance_plan_id)
     FROM region_insurance_plans rp JOIN locations l ON l.region_id = rp.region_id
     WHERE l.id = s.location_id),
    (SELECT array_agg(d.id) FROM insurance_plans d
     WHERE d.health_system_id = s.health_system_id AND d.accepted_by_default))))
"""

# A page of a location's schedules, each with its provider and its plans: one statement, as
# the app reads it (the location found by its slug inside it, the provider joined).
AT_LOCATION = """
s.location_id = (SELECT id FROM locations WHERE health_system_id = %(system)s
                 AND slug = %(slug)s)
AND s.health_system_id = %(system)s AND s.active
"""

SCHEDULES_AT_LOCATION = f"""
SELECT {SCHEDULE}, {PROVIDER}, {EFFECTIVE_PLANS}, count(*) OVER ()
FROM schedules s
LEFT JOIN services sv ON sv.id = s.service_id
JOIN providers p ON p.id = s.provider_id
WHERE {AT_LOCATION}
ORDER BY s.sort_order, s.name, s.id
LIMIT %(limit)s OFFSET %(offset)s
"""

SCHEDULES_AT_LOCATION_COUNT = f"SELECT count(*) FROM schedules s WHERE {AT_LOCATION}"


# What computing free times needs of a schedule: its rules and its default type.
SCHEDULE_RULES = """
SELECT s.id, s.time_zone_name, s.slot_interval_minutes, s.capacity, s.minimum_notice_minutes,
       s.booking_horizon_days,
       (SELECT json_agg(json_build_array(w.weekday, to_char(w.opens_at, 'HH24:MI'),
                                         to_char(w.closes_at, 'HH24:MI')))
        FROM weekly_windows w WHERE w.schedule_id = s.id),
       (SELECT json_agg(json_build_array(e.on_date, e.closed, to_char(e.opens_at, 'HH24:MI'),
                                         to_char(e.closes_at, 'HH24:MI')))
        FROM schedule_exceptions e WHERE e.schedule_id = s.id),
       kind.slug, kind.duration_minutes
FROM schedules s
LEFT JOIN LATERAL (SELECT t.slug, t.duration_minutes
                   FROM schedule_appointment_types st
                   JOIN appointment_types t ON t.id = st.appointment_type_id
                   WHERE st.schedule_id = s.id ORDER BY t.priority, t.slug LIMIT 1) kind ON true
WHERE s.id = ANY(%(ids)s) AND s.health_system_id = %(system)s AND s.active
"""

# The seats taken: booked visits, and the seats visit tokens hold until their holds expire.
BOOKED = """
SELECT schedule_id, starts_at, ends_at
FROM visits
WHERE schedule_id = ANY(%(ids)s) AND status IN ('scheduled', 'completed', 'no-show')
  AND starts_at < %(until)s AND ends_at > %(since)s
UNION ALL
SELECT schedule_id, starts_at, ends_at
FROM slot_holds
WHERE schedule_id = ANY(%(ids)s) AND starts_at < %(until)s AND ends_at > %(since)s
  AND expires_at > %(now)s
"""


# A name search of `words` words, as the app ranks it: the names starting with the search
# first, read in the order of the folded name's index and only as far as the page; the
# other matches are ranked (a word of the name starting with the search, then every word
# starting a word of the name, then the rest) only when those do not fill the page.
def name_search(words):
    """(the page's SQL, the count's SQL) of a search of `words` words."""
    held = " AND ".join(f"p.search_text LIKE %(word{n})s ESCAPE '\\'" for n in range(words))
    starts = " AND ".join(
        f"(' ' || p.search_name) LIKE %(word_start{n})s ESCAPE '\\'" for n in range(words)
    )
    matching = f"p.health_system_id = %(system)s AND {held}"
    named = "p.search_name >= %(name_from)s AND p.search_name < %(name_before)s"
    page = f"""
WITH best AS (
    SELECT p.id, 0 AS rank, p.search_name, p.name, p.slug FROM providers p
    WHERE {matching} AND {named}
    ORDER BY p.search_name, p.name, p.slug LIMIT %(enough)s
), page AS (
    SELECT * FROM best
    UNION ALL
    SELECT p.id, CASE WHEN (' ' || p.search_name) LIKE %(word_prefix)s ESCAPE '\\' THEN 1
                      WHEN {starts} THEN 2 ELSE 3 END,
           p.search_name, p.name, p.slug
    FROM providers p
    WHERE {matching} AND NOT ({named}) AND (SELECT count(*) FROM best) < %(enough)s
    ORDER BY 2, 3, 4, 5 LIMIT %(limit)s OFFSET %(offset)s
)
SELECT {PROVIDER}
FROM page JOIN providers p ON p.id = page.id
ORDER BY page.rank, page.search_name, page.name, page.slug
"""
    return page, f"SELECT count(*) FROM providers p WHERE {matching}"

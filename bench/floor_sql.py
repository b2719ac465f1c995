"""The floor's hand-written SQL: one statement per need, nested lists built as JSON text.

PostgreSQL assembles the small nested lists (hours, groups, plans…) as JSON, which the
floor splices into its documents unparsed. Orders follow the app's: SQL `ORDER BY` where
the app orders in SQL, `COLLATE "C"` (code-point order) where it sorts in Python.
"""

CALLER = """
SELECT hs.id, k.scopes
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
s.slot_interval_minutes, s.capacity, s.minimum_notice_minutes, s.booking_horizon_days
"""

LOCATION = """
l.slug, l.name, l.facility_name, l.address, l.city, l.state, l.zip, l.phone, l.latitude,
l.longitude, l.time_zone_name
"""

# The haversine `a` of the distance to the point: the same arithmetic as the app's, so
# that equal distances tie (and fall back to name, then id) exactly as there.
HALF_DLAT = "sin(radians(l.latitude - %(lat)s) / 2)"
HALF_DLNG = "sin(radians(l.longitude - %(lng)s) / 2)"
COS_LAT = "%(cos_lat)s * cos(radians(l.latitude))"
DISTANCE = f"{HALF_DLAT} * {HALF_DLAT} + {COS_LAT} * {HALF_DLNG} * {HALF_DLNG}"

# Providers with one active schedule of the services (accepting new patients when asked),
# nearest first, and how many there are in all. Each provider's nearest location comes
# from one grouped pass over the schedules, and attributes are read for the page only.
PROVIDER_SEARCH = f"""
WITH nearest AS (
    SELECT s.provider_id, min({DISTANCE}) AS distance
    FROM schedules s JOIN locations l ON l.id = s.location_id
    WHERE s.active AND s.health_system_id = %(system)s
    GROUP BY s.provider_id
), page AS (
    SELECT p.id, coalesce(n.distance, 2) AS distance, p.name, p.slug, count(*) OVER () AS total
    FROM providers p LEFT JOIN nearest n ON n.provider_id = p.id
    WHERE p.health_system_id = %(system)s
      AND EXISTS (SELECT 1 FROM schedules s JOIN services sv ON sv.id = s.service_id
                  WHERE s.provider_id = p.id AND s.active AND sv.slug = ANY(%(services)s)
                    AND sv.health_system_id = s.health_system_id
                    AND (s.accepting_new_patients OR NOT %(new_patients)s))
    ORDER BY 2, 3, 4
    LIMIT %(limit)s OFFSET %(offset)s
)
SELECT {PROVIDER}, page.total
FROM page JOIN providers p ON p.id = page.id
ORDER BY page.distance, page.name, page.slug
"""

PROVIDER_COUNT = """
SELECT count(*)
FROM providers p
WHERE p.health_system_id = %(system)s
  AND EXISTS (SELECT 1 FROM schedules s JOIN services sv ON sv.id = s.service_id
              WHERE s.provider_id = p.id AND s.active AND sv.slug = ANY(%(services)s)
                AND sv.health_system_id = s.health_system_id
                AND (s.accepting_new_patients OR NOT %(new_patients)s))
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

SCHEDULES_AT_LOCATION = f"""
SELECT {SCHEDULE}, p.id, p.slug, {EFFECTIVE_PLANS}, count(*) OVER ()
FROM schedules s
LEFT JOIN services sv ON sv.id = s.service_id
JOIN providers p ON p.id = s.provider_id
WHERE s.location_id = %(location)s AND s.health_system_id = %(system)s AND s.active
ORDER BY s.sort_order, s.name, s.id
LIMIT %(limit)s OFFSET %(offset)s
"""

SCHEDULES_AT_LOCATION_COUNT = """
SELECT count(*) FROM schedules s
WHERE s.location_id = %(location)s AND s.health_system_id = %(system)s AND s.active
"""

PROVIDERS = f"SELECT {PROVIDER} FROM providers p WHERE p.id = ANY(%(ids)s)"

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

BOOKED = """
SELECT schedule_id, starts_at, ends_at
FROM visits
WHERE schedule_id = ANY(%(ids)s) AND status IN ('scheduled', 'completed', 'no-show')
  AND starts_at < %(until)s AND ends_at > %(since)s
"""

"""Visit tokens: short-lived JWTs that each allow one booking of one slot.

HS256 with the deployment's secret, the algorithm pinned on decode (so `alg: none` and
algorithm confusion are refused), and claims binding the schedule, the slot (in UTC),
the health system, the mode and the key that asked for it (whose bookings it counts
against). The `jti` makes a token single-use: it is stored on the visit it books.

Secrets can be rotated: a token names the secret that signed it by a key id (`kid`, a
digest of the secret, never the secret), and the previous secret still verifies its
tokens until the operator removes it.
"""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from inquick.models.tenancy import MODES

ALGORITHM = "HS256"
ISSUER = "inquick"
LIFETIME = timedelta(minutes=30)
# A moment before any token was issued: reading a token "at" it ignores its expiry.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Every claim and the type it must have: a token signed with our secret but of another
# shape is refused like a forged one, before any of its values is used.
CLAIM_TYPES = {
    "iss": str, "iat": int, "exp": int, "jti": str, "hs": int, "mode": str, "sch": str,
    "at": str, "key": int,
}  # fmt: skip
# The claims statements compare with a column, and whether a value fits it: a row id of 32
# bits (PostgreSQL's integer), text of at most 64 characters (what a visit keeps of `jti`)
# without NUL (which PostgreSQL refuses). Anything else would fail the statement: a 500.
COLUMN_FITS = {
    "hs": lambda value: 0 < value < 2**31,
    "jti": lambda value: len(value) <= 64 and "\x00" not in value,
    "sch": lambda value: len(value) <= 64 and "\x00" not in value,
}


class TokenRefused(Exception):
    """The token cannot be used: malformed, forged, expired or not ours."""


def utc_text(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_id(secret):
    """The name a token gives its secret: a digest, from which the secret cannot be found."""
    return hashlib.sha256(f"inquick visit tokens {secret}".encode()).hexdigest()[:16]


def new_token_id():
    """A token's `jti`: drawn before the token is signed, since its hold is named by it."""
    return uuid.uuid4().hex


def issue_token(secret, *, health_system, schedule_id, slot_start, now, api_key_id, token_id):
    """A signed token, `token_id`, for one booking of `slot_start` on the schedule."""
    claims = {
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + LIFETIME).timestamp()),
        "jti": token_id,
        "hs": health_system.id,
        "mode": health_system.mode,
        "sch": schedule_id,
        "at": utc_text(slot_start),
        "key": api_key_id,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers={"kid": key_id(secret)})


def refusal_reason(error):
    """Our words for PyJWT's failure, without its internals."""
    if isinstance(error, jwt.InvalidSignatureError):
        return "its signature does not match"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return f"only {ALGORITHM} tokens are accepted"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"it lacks the {error.claim} claim"
    if isinstance(error, jwt.InvalidIssuerError):
        return "it was not issued by inquick"
    return "it is malformed"


def signing_secret(secrets, token):
    """The one of `secrets` (current first) that the token's header names.

    A token without a key id is from before secrets had them: the current secret is tried.
    """
    try:
        named = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        raise TokenRefused("The visit token is not valid: it is malformed.") from None
    if named is None:
        return secrets[0]
    for secret in secrets:
        if isinstance(named, str) and named == key_id(secret):
            return secret
    raise TokenRefused("The visit token is not valid: its secret is no longer in use.")


def read_token(secrets, token, now):
    """The claims of a valid token, or `TokenRefused` saying why.

    `secrets` are those that verify: the current one first, then any being retired.
    """
    try:
        claims = jwt.decode(
            token,
            signing_secret(secrets, token),
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": list(CLAIM_TYPES), "verify_exp": False},
        )
    except jwt.InvalidTokenError as error:
        raise TokenRefused(f"The visit token is not valid: {refusal_reason(error)}.") from None
    check_claim_types(claims)
    # Expiry is checked against the caller's clock, so that it can be tested.
    if claims["exp"] <= now.timestamp():
        raise TokenRefused("The visit token has expired; ask for a new one.")
    try:
        claims["at"] = datetime.strptime(claims["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise TokenRefused("The visit token's slot is malformed.") from None
    return claims


def issuing_key(secrets, token):
    """The id of the key that asked for `token` if we signed it, expired or not; else None.

    Only for choosing who may read an answer to a request that carried the token (its
    CORS headers), never for using it.
    """
    try:
        return read_token(secrets, token, EPOCH)["key"]
    except TokenRefused:
        return None


def check_claim_types(claims):
    """Refuse a claim of the wrong type (`exp` text, `sch` an object...), an unknown mode, or
    a value its column cannot hold."""
    for name, kind in CLAIM_TYPES.items():
        value = claims[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise TokenRefused(f"The visit token is not valid: its {name} claim is malformed.")
    if claims["mode"] not in MODES:
        raise TokenRefused("The visit token is not valid: its mode claim is malformed.")
    for name, fits in COLUMN_FITS.items():
        if not fits(claims[name]):
            raise TokenRefused(f"The visit token is not valid: its {name} claim is malformed.")

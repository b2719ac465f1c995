"""Visit tokens: short-lived JWTs that each allow one booking of one slot.

HS256 with the deployment's secret, the algorithm pinned on decode (so `alg: none` and
algorithm confusion are refused), and claims binding the schedule, the slot (in UTC),
the health system and the mode. The `jti` makes a token single-use: it is stored on
the visit it books.
"""

import uuid
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
ISSUER = "inquick"
LIFETIME = timedelta(minutes=30)
REQUIRED_CLAIMS = ["iss", "iat", "exp", "jti", "hs", "mode", "sch", "at"]


class TokenRefused(Exception):
    """The token cannot be used: malformed, forged, expired or not ours."""


def utc_text(moment):
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def issue_token(secret, *, health_system, schedule_id, slot_start, now):
    """A signed token for one booking of `slot_start` on the schedule."""
    claims = {
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + LIFETIME).timestamp()),
        "jti": uuid.uuid4().hex,
        "hs": health_system.id,
        "mode": health_system.mode,
        "sch": schedule_id,
        "at": utc_text(slot_start),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


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


def read_token(secret, token, now):
    """The claims of a valid token, or `TokenRefused` saying why."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": REQUIRED_CLAIMS, "verify_exp": False},
        )
    except jwt.InvalidTokenError as error:
        raise TokenRefused(f"The visit token is not valid: {refusal_reason(error)}.") from None
    # Expiry is checked against the caller's clock, so that it can be tested.
    if claims["exp"] <= now.timestamp():
        raise TokenRefused("The visit token has expired; ask for a new one.")
    try:
        claims["at"] = datetime.strptime(claims["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        raise TokenRefused("The visit token's slot is malformed.") from None
    return claims

"""A cheap first look at a bearer token, so garbage gets 401 without a signing-key lookup."""

from __future__ import annotations

import time

import jwt

CLOCK_SKEW_SECONDS = 300


def plausible_bearer(header: str, *, app_id: str, now: float | None = None) -> bool:
    """True when the header holds an RS256 JWT with a key id, for this app, not expired.

    The signature is checked afterwards by the Bot Framework; this only keeps requests that
    cannot be valid from reaching it (and from asking for keys: `bot/signing_keys.py`)."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or token.count(".") != 2:
        return False
    try:
        head = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    if head.get("alg") != "RS256" or not head.get("kid"):
        return False
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if app_id not in audiences:
        return False
    expires = claims.get("exp")
    current = time.time() if now is None else now
    return isinstance(expires, int | float) and expires + CLOCK_SKEW_SECONDS > current

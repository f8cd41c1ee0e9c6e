"""Signed customer tokens: how the shop's website tells the assistant who is logged in.

The website signs a JWT with HS256 and the shared secret
``Settings.customer_token_secret``. Its claims:

* ``sub``: the customer id, the decimal digits of a positive integer as a string;
* ``exp``: expiry, seconds since the epoch (required);
* ``iat``: when it was issued (optional).

The website puts the token in the message metadata under ``customer_token``
(:data:`METADATA_KEY`). Nothing else in the metadata identifies a customer:
an unsigned ``customer_id`` could be typed by anyone.

This module needs only PyJWT, so a channel can use it as well as the actions.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any, Dict, Mapping, Optional

import jwt

from bot.identity.clock import resolve_now

ALGORITHM = "HS256"
METADATA_KEY = "customer_token"
# Real tokens are about 150 characters; anything far longer is not worth parsing.
MAX_TOKEN_LENGTH = 4096

# ASCII digits only: int() would also accept " 7", "+7", "0_7" and non-Latin digits.
_CUSTOMER_ID = re.compile(r"[1-9][0-9]{0,17}", re.ASCII)


def _require_secret(secret: str) -> None:
    if not isinstance(secret, str) or not secret:
        raise ValueError("the token secret must be a non-empty string")


def issue_customer_token(
    customer_id: int, secret: str, ttl: timedelta, now: Optional[datetime] = None
) -> str:
    """Signs a token that identifies a customer until ``now + ttl``.

    The shop's website does this; the assistant uses it in tests and demos.

    Args:
        customer_id: Primary key of the customer, positive.
        secret: The shared HS256 secret.
        ttl: How long the token is valid, positive.
        now: The moment of issue, timezone-aware; the current time by default.

    Returns:
        The compact JWT.

    Raises:
        ValueError: When ``customer_id`` or ``ttl`` is not positive, the secret
            is empty or ``now`` is naive.
    """
    if isinstance(customer_id, bool) or not isinstance(customer_id, int) or customer_id < 1:
        raise ValueError(f"customer_id must be a positive integer, got {customer_id!r}")
    if ttl <= timedelta(0):
        raise ValueError(f"ttl must be positive, got {ttl!r}")
    _require_secret(secret)
    issued = resolve_now(now)
    claims = {
        "sub": str(customer_id),
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _decode(token: str, secret: str) -> Optional[Dict[str, Any]]:
    """Checks the signature and algorithm; expiry is judged by the caller."""
    try:
        claims: Dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={
                "require": ["exp", "sub"],
                # Judged against the injected time in verify_customer_token.
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        return None
    return claims


def _time_claim(claims: Mapping[str, Any], name: str) -> Optional[float]:
    """Returns a finite NumericDate claim, or ``None`` when absent or malformed."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    # JSON parsing accepts NaN and Infinity, which would never expire.
    return float(value) if math.isfinite(value) else None


def _is_current(claims: Mapping[str, Any], now: datetime) -> bool:
    moment = now.timestamp()
    expiry = _time_claim(claims, "exp")
    if expiry is None or moment >= expiry:
        return False
    if "nbf" not in claims:
        return True
    not_before = _time_claim(claims, "nbf")
    return not_before is not None and moment >= not_before


def verify_customer_token(
    token: object, secret: str, now: Optional[datetime] = None
) -> Optional[int]:
    """Returns the customer id of a valid token, or ``None`` for anything else.

    A token is valid when it is a string signed with HS256 and ``secret``,
    its ``exp`` (required) is after ``now``, its ``nbf`` (if any) is not after
    ``now``, and its ``sub`` is a string of a positive integer. Tampered,
    expired, unsigned (``alg: none``) or otherwise signed tokens, missing
    claims and values that are not strings all give ``None``; this function
    never raises for a bad token.

    Args:
        token: Whatever the client sent.
        secret: The shared HS256 secret; an empty secret accepts nothing.
        now: The moment to judge expiry by, timezone-aware; the current time
            by default.

    Returns:
        The customer id, or ``None``.

    Raises:
        ValueError: When ``now`` is naive.
    """
    moment = resolve_now(now)
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    if not isinstance(secret, str) or not secret:
        return None
    claims = _decode(token, secret)
    if claims is None or not _is_current(claims, moment):
        return None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not _CUSTOMER_ID.fullmatch(subject):
        return None
    return int(subject)


def customer_id_from_metadata(
    metadata: Optional[Mapping[str, Any]], secret: str, now: Optional[datetime] = None
) -> Optional[int]:
    """Returns the customer id proven by the token in a message's metadata.

    Only the signed token under :data:`METADATA_KEY` counts; any other key,
    such as an unsigned ``customer_id``, is ignored.

    Args:
        metadata: The message metadata, as sent by the channel; may be ``None``.
        secret: The shared HS256 secret.
        now: The moment to judge expiry by, timezone-aware; the current time
            by default.

    Returns:
        The customer id, or ``None`` when there is no valid token.
    """
    if not isinstance(metadata, Mapping):
        return None
    return verify_customer_token(metadata.get(METADATA_KEY), secret, now)

"""Agent password hashing with ``hashlib.scrypt``.

Each password gets its own random salt. A stored hash reads
``scrypt$<n>$<r>$<p>$<salt>$<key>`` (salt and key in URL-safe base64), so the
cost parameters can be raised later without invalidating existing hashes.
Checks compare in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
COST_N = 2**14
BLOCK_SIZE_R = 8
PARALLELISM_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
_MAX_MEMORY = 64 * 1024 * 1024


class WeakPasswordError(ValueError):
    """A new password is too short or too long."""


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAX_MEMORY, dklen=KEY_BYTES
    )


def check_password_strength(password: str) -> None:
    """Rejects a password that is too short or too long to be set.

    Raises:
        WeakPasswordError: With a message that says what is wrong.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(f"Passwords can have at most {MAX_PASSWORD_LENGTH} characters.")


def hash_password(password: str) -> str:
    """Hashes a new password with a fresh random salt.

    Args:
        password: The password as typed.

    Returns:
        The text to store in ``Agent.password_hash``.

    Raises:
        WeakPasswordError: When the password is too short or too long.
    """
    check_password_strength(password)
    salt = secrets.token_bytes(SALT_BYTES)
    key = _derive(password, salt, COST_N, BLOCK_SIZE_R, PARALLELISM_P)
    return f"{SCHEME}${COST_N}${BLOCK_SIZE_R}${PARALLELISM_P}${_encode(salt)}${_encode(key)}"


def verify_password(password: str, stored: str) -> bool:
    """Tells whether ``password`` matches a hash made by :func:`hash_password`.

    Args:
        password: The password as typed.
        stored: The stored hash.

    Returns:
        ``True`` on a match; ``False`` otherwise, also for a malformed hash.
    """
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != SCHEME or len(password) > MAX_PASSWORD_LENGTH:
            return False
        expected = _decode(key)
        actual = _derive(password, _decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def dummy_verify(password: str) -> None:
    """Spends as long as a real check, for log-ins with an unknown name.

    Without it, a wrong name would answer faster than a wrong password and
    tell an attacker which names exist.
    """
    _derive(password[:MAX_PASSWORD_LENGTH], b"\0" * SALT_BYTES, COST_N, BLOCK_SIZE_R, PARALLELISM_P)

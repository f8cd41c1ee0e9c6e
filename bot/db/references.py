"""Random references that customers quote: ``CASE-042917``, ``PRIV-123456``, ``RMA-482913``.

Random rather than sequential, so a reference says nothing about how many
cases, requests or returns the shop has.
"""

from __future__ import annotations

import secrets
from typing import Callable, Type

REFERENCE_DIGITS = 6


def random_reference(
    prefix: str,
    taken: Callable[[str], bool],
    exhausted: Type[Exception],
    attempts: int,
    randbelow: Callable[[int], int] = secrets.randbelow,
    digits: int = REFERENCE_DIGITS,
) -> str:
    """Returns an unused reference: ``prefix`` and ``digits`` random digits.

    Args:
        prefix: The start of every reference of its kind, e.g. ``CASE-``.
        taken: Tells whether a reference is already in use.
        exhausted: The error raised when every try hit a reference in use.
        attempts: How many references to try.
        randbelow: Source of random numbers below its argument; a
            cryptographic one by default (tests pass their own).
        digits: How many digits follow the prefix.

    Raises:
        Exception: ``exhausted``, when every reference tried was taken.
    """
    for _ in range(attempts):
        reference = f"{prefix}{randbelow(10**digits):0{digits}d}"
        if not taken(reference):
            return reference
    raise exhausted(f"no free {prefix} reference after {attempts} tries")

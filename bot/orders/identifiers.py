"""Finding order numbers and email addresses in what customers type."""

from __future__ import annotations

import re
from typing import Optional

# ORD-104233, ord104233, ORD 104233, #104233 or 104233: six digits, not part of a longer number.
_ORDER_NUMBER = re.compile(r"(?<![\w-])(?:ord[-\s]?|#\s?)?(\d{6})(?![\w-])", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def extract_order_number(text: str) -> Optional[str]:
    """Returns the first order number in ``text`` in canonical form, if any.

    Args:
        text: A message or entity value, e.g. ``"it's ord 104233"``.

    Returns:
        ``"ORD-104233"`` style order number, or ``None``.
    """
    match = _ORDER_NUMBER.search(text or "")
    return f"ORD-{match.group(1)}" if match else None


def extract_email(text: str) -> Optional[str]:
    """Returns the first email address in ``text``, lower-cased, if any."""
    match = _EMAIL.search(text or "")
    return match.group(0).lower() if match else None

"""Turning policy values into the text customers read: prices, lists, opening hours."""

from __future__ import annotations

from typing import List, Mapping, Optional, Sequence, Tuple

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_EN_DASH = "\u2013"
_CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}


def format_money(cents: int, currency: str) -> str:
    """Formats an amount in cents the way a shop prints prices.

    Whole amounts drop the decimals: ``€50``, but ``€4.95``.

    Args:
        cents: Amount in hundredths of the currency unit.
        currency: ISO 4217 code, e.g. ``EUR``.

    Returns:
        The price, with the currency symbol when it has a well-known one.
    """
    sign = "-" if cents < 0 else ""
    units, hundredths = divmod(abs(cents), 100)
    amount = f"{units:,}" if hundredths == 0 else f"{units:,}.{hundredths:02d}"
    symbol = _CURRENCY_SYMBOLS.get(currency.upper())
    if symbol is None:
        return f"{sign}{amount} {currency.upper()}"
    return f"{sign}{symbol}{amount}"


def join_words(items: Sequence[str]) -> str:
    """Joins items as a sentence would: ``a``, ``a and b``, ``a, b and c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def format_opening_hours(hours: Mapping[str, Optional[Tuple[str, str]]]) -> str:
    """Describes weekly opening hours, grouping consecutive days with equal hours.

    Args:
        hours: For each weekday name (lower case), ``(open, close)`` as ``HH:MM``
            text, or ``None`` when closed all day. Missing days count as closed.

    Returns:
        Text such as ``Monday-Friday 08:00-20:00, Saturday 09:00-17:00, Sunday closed``,
        with en dashes.
    """
    groups: List[Tuple[str, str, Optional[Tuple[str, str]]]] = []
    for day in WEEKDAYS:
        day_hours = hours.get(day)
        if groups and groups[-1][2] == day_hours:
            groups[-1] = (groups[-1][0], day, day_hours)
        else:
            groups.append((day, day, day_hours))
    parts = []
    for first, last, day_hours in groups:
        days = first.title() if first == last else f"{first.title()}{_EN_DASH}{last.title()}"
        parts.append(f"{days} {'closed' if day_hours is None else _EN_DASH.join(day_hours)}")
    return ", ".join(parts)

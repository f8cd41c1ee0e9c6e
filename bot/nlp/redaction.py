"""Redaction of personal data in customer messages before they are stored.

``redact`` replaces e-mail addresses with ``[email]``, phone numbers with
``[phone]`` and payment-card numbers with ``[card]``. Order numbers
(``ORD-104233``, ``#104233``), bare six-digit codes and one-time codes are kept:
support staff need them and they identify nothing on their own.

No maintained redaction or phone-number library is in ``requirements.lock``, so
the patterns are written here and kept deliberately narrow:

* a card number is 13-19 digits, written in one run, in groups of four
  (``4111 1111 1111 1111``, ``4111-1111-1111-1111``) or in the American Express
  and Diners layouts (4-6-5, 4-6-4), that does not start with 0 and passes the
  Luhn check; any other digit run is left alone unless it is phone-shaped;
* a phone number is international (``+353 1 555 0142``, ``0044 20 7946 0958``,
  ``+44 (0)20 7946 0958``), national with a trunk 0 (``087 123 4567``), or in the
  North American layout (``(555) 123-4567``, ``555-123-4567``), with 7-15 digits.
"""

from __future__ import annotations

import re
from typing import List

EMAIL_TOKEN = "[email]"
PHONE_TOKEN = "[phone]"
CARD_TOKEN = "[card]"

# The local part may hold an apostrophe (o'brien@…), but not start with one.
_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-][A-Za-z0-9._%+'-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)

# Runs of digit groups separated by single spaces or dashes; ``_card_or_keep``
# looks inside each run for a card number.
_DIGIT_GROUPS = re.compile(r"(?<![\w+])\d+(?:[ -]\d+)*")
_GROUP_SEPARATOR = re.compile(r"[ -]")

# A phone number may not start or end inside a word or a longer group of
# digits, so the groups of a card number that failed the Luhn check stay.
_START = r"(?<![\w+])(?<!\d[ .-])"
_END = r"(?![\w-])(?![ .-]\d)"

_PHONE = re.compile(
    _START
    + r"(?:"
    # International: +CC or 00CC, an optional (0), an optional (area) code.
    + r"(?:\+|00)\d{1,3}[ .-]?(?:\(0\)[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}"
    # Area code in parentheses: (555) 123-4567, (01) 555 0142.
    + r"|\(\d{2,5}\)[ .-]?\d{3,4}[ .-]?\d{3,4}"
    # National number with a trunk 0: 087 123 4567, 020 7946 0958, 0871234567.
    + r"|0\d{1,4}[ .-]?\d{3,4}[ .-]?\d{3,4}"
    # North American layout with separators: 555-123-4567, 555 123 4567.
    + r"|[2-9]\d{2}([ .-])\d{3}\1\d{4}"
    + r")"
    + _END
)

_MIN_PHONE_DIGITS = 7
_MAX_PHONE_DIGITS = 15
_MIN_CARD_DIGITS = 13
_MAX_CARD_DIGITS = 19


def luhn_valid(digits: str) -> bool:
    """Tells whether a string of digits passes the Luhn checksum.

    Args:
        digits: Only the digits, no separators.

    Returns:
        True when the checksum is a multiple of ten.
    """
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _is_card_layout(lengths: List[int]) -> bool:
    """Tells whether digit groups of these lengths are laid out like a card number."""
    if len(lengths) == 1:
        return True
    if lengths in ([4, 6, 5], [4, 6, 4]):
        return True
    *leading, last = lengths
    return len(lengths) >= 3 and all(length == 4 for length in leading) and 1 <= last <= 4


def _is_card(groups: List[str]) -> bool:
    digits = "".join(groups)
    return (
        _MIN_CARD_DIGITS <= len(digits) <= _MAX_CARD_DIGITS
        and not digits.startswith("0")
        and _is_card_layout([len(group) for group in groups])
        and luhn_valid(digits)
    )


def _card_or_keep(match: re.Match[str]) -> str:
    """Redacts the longest run of the matched digit groups that is a card number.

    A card may sit next to another number (``#104233 4111 1111 1111 1111``,
    ``4111 1111 1111 1111 12/27``), so every contiguous run of the groups is
    tried, longest first.
    """
    text = match.group(0)
    groups = _GROUP_SEPARATOR.split(text)
    separators = _GROUP_SEPARATOR.findall(text)
    for size in range(len(groups), 0, -1):
        for start in range(len(groups) - size + 1):
            end = start + size
            if _is_card(groups[start:end]):
                before = "".join(g + sep for g, sep in zip(groups[:start], separators[:start]))
                after = "".join(sep + g for sep, g in zip(separators[end - 1 :], groups[end:]))
                return before + CARD_TOKEN + after
    return text


def _phone_or_keep(match: re.Match[str]) -> str:
    digits = _digits(match.group(0))
    if _MIN_PHONE_DIGITS <= len(digits) <= _MAX_PHONE_DIGITS:
        return PHONE_TOKEN
    return match.group(0)


def redact(text: str) -> str:
    """Replaces e-mail addresses, phone numbers and card numbers in a text.

    Args:
        text: A customer's message.

    Returns:
        The text with ``[email]``, ``[card]`` and ``[phone]`` in place of the
        personal data; everything else, order numbers included, unchanged.
    """
    text = _EMAIL.sub(EMAIL_TOKEN, text)
    text = _DIGIT_GROUPS.sub(_card_or_keep, text)
    return _PHONE.sub(_phone_or_keep, text)

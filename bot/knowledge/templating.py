"""Placeholders in article answers, filled in from ``policies.yml``.

Two forms are understood, both between double braces:

* ``{{ policies.returns.window_days }}``: the value at that dotted path.
  It must be text or a number.
* ``{{ FILTER(policies.some.path) }}``: the value formatted by a filter:

  - ``money``: an amount in cents, as a price (``€4.95``). The currency is
    the ``currency`` next to the amount, else the shop's top-level ``currency``.
  - ``join``: a list, as ``a, b and c``.
  - ``hours``: weekly opening hours (weekday → ``closed`` or ``open``/``close``),
    as ``Monday-Friday 08:00-20:00, Sunday closed`` (with en dashes).

Any other ``{`` or ``}`` in an answer is an error: Rasa would read it as a
slot to fill in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from bot.knowledge.formatting import WEEKDAYS, format_money, format_opening_hours, join_words

_PLACEHOLDER = re.compile(r"\{\{(?P<expression>.*?)\}\}", re.DOTALL)
_EXPRESSION = re.compile(
    r"\s*(?:(?P<filter>[A-Za-z_]\w*)\(\s*(?P<argument>[^()\s]+)\s*\)|(?P<path>[^()\s]+))\s*\Z"
)
_PATH = re.compile(r"policies(?:\.\w+)+\Z")
_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d\Z")


class TemplateError(ValueError):
    """An answer has placeholders that cannot be filled in.

    Attributes:
        problems: One message per bad placeholder or stray brace.
    """

    def __init__(self, problems: List[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class _Resolved:
    """A value found at a dotted path, with what a filter may need around it."""

    path: str
    value: Any
    parent: Mapping[str, Any]
    root: Mapping[str, Any]


def _resolve(path: str, policies: Mapping[str, Any]) -> _Resolved:
    if not _PATH.match(path):
        raise ValueError(
            f"placeholder {path!r} must be a dotted path starting with 'policies.', "
            "e.g. policies.returns.window_days"
        )
    segments = path.split(".")[1:]
    parent: Mapping[str, Any] = policies
    value: Any = policies
    for depth, segment in enumerate(segments):
        if not isinstance(value, Mapping) or segment not in value:
            found_at = ".".join(["policies", *segments[:depth]])
            raise ValueError(
                f"placeholder {path!r} does not resolve: {found_at} has no {segment!r} "
                "in policies.yml"
            )
        parent, value = value, value[segment]
    return _Resolved(path, value, parent, policies)


def _plain(resolved: _Resolved) -> str:
    value = resolved.value
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(
            f"placeholder {resolved.path!r} is {type(value).__name__}, not text or a number; "
            "point it at a single value or use a filter (money, join, hours)"
        )
    return str(value)


def _money(resolved: _Resolved) -> str:
    value = resolved.value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"money({resolved.path}) needs a whole number of cents")
    currency = resolved.parent.get("currency", resolved.root.get("currency"))
    if not isinstance(currency, str):
        raise ValueError(
            f"money({resolved.path}) needs a currency next to the amount or at the top of "
            "policies.yml"
        )
    return format_money(value, currency)


def _join(resolved: _Resolved) -> str:
    value = resolved.value
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in value)
    ):
        raise ValueError(f"join({resolved.path}) needs a non-empty list of texts or numbers")
    return join_words([str(item) for item in value])


def _hours(resolved: _Resolved) -> str:
    value = resolved.value
    problem = f"hours({resolved.path}) needs a mapping of weekdays to 'closed' or open/close"
    if not isinstance(value, Mapping) or not set(value) <= set(WEEKDAYS):
        raise ValueError(problem)
    hours: Dict[str, Optional[Tuple[str, str]]] = {}
    for day, day_hours in value.items():
        if day_hours == "closed":
            hours[day] = None
        elif (
            isinstance(day_hours, Mapping)
            and isinstance(day_hours.get("open"), str)
            and isinstance(day_hours.get("close"), str)
            and _TIME.match(day_hours["open"])
            and _TIME.match(day_hours["close"])
        ):
            hours[day] = (day_hours["open"], day_hours["close"])
        else:
            raise ValueError(problem)
    return format_opening_hours(hours)


_FILTERS: Dict[str, Callable[[_Resolved], str]] = {
    "money": _money,
    "join": _join,
    "hours": _hours,
}


def _evaluate(expression: str, policies: Mapping[str, Any]) -> str:
    match = _EXPRESSION.match(expression)
    if match is None:
        raise ValueError(
            f"placeholder '{{{{{expression}}}}}' is malformed; write "
            "{{ policies.some.value }} or {{ money(policies.some.value) }}"
        )
    if match["path"] is not None:
        return _plain(_resolve(match["path"], policies))
    name = match["filter"]
    if name not in _FILTERS:
        raise ValueError(f"unknown filter {name!r}; available: {', '.join(sorted(_FILTERS))}")
    return _FILTERS[name](_resolve(match["argument"], policies))


def render(template: str, policies: Mapping[str, Any]) -> str:
    """Fills in every placeholder of an answer.

    Args:
        template: The answer as written in the article.
        policies: The policy values, as read from ``policies.yml``.

    Returns:
        The answer with every placeholder replaced.

    Raises:
        TemplateError: With every problem found, when any placeholder does not
            resolve or a brace is left outside a placeholder.
    """
    problems: List[str] = []

    def substitute(match: re.Match[str]) -> str:
        try:
            text = _evaluate(match["expression"], policies)
        except ValueError as error:
            problems.append(str(error))
            return ""
        if "{" in text or "}" in text:
            problems.append(f"placeholder {match[0]!r} gives text with braces: {text!r}")
        return text

    rendered = _PLACEHOLDER.sub(substitute, template)
    literal_text = _PLACEHOLDER.sub("", template)
    if "{" in literal_text or "}" in literal_text:
        problems.append(
            "stray '{' or '}' outside a {{ … }} placeholder (Rasa would read it as a slot); "
            "remove it or fix the placeholder"
        )
    if problems:
        raise TemplateError(problems)
    return rendered

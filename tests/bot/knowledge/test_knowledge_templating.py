"""Placeholders and their filters."""

from __future__ import annotations

import pytest

from bot.knowledge.formatting import format_money, format_opening_hours, join_words
from bot.knowledge.templating import TemplateError, render

POLICIES = {
    "currency": "EUR",
    "returns": {"window_days": 30, "note": "unused items only", "free": True},
    "zones": {
        "eu": {"cost_cents": 995, "currency": "EUR"},
        "us": {"cost_cents": 2500, "currency": "USD"},
        "ch": {"cost_cents": 1250, "currency": "CHF"},
    },
    "plain_cents": 120000,
    "carriers": ["An Post", "DPD", "UPS"],
    "hours": {
        "monday": {"open": "08:00", "close": "20:00"},
        "tuesday": {"open": "08:00", "close": "20:00"},
        "saturday": {"open": "09:00", "close": "17:00"},
        "sunday": "closed",
    },
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ policies.returns.window_days }} days", "30 days"),
        ("{{policies.returns.note}}", "unused items only"),
        ("{{ money(policies.zones.eu.cost_cents) }}", "€9.95"),
        ("{{ money(policies.zones.us.cost_cents) }}", "$25"),
        ("{{ money( policies.zones.ch.cost_cents ) }}", "12.50 CHF"),
        ("{{ money(policies.plain_cents) }}", "€1,200"),
        ("{{ join(policies.carriers) }}", "An Post, DPD and UPS"),
        (
            "{{ hours(policies.hours) }}",
            "Monday-Tuesday 08:00-20:00, Wednesday-Friday closed, Saturday 09:00-17:00, "
            "Sunday closed",
        ),
        ("No placeholders at all.", "No placeholders at all."),
    ],
)
def test_renders(template, expected):
    # En dashes are spelt as hyphens here to keep the expectations readable.
    assert render(template, POLICIES).replace("\u2013", "-") == expected


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("{{ policies.returns.missing }}", "policies.returns has no 'missing'"),
        ("{{ policies.returns.window_days.more }}", "policies.returns.window_days has no 'more'"),
        ("{{ returns.window_days }}", "must be a dotted path starting with 'policies.'"),
        ("{{ policies.returns }}", "is dict, not text or a number"),
        ("{{ policies.returns.free }}", "is bool"),
        ("{{ policies.carriers }}", "is list"),
        ("{{ shout(policies.returns.note) }}", "unknown filter 'shout'"),
        ("{{ money(policies.returns.note) }}", "money(policies.returns.note) needs"),
        ("{{ join(policies.returns) }}", "join(policies.returns) needs"),
        ("{{ hours(policies.carriers) }}", "hours(policies.carriers) needs"),
        ("{{ policies.returns.window_days + 1 }}", "is malformed"),
        ("{{ }}", "is malformed"),
        ("Use {code}", "stray '{' or '}'"),
        ("{{ policies.returns.window_days }", "stray '{' or '}'"),
    ],
)
def test_reports_problems(template, problem):
    with pytest.raises(TemplateError) as raised:
        render(template, POLICIES)
    assert any(problem in message for message in raised.value.problems), raised.value.problems


def test_reports_every_bad_placeholder():
    with pytest.raises(TemplateError) as raised:
        render("{{ policies.a }} and {{ policies.b }}", POLICIES)
    assert len(raised.value.problems) == 2


def test_money_without_any_currency():
    with pytest.raises(TemplateError, match="needs a currency"):
        render("{{ money(policies.cents) }}", {"cents": 100})


@pytest.mark.parametrize(
    ("cents", "currency", "expected"),
    [(495, "EUR", "€4.95"), (5000, "EUR", "€50"), (5, "GBP", "£0.05"), (-250, "usd", "-$2.50")],
)
def test_format_money(cents, currency, expected):
    assert format_money(cents, currency) == expected


def test_join_words():
    assert [join_words([]), join_words(["a"]), join_words(["a", "b"])] == ["", "a", "a and b"]


def test_opening_hours_all_week():
    assert format_opening_hours({}) == "Monday\u2013Sunday closed"

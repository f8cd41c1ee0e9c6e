"""Shop policies as order actions read them."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.knowledge import policies as policy_module
from bot.knowledge.paths import KNOWLEDGE_DIR
from bot.knowledge.policies import (
    can_cancel,
    clear_policies_cache,
    load_policies,
    read_policies,
    refund_days,
    return_window_days,
    shipping_zone,
    warranty_months,
)
from bot.knowledge.validation import KnowledgeError


@pytest.fixture
def policies(knowledge_dir):
    return read_policies(knowledge_dir / "policies.yml")


def test_project_policies_load_with_the_agreed_values():
    clear_policies_cache()
    project = load_policies()
    assert project is load_policies(KNOWLEDGE_DIR / "policies.yml")
    assert return_window_days() == project.returns.window_days == 30
    assert refund_days() == project.returns.refund_days > 0
    assert warranty_months() == project.warranty.months
    assert {"domestic", "eu", "international"} <= set(project.shipping.zones)
    for zone in project.shipping.zones.values():
        assert isinstance(zone.cost_cents, int)
        assert zone.min_days <= zone.max_days
    assert [tier.name for tier in project.loyalty.tiers] == ["Bronze", "Silver", "Gold"]
    assert can_cancel("pending") and not can_cancel("shipped")


def test_load_policies_is_cached_per_file(knowledge_dir):
    clear_policies_cache()
    path = knowledge_dir / "policies.yml"
    first = load_policies(path)
    path.write_text(path.read_text().replace("window_days: 30", "window_days: 14"))
    assert load_policies(path) is first
    clear_policies_cache()
    assert load_policies(path).returns.window_days == 14
    clear_policies_cache()


def test_helpers_accept_explicit_policies(policies):
    assert return_window_days(policies) == 30
    assert refund_days(policies) == 5
    assert warranty_months(policies) == 24
    assert shipping_zone("domestic", policies).cost_cents == 495
    with pytest.raises(KeyError):
        shipping_zone("mars", policies)
    assert can_cancel("paid", policies)
    assert not can_cancel("shipped", policies)
    assert not can_cancel("delivered", policies)


def test_shipping_cost_and_free_threshold(policies):
    domestic = policies.shipping.zones["domestic"]
    assert domestic.cost_for(4999) == 495
    assert domestic.cost_for(5000) == 0
    assert policies.shipping.zones["international"].cost_for(10**6) == 1995


def test_return_window(policies):
    delivered = date(2026, 11, 1)
    assert policies.returns.is_within_window(delivered, date(2026, 12, 1))
    assert not policies.returns.is_within_window(delivered, date(2026, 12, 2))


def test_loyalty_tiers_and_points(policies):
    loyalty = policies.loyalty
    assert loyalty.tier_for(0).name == "Bronze"
    assert loyalty.tier_for(2999).name == "Bronze"
    assert loyalty.tier_for(3000).name == "Gold"
    assert loyalty.points_earned(4999, loyalty.tier_for(3000)) == 147
    assert loyalty.discount_cents(499) == 0
    assert loyalty.discount_cents(750) == 750


def test_contact_hours(policies):
    contact = policies.contact
    # 2026-11-23 is a Monday; Dublin is on UTC in winter.
    assert contact.is_open(datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
    assert not contact.is_open(datetime(2026, 11, 23, 20, 0, tzinfo=timezone.utc))
    assert not contact.is_open(datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc))
    assert contact.describe_hours().replace("\u2013", "-") == (
        "Monday-Thursday 08:00-20:00, Friday 08:00-18:00, Saturday-Sunday closed"
    )
    with pytest.raises(ValueError):
        contact.is_open(datetime(2026, 11, 23, 9, 0))


def test_values_keep_the_whole_file(policies):
    assert policies.values["shipping"]["carriers"] == ["An Post", "DPD"]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("cost_cents: 495", "cost_cents: 4.95", "zones.domestic.cost_cents must be a whole"),
        ("window_days: 30", "window_days: thirty", "returns.window_days must be a whole number"),
        ("  months: 24\n", "", "warranty.months is missing"),
        ("timezone: Europe/Dublin", "timezone: Mars/Olympus", "is not a known time zone"),
        ("saturday: closed", "saturday: nope", "contact.hours.saturday must be 'closed'"),
        ('close: "18:00"', 'close: "07:00"', "contact.hours.friday must open before it closes"),
        ("currency: EUR\nreturns", "currency: euro\nreturns", "currency must be a currency code"),
        ("free_return_zones: [domestic]", "free_return_zones: [eu]", "unknown shipping zones"),
        ("min_points: 0,", "min_points: 10,", "loyalty.tiers must be listed from lowest"),
    ],
)
def test_invalid_values_are_named(knowledge_dir, old, new, problem):
    path = knowledge_dir / "policies.yml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(KnowledgeError) as raised:
        read_policies(path)
    assert raised.value.path == path
    assert problem in raised.value.problem


def test_missing_file(tmp_path):
    with pytest.raises(KnowledgeError, match="file is missing"):
        policy_module.read_policies(tmp_path / "policies.yml")

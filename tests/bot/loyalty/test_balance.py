from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from bot.db.models import CustomerTier, LoyaltyAccount
from bot.knowledge.policies import load_policies
from bot.loyalty import messages as say
from bot.loyalty.balance import (
    loyalty_standing,
    points_value_cents,
    programme_details,
    tier_of,
)

TODAY = date(2024, 12, 11)


@pytest.fixture
def policies():
    return load_policies()


def member(factory, session, tier, balance, expiring=0, expires_on=None):
    customer = factory.customer(name="Sam Saver")
    customer.tier = tier
    customer.loyalty_account = LoyaltyAccount(
        points_balance=balance, points_expiring=expiring, points_expiry_date=expires_on
    )
    session.flush()
    return customer


def test_a_silver_member_hears_balance_worth_tier_expiry_and_how_to_redeem(
    db_session, factory, policies
):
    customer = member(
        factory, db_session, CustomerTier.SILVER, 1240, expiring=300, expires_on=date(2024, 12, 31)
    )
    standing = loyalty_standing(db_session, customer.id, policies, TODAY)
    assert standing is not None and standing.is_member
    assert (standing.points, standing.value_cents, standing.tier.name) == (1240, 1240, "Silver")
    assert say.balance_reply(standing, TODAY) == (
        "You have 1,240 points (worth €12.40) and you're a Silver member: 2 points per €1 "
        "spent, plus free standard shipping on every order. Gold members (from 3,000 points) "
        "earn 3 points per €1 spent, plus free express delivery and early access to sales. "
        "300 points expire on 31 Dec, so use them before then. To redeem, tick **Use my "
        "points** at checkout and choose how many: at least 500 points at a time, and every "
        "100 points take €1 off."
    )


def test_a_gold_member_is_not_offered_a_higher_tier(db_session, factory, policies):
    customer = member(factory, db_session, CustomerTier.GOLD, 4820)
    standing = loyalty_standing(db_session, customer.id, policies, TODAY)
    text = say.balance_reply(standing, TODAY)
    assert text.startswith(
        "You have 4,820 points (worth €48.20) and you're a Gold member: 3 points per €1 spent, "
        "plus free express delivery and early access to sales. To redeem"
    )
    assert "members (from" not in text and "expire" not in text


def test_points_expiring_later_than_a_month_are_not_mentioned(db_session, factory, policies):
    customer = member(
        factory, db_session, CustomerTier.SILVER, 1500, 200, TODAY + timedelta(days=90)
    )
    standing = loyalty_standing(db_session, customer.id, policies, TODAY)
    assert standing.expiring is None
    assert "expire" not in say.balance_reply(standing, TODAY)


def test_below_the_minimum_the_customer_learns_when_they_can_redeem(db_session, factory, policies):
    customer = member(factory, db_session, CustomerTier.BRONZE, 300, 120, TODAY + timedelta(days=5))
    standing = loyalty_standing(db_session, customer.id, policies, TODAY)
    assert not standing.can_redeem
    text = say.balance_reply(standing, TODAY)
    assert text.startswith(
        "You have 300 points (worth €3) and you're a Bronze member: 1 point per €1 spent. "
        "Silver members (from 1,000 points) earn 2 points per €1 spent, plus free standard "
        "shipping on every order. 120 points expire on 16 Dec. "
    )
    assert text.endswith(
        "Once you have at least 500 points, you can redeem them at checkout: every 100 points "
        "take €1 off."
    )


def test_a_member_without_points_is_told_so(db_session, factory, policies):
    customer = member(factory, db_session, CustomerTier.BRONZE, 0)
    standing = loyalty_standing(db_session, customer.id, policies, TODAY)
    assert standing.is_member
    assert say.balance_reply(standing, TODAY).startswith(
        "You don't have any points yet and you're a Bronze member"
    )


def test_a_customer_without_an_account_learns_how_to_join(db_session, factory, policies):
    customer = factory.customer(name="Nina New")
    standing = loyalty_standing(db_session, customer.id, policies, TODAY)
    assert standing is not None and not standing.is_member
    assert (standing.points, standing.tier.key) == (0, "bronze")
    assert say.join_reply(standing) == (
        "You're not a member of our Rewards Club yet, but it's free to join: sign up in "
        "[your account](/account/rewards) and get 200 points as a welcome bonus. You'll then "
        "earn 1 point per €1 spent on every order, and from 500 points every 100 points take "
        "€1 off at checkout."
    )


def test_an_unknown_customer_has_no_standing(db_session, policies):
    assert loyalty_standing(db_session, 987654, policies, TODAY) is None


def test_numbers_come_from_the_policies(policies):
    programme = programme_details(policies)
    assert (programme.name, programme.signup_bonus_points) == ("Rewards Club", 200)
    assert programme.perks["silver"] == "free standard shipping on every order"
    assert points_value_cents(policies.loyalty, 1240) == 1240
    cheaper = dataclasses.replace(policies.loyalty, redemption_points_per_unit=50)
    assert points_value_cents(cheaper, 1240) == 2480
    values = {**policies.values, "loyalty": {"tiers": {}}}
    bare = programme_details(dataclasses.replace(policies, values=values))
    assert (bare.name, bare.signup_bonus_points, dict(bare.perks)) == ("Rewards Club", 0, {})


def test_a_tier_unknown_to_the_programme_falls_back_to_the_balance(policies):
    only_two = dataclasses.replace(policies.loyalty, tiers=policies.loyalty.tiers[:2])
    assert tier_of(only_two, CustomerTier.GOLD, 3500).key == "silver"
    assert tier_of(policies.loyalty, CustomerTier.GOLD, 10).key == "gold"

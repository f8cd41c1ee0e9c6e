"""A verified customer's standing in the loyalty programme.

Balance, tier and points about to lapse come from
:func:`bot.identity.history.load_customer_history`; every rule (what points
are worth, the least that can be redeemed, what a tier earns) comes from
``policies.loyalty`` in ``knowledge/policies.yml``, so the answer and the
FAQ articles quote the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Dict, Mapping, Optional

from sqlalchemy.orm import Session

from bot.db.engine import get_engine, session_scope
from bot.db.models import CustomerTier
from bot.db.repositories.customers import get_loyalty_account
from bot.identity.history import CustomerHistory, ExpiringPoints, load_customer_history
from bot.knowledge.policies import LoyaltyPolicy, LoyaltyTier, Policies, load_policies

DEFAULT_PROGRAMME_NAME = "Rewards Club"


@dataclass(frozen=True)
class Programme:
    """What ``policies.loyalty`` says beyond the typed :class:`LoyaltyPolicy`.

    Attributes:
        name: The programme's name, e.g. ``Rewards Club``.
        signup_bonus_points: Points for joining; 0 when there is no bonus.
        perks: What each tier brings besides points, by tier key.
    """

    name: str
    signup_bonus_points: int
    perks: Mapping[str, str]


def programme_details(policies: Policies) -> Programme:
    """Reads the programme's name, signup bonus and tier perks from the policies.

    Missing values give the defaults: the default name, no bonus, no perk.
    """
    raw = policies.values.get("loyalty")
    section: Dict[str, Any] = raw if isinstance(raw, dict) else {}
    name = section.get("programme_name")
    bonus = section.get("signup_bonus_points")
    tiers = section.get("tiers")
    perks: Dict[str, str] = {}
    if isinstance(tiers, dict):
        for key, tier in tiers.items():
            perk = tier.get("perk") if isinstance(tier, dict) else None
            if isinstance(perk, str) and perk.strip():
                perks[str(key)] = perk.strip()
    return Programme(
        name=name.strip() if isinstance(name, str) and name.strip() else DEFAULT_PROGRAMME_NAME,
        signup_bonus_points=(
            bonus if isinstance(bonus, int) and not isinstance(bonus, bool) and bonus > 0 else 0
        ),
        perks=perks,
    )


def points_value_cents(policy: LoyaltyPolicy, points: int) -> int:
    """Returns what ``points`` are worth at the redemption rate, whether or not they can be spent.

    Args:
        policy: The loyalty programme.
        points: A balance.
    """
    return max(points, 0) * 100 // policy.redemption_points_per_unit


def tier_of(policy: LoyaltyPolicy, tier: CustomerTier, points: int) -> LoyaltyTier:
    """Returns the programme tier of the customer's recorded tier.

    A tier the programme does not know any more falls back to the tier the
    balance reaches.
    """
    for candidate in policy.tiers:
        if candidate.key == tier.value:
            return candidate
    return policy.tier_for(points)


def next_tier(policy: LoyaltyPolicy, tier: LoyaltyTier) -> Optional[LoyaltyTier]:
    """Returns the tier above ``tier``, or ``None`` at the top."""
    higher = [candidate for candidate in policy.tiers if candidate.min_points > tier.min_points]
    return higher[0] if higher else None


@dataclass(frozen=True)
class LoyaltyStanding:
    """A verified customer's points and tier, with what they can do with them.

    Attributes:
        first_name: For a friendly answer.
        is_member: Whether the customer has a loyalty account at all.
        points: The balance; 0 for a non-member.
        value_cents: What the balance is worth in ``currency`` at the redemption rate.
        currency: The shop's ISO 4217 currency code.
        tier: The customer's tier (the lowest for a non-member).
        next_tier: The tier above, or ``None`` at the top.
        expiring: Points lapsing soon, or ``None``.
        can_redeem: Whether the balance reaches the least that can be redeemed.
        programme: Name, signup bonus and perks of the programme.
        policy: The programme's rules.
    """

    first_name: str
    is_member: bool
    points: int
    value_cents: int
    currency: str
    tier: LoyaltyTier
    next_tier: Optional[LoyaltyTier]
    expiring: Optional[ExpiringPoints]
    can_redeem: bool
    programme: Programme
    policy: LoyaltyPolicy

    @property
    def perk(self) -> Optional[str]:
        """What the tier brings besides points, e.g. ``free standard shipping on every order``."""
        return self.programme.perks.get(self.tier.key)


def standing_from_history(
    history: CustomerHistory, is_member: bool, policies: Policies
) -> LoyaltyStanding:
    """Works out the standing from a customer's history and the programme's rules.

    Args:
        history: The verified customer's history.
        is_member: Whether the customer has a loyalty account.
        policies: The shop policies.
    """
    policy = policies.loyalty
    points = history.points_balance if is_member else 0
    tier = tier_of(policy, history.tier, points) if is_member else policy.tiers[0]
    return LoyaltyStanding(
        first_name=history.first_name,
        is_member=is_member,
        points=points,
        value_cents=points_value_cents(policy, points),
        currency=policies.currency,
        tier=tier,
        next_tier=next_tier(policy, tier),
        expiring=history.expiring_points if is_member else None,
        can_redeem=is_member and points >= policy.redemption_min_points and points > 0,
        programme=programme_details(policies),
        policy=policy,
    )


def loyalty_standing(
    session: Session, customer_id: int, policies: Policies, today: date
) -> Optional[LoyaltyStanding]:
    """Loads the verified customer's standing.

    Args:
        session: Open database session.
        customer_id: The customer verified in this conversation.
        policies: The shop policies.
        today: The current date in the shop's time zone, for expiring points.

    Returns:
        The standing, or ``None`` when there is no such customer.
    """
    history = load_customer_history(session, customer_id, today)
    if history is None:
        return None
    is_member = get_loyalty_account(session, customer_id) is not None
    return standing_from_history(history, is_member, policies)


def loyalty_for_customer(
    database_url: str, customer_id: int, today: date
) -> Optional[LoyaltyStanding]:
    """Loads the verified customer's standing in its own read-only transaction.

    Args:
        database_url: The application database.
        customer_id: The customer verified in this conversation.
        today: The current date in the shop's time zone.
    """
    with session_scope(get_engine(database_url)) as session:
        return loyalty_standing(session, customer_id, load_policies(), today)

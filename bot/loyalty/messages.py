"""What the loyalty flow says, with every number taken from the programme's rules."""

from __future__ import annotations

from datetime import date

from bot.knowledge.formatting import format_money
from bot.knowledge.policies import LoyaltyTier
from bot.loyalty.balance import LoyaltyStanding
from bot.orders.status import short_date

ASK_LOYALTY_ORDER_NUMBER = (
    "Happy to check your points. First I need to make sure it's you: what's the number of "
    "one of your orders? It looks like ORD-123456 and is in your confirmation email."
)
NOT_VERIFIED = (
    "I'm sorry, I couldn't confirm who you are, so I can't show your points here. You can "
    "always see your balance and tier under **My rewards** when you're signed in on our "
    "website."
)
ACCOUNT_LINK = "[your account](/account/rewards)"


def points(count: int) -> str:
    """``1 point``, ``1,240 points``."""
    return f"{count:,} point" if count == 1 else f"{count:,} points"


def _per_unit(standing: LoyaltyStanding) -> str:
    return format_money(100, standing.currency)


def _earning(tier: LoyaltyTier, standing: LoyaltyStanding) -> str:
    """``2 points per €1 spent, plus free standard shipping on every order``."""
    earning = f"{points(tier.points_per_unit)} per {_per_unit(standing)} spent"
    perk = standing.programme.perks.get(tier.key)
    # The lowest tier's perk is the points themselves; it adds nothing to say.
    if perk and tier.min_points > standing.policy.tiers[0].min_points:
        earning += f", plus {perk}"
    return earning


def _redeeming(standing: LoyaltyStanding) -> str:
    policy = standing.policy
    rate = f"every {points(policy.redemption_points_per_unit)} take {_per_unit(standing)} off"
    if standing.can_redeem:
        return (
            "To redeem, tick **Use my points** at checkout and choose how many: at least "
            f"{points(policy.redemption_min_points)} at a time, and {rate}."
        )
    return (
        f"Once you have at least {points(policy.redemption_min_points)}, you can redeem them "
        f"at checkout: {rate}."
    )


def balance_reply(standing: LoyaltyStanding, today: date) -> str:
    """The member's balance, tier, points about to expire and how to redeem.

    Args:
        standing: The verified member's standing.
        today: The current date, for the expiry date.
    """
    if standing.points:
        worth = format_money(standing.value_cents, standing.currency)
        opening = f"You have {points(standing.points)} (worth {worth})"
    else:
        opening = "You don't have any points yet"
    parts = [
        f"{opening} and you're a {standing.tier.name} member: {_earning(standing.tier, standing)}."
    ]
    upper = standing.next_tier
    if upper is not None:
        parts.append(
            f"{upper.name} members (from {points(upper.min_points)}) earn "
            f"{_earning(upper, standing)}."
        )
    expiring = standing.expiring
    if expiring is not None:
        lapse = (
            f"{points(expiring.points)} expire"
            if expiring.points != 1
            else f"{points(expiring.points)} expires"
        )
        day = short_date(expiring.expires_on, today)
        use = ", so use them before then." if standing.can_redeem else "."
        parts.append(f"{lapse} on {day}{use}")
    parts.append(_redeeming(standing))
    return " ".join(parts)


def join_reply(standing: LoyaltyStanding) -> str:
    """How a customer without a loyalty account joins, and what they get.

    Args:
        standing: The verified customer's standing (not a member).
    """
    programme = standing.programme
    policy = standing.policy
    bonus = (
        f" and get {points(programme.signup_bonus_points)} as a welcome bonus"
        if programme.signup_bonus_points
        else ""
    )
    base = policy.tiers[0]
    return (
        f"You're not a member of our {programme.name} yet, but it's free to join: sign up in "
        f"{ACCOUNT_LINK}{bonus}. You'll then earn {points(base.points_per_unit)} per "
        f"{_per_unit(standing)} spent on every order, and from "
        f"{points(policy.redemption_min_points)} every "
        f"{points(policy.redemption_points_per_unit)} take {_per_unit(standing)} off at checkout."
    )

"""What the payment problem flow says, kept beside the rules in :mod:`bot.orders.payments`.

Order look-up failures, verification and database errors use the shared
texts of :mod:`bot.orders.messages`.
"""

from __future__ import annotations

from datetime import date
from typing import Sequence

from bot.knowledge.formatting import format_money
from bot.orders.payments import HOLD_RELEASE_DAYS, ChargeCheck, ChargeLine
from bot.orders.status import short_date

ASK_PAYMENT_ISSUE = (
    "I'm sorry you're having trouble with a payment. What's happened? Pick one below, or "
    "tell me in a few words."
)
PAYMENT_ISSUE_UNCLEAR = "Sorry, I didn't quite catch which of these it is."
ASK_CHARGED_ORDER_NUMBER = (
    "Let's look at the payments. Which order were you charged twice for? The order number "
    "is in your confirmation email and looks like ORD-123456."
)
OTHER_PAYMENT_PROBLEM = (
    "I'm sorry about the trouble with your payment. If a gift card or discount code wasn't "
    "applied, or the payment page showed an error, it often helps to try again in a private "
    "browser window or with another payment method. If that doesn't sort it out, a member of "
    'our team will gladly look at it with you: just say "talk to a person".'
)


def _either(items: Sequence[str]) -> str:
    """Joins choices as a sentence would: ``a``, ``a or b``, ``a, b or c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"


def _hold_days() -> str:
    low, high = HOLD_RELEASE_DAYS
    return f"{low}\u2013{high} days"


def declined_guidance(alternatives: Sequence[str]) -> str:
    """Helps with a declined payment.

    Args:
        alternatives: Accepted ways to pay without a card, e.g. ``PayPal``.
    """
    other_ways = (
        f"If it still won't go through, you can pay another way: {_either(alternatives)}."
        if alternatives
        else "If it still won't go through, please try another card."
    )
    return (
        "I'm sorry your payment didn't go through. Nothing is taken for a declined payment, "
        "so you haven't been charged. These usually sort it out:\n"
        "- check the card number, expiry date and CVC, and that the billing address is the "
        "one your bank has for the card\n"
        "- approve the 3-D Secure check in your banking app when it asks you to\n"
        "- make sure the amount is within your card's limits (some banks cap online payments)\n"
        f"{other_ways}"
    )


def _amount(cents: int, check: ChargeCheck) -> str:
    return format_money(cents, check.currency)


def _on(line: ChargeLine, today: date) -> str:
    return f"on {short_date(line.day, today)}"


def _charge(line: ChargeLine, check: ChargeCheck, today: date) -> str:
    return f"{_amount(line.amount_cents, check)} by {line.method} {_on(line, today)}"


def _times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"


def _charges(check: ChargeCheck, today: date) -> str:
    """``twice on 12 Nov, €89 each time`` or ``twice: €89 on 12 Nov and €45 on 13 Nov``."""
    lines = check.captures
    first = lines[0]
    if all((line.amount_cents, line.day) == (first.amount_cents, first.day) for line in lines):
        return (
            f"{_times(len(lines))} {_on(first, today)}, "
            f"{_amount(first.amount_cents, check)} each time"
        )
    listed = [f"{_amount(line.amount_cents, check)} {_on(line, today)}" for line in lines]
    return f"{_times(len(lines))}: {', '.join(listed[:-1])} and {listed[-1]}"


def _your(method: str) -> str:
    """``your card``, ``your PayPal account``."""
    return f"your {method}" if method in ("card", "gift card") else f"your {method} account"


def _to_method(check: ChargeCheck) -> str:
    return _your(check.captures[0].method if check.captures else "card")


def double_charge_refund(check: ChargeCheck, refund_days: int, today: date) -> str:
    """Apologises for a real double charge and says how the extra comes back.

    Args:
        check: The double charge, with its case.
        refund_days: Business days the refund of the duplicate takes.
        today: The current date, for the dates of the charges.
    """
    extra = _amount(check.extra_cents, check)
    if not check.case_is_new:
        return (
            f"We're already on this one: under case {check.case_reference} we're refunding "
            f"the extra {extra} for order {check.order_number} to {_to_method(check)}, within "
            f"{refund_days} business days of when it was reported. I'm sorry for the wait."
        )
    return (
        f"I'm so sorry: order {check.order_number} was charged {_charges(check, today)}. "
        f"We'll refund the extra {extra} to {_to_method(check)} within {refund_days} "
        f"business days. Your case reference is {check.case_reference}, in case you need to "
        "get back to us about it."
    )


def duplicate_already_refunded(check: ChargeCheck, today: date) -> str:
    """Explains that a double charge was already given back."""
    refund = check.refund
    when = f" {_on(refund, today)}" if refund is not None else ""
    amount = f" of {_amount(refund.amount_cents, check)}" if refund is not None else ""
    return (
        f"Order {check.order_number} was charged {_charges(check, today)}, and I'm sorry about "
        f"that. The duplicate has already been given back: we sent a refund{amount}{when} to "
        f"{_to_method(check)}. Banks can take a few days to show a refund on your statement."
    )


def refund_shows_as_second_line(check: ChargeCheck, today: date) -> str:
    """Explains that the second line is a refund, money coming back."""
    charge = check.captures[0]
    refund = check.refund
    back = (
        f"a refund of {_amount(refund.amount_cents, check)} {_on(refund, today)}"
        if refund is not None
        else "a refund"
    )
    return (
        f"I can see one charge for order {check.order_number}: {_charge(charge, check, today)}. "
        f"The second line on your statement is money coming back to you: {back}. So nothing "
        "was taken twice."
    )


def pending_hold(check: ChargeCheck, charge_moment: str, today: date) -> str:
    """Explains an authorisation hold that shows next to, or instead of, a charge.

    Args:
        check: The order's payments, with the hold.
        charge_moment: When the shop takes the payment, e.g. ``when your order ships``.
        today: The current date, for the dates.
    """
    hold = check.hold
    if hold is None:
        return single_charge(check, today)
    held = f"{_amount(hold.amount_cents, check)} from {short_date(hold.day, today)}"
    released = (
        f"Your bank releases a hold on its own, usually within {_hold_days()}, and nothing "
        "more is taken."
    )
    if check.captures:
        charge = check.captures[0]
        return (
            f"Order {check.order_number} was charged once: {_charge(charge, check, today)}. "
            f"The other line is the authorisation hold of {held}: the amount your bank "
            f"reserved when you ordered, not a second charge. {released}"
        )
    if check.order_closed:
        return (
            f"You haven't been charged for order {check.order_number}. What you see is a hold "
            f"of {held}, not a charge, and as the order was cancelled there's nothing to take. "
            f"{released}"
        )
    return (
        f"You haven't been charged for order {check.order_number} yet. What you see is a "
        f"hold of {held} on {_your(hold.method)}: we take the payment {charge_moment}, and the "
        "hold then becomes that one charge."
    )


def single_charge(check: ChargeCheck, today: date) -> str:
    """Says that there was one charge only, and offers a person if the statement disagrees."""
    charge = check.captures[0]
    return (
        f"I can see only one charge for order {check.order_number}: "
        f"{_charge(charge, check, today)}. If your statement still shows two completed "
        'charges for this order, a member of our team will look into it: just say "talk to '
        'a person".'
    )


def not_charged(check: ChargeCheck) -> str:
    """Says that no money was taken for the order."""
    return (
        f"No money has been taken for order {check.order_number}: there's no completed payment "
        "on it. If your bank shows an amount from us, it's a temporary hold from a payment "
        f"attempt, which your bank releases on its own, usually within {_hold_days()}."
    )

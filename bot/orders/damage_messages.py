"""What the damaged item flow says, kept beside the rules that decide when.

The flow's first reply always starts with :data:`APOLOGY`; texts shared by
every order flow (order not found, verification locked…) are in
:mod:`bot.orders.messages`.
"""

from __future__ import annotations

from typing import Optional

from bot.db.models import CaseKind, CaseRemedy

APOLOGY = "I'm so sorry your order arrived like that. Let's put it right."
ASK_ORDER_NUMBER_PLAIN = (
    "Which order is it? The order number looks like ORD-123456 and is in your "
    "confirmation email."
)
ASK_ORDER_NUMBER = f"{APOLOGY} {ASK_ORDER_NUMBER_PLAIN}"
# The email question when it is the flow's first reply (the order number was
# in the customer's first message).
ASK_EMAIL_FIRST = (
    f"{APOLOGY} Which email address did you use for that order? I'll send a one-time code "
    "there to make sure the order is yours."
)

WHICH_ITEM = "Which item is it about? Pick one below, or type its name."
UNKNOWN_ITEM = (
    "Sorry, I couldn't tell which item you mean. Please pick one of the buttons, or type "
    'the name of the item, for example "the lamp".'
)
UNKNOWN_PROBLEM = (
    "Sorry, I didn't quite catch what's wrong. Did it arrive damaged, is it the wrong item, "
    "or are parts missing? Please pick one below."
)
UNKNOWN_REMEDY = "Sorry, I didn't catch that. Would you like a replacement or a refund?"
NOT_OPENED = (
    "I'm missing a detail about the problem, so I haven't opened a case yet. Just tell me "
    "again what went wrong and we'll start over."
)

PROBLEM_TITLES = {
    CaseKind.DAMAGED_ITEM: "It arrived damaged",
    CaseKind.WRONG_ITEM: "It's the wrong item",
    CaseKind.MISSING_PARTS: "Parts are missing",
}
_REPLACEMENT_TITLES = {
    CaseKind.DAMAGED_ITEM: "Send a replacement",
    CaseKind.WRONG_ITEM: "Send the right item",
    CaseKind.MISSING_PARTS: "Send the missing parts",
}
_TALK_TO_A_PERSON = 'say "talk to a person" and our team will sort it out.'


def which_problem(item: str) -> str:
    """Asks what is wrong with the item.

    Args:
        item: The item, e.g. ``Blue desk lamp``; empty when not known.
    """
    what = f"the {item}" if item else "it"
    return f"What's wrong with {what}?"


def which_remedy(kind: Optional[CaseKind]) -> str:
    """Asks how to put the problem right.

    Args:
        kind: What is wrong, if known.
    """
    if kind is CaseKind.WRONG_ITEM:
        return "Would you like us to send you the right item, or would you prefer a refund?"
    if kind is CaseKind.MISSING_PARTS:
        return "Shall we send you the missing parts, or would you prefer a refund?"
    return "Would you like a replacement, or would you prefer a refund?"


def replacement_title(kind: Optional[CaseKind]) -> str:
    """The replacement button's title for this kind of problem."""
    return _REPLACEMENT_TITLES.get(kind or CaseKind.DAMAGED_ITEM, "Send a replacement")


def refund_title(refund: str) -> str:
    """The refund button's title.

    Args:
        refund: The amount, formatted (e.g. ``€45``); empty when not known.
    """
    return f"Refund {refund}" if refund else "Refund me"


def not_sent(order_number: str) -> str:
    """Says that the order hasn't left the warehouse, so nothing can have arrived damaged."""
    return (
        f"Order {order_number} hasn't left our warehouse yet, so it can't have reached you. "
        "If anything's wrong with it when it arrives, just tell me and I'll sort it out "
        'straight away. To check where it is, ask me "where is my order?".'
    )


def on_its_way(order_number: str) -> str:
    """Says that the carrier hasn't delivered the order yet, with a hint to track it."""
    return (
        f"Our records show order {order_number} is still on its way, so it hasn't been "
        'delivered yet. To check where it is, ask me "where is my order?". If it has in fact '
        f"reached you, {_TALK_TO_A_PERSON}"
    )


def was_cancelled(order_number: str) -> str:
    """Says that a cancelled order was never sent."""
    return (
        f"Order {order_number} was cancelled, so it wasn't sent. If a parcel from us reached "
        f"you anyway, {_TALK_TO_A_PERSON}"
    )


def was_returned(order_number: str) -> str:
    """Says that a returned order can't get a new problem report."""
    return (
        f"Order {order_number} has already been returned to us, so there's nothing left to "
        f"report on it here. If something about that return isn't right, {_TALK_TO_A_PERSON}"
    )


def already_reported(item: str, reference: str, day: str) -> str:
    """Says that the item's problem is already with the team.

    Args:
        item: The item, e.g. ``Blue desk lamp``.
        reference: The open case, e.g. ``CASE-042917``.
        day: When the case was opened, e.g. ``3 Dec``; empty when not known.
    """
    when = f" on {day}" if day else ""
    return (
        f"You already reported a problem with the {item}{when}: that's case {reference}, and "
        f"our team is working on it. If there's anything new to add, {_TALK_TO_A_PERSON}"
    )


def _next_steps(
    kind: CaseKind, remedy: CaseRemedy, refund: str, refund_days: int, dispatch_days: int
) -> str:
    if remedy is CaseRemedy.REPLACEMENT:
        what = {
            CaseKind.WRONG_ITEM: "the right item",
            CaseKind.MISSING_PARTS: "the missing parts",
        }.get(kind, "a replacement")
        steps = f"we'll send you {what} within {dispatch_days} business days"
    else:
        steps = f"we'll refund {refund} to your original payment method"
        if kind is CaseKind.WRONG_ITEM:
            steps += f" within {refund_days} business days of the wrong item reaching us"
        else:
            steps += f" within {refund_days} business days"
    return steps


def _what_to_do_with_it(kind: CaseKind) -> str:
    if kind is CaseKind.WRONG_ITEM:
        return (
            "We'll email you a prepaid label so you can send the wrong item back to us free "
            "of charge."
        )
    if kind is CaseKind.MISSING_PARTS:
        return "There's no need to send anything back."
    return (
        "There's no need to send the damaged item back: please keep it, and the packaging, "
        "for now in case we ask you for a photo."
    )


def _review(high_value: bool, repeat: bool) -> str:
    because = []
    if high_value:
        because.append("it's a high-value item")
    if repeat:
        because.append("you've had another problem with an order recently")
    return (
        f"As {' and '.join(because)}, a member of our team will personally review your case "
        "and contact you at the email address on your account."
    )


def case_opened(
    reference: str,
    item: str,
    kind: CaseKind,
    remedy: CaseRemedy,
    refund: str,
    refund_days: int,
    dispatch_days: int,
    high_value: bool = False,
    repeat: bool = False,
) -> str:
    """Confirms the case and says what happens next.

    Args:
        reference: The new case, e.g. ``CASE-042917``.
        item: The item, e.g. ``Blue desk lamp``.
        kind: What is wrong.
        remedy: What the customer chose.
        refund: The refund, formatted (e.g. ``€45``).
        refund_days: Business days the refund takes.
        dispatch_days: Business days until a replacement leaves the warehouse.
        high_value: The case is flagged because the item is valuable.
        repeat: The case is flagged because the customer had another problem recently.
    """
    steps = _next_steps(kind, remedy, refund, refund_days, dispatch_days)
    opening = f"I've opened case {reference} for the {item}."
    if high_value or repeat:
        middle = f"{_review(high_value, repeat)} Once they've been in touch, {steps}."
    else:
        middle = f"{steps[:1].upper()}{steps[1:]}."
    return f"{opening} {middle} {_what_to_do_with_it(kind)}"

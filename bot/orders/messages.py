"""What the order actions say, kept beside the rules that decide when.

Every failure of the order look-up uses :data:`ORDER_NOT_FOUND`, whatever the
cause, so that a reply never tells whether an order number exists.
"""

from __future__ import annotations

from datetime import timedelta

from bot.identity.codes import CODE_TTL, LOCKOUT_DURATION


def _minutes(duration: timedelta) -> int:
    return int(duration.total_seconds() // 60)


ASK_ORDER_NUMBER = (
    "Sure, I can look that up. What's the order number? You'll find it in your "
    "confirmation email; it looks like ORD-123456."
)
ASK_EMAIL = (
    "Thanks. And which email address did you use for that order? I'll send a one-time code "
    "there to make sure the order is yours."
)
CODE_SENT = (
    "Thanks. If that order number and email address belong together, I've just sent a "
    f"6-digit code to that email address. It's valid for {_minutes(CODE_TTL)} minutes."
)
WHICH_ORDER = "Which order is it about? Pick one below, or type its order number."
ASK_CODE = "Please type the 6-digit code from the email here."
INVALID_CODE = (
    "The code is the 6 digits in the email we sent you, for example 123456. Could you "
    'type it again? You can also say "stop" to do something else.'
)
CODE_EXPIRED = (
    "That code has expired, so I've sent a new one to the same email address. "
    "Please type the new code."
)


def wrong_code(attempts_left: int) -> str:
    """What to say after a wrong code.

    Args:
        attempts_left: Wrong codes left before verification is locked.
    """
    tries = "1 more try" if attempts_left == 1 else f"{attempts_left} more tries"
    return f"Sorry, that code isn't right. Please check the email and try again ({tries})."


def verified(first_name: str) -> str:
    """What to say once the customer has proven who they are.

    Args:
        first_name: The customer's first name; empty when unknown.
    """
    name = f", {first_name}" if first_name else ""
    return f"Thanks{name}, that's confirmed."


VERIFICATION_LOCKED = (
    "I'm sorry, that's too many wrong codes, so I can't check your identity for the next "
    f"{_minutes(LOCKOUT_DURATION)} minutes. That's to keep your account safe. If you'd like, "
    'a member of our team can help you instead: just say "talk to a person".'
)
INVALID_ORDER_NUMBER = (
    "Hmm, that doesn't look like one of our order numbers. They look like ORD-123456: "
    'ORD followed by six digits. You can also say "stop" to do something else.'
)
INVALID_EMAIL = (
    "That doesn't look like an email address. Could you check it and send it again, "
    "for example jane@example.com?"
)
ORDER_NOT_FOUND = (
    "I couldn't find an order with that order number and email address together. Please "
    "check both: the order number is in your confirmation email, and the email must be the "
    "one you ordered with. Just ask me again whenever you're ready."
)
LOOKUP_UNAVAILABLE = (
    "I'm sorry, I can't look up orders right now because of a problem on our side. Please "
    "try again in a few minutes, or ask for a person and our team will help."
)

ASK_CANCEL_ORDER_NUMBER = (
    "I can help you cancel an order. What's the order number? It looks like ORD-123456 and "
    "is in your confirmation email."
)
CANCEL_KEPT = "No problem, I've left your order exactly as it is."


def confirm_cancellation(summary: str) -> str:
    """Asks the customer to confirm before anything changes.

    Args:
        summary: The order as :class:`bot.orders.cancellation.CancellationCheck` describes it.
    """
    return f"Just to check: shall I cancel your {summary}?"


def order_cancelled(order_number: str, refund: str, refund_days: int) -> str:
    """Confirms a cancellation and says what happens to the money.

    Args:
        order_number: The cancelled order.
        refund: The refund, formatted (e.g. ``€89.00``); empty when nothing was charged.
        refund_days: Business days the refund takes.
    """
    if not refund:
        return (
            f"Done: order {order_number} is cancelled. You haven't been charged for it, so "
            "there's nothing to refund; any hold on your card is released by your bank."
        )
    return (
        f"Done: order {order_number} is cancelled. We'll refund {refund} to your original "
        f"payment method within {refund_days} business days."
    )


def late_parcel_cancelled(order_number: str, refund: str, refund_days: int) -> str:
    """Confirms the cancellation of an overdue parcel and what to do if it still comes.

    Args:
        order_number: The cancelled order.
        refund: The refund, formatted (e.g. ``€89.00``).
        refund_days: Business days the refund takes.
    """
    return (
        f"Done: order {order_number} is cancelled, and I'm sorry again that it never arrived. "
        f"We'll refund {refund} to your original payment method within {refund_days} business "
        "days. If the parcel turns up after all, just refuse it at the door or send it back "
        "to us; you won't pay any postage."
    )


LATE_ORDER_OFFER = "Would you like to wait a little longer, or shall I cancel it and refund you?"


def cannot_cancel_sent(order_number: str, delivered: bool, return_days: int) -> str:
    """Explains that a shipped order can't be cancelled, and offers a return instead.

    Args:
        order_number: The order.
        delivered: Whether it has already arrived.
        return_days: Days after delivery in which items can be returned.
    """
    where = "has already been delivered" if delivered else "has already left our warehouse"
    return (
        f"Order {order_number} {where}, so it can't be cancelled any more. You can still "
        f"return it within {return_days} days of delivery for a refund: just say "
        '"I want to return it" and I\'ll help.'
    )


def already_closed(order_number: str, returned: bool) -> str:
    """Says that there is nothing left to cancel.

    Args:
        order_number: The order.
        returned: Whether it was returned (otherwise it was cancelled already).
    """
    state = "was returned to us" if returned else "is already cancelled"
    return f"Order {order_number} {state}, so there's nothing more to cancel."

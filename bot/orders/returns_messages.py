"""What the return and refund flow says, kept beside the rules that decide when.

Failures of the order look-up itself use the shared texts of
:mod:`bot.orders.messages` (``ORDER_NOT_FOUND``, ``LOOKUP_UNAVAILABLE``…).
"""

from __future__ import annotations

from datetime import date
from typing import Optional, Sequence

from bot.db.models import ReturnStatus
from bot.knowledge.formatting import format_money, join_words
from bot.orders.returns import CreatedReturn, ExistingReturn, ReturnableLine
from bot.orders.status import short_date

PERSON_OFFER = 'If you\'d like a member of our team to help, just type "talk to a person".'

ASK_RETURN_ORDER_NUMBER = (
    "I can help you return items. Which order would you like to return items from? The order "
    "number is in your confirmation email and looks like ORD-123456."
)
ALL_ITEMS_TITLE = "All items"
# Buttons offered for the reason; any other reason can be typed.
REASON_CHOICES = ("Doesn't fit", "Changed my mind", "Not as described", "Arrived damaged")

ITEMS_NOT_RECOGNISED = (
    "Sorry, I couldn't tell which item you mean. Please pick one of the buttons, or type the "
    'product names, for example "the lamp and the mug".'
)
REASON_TOO_SHORT = (
    "Could you tell me in a few words why you're returning it? For example \"it doesn't fit\". "
    'You can also say "stop" to do something else.'
)
ITEMS_UNAVAILABLE = (
    "Those items are already in a return, so I haven't started another one. Ask me about "
    "your return again to see where it is."
)
RETURN_NOT_BOOKED = (
    "I didn't get which items go back and why, so I haven't booked a return. Just ask me "
    "again whenever you're ready."
)
RETURN_UNAVAILABLE = (
    "I'm sorry, I couldn't book the return because of a problem on our side. Nothing has been "
    "changed; please try again in a few minutes. " + PERSON_OFFER
)


def ask_return_items(order_number: str) -> str:
    """Asks which items of the order go back.

    Args:
        order_number: The order.
    """
    return (
        f"Which items from order {order_number} would you like to return? Pick one below, or "
        'type the product names, for example "the lamp and the mug".'
    )


def item_ambiguous(lines: Sequence[ReturnableLine]) -> str:
    """Asks which of several similar items the customer means.

    Args:
        lines: The items that fit what the customer typed.
    """
    names = [f"the {line.name}" for line in lines]
    options = f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
    return f"Do you mean {options}? Please pick one below, or type its colour too."


def ask_return_reason(items: str) -> str:
    """Asks why the items go back.

    Args:
        items: The items chosen (``the Blue desk lamp``); empty when not known.
    """
    chosen = f"Got it: {items}. " if items else ""
    return (
        f"{chosen}What's the reason for the return? Pick one below or tell me in your own " "words."
    )


def return_created(created: CreatedReturn, refund_days: int) -> str:
    """Confirms a new return with its RMA id, the refund, what to do and when the money comes.

    Args:
        created: The new return.
        refund_days: Business days to refund once the parcel reaches the warehouse.
    """
    refund = format_money(created.refund_cents, created.currency)
    if created.shipping_refund_cents:
        shipping = format_money(created.shipping_refund_cents, created.currency)
        refund = f"{refund} (including the {shipping} you paid for shipping)"
    if created.free_label:
        postage = (
            f"Returns from {created.zone_name} are free: we'll email you a prepaid return label "
            "to stick on the parcel."
        )
    else:
        postage = (
            f"Returns from {created.zone_name} are sent at your own cost, so please use a tracked "
            "service and keep the receipt. The address is on our [returns page](/help/returns)."
        )
    text = (
        f"Done: your return {created.rma} for {created.items} from order "
        f"{created.order_number} is booked. Please pack the items securely and write "
        f"{created.rma} clearly on the parcel. {postage} Once it reaches our warehouse, we'll "
        f"refund {refund} to your original payment method within {refund_days} business days."
    )
    if created.damaged:
        text += (
            "\n\nAs it arrived damaged: a damaged-item report gets you a free replacement or "
            'refund faster. Just say "my item arrived broken" and I\'ll take it from there.'
        )
    return text


def _return_line(existing: ExistingReturn, refund_days: int, today: date) -> str:
    refund = format_money(existing.refund_cents, existing.currency)
    opening = f"- {existing.rma} ({existing.items}): "
    if existing.status is ReturnStatus.REFUNDED:
        when = f" on {short_date(existing.refunded_on, today)}" if existing.refunded_on else ""
        return f"{opening}refunded. {refund} went back to your original payment method{when}."
    if existing.status is ReturnStatus.RECEIVED:
        return (
            f"{opening}it has arrived at our warehouse and is being checked. The refund of "
            f"{refund} follows within {refund_days} business days."
        )
    if existing.status is ReturnStatus.REJECTED:
        return f"{opening}we couldn't accept this return, so nothing was refunded."
    return (
        f"{opening}booked, and we're waiting for the parcel to reach our warehouse. We'll "
        f"refund {refund} within {refund_days} business days of it arriving."
    )


def existing_returns(
    order_number: str,
    returns: Sequence[ExistingReturn],
    refund_days: int,
    today: date,
    remaining: Sequence[ReturnableLine] = (),
    last_day: Optional[date] = None,
) -> str:
    """Reports every return of an order, and what can still be returned.

    Args:
        order_number: The order.
        returns: Its returns, oldest first.
        refund_days: Business days to refund once a parcel reaches the warehouse.
        today: The current date in the shop's time zone.
        remaining: Items that can still be returned; empty when none can.
        last_day: The last day of the returns window, to mention with ``remaining``.
    """
    heading = (
        f"Here's your return for order {order_number}:"
        if len(returns) == 1
        else f"Here are your returns for order {order_number}:"
    )
    lines = [heading, *(_return_line(item, refund_days, today) for item in returns)]
    if remaining:
        until = f" until {short_date(last_day, today)}" if last_day else ""
        items = join_words([line.description for line in remaining])
        lines.append(
            f"You can still return {items}{until}: just ask me again to start another return "
            "for them."
        )
    elif any(item.status is ReturnStatus.REJECTED for item in returns):
        lines.append(PERSON_OFFER)
    return "\n".join(lines)


def window_closed(
    order_number: str,
    delivered_on: date,
    window_days: int,
    last_day: date,
    today: date,
    warranty_months: int,
) -> str:
    """Explains that the returns window of an order has closed.

    Args:
        order_number: The order.
        delivered_on: The day it was delivered.
        window_days: Days after delivery in which items can be returned.
        last_day: The last day of that window.
        today: The current date in the shop's time zone.
        warranty_months: The warranty, which still covers faulty items.
    """
    return (
        f"Order {order_number} was delivered on {short_date(delivered_on, today)}; returns are "
        f"possible for {window_days} days after delivery, so the window closed on "
        f"{short_date(last_day, today)}. If an item is faulty, it's still covered by our "
        f"{warranty_months}-month warranty. {PERSON_OFFER}"
    )


def not_shipped(order_number: str, can_cancel: bool, window_days: int) -> str:
    """Explains that an order still in our warehouse can't be returned yet.

    Args:
        order_number: The order.
        can_cancel: Whether it can be cancelled instead.
        window_days: Days after delivery in which items can be returned.
    """
    text = (
        f"Order {order_number} hasn't left our warehouse yet, so there's nothing to return: a "
        f"return can start once it's been delivered, and you'll then have {window_days} days."
    )
    if can_cancel:
        text += ' If you no longer want it, you can cancel it instead: just say "cancel my order".'
    return f"{text} {PERSON_OFFER}"


def in_transit(order_number: str, window_days: int) -> str:
    """Explains that an order on its way can be returned once it arrives.

    Args:
        order_number: The order.
        window_days: Days after delivery in which items can be returned.
    """
    return (
        f"Order {order_number} is on its way to you but hasn't been delivered yet. A return can "
        f"start once it arrives, and you'll then have {window_days} days. {PERSON_OFFER}"
    )


def cancelled_order(order_number: str) -> str:
    """Says that a cancelled order has nothing to return.

    Args:
        order_number: The order.
    """
    return f"Order {order_number} was cancelled, so there's nothing to return. {PERSON_OFFER}"


def already_returned(
    order_number: str, refund: str, refunded_on: Optional[date], today: date
) -> str:
    """Says that an order was returned already, and what was refunded.

    Args:
        order_number: The order.
        refund: The refund, formatted; empty when none is recorded.
        refunded_on: The day of the refund, when there was one.
        today: The current date in the shop's time zone.
    """
    if refund:
        when = f" on {short_date(refunded_on, today)}" if refunded_on else ""
        money = f"we refunded {refund} to your original payment method{when}"
    else:
        money = "the refund goes to your original payment method"
    return (
        f"Order {order_number} has already been returned to us, and {money}. If something "
        f'doesn\'t look right, just type "talk to a person".'
    )


def delivery_unknown(order_number: str) -> str:
    """Says that without a delivery date a return can't be started here.

    Args:
        order_number: The order.
    """
    return (
        f"I can't see when order {order_number} was delivered, so I can't start a return for "
        f"it here. {PERSON_OFFER}"
    )

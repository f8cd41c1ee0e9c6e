"""What the change-of-address flow says, kept beside the rules that decide when.

Only :func:`ask_country` names an order's current address, and the action
passes it in only once the customer is verified as the order's owner. The
confirmation question repeats the new address alone.
"""

from __future__ import annotations

from typing import Optional, Sequence

_STOP_HINT = 'You can also say "stop" to leave the address as it is.'


def _either(items: Sequence[str]) -> str:
    """Joins choices as a sentence would: ``a``, ``a or b``, ``a, b or c``."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} or {items[-1]}"


ASK_CHANGE_ADDRESS_ORDER_NUMBER = (
    "I can help you change the delivery address of an order. What's the order number? It "
    "looks like ORD-123456 and is in your confirmation email."
)
ASK_STREET = (
    "What's the house number and street of the new address? Add a flat or apartment number "
    "too, if there is one."
)
ASK_CITY = "And which town or city is that in?"
INVALID_STREET = (
    "Sorry, that doesn't look like a street address. Please type the house number and street, "
    f"for example 12 Oak Street. {_STOP_HINT}"
)
INVALID_CITY = (
    "Sorry, that doesn't look like the name of a town or city. Could you type it again, for "
    f"example Galway? {_STOP_HINT}"
)
ADDRESS_INCOMPLETE = (
    "I'm sorry, I didn't get the whole new address, so I've left the delivery address as it "
    "was. Just ask me again whenever you'd like to change it."
)


def ask_country(order_number: str, current_address: str, countries: Sequence[str]) -> str:
    """Asks which country the order should go to, for its verified owner.

    Args:
        order_number: The order.
        current_address: Where it goes now, on one line; empty when unknown.
        countries: Countries it can be sent to, as written in a sentence.
    """
    where = f"Order {order_number} is going to {current_address}. " if current_address else ""
    allowed = f" I can send it to an address in {_either(countries)}." if countries else ""
    return f"{where}Which country should it go to now?{allowed}"


def unknown_country(countries: Sequence[str]) -> str:
    """Says the country wasn't understood, or isn't one the shop delivers to.

    Args:
        countries: Countries the order can be sent to, as written in a sentence.
    """
    return (
        "Sorry, I didn't catch a country I can send this order to. It can go to an address in "
        f"{_either(countries)}. {_STOP_HINT}"
    )


def other_zone(
    order_number: str,
    country: str,
    zone_name: str,
    countries: Sequence[str],
    cancellable: bool,
) -> str:
    """Explains that the new country is in another shipping zone, and what can be done.

    Args:
        order_number: The order.
        country: The country asked for, as written in a sentence.
        zone_name: Where the order's shipping was charged for, e.g. ``Ireland``.
        countries: Countries within that zone, as written in a sentence.
        cancellable: Whether the order can still be cancelled and placed again.
    """
    instead = (
        'you can cancel this order (just say "cancel my order") and order again with the new '
        "address, or ask for a person and our team will help"
        if cancellable
        else "please ask for a person and our team will help"
    )
    return (
        f"I'm sorry, I can't send order {order_number} to {country}. Its shipping was charged "
        f"for delivery to {zone_name}, and {country} is in another shipping zone with a "
        f"different price. If it needs to go there, {instead}. Otherwise, I can change it to "
        f"another address in {_either(countries)}."
    )


def ask_postcode(postcode_name: str, example: str, country: str) -> str:
    """Asks for the postcode, the way the country calls it.

    Args:
        postcode_name: ``Eircode``, ``postcode``, ``ZIP code``…
        example: A valid postcode there.
        country: The country, as written in a sentence.
    """
    return f"And the {postcode_name}? In {country} it looks like {example}."


def invalid_postcode(postcode_name: str, example: str, country: str) -> str:
    """Says the postcode isn't valid for the country and shows one that is.

    Args:
        postcode_name: ``Eircode``, ``postcode``, ``ZIP code``…
        example: A valid postcode there.
        country: The country, as written in a sentence.
    """
    return (
        f"Hmm, that doesn't look like a {postcode_name} in {country}; they look like {example}. "
        f"Could you check it and type it again? {_STOP_HINT}"
    )


def confirm_new_address(order_number: str, new_address: str) -> str:
    """Asks the customer to confirm the new address before anything changes.

    Args:
        order_number: The order.
        new_address: The new address on one line.
    """
    return f"Just to check: shall I deliver order {order_number} to {new_address} instead?"


def address_changed(order_number: str, new_address: str, expected: Optional[str]) -> str:
    """Confirms the new address and that the delivery date does not move.

    Args:
        order_number: The order.
        new_address: The new address on one line.
        expected: The delivery date as people say it (``Thursday 26 Nov``); ``None`` if unknown.
    """
    when = f": it should still arrive by {expected}" if expected else ""
    return (
        f"Done: order {order_number} will now be delivered to {new_address}. The delivery "
        f"estimate stays the same{when}."
    )


def address_kept(order_number: str) -> str:
    """Says the order goes to its old address after the customer said no.

    Args:
        order_number: The order.
    """
    return (
        f"No problem, I've kept the old address: order {order_number} will be delivered "
        "where it was going before."
    )


def address_unchanged(order_number: str) -> str:
    """Says the new address is the one the order already goes to.

    Args:
        order_number: The order.
    """
    return f"Order {order_number} is already going to that address, so there was nothing to change."


def shipped_with_an_post(order_number: str, tracking_number: str) -> str:
    """Explains what An Post still allows once the parcel is with them.

    Args:
        order_number: The order.
        tracking_number: The parcel's tracking number.
    """
    return (
        f"Order {order_number} has already left our warehouse with An Post, so I can't change "
        "its address any more. An Post can still help: on the An Post website, with tracking "
        f"number {tracking_number}, you can redirect the parcel to another address or to a "
        "post office, or ask them to leave it in a safe place."
    )


def shipped_with_dpd(order_number: str, tracking_number: str) -> str:
    """Explains what DPD still allows once the parcel is with them.

    Args:
        order_number: The order.
        tracking_number: The parcel's tracking number.
    """
    return (
        f"Order {order_number} has already left our warehouse with DPD, so I can't change its "
        "address any more. DPD can still help: in the DPD app, or from the link in your DPD "
        f"Predict email, you can change the delivery day or send the parcel to a DPD Pickup "
        f"shop near you. Your tracking number is {tracking_number}."
    )


def shipped_with_carrier(order_number: str, carrier: str, tracking_number: str) -> str:
    """Explains that a parcel with another carrier can only be changed by that carrier.

    Args:
        order_number: The order.
        carrier: The carrier's name.
        tracking_number: The parcel's tracking number.
    """
    return (
        f"Order {order_number} has already left our warehouse with {carrier}, so I can't change "
        f"its address any more. {carrier} may still let you redirect it: look up tracking "
        f"number {tracking_number} on their website, or ask for a person and our team will help."
    )


def shipped_untracked(order_number: str) -> str:
    """Explains that a shipped order without a recorded parcel can't be redirected here.

    Args:
        order_number: The order.
    """
    return (
        f"Order {order_number} has already left our warehouse, so I can't change its address "
        "any more. If you need help with the delivery, ask for a person and our team will help."
    )


def already_delivered(order_number: str, delivered_on: Optional[str]) -> str:
    """Explains that a delivered order has no delivery left to change.

    Args:
        order_number: The order.
        delivered_on: The delivery day as people say it; ``None`` if unknown.
    """
    when = f" on {delivered_on}" if delivered_on else ""
    return (
        f"Order {order_number} was already delivered{when}, so there's no delivery left to "
        "change. If it didn't reach you, ask for a person and our team will look into it."
    )


def cancelled_order(order_number: str) -> str:
    """Explains that a cancelled order won't be sent anywhere.

    Args:
        order_number: The order.
    """
    return (
        f"Order {order_number} was cancelled, so it won't be sent anywhere and there's no "
        "address to change."
    )


def returned_order(order_number: str) -> str:
    """Explains that a returned order has no delivery left.

    Args:
        order_number: The order.
    """
    return (
        f"Order {order_number} was delivered and then returned to us, so there's no delivery "
        "left to change."
    )

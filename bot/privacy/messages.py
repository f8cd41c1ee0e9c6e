"""What the privacy request flow says, kept beside the rules that decide when.

Verification, look-up and database failures use the shared texts in
:mod:`bot.orders.messages`.
"""

from __future__ import annotations

from typing import Optional


def ask_order_number(privacy_email: str) -> str:
    """Asks an anonymous customer for an order, to prove who they are.

    Args:
        privacy_email: The privacy team's address, for customers without orders.
    """
    return (
        "I can help with that. Your data is personal, so first I need to make sure it's really "
        "you. What's the number of one of your orders? It looks like ORD-123456 and is in your "
        f"confirmation email. If you've never ordered from us, please email {privacy_email} "
        "from the address on your account instead."
    )


ASK_KIND = "What would you like to do with your personal data?"
KIND_UNCLEAR = "Sorry, I didn't quite catch that."


def confirm_erasure(records_years: int, points: Optional[int]) -> str:
    """Explains what erasure means and asks the customer to confirm.

    Args:
        records_years: Years orders are kept for tax law.
        points: The customer's loyalty points balance; ``None`` or 0 when they have none.
    """
    lost = (
        f"your {points:,} loyalty points would be lost"
        if points
        else "any loyalty points would be lost"
    )
    return (
        "Before I pass this on, here's what erasing your data means: we'd delete your account "
        "and your personal details. Your orders would be kept, anonymised, for "
        f"{records_years} years, as tax law requires, and {lost}. This can't be undone. "
        "Shall I ask our privacy team to erase your data?"
    )


def export_requested(reference: str, due: str, privacy_email: str) -> str:
    """Confirms a new request for a copy of the customer's data.

    Args:
        reference: The request's reference.
        due: The deadline, e.g. ``31 Dec``.
        privacy_email: The privacy team's address.
    """
    return (
        f"Thanks, I've passed on your request for a copy of your data (reference {reference}). "
        "Our privacy team will review the file and email it to the address on your account by "
        f"{due}. If you have any questions in the meantime, write to {privacy_email} and quote "
        "your reference."
    )


def erasure_requested(reference: str, due: str, privacy_email: str) -> str:
    """Confirms a new erasure request.

    Args:
        reference: The request's reference.
        due: The deadline, e.g. ``31 Dec``.
        privacy_email: The privacy team's address.
    """
    return (
        f"Thanks, I've passed your erasure request to our privacy team (reference {reference}). "
        f"They'll erase your account and personal data by {due} and confirm by email to the "
        "address on your account; until then, nothing is deleted. If you have any questions, "
        f"write to {privacy_email} and quote your reference."
    )


def export_already_pending(reference: str, due: str, privacy_email: str) -> str:
    """Says that a copy of the data was asked for already.

    Args:
        reference: The pending request's reference.
        due: Its deadline, e.g. ``31 Dec``.
        privacy_email: The privacy team's address.
    """
    return (
        f"You've already asked for a copy of your data: request {reference} is with our privacy "
        f"team, who'll email it to the address on your account by {due}. There's no need to "
        f"ask again; if you have questions, write to {privacy_email} and quote that reference."
    )


def erasure_already_pending(reference: str, due: str, privacy_email: str) -> str:
    """Says that erasure was asked for already.

    Args:
        reference: The pending request's reference.
        due: Its deadline, e.g. ``31 Dec``.
        privacy_email: The privacy team's address.
    """
    return (
        f"You've already asked us to erase your data: request {reference} is with our privacy "
        f"team, who'll carry it out by {due}. There's no need to ask again; if you have "
        f"questions, write to {privacy_email} and quote that reference."
    )


ERASURE_DECLINED = (
    "No problem, I haven't recorded anything: your account and your data stay exactly as they are."
)


def privacy_information(privacy_email: str, response_days: int) -> str:
    """Explains the customer's other options with their data.

    Args:
        privacy_email: The privacy team's address.
        response_days: Days within which the team answers.
    """
    return (
        "Here I can get you a copy of your data or have it erased. You can correct your "
        "details yourself under **Account settings**. For anything else, such as objecting to "
        f"how we use your data, email our privacy team at {privacy_email}; they answer within "
        f"{response_days} days. Our [privacy policy](/privacy) explains what we keep and why."
    )


NOTHING_REQUESTED = (
    "I haven't recorded a request, as I wasn't sure what you'd like. Just ask again whenever "
    "you're ready."
)

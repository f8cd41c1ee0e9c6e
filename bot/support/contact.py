"""How to reach the support team, worded from the shop's contact policy."""

from __future__ import annotations

from datetime import datetime

from bot.knowledge.policies import ContactPolicy


def ways_to_reach(contact: ContactPolicy) -> str:
    """The ways to reach a person, as a phrase: ``call us on …, email … or use …``.

    Args:
        contact: The shop's contact policy from ``knowledge/policies.yml``.
    """
    channels = contact.channels
    ways = []
    if "phone" in channels:
        ways.append(f"call us on {channels['phone'].address}")
    if "email" in channels:
        email = channels["email"]
        reply = f" (we reply within {email.response_hours} hours)" if email.response_hours else ""
        ways.append(f"email {email.address}{reply}")
    if "contact_form" in channels:
        ways.append(f"use the [contact form]({channels['contact_form'].address})")
    return ", ".join(ways[:-1]) + f" or {ways[-1]}" if len(ways) > 1 else "".join(ways)


def contact_support_message(contact: ContactPolicy, now: datetime) -> str:
    """Tells a customer how to reach a person, and whether the team is in now.

    Args:
        contact: The shop's contact policy from ``knowledge/policies.yml``.
        now: The current time, time-zone aware.

    Returns:
        The message to send.
    """
    how = ways_to_reach(contact)
    status = (
        "The team is available right now."
        if contact.is_open(now)
        else "The team is away right now, so a call or chat will be answered when we reopen; "
        "an email or the contact form reaches them any time."
    )
    return (
        f"Of course, our support team is happy to help. You can {how}. "
        f"Opening hours are {contact.describe_hours()} ({contact.timezone} time). {status} "
        "Please mention your order number so they can help straight away."
    )


def assistant_unavailable_message(contact: ContactPolicy) -> str:
    """The apology sent when the assistant cannot act on a request, with a way to a person.

    Used where nothing can be looked up, not even whether the team is in, so it
    names the ways to reach them without opening hours.

    Args:
        contact: The shop's contact policy from ``knowledge/policies.yml``.
    """
    return (
        "I'm sorry, I can't help with that right now because of a problem on our side. "
        f"Please try again in a few minutes, or ask our support team: you can "
        f"{ways_to_reach(contact)}."
    )

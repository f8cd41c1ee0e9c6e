"""Remembering a messaging-app user once they have proven who they are.

A customer who verifies with order number, email and code on Telegram,
WhatsApp, Messenger or Slack is linked to that app's user id (the Rasa sender
id), so later conversations from the same user start verified. Website
conversations (REST, socket.io) are never linked: their sender ids belong to
one browser session, and the website proves the customer with a signed token.
Plain SMS is not linked either, since a sender's number can be spoofed on
some networks; WhatsApp numbers are (``whatsapp:+…`` on the ``twilio`` channel).

Each function runs in a transaction of its own. A link goes away with
:func:`forget_channel_user` or with its customer (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from typing import Optional

from bot.db.engine import get_engine, session_scope
from bot.db.repositories.audit import record_change
from bot.db.repositories.channel_links import find_link, link_user, unlink_user
from bot.settings import Settings

WHATSAPP_PREFIX = "whatsapp:"
# Input channel names (``InputChannel.name()``) of the apps whose users are linked.
_APP_NAMES = {"telegram": "Telegram", "facebook": "Messenger", "slack": "Slack"}
AUDIT_ENTITY = "channel_link"


def app_name(channel: Optional[str], sender_id: str) -> Optional[str]:
    """The messaging app a conversation is on, when its user can be linked.

    Args:
        channel: The conversation's latest input channel (``telegram`` …).
        sender_id: The Rasa sender id on that channel.

    Returns:
        The app's name as customers know it (``Telegram``, ``WhatsApp`` …), or
        ``None`` for a channel whose users are not linked.
    """
    if channel == "twilio":
        return "WhatsApp" if sender_id.startswith(WHATSAPP_PREFIX) else None
    return _APP_NAMES.get(channel or "")


def linked_customer(settings: Settings, channel: Optional[str], sender_id: str) -> Optional[int]:
    """Returns the customer a messaging-app user is linked to.

    Args:
        settings: The assistant's settings.
        channel: The conversation's latest input channel.
        sender_id: The Rasa sender id on that channel.

    Returns:
        The customer id, or ``None`` for an unlinked user or a channel that is
        never linked (the database is not asked then).
    """
    if channel is None or app_name(channel, sender_id) is None:
        return None
    with session_scope(get_engine(settings.database_url)) as session:
        link = find_link(session, channel, sender_id)
        return link.customer_id if link is not None else None


def remember_channel_user(
    settings: Settings, channel: Optional[str], sender_id: str, customer_id: int
) -> Optional[str]:
    """Links a messaging-app user to the customer they just proved to be, with an audit row.

    Args:
        settings: The assistant's settings.
        channel: The conversation's latest input channel.
        sender_id: The Rasa sender id on that channel.
        customer_id: The customer verified by code.

    Returns:
        The app's name when the user was not linked to this customer before (so
        the customer is told once), otherwise ``None``, also for a channel whose
        users are never linked.
    """
    app = app_name(channel, sender_id)
    if channel is None or app is None:
        return None
    with session_scope(get_engine(settings.database_url)) as session:
        previous = link_user(session, channel, sender_id, customer_id)
        if previous == customer_id:
            return None
        record_change(
            session,
            sender_id,
            AUDIT_ENTITY,
            channel,
            "customer_id",
            str(previous) if previous is not None else None,
            str(customer_id),
        )
    return app


def forget_channel_user(settings: Settings, channel: str, sender_id: str) -> bool:
    """Removes a messaging-app user's link, with an audit row.

    Args:
        settings: The assistant's settings.
        channel: The input channel's name.
        sender_id: The Rasa sender id on that channel.

    Returns:
        Whether the user was linked.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        link = find_link(session, channel, sender_id)
        if link is None:
            return False
        previous = link.customer_id
        unlink_user(session, channel, sender_id)
        record_change(session, sender_id, AUDIT_ENTITY, channel, "customer_id", str(previous), None)
    return True

"""Messaging-app users linked to customers: who a Telegram chat or WhatsApp number is.

Which channels may be linked, and when, is decided in :mod:`bot.identity.links`;
this module only reads and writes rows. Functions take an open
:class:`~sqlalchemy.orm.Session` and never commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import ChannelLink, utcnow


def find_link(session: Session, channel: str, external_user_id: str) -> Optional[ChannelLink]:
    """Returns the link of a channel user, or ``None`` when they are not linked.

    Args:
        session: Open database session.
        channel: The input channel's name (``telegram`` …).
        external_user_id: The Rasa sender id on that channel.
    """
    link: Optional[ChannelLink] = session.execute(
        select(ChannelLink).where(
            ChannelLink.channel == channel, ChannelLink.external_user_id == external_user_id
        )
    ).scalar_one_or_none()
    return link


def link_user(
    session: Session,
    channel: str,
    external_user_id: str,
    customer_id: int,
    now: Optional[datetime] = None,
) -> Optional[int]:
    """Links a channel user to a customer, replacing any earlier link of that user.

    A row inserted by a concurrent transaction in the meantime is updated the
    same way (the insert runs in a SAVEPOINT).

    Args:
        session: Open database session.
        channel: The input channel's name.
        external_user_id: The Rasa sender id on that channel.
        customer_id: The customer the user proved to be.
        now: When the link is made, timezone-aware; the current time by default.

    Returns:
        The customer the user was linked to before, or ``None`` for a new link.

    Raises:
        ValueError: When ``channel`` or ``external_user_id`` is empty.
    """
    if not channel or not external_user_id:
        raise ValueError("a link needs a channel and the user's id on it")
    linked_at = now or utcnow()
    link = find_link(session, channel, external_user_id)
    if link is None:
        new = ChannelLink(
            channel=channel,
            external_user_id=external_user_id,
            customer_id=customer_id,
            linked_at=linked_at,
        )
        try:
            with session.begin_nested():
                session.add(new)
            return None
        except IntegrityError:
            link = find_link(session, channel, external_user_id)
            if link is None:
                raise
    previous = link.customer_id
    link.customer_id = customer_id
    link.linked_at = linked_at
    session.flush()
    return previous


def unlink_user(session: Session, channel: str, external_user_id: str) -> bool:
    """Removes a channel user's link.

    Returns:
        Whether there was a link to remove.
    """
    result = session.execute(
        delete(ChannelLink).where(
            ChannelLink.channel == channel, ChannelLink.external_user_id == external_user_id
        )
    )
    return bool(result.rowcount)


def links_of_customer(session: Session, customer_id: int) -> List[ChannelLink]:
    """The channel users linked to a customer, oldest link first."""
    return list(
        session.execute(
            select(ChannelLink)
            .where(ChannelLink.customer_id == customer_id)
            .order_by(ChannelLink.linked_at, ChannelLink.id)
        ).scalars()
    )

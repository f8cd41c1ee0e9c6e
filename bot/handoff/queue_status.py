"""Putting a conversation in the support team's queue, and telling the customer where they are.

The customer hears their place in the queue and a likely wait: the place times
``settings.handoff_minutes_per_ticket``. Outside the opening hours of the
shop's contact policy (``load_policies().contact``) the conversation still
joins the queue, and the customer hears when the team is back and when they
can expect an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Iterable, Mapping, Optional
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.db.engine import get_engine, session_scope
from bot.db.repositories.audit import record_change
from bot.db.repositories.handoffs import create_ticket, open_ticket_of_conversation, queue_position
from bot.handoff import escalation
from bot.handoff.context import load_context
from bot.knowledge.formatting import WEEKDAYS
from bot.knowledge.policies import ContactPolicy

AUDIT_ENTITY = "handoff_ticket"
AUDIT_FIELD = "status"
DAYS_AHEAD = 8  # far enough to find the next opening in any weekly timetable

HANDOFF_UNAVAILABLE = (
    "I'm sorry, I couldn't pass you to our team in this chat just now because of a problem on "
    "our side. Here's how to reach them directly."
)
STAY_HERE = "Stay in this chat: their replies will appear right here."

_INTROS: Mapping[str, str] = {
    escalation.REQUEST_HUMAN: "Of course{name}, I'll get you a person from our support team.",
    escalation.FALLBACKS_AFTER_APOLOGY: (
        "I'm sorry I couldn't work out what you need{name}. A person from our team will "
        "take it from here."
    ),
    escalation.STRONGLY_NEGATIVE: (
        "I'm really sorry{name}. I'm bringing in a person from our team to sort this out with you."
    ),
    escalation.DAMAGED_ITEM_FLAGGED: (
        "I'd like a person from our team to look at this item with you{name}, so I'm passing "
        "you over now."
    ),
    escalation.VERIFICATION_LOCKED: (
        "A person from our team can confirm who you are another way, so I'm passing you over."
    ),
    escalation.PRIVACY_NEEDS_STAFF: (
        "Erasing personal data needs a person from our team to check it{name}, so I'm passing "
        "you over now."
    ),
}


@dataclass(frozen=True)
class QueueEntry:
    """A conversation's place in the handoff queue.

    Attributes:
        ticket_id: The conversation's open :class:`~bot.db.models.HandoffTicket`.
        position: Its place among waiting tickets; 1 means next.
        already_queued: Whether the conversation was in the queue already.
    """

    ticket_id: int
    position: int
    already_queued: bool


def enqueue(
    session: Session,
    conversation_id: str,
    reason: str,
    context: Mapping[str, Any],
    *,
    channel: Optional[str] = None,
    customer_id: Optional[int] = None,
    now: Optional[datetime] = None,
) -> QueueEntry:
    """Puts a conversation in the queue, with an audit row; one open ticket per conversation.

    Args:
        session: Open database session; the caller commits.
        conversation_id: The conversation (Rasa sender id).
        reason: Why it goes to a person; one of :data:`bot.handoff.escalation.REASONS`.
        context: The context packet for the agent.
        channel: The customer's channel.
        customer_id: The verified customer, if any.
        now: The time of the handoff; the current time by default.

    Returns:
        Its place in the queue. A conversation already waiting or with an
        agent keeps its ticket and its reason.
    """
    existing = open_ticket_of_conversation(session, conversation_id)
    ticket = existing or create_ticket(
        session, conversation_id, reason, context, channel=channel, customer_id=customer_id, now=now
    )
    if existing is None:
        record_change(
            session,
            conversation_id,
            AUDIT_ENTITY,
            str(ticket.id),
            AUDIT_FIELD,
            None,
            ticket.status.value,
            now=now,
        )
    return QueueEntry(ticket.id, queue_position(session, ticket), existing is not None)


def queue_conversation(
    database_url: str,
    conversation_id: str,
    events: Iterable[Mapping[str, Any]],
    reason: str,
    *,
    channel: Optional[str],
    customer_id: Optional[int],
    now: datetime,
) -> QueueEntry:
    """Builds the context packet and queues the conversation, in one transaction.

    Args:
        database_url: The application database.
        conversation_id: The conversation (Rasa sender id).
        events: The conversation's events, for the context packet.
        reason: Why it goes to a person.
        channel: The customer's channel.
        customer_id: The verified customer, if any; their profile joins the packet.
        now: The time of the handoff, time-zone aware.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: When the database is unavailable.
    """
    with session_scope(get_engine(database_url)) as session:
        context = load_context(
            session,
            events,
            reason=reason,
            customer_id=customer_id,
            channel=channel,
            today=now.date(),
            conversation_id=conversation_id,
        )
        return enqueue(
            session,
            conversation_id,
            reason,
            context,
            channel=channel,
            customer_id=customer_id,
            now=now,
        )


def _at(day: date, hhmm: str, zone: ZoneInfo) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=zone)


def next_opening(contact: ContactPolicy, now: datetime) -> Optional[datetime]:
    """Returns when the team opens next after ``now``, in the policy's time zone.

    Args:
        contact: The shop's contact policy.
        now: A time-zone-aware moment.

    Returns:
        The next opening time; ``None`` when the timetable has no open day.
    """
    zone = ZoneInfo(contact.timezone)
    local = now.astimezone(zone)
    for offset in range(DAYS_AHEAD):
        day = local.date() + timedelta(days=offset)
        hours = contact.hours.get(WEEKDAYS[day.weekday()])
        if hours is None:
            continue
        opening = _at(day, hours.open, zone)
        if opening > local:
            return opening
    return None


def closing_time(contact: ContactPolicy, now: datetime) -> Optional[datetime]:
    """Returns when today's opening hours end, while the team is in; otherwise ``None``."""
    if not contact.is_open(now):
        return None
    zone = ZoneInfo(contact.timezone)
    local = now.astimezone(zone)
    hours = contact.hours.get(WEEKDAYS[local.weekday()])
    return _at(local.date(), hours.close, zone) if hours is not None else None


def describe_wait(minutes: int) -> str:
    """Says a wait in words: ``about 6 minutes``, ``about 1 hour 12 minutes``."""
    if minutes < 60:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    text = f"about {hours} hour{'s' if hours != 1 else ''}"
    return f"{text} {rest} minute{'s' if rest != 1 else ''}" if rest else text


def describe_moment(moment: datetime, now: datetime) -> str:
    """Says when something happens, e.g. ``today at 08:00`` or ``on Monday at 08:00``.

    Args:
        moment: The time, in the time zone to speak in.
        now: The current time.
    """
    local_now = now.astimezone(moment.tzinfo)
    days = (moment.date() - local_now.date()).days
    clock = moment.strftime("%H:%M")
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    return f"on {moment.strftime('%A')} at {clock}"


def handoff_intro(reason: str, first_name: Optional[str] = None) -> str:
    """The first sentence when a conversation goes to a person, for its reason.

    Args:
        reason: One of :data:`bot.handoff.escalation.REASONS`.
        first_name: The verified customer's first name, if any.
    """
    template = _INTROS.get(reason, _INTROS[escalation.REQUEST_HUMAN])
    return template.format(name=f", {first_name}" if first_name else "")


def _place(position: int) -> str:
    return "You're next in the queue" if position <= 1 else f"You're number {position} in the queue"


def queue_message(
    position: int,
    minutes_per_ticket: int,
    contact: ContactPolicy,
    now: datetime,
    *,
    already_queued: bool = False,
) -> str:
    """Tells the customer their place in the queue and when they will hear from a person.

    Args:
        position: Place among waiting tickets; 1 means next.
        minutes_per_ticket: ``settings.handoff_minutes_per_ticket``.
        contact: The shop's contact policy, for the opening hours.
        now: The current time, time-zone aware.
        already_queued: Whether the customer was in the queue already.

    Returns:
        For example: ``You're number 3 in the queue, so someone should be with
        you in about 18 minutes. Stay in this chat: their replies will appear
        right here.``
    """
    position = max(position, 1)
    wait = position * minutes_per_ticket
    place = _place(position)
    if already_queued:
        place = place.replace("You're", "You're still", 1)
    if contact.is_open(now):
        text = f"{place}, so someone should be with you in {describe_wait(wait)}. {STAY_HERE}"
        closes = closing_time(contact, now)
        reopens = next_opening(contact, now)
        if closes is not None and now + timedelta(minutes=wait) > closes and reopens is not None:
            text += (
                " If the team closes before they reach you, they'll pick it up when they're back "
                f"{describe_moment(reopens, now)}."
            )
        return text
    reopens = next_opening(contact, now)
    email = contact.channels.get("email")
    by_email = (
        f" If you'd rather, an email to {email.address} reaches them any time." if email else ""
    )
    if reopens is None:
        return (
            "Our team is away right now, but I've kept your place for them: they'll reply here "
            f"as soon as they're back.{by_email}"
        )
    answer_by = reopens + timedelta(minutes=wait)
    return (
        f"Our team is away right now, but I've kept your place for them. {place} for when "
        f"they're back {describe_moment(reopens, now)} ({contact.timezone} time), so you should "
        f"hear from them here by about {answer_by.strftime('%H:%M')}.{by_email}"
    )

"""Claim, reply and resolve: what an agent does with a handed-off conversation.

Each use case runs in its own transaction. Database work runs in a worker
thread so the web server stays responsive. A reply or a hand-back is sent to
the customer through Rasa's HTTP API *before* the transaction commits: when
Rasa cannot take it, nothing is recorded and the agent can simply try again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol, Sequence, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bot.db.engine import make_session_factory, session_scope
from bot.db.models import (
    AgentRole,
    Conversation,
    HandoffSender,
    HandoffStatus,
    HandoffTicket,
    utcnow,
)
from bot.db.repositories.audit import record_change
from bot.db.repositories.handoffs import add_message, claim_ticket, get_ticket, resolve_ticket
from bot.rasa_api import RasaUnavailableError

logger = logging.getLogger(__name__)

MAX_REPLY_LENGTH = 2000
BACK_WITH_ASSISTANT = (
    "You're back with the assistant. Thanks for your patience while our team looked into this; "
    "if anything else comes up, just ask me here."
)
CSAT_QUESTION = (
    "Before you go, how would you rate the help you got today? 1 is poor and 5 is excellent."
)
CSAT_PAYLOAD = '/rate_conversation{{"csat_score":"{score}"}}'

LOCK_ATTEMPTS = 6

T = TypeVar("T")


class HandoffError(Exception):
    """Base class of the errors an agent's action on a ticket can meet."""

    details: Dict[str, Any] = {}


class TicketNotFoundError(HandoffError):
    """No ticket has this id."""

    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"There is no handoff ticket {ticket_id}.")


class ClaimLostError(HandoffError):
    """Another agent claimed the ticket first."""

    def __init__(self, claimed_by: Optional[Mapping[str, Any]]) -> None:
        super().__init__("already claimed")
        self.details = {"claimed_by": dict(claimed_by) if claimed_by else None}


class TicketResolvedError(HandoffError):
    """The ticket was already handed back to the assistant."""

    def __init__(self) -> None:
        super().__init__("already resolved")


class TicketNotClaimedError(HandoffError):
    """Nobody has claimed the ticket yet, so nobody may reply."""

    def __init__(self) -> None:
        super().__init__("Please claim this conversation before replying.")


class NotTicketOwnerError(HandoffError):
    """The ticket belongs to another agent, and the actor is not an admin."""

    def __init__(self) -> None:
        super().__init__("Only the agent who claimed this conversation, or an admin, can do that.")


class InvalidReplyError(HandoffError):
    """The reply is empty or too long."""


class DeliveryFailedError(HandoffError):
    """Rasa did not take the message, so the customer did not get it."""

    def __init__(self) -> None:
        super().__init__(
            "The assistant could not pass this on to the customer just now; "
            "nothing was sent. Please try again in a moment."
        )


@dataclass(frozen=True)
class Actor:
    """The agent doing something to a ticket.

    Attributes:
        id: ``Agent.id``.
        name: Their display name, shown to the customer with each reply.
        role: ``agent`` or ``admin``.
    """

    id: int
    name: str
    role: AgentRole

    @property
    def is_admin(self) -> bool:
        """Whether this agent may act on any ticket."""
        return self.role == AgentRole.ADMIN


class EventSink(Protocol):
    """Where conversation events go: :class:`bot.rasa_api.RasaClient` in production."""

    async def append_events(
        self,
        conversation_id: str,
        events: Sequence[Mapping[str, Any]],
        output_channel: str = "latest",
        execute_side_effects: bool = True,
    ) -> Any:
        """Appends events to a conversation and sends its bot messages."""


def clean_reply(text: Any) -> str:
    """Returns a reply ready to send: a non-empty string of at most 2,000 characters.

    Raises:
        InvalidReplyError: When it is missing, empty or too long.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidReplyError("Please write a reply before sending.")
    cleaned = text.strip()
    if len(cleaned) > MAX_REPLY_LENGTH:
        raise InvalidReplyError(
            f"Replies can be at most {MAX_REPLY_LENGTH:,} characters; "
            f"this one has {len(cleaned):,}."
        )
    return cleaned


def csat_buttons() -> List[Dict[str, str]]:
    """The five rating buttons of the satisfaction question."""
    return [
        {
            "title": f"{score} {'★' * score}",
            "payload": CSAT_PAYLOAD.format(score=score),
        }
        for score in range(1, 6)
    ]


def hand_back_events() -> List[Dict[str, Any]]:
    """The events that return a conversation to the assistant and ask for a rating.

    A paused conversation logs no ``action_listen``; the last event records
    one, so the customer's answer is read as a reply to the rating question.
    """
    return [
        {"event": "resume"},
        {"event": "bot", "text": BACK_WITH_ASSISTANT},
        {"event": "bot", "text": CSAT_QUESTION, "data": {"buttons": csat_buttons()}},
        {"event": "action", "name": "action_listen"},
    ]


def reply_event(text: str, agent_name: str) -> Dict[str, Any]:
    """The bot event that carries an agent's reply to the customer."""
    return {"event": "bot", "text": text, "metadata": {"agent": agent_name}}


def is_lock_conflict(error: OperationalError) -> bool:
    """Whether SQLite refused a write because another transaction holds the lock."""
    return "database is locked" in str(error.orig).lower()


def _back_off(attempt: int) -> None:
    time.sleep(0.02 * (attempt + 1) + random.uniform(0, 0.03))


def run_in_transaction(engine: Engine, work: Callable[..., T], *args: Any) -> T:
    """Runs ``work(session, *args)`` in one committed transaction.

    SQLite lets one writer in at a time and refuses a second one that already
    read (instead of making it wait), so a transaction refused that way is
    run again from the start; PostgreSQL never needs this.

    Args:
        engine: The database.
        work: The unit of work; its result is returned.
        *args: Passed on to ``work`` after the session.
    """
    for attempt in range(LOCK_ATTEMPTS):
        try:
            with session_scope(engine) as session:
                return work(session, *args)
        except OperationalError as error:
            if not is_lock_conflict(error) or attempt == LOCK_ATTEMPTS - 1:
                raise
            _back_off(attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _run_step(session: Session, work: Callable[..., T], *args: Any) -> T:
    """Runs the first step of a longer transaction, starting over on a SQLite lock conflict."""
    for attempt in range(LOCK_ATTEMPTS):
        try:
            return work(session, *args)
        except OperationalError as error:
            if not is_lock_conflict(error) or attempt == LOCK_ATTEMPTS - 1:
                raise
            session.rollback()
            _back_off(attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def parse_context(ticket: HandoffTicket) -> Dict[str, Any]:
    """Returns the ticket's context packet; an empty one when it is not valid JSON."""
    try:
        context = json.loads(ticket.context or "{}")
    except ValueError:
        logger.warning("Handoff ticket %s has a context that is not JSON", ticket.id)
        return {}
    return context if isinstance(context, dict) else {}


class HandoffService:
    """The agent's use cases on handoff tickets.

    Args:
        engine: The application database.
        events: Where conversation events are sent (Rasa's HTTP API).
        clock: Returns the current time; :func:`bot.db.models.utcnow` by default.
    """

    def __init__(
        self, engine: Engine, events: EventSink, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._engine = engine
        self._events = events
        self._clock = clock
        self._sessions = make_session_factory(engine)

    async def claim(self, ticket_id: int, actor: Actor) -> None:
        """Gives a waiting ticket to ``actor``; claiming one's own ticket again is fine.

        Raises:
            TicketNotFoundError: For an unknown ticket.
            ClaimLostError: When another agent has it.
            TicketResolvedError: When it was already handed back.
        """
        await asyncio.to_thread(run_in_transaction, self._engine, self._claim, ticket_id, actor)

    async def reply(self, ticket_id: int, actor: Actor, text: Any) -> int:
        """Sends an agent's reply to the customer and records it.

        Args:
            ticket_id: The ticket.
            actor: The agent replying: the one who claimed it, or an admin.
            text: The reply.

        Returns:
            The id of the recorded :class:`~bot.db.models.HandoffMessage`.

        Raises:
            InvalidReplyError: For an empty or over-long reply.
            TicketNotFoundError: For an unknown ticket.
            TicketNotClaimedError: When nobody has claimed it yet.
            TicketResolvedError: When it was already handed back.
            NotTicketOwnerError: When another agent claimed it.
            DeliveryFailedError: When Rasa did not take the message.
        """
        cleaned = clean_reply(text)
        session = self._sessions()
        try:
            message_id, conversation_id = await asyncio.to_thread(
                _run_step, session, self._store_reply, ticket_id, actor, cleaned
            )
            await self._send(conversation_id, [reply_event(cleaned, actor.name)])
            await asyncio.to_thread(session.commit)
        finally:
            session.close()
        return message_id

    async def resolve(self, ticket_id: int, actor: Actor) -> None:
        """Hands the conversation back to the assistant, which asks for a rating.

        Raises:
            TicketNotFoundError: For an unknown ticket.
            TicketResolvedError: When it was already handed back.
            NotTicketOwnerError: When another agent claimed it, or nobody did
                and ``actor`` is not an admin.
            DeliveryFailedError: When Rasa did not take the events; the ticket stays open.
        """
        session = self._sessions()
        try:
            conversation_id = await asyncio.to_thread(
                _run_step, session, self._resolve, ticket_id, actor
            )
            await self._send(conversation_id, hand_back_events())
            await asyncio.to_thread(session.commit)
        finally:
            session.close()

    async def _send(self, conversation_id: str, events: List[Dict[str, Any]]) -> None:
        try:
            await self._events.append_events(
                conversation_id, events, output_channel="latest", execute_side_effects=True
            )
        except RasaUnavailableError as error:
            logger.error("Could not send events to conversation %s: %s", conversation_id, error)
            raise DeliveryFailedError() from error

    def _claim(self, session: Session, ticket_id: int, actor: Actor) -> None:
        ticket = _existing_ticket(session, ticket_id)
        if ticket.status == HandoffStatus.RESOLVED:
            raise TicketResolvedError()
        if ticket.status == HandoffStatus.CLAIMED:
            if ticket.claimed_by_id == actor.id:
                return
            raise ClaimLostError(_claimer(ticket))
        now = self._clock()
        if not claim_ticket(session, ticket_id, actor.id, now):
            session.expire(ticket)
            if ticket.status == HandoffStatus.RESOLVED:
                raise TicketResolvedError()
            raise ClaimLostError(_claimer(ticket))
        session.expire(ticket)
        _audit(session, ticket, "status", HandoffStatus.WAITING.value, HandoffStatus.CLAIMED.value)
        _audit(session, ticket, "claimed_by", None, actor.name)
        _mark_human_involved(session, ticket, now)

    def _store_reply(
        self, session: Session, ticket_id: int, actor: Actor, text: str
    ) -> tuple[int, str]:
        ticket = _existing_ticket(session, ticket_id)
        if ticket.status == HandoffStatus.RESOLVED:
            raise TicketResolvedError()
        if ticket.status == HandoffStatus.WAITING:
            raise TicketNotClaimedError()
        if ticket.claimed_by_id != actor.id and not actor.is_admin:
            raise NotTicketOwnerError()
        message = add_message(
            session,
            ticket,
            HandoffSender.AGENT,
            text,
            f"agent:{uuid.uuid4().hex}",
            agent_id=actor.id,
            now=self._clock(),
        )
        if message is None:  # pragma: no cover - a fresh UUID is never a duplicate
            raise RuntimeError("a new reply was taken for a duplicate")
        return message.id, ticket.conversation_id

    def _resolve(self, session: Session, ticket_id: int, actor: Actor) -> str:
        ticket = _existing_ticket(session, ticket_id)
        if ticket.status == HandoffStatus.RESOLVED:
            raise TicketResolvedError()
        if ticket.claimed_by_id != actor.id and not actor.is_admin:
            raise NotTicketOwnerError()
        old_status = ticket.status.value
        now = self._clock()
        if not resolve_ticket(session, ticket_id, now):
            raise TicketResolvedError()
        session.expire(ticket)
        _audit(session, ticket, "status", old_status, HandoffStatus.RESOLVED.value)
        _mark_human_involved(session, ticket, now)
        return ticket.conversation_id


def _existing_ticket(session: Session, ticket_id: int) -> HandoffTicket:
    ticket = get_ticket(session, ticket_id)
    if ticket is None:
        raise TicketNotFoundError(ticket_id)
    return ticket


def _claimer(ticket: HandoffTicket) -> Optional[Dict[str, Any]]:
    agent = ticket.claimed_by
    return {"id": agent.id, "name": agent.name} if agent is not None else None


def _audit(
    session: Session, ticket: HandoffTicket, field: str, old: Optional[str], new: Optional[str]
) -> None:
    record_change(
        session, ticket.conversation_id, "handoff_ticket", str(ticket.id), field, old, new
    )


def _mark_human_involved(session: Session, ticket: HandoffTicket, now: datetime) -> None:
    """Records that a person took part in the ticket's conversation."""
    query = select(Conversation).where(Conversation.conversation_id == ticket.conversation_id)
    conversation: Optional[Conversation] = session.execute(query).scalar_one_or_none()
    if conversation is None:
        try:
            with session.begin_nested():
                session.add(
                    Conversation(
                        conversation_id=ticket.conversation_id,
                        channel=ticket.channel,
                        customer_id=ticket.customer_id,
                        started_at=ticket.created_at,
                        last_message_at=now,
                        human_involved=True,
                    )
                )
        except IntegrityError:
            # The event consumer recorded the conversation in the meantime.
            conversation = session.execute(query).scalar_one()
        else:
            _audit_conversation(session, ticket.conversation_id)
            return
    if not conversation.human_involved:
        conversation.human_involved = True
        session.flush()
        _audit_conversation(session, ticket.conversation_id)


def _audit_conversation(session: Session, conversation_id: str) -> None:
    record_change(
        session, conversation_id, "conversation", conversation_id, "human_involved", "false", "true"
    )

"""Satisfaction ratings: one CSAT (1-5) and optional NPS (0-10) per conversation.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction. Each rating records whether a person took part
in the conversation and which agent, taken from the conversation's latest
resolved handoff ticket, and every change is written to the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import HandoffStatus, HandoffTicket, SatisfactionRating, utcnow
from bot.db.repositories.audit import record_change

CSAT_MIN, CSAT_MAX = 1, 5
NPS_MIN, NPS_MAX = 0, 10
AUDIT_ENTITY = "satisfaction_rating"


class RatingError(ValueError):
    """A rating that cannot be stored."""


class InvalidRatingError(RatingError):
    """A score outside its scale."""

    def __init__(self, scale: str, score: object, low: int, high: int) -> None:
        super().__init__(f"{scale} must be a whole number from {low} to {high}, got {score!r}")


class NoRatingYetError(RatingError):
    """An NPS for a conversation that has no CSAT to go with it."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"conversation {conversation_id!r} has no CSAT rating yet")


def _score(scale: str, score: object, low: int, high: int) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not low <= score <= high:
        raise InvalidRatingError(scale, score, low, high)
    return score


def get_rating(session: Session, conversation_id: str) -> Optional[SatisfactionRating]:
    """Returns the conversation's rating, or ``None``."""
    rating: Optional[SatisfactionRating] = session.execute(
        select(SatisfactionRating).where(SatisfactionRating.conversation_id == conversation_id)
    ).scalar_one_or_none()
    return rating


def latest_resolved_ticket(session: Session, conversation_id: str) -> Optional[HandoffTicket]:
    """Returns the conversation's most recently resolved handoff ticket, or ``None``."""
    ticket: Optional[HandoffTicket] = session.execute(
        select(HandoffTicket)
        .where(
            HandoffTicket.conversation_id == conversation_id,
            HandoffTicket.status == HandoffStatus.RESOLVED,
        )
        .order_by(HandoffTicket.resolved_at.desc(), HandoffTicket.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return ticket


def _audit(
    session: Session,
    rating: SatisfactionRating,
    field: str,
    old: Optional[int],
    new: Optional[int],
    now: datetime,
) -> None:
    record_change(
        session,
        rating.conversation_id,
        AUDIT_ENTITY,
        str(rating.id),
        field,
        None if old is None else str(old),
        None if new is None else str(new),
        now=now,
    )


def record_csat(
    session: Session, conversation_id: str, csat: int, *, now: Optional[datetime] = None
) -> SatisfactionRating:
    """Stores the conversation's CSAT; a second rating replaces the first.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id).
        csat: The score, 1 (poor) to 5 (excellent).
        now: When it was given; the current time by default.

    Returns:
        The rating, flushed, with ``human_involved`` and ``agent_id`` from the
        conversation's latest resolved handoff ticket.

    Raises:
        InvalidRatingError: When ``csat`` is not a whole number from 1 to 5.
    """
    score = _score("CSAT", csat, CSAT_MIN, CSAT_MAX)
    moment = now or utcnow()
    ticket = latest_resolved_ticket(session, conversation_id)
    human_involved = ticket is not None
    agent_id = ticket.claimed_by_id if ticket is not None else None
    rating = get_rating(session, conversation_id)
    if rating is None:
        rating = SatisfactionRating(
            conversation_id=conversation_id,
            csat=score,
            human_involved=human_involved,
            agent_id=agent_id,
            created_at=moment,
        )
        try:
            with session.begin_nested():
                session.add(rating)
        except IntegrityError:
            # The same conversation was rated at the same moment elsewhere.
            rating = get_rating(session, conversation_id)
            if rating is None:  # pragma: no cover - the conflicting row exists
                raise
        else:
            _audit(session, rating, "csat", None, score, moment)
            return rating
    old = rating.csat
    rating.csat = score
    rating.human_involved = human_involved
    rating.agent_id = agent_id
    session.flush()
    if old != score:
        _audit(session, rating, "csat", old, score, moment)
    return rating


def record_nps(
    session: Session, conversation_id: str, nps: int, *, now: Optional[datetime] = None
) -> SatisfactionRating:
    """Adds the conversation's NPS answer to its CSAT rating.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id).
        nps: How likely the customer is to recommend the shop, 0 to 10.
        now: When it was given; the current time by default.

    Returns:
        The rating, flushed.

    Raises:
        InvalidRatingError: When ``nps`` is not a whole number from 0 to 10.
        NoRatingYetError: When the conversation has no CSAT rating.
    """
    score = _score("NPS", nps, NPS_MIN, NPS_MAX)
    rating = get_rating(session, conversation_id)
    if rating is None:
        raise NoRatingYetError(conversation_id)
    old = rating.nps
    rating.nps = score
    session.flush()
    if old != score:
        _audit(session, rating, "nps", old, score, now or utcnow())
    return rating

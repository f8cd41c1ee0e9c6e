"""Recording what customers thought of FAQ answers, and what the assistant could not answer.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional, Union

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.errors import InvalidFeedbackError
from bot.db.models import FaqFeedback, UnansweredQuestion, UnansweredReason, utcnow


@dataclass(frozen=True)
class ArticleHelpfulness:
    """How customers rated one article's answer.

    Attributes:
        article_id: The article rated.
        helpful: Number of conversations that found the answer helpful.
        unhelpful: Number of conversations that did not.
    """

    article_id: str
    helpful: int
    unhelpful: int

    @property
    def votes(self) -> int:
        """Number of ratings, helpful or not."""
        return self.helpful + self.unhelpful

    @property
    def ratio(self) -> float:
        """Share of ratings that found the answer helpful, from 0.0 to 1.0."""
        return self.helpful / self.votes if self.votes else 0.0


def _require_text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidFeedbackError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _reason(reason: Union[UnansweredReason, str]) -> UnansweredReason:
    try:
        return UnansweredReason(reason)
    except ValueError:
        allowed = ", ".join(member.value for member in UnansweredReason)
        raise InvalidFeedbackError(
            f"unknown reason {reason!r}; expected one of: {allowed}"
        ) from None


def _find_feedback(
    session: Session, conversation_id: str, article_id: str
) -> Optional[FaqFeedback]:
    feedback: Optional[FaqFeedback] = session.execute(
        select(FaqFeedback).where(
            FaqFeedback.conversation_id == conversation_id,
            FaqFeedback.article_id == article_id,
        )
    ).scalar_one_or_none()
    return feedback


def _update_feedback(feedback: FaqFeedback, question: str, helpful: bool) -> None:
    feedback.helpful = helpful
    if question:
        feedback.question = question


def record_feedback(
    session: Session,
    conversation_id: str,
    article_id: str,
    question: str,
    helpful: bool,
    now: Optional[datetime] = None,
) -> FaqFeedback:
    """Stores whether an answer helped, once per conversation and article.

    When the conversation already rated the article, its row is updated
    instead: the new verdict replaces the old one, the question is replaced
    unless the new one is empty, and ``created_at`` keeps the time of the
    first rating. A row inserted by a concurrent transaction in the meantime
    is updated the same way (the insert runs in a SAVEPOINT).

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id) that rated the answer.
        article_id: The article whose answer was rated.
        question: What the customer asked; may be empty.
        helpful: Whether the answer helped.
        now: Time of the rating, timezone-aware; the current time by default.

    Returns:
        The stored row, flushed.

    Raises:
        InvalidFeedbackError: When ``conversation_id`` or ``article_id`` is empty.
    """
    _require_text(conversation_id, "conversation_id")
    _require_text(article_id, "article_id")
    question = question or ""
    feedback = _find_feedback(session, conversation_id, article_id)
    if feedback is None:
        new = FaqFeedback(
            conversation_id=conversation_id,
            article_id=article_id,
            question=question,
            helpful=helpful,
            created_at=now or utcnow(),
        )
        try:
            with session.begin_nested():
                session.add(new)
            return new
        except IntegrityError:
            feedback = _find_feedback(session, conversation_id, article_id)
            if feedback is None:
                raise
    _update_feedback(feedback, question, helpful)
    session.flush()
    return feedback


def record_unanswered(
    session: Session,
    conversation_id: str,
    question: str,
    reason: Union[UnansweredReason, str],
    article_id: Optional[str] = None,
    now: Optional[datetime] = None,
) -> UnansweredQuestion:
    """Notes a question the assistant could not answer well, for the support team.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id) the question came from.
        question: What the customer wrote.
        reason: ``fallback``, ``low_confidence`` or ``unhelpful`` (or the
            :class:`~bot.db.models.UnansweredReason` member).
        article_id: The article marked unhelpful, or the top suggestion offered.
        now: When it was asked, timezone-aware; the current time by default.

    Returns:
        The new row, flushed.

    Raises:
        InvalidFeedbackError: When ``conversation_id`` is empty or ``reason``
            is not one of the known reasons.
    """
    _require_text(conversation_id, "conversation_id")
    unanswered = UnansweredQuestion(
        conversation_id=conversation_id,
        question=question or "",
        reason=_reason(reason),
        article_id=article_id or None,
        created_at=now or utcnow(),
    )
    session.add(unanswered)
    session.flush()
    return unanswered


def article_helpfulness(session: Session) -> List[ArticleHelpfulness]:
    """Returns the ratings of every rated article, best first.

    Articles are sorted by share of helpful ratings (highest first), then by
    number of ratings (most first), then by id. Articles nobody rated are not
    included.

    Args:
        session: Open database session.
    """
    helpful_votes = func.sum(case((FaqFeedback.helpful, 1), else_=0))
    rows = session.execute(
        select(FaqFeedback.article_id, helpful_votes, func.count()).group_by(FaqFeedback.article_id)
    ).all()
    ratings = [
        ArticleHelpfulness(article_id, int(helpful or 0), int(total) - int(helpful or 0))
        for article_id, helpful, total in rows
    ]
    return sorted(ratings, key=lambda rating: (-rating.ratio, -rating.votes, rating.article_id))


def unanswered_since(session: Session, since: datetime) -> List[UnansweredQuestion]:
    """Returns the questions noted at or after ``since``, newest first.

    Args:
        session: Open database session.
        since: Start of the period, timezone-aware.

    Raises:
        ValueError: When ``since`` is a naive datetime.
    """
    if since.tzinfo is None or since.utcoffset() is None:
        raise ValueError(f"since must be timezone-aware, got {since!r}")
    questions = session.execute(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.created_at >= since)
        .order_by(UnansweredQuestion.created_at.desc(), UnansweredQuestion.id.desc())
    ).scalars()
    return list(questions)

"""Support metrics from the tables: containment, escalations, fallbacks, waits, CSAT, NPS, mood.

Every function takes an open session and an optional start of the period
(``since``, inclusive); ``None`` means all time. Rates are fractions from 0
to 1, and ``None`` when there is nothing to divide by yet, so a dashboard can
say "no data" instead of showing a misleading zero.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.models import Conversation, HandoffTicket, MessageSentiment, SatisfactionRating

FALLBACK_INTENT = "nlu_fallback"
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


@dataclass(frozen=True)
class DaySentiment:
    """The customers' average sentiment on one day (UTC)."""

    day: date
    average: float
    messages: int


@dataclass(frozen=True)
class SupportMetrics:
    """Everything the dashboard shows."""

    conversations: int
    containment_rate: Optional[float]
    escalations_by_reason: Dict[str, int]
    fallback_rate: Optional[float]
    handoff_wait_average: Optional[float]
    handoff_wait_p95: Optional[float]
    csat_bot_only: Optional[float]
    csat_human: Optional[float]
    nps: Optional[float]
    sentiment_per_day: List[DaySentiment] = field(default_factory=list)

    def as_json(self) -> Dict[str, Any]:
        """The shape of ``GET /api/metrics``."""
        return {
            "conversations": self.conversations,
            "containment_rate": self.containment_rate,
            "escalations_by_reason": dict(self.escalations_by_reason),
            "fallback_rate": self.fallback_rate,
            "handoff_wait_seconds": {
                "average": self.handoff_wait_average,
                "p95": self.handoff_wait_p95,
            },
            "csat": {"bot_only": self.csat_bot_only, "human": self.csat_human},
            "nps": self.nps,
            "sentiment_per_day": [
                {"day": day.day.isoformat(), "average": day.average, "messages": day.messages}
                for day in self.sentiment_per_day
            ],
        }


def _ratio(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def conversation_counts(session: Session, since: Optional[datetime] = None) -> tuple[int, int]:
    """Returns (conversations, conversations the assistant handled without a person)."""
    query = select(
        func.count(Conversation.id),
        func.count(Conversation.id).filter(Conversation.human_involved.is_(False)),
    )
    if since is not None:
        query = query.where(Conversation.started_at >= since)
    total, contained = session.execute(query).one()
    return int(total), int(contained)


def escalations_by_reason(session: Session, since: Optional[datetime] = None) -> Dict[str, int]:
    """Returns how many conversations were handed to a person, per reason, most frequent first."""
    count = func.count(HandoffTicket.id)
    query = select(HandoffTicket.reason, count).group_by(HandoffTicket.reason)
    if since is not None:
        query = query.where(HandoffTicket.created_at >= since)
    rows = session.execute(query).all()
    return {reason: int(n) for reason, n in sorted(rows, key=lambda row: (-int(row[1]), row[0]))}


def fallback_rate(session: Session, since: Optional[datetime] = None) -> Optional[float]:
    """Returns the share of customer messages the assistant did not understand."""
    query = select(
        func.count(MessageSentiment.id),
        func.count(MessageSentiment.id).filter(MessageSentiment.intent == FALLBACK_INTENT),
    )
    if since is not None:
        query = query.where(MessageSentiment.created_at >= since)
    total, fallbacks = session.execute(query).one()
    return _ratio(int(fallbacks), int(total))


def percentile(values: Sequence[float], share: float) -> Optional[float]:
    """Returns the nearest-rank percentile (``share`` from 0 to 1) of ``values``."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def handoff_waits(session: Session, since: Optional[datetime] = None) -> List[float]:
    """Returns the seconds each claimed ticket waited before an agent took it."""
    query = select(HandoffTicket.created_at, HandoffTicket.claimed_at).where(
        HandoffTicket.claimed_at.is_not(None)
    )
    if since is not None:
        query = query.where(HandoffTicket.created_at >= since)
    return [
        max(0.0, (claimed - created).total_seconds())
        for created, claimed in session.execute(query).all()
    ]


def csat_averages(
    session: Session, since: Optional[datetime] = None
) -> tuple[Optional[float], Optional[float]]:
    """Returns the average CSAT (1-5) of (assistant-only, with a person) conversations."""
    query = select(SatisfactionRating.human_involved, func.avg(SatisfactionRating.csat)).group_by(
        SatisfactionRating.human_involved
    )
    if since is not None:
        query = query.where(SatisfactionRating.created_at >= since)
    averages = {bool(human): round(float(avg), 2) for human, avg in session.execute(query).all()}
    return averages.get(False), averages.get(True)


def net_promoter_score(session: Session, since: Optional[datetime] = None) -> Optional[float]:
    """Returns the NPS (-100..100): % promoters (9-10) minus % detractors (0-6)."""
    query = select(
        func.count(SatisfactionRating.id),
        func.count(SatisfactionRating.id).filter(SatisfactionRating.nps >= PROMOTER_MIN),
        func.count(SatisfactionRating.id).filter(SatisfactionRating.nps <= DETRACTOR_MAX),
    ).where(SatisfactionRating.nps.is_not(None))
    if since is not None:
        query = query.where(SatisfactionRating.created_at >= since)
    total, promoters, detractors = (int(n) for n in session.execute(query).one())
    if not total:
        return None
    return round(100.0 * (promoters - detractors) / total, 1)


def sentiment_per_day(session: Session, since: Optional[datetime] = None) -> List[DaySentiment]:
    """Returns the average sentiment and number of customer messages per UTC day, oldest first."""
    query = select(MessageSentiment.created_at, MessageSentiment.score)
    if since is not None:
        query = query.where(MessageSentiment.created_at >= since)
    scores: Dict[date, List[float]] = defaultdict(list)
    for created_at, score in session.execute(query).all():
        scores[created_at.date()].append(float(score))
    return [
        DaySentiment(day=day, average=round(sum(values) / len(values), 3), messages=len(values))
        for day, values in sorted(scores.items())
    ]


def support_metrics(session: Session, since: Optional[datetime] = None) -> SupportMetrics:
    """Computes every dashboard metric for the period starting at ``since``."""
    total, contained = conversation_counts(session, since)
    waits = handoff_waits(session, since)
    bot_only, human = csat_averages(session, since)
    return SupportMetrics(
        conversations=total,
        containment_rate=_ratio(contained, total),
        escalations_by_reason=escalations_by_reason(session, since),
        fallback_rate=fallback_rate(session, since),
        handoff_wait_average=round(sum(waits) / len(waits), 1) if waits else None,
        handoff_wait_p95=round(p95, 1) if (p95 := percentile(waits, 0.95)) is not None else None,
        csat_bot_only=bot_only,
        csat_human=human,
        nps=net_promoter_score(session, since),
        sentiment_per_day=sentiment_per_day(session, since),
    )

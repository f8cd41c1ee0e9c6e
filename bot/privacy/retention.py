"""The retention job: conversations are deleted once nothing has happened in them for N days.

A conversation's last activity is its newest trace in the tracker store or
the application database (a message, a handoff, a follow-up, FAQ feedback,
an identity check). Once that is older than the retention period, the job
deletes its events from the tracker store and the event broker, and from the
application database the conversation with its sentiment log, handoff
tickets and transcripts, follow-ups, FAQ feedback, unanswered questions and
identity checks (:data:`~bot.db.repositories.conversation_data.RETENTION_RECORDS`).
Customers, orders, returns, cases, privacy requests, ratings and the audit
trail are kept.

:func:`run_retention` is what ``python -m bot retention run`` calls and what
a daily schedule in the bot service can call. Every step is safe to repeat:
a run that stops half-way is finished by the next one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Optional, Set, Tuple

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from bot.db.engine import get_engine, session_scope
from bot.db.models import utcnow
from bot.db.repositories.conversation_data import (
    RETENTION_RECORDS,
    conversations_active_since,
    conversations_inactive_since,
    delete_conversation_records,
)
from bot.db.repositories.tracker_events import (
    TRACKER_EVENTS,
    delete_events,
    senders_active_since,
    senders_inactive_since,
    sql_broker_url,
    table_exists,
)
from bot.events.source import BROKER_EVENTS
from bot.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionReport:
    """What one run of the retention job deleted.

    Attributes:
        days: The retention period.
        cutoff: Conversations whose last activity is older than this were deleted.
        conversations: How many conversations were deleted.
        deleted: Rows deleted from the application database, per table.
        tracker_events: Events deleted from the tracker store.
        broker_events: Rows deleted from the event broker.
    """

    days: int
    cutoff: datetime
    conversations: int
    deleted: Mapping[str, int]
    tracker_events: int
    broker_events: int


def _tracker_senders(engine: Engine, cutoff: datetime) -> Tuple[Set[str], Set[str]]:
    with session_scope(engine) as session:
        if not table_exists(session, TRACKER_EVENTS):
            return set(), set()
        return senders_inactive_since(session, cutoff), senders_active_since(session, cutoff)


def expired_conversations(settings: Settings, cutoff: datetime) -> Set[str]:
    """Returns the conversations whose last activity anywhere is older than ``cutoff``.

    Args:
        settings: Where the application database and the tracker store are.
        cutoff: Timezone-aware moment.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        inactive = conversations_inactive_since(session, cutoff)
        active = conversations_active_since(session, cutoff)
    tracker_inactive, tracker_active = _tracker_senders(
        get_engine(settings.tracker_store_url), cutoff
    )
    return (inactive | tracker_inactive) - active - tracker_active


def _delete_events(url: str, table: Table, ids: Set[str]) -> int:
    with session_scope(get_engine(url)) as session:
        if not ids or not table_exists(session, table):
            return 0
        return delete_events(session, table, ids)


def run_retention(
    settings: Settings, days: Optional[int] = None, now: Optional[datetime] = None
) -> Optional[RetentionReport]:
    """Deletes the conversations whose last activity is older than the retention period.

    Args:
        settings: Where the stores are, and ``retention_days``.
        days: The retention period; ``settings.retention_days`` by default.
        now: The current time, timezone-aware; the clock's by default.

    Returns:
        What was deleted, or ``None`` when retention is off (a period of 0).

    Raises:
        ValueError: When ``days`` is negative.
        sqlalchemy.exc.SQLAlchemyError: When a store fails; what was deleted
            before stays deleted and the next run carries on.
    """
    period = settings.retention_days if days is None else days
    if period < 0:
        raise ValueError(f"the retention period must not be negative, got {period}")
    if period == 0:
        return None
    cutoff = (now or utcnow()) - timedelta(days=period)
    expired = expired_conversations(settings, cutoff)
    with session_scope(get_engine(settings.database_url)) as session:
        deleted = delete_conversation_records(session, expired, RETENTION_RECORDS)
    tracker_events = _delete_events(settings.tracker_store_url, TRACKER_EVENTS, expired)
    broker_url = sql_broker_url(settings.event_broker_url)
    broker_events = _delete_events(broker_url, BROKER_EVENTS, expired) if broker_url else 0
    report = RetentionReport(
        days=period,
        cutoff=cutoff,
        conversations=len(expired),
        deleted=deleted,
        tracker_events=tracker_events,
        broker_events=broker_events,
    )
    logger.info(
        "Retention (%d days): deleted %d conversation(s), %d tracker event(s), %d broker row(s)",
        period,
        report.conversations,
        tracker_events,
        broker_events,
    )
    return report

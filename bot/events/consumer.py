"""The bot service's consumer of Rasa's event broker.

Events are read in batches from an :class:`~bot.events.source.EventSource`
after the position stored in :class:`~bot.db.models.BrokerCursor` (consumer
``bot-service``). Each batch is one transaction on the application database:
the effects of its events and the new cursor position are committed together,
so a crash at any point means the whole batch is read again, and nothing is
lost or done twice. The cursor row is locked for the batch (``SELECT … FOR
UPDATE`` on PostgreSQL), so two consumers never process the same batch.

Each event is applied inside a SAVEPOINT. An event that cannot be read, or
that breaks a rule of the database (a constraint), is logged and skipped; the
batch goes on. An unreachable or failing database aborts the batch without
moving the cursor; :func:`run_consumer` waits and tries again.

The service starts the loop as a background task next to its web server::

    stop = asyncio.Event()
    task = asyncio.create_task(run_consumer(settings, stop))
    ...
    stop.set()
    await task
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, List, Optional

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import Session

from bot.db.engine import get_engine, session_scope
from bot.db.models import BrokerCursor, utcnow
from bot.events.handlers import EventRules, MalformedEventError, decode_event, handle_event
from bot.events.source import BrokerRecord, EventSource, create_source

if TYPE_CHECKING:
    from bot.settings import Settings

logger = logging.getLogger(__name__)

CONSUMER_NAME = "bot-service"
POLL_INTERVAL_SECONDS = 0.3
BATCH_SIZE = 200
MAX_RETRY_SECONDS = 5.0

# Errors that mean the database, not the event, is at fault: the batch is
# retried later instead of skipping the event.
_DATABASE_FAILURES = (OperationalError, InterfaceError, InternalError, ProgrammingError)


def _settings_source(settings: Settings) -> EventSource:
    return create_source(
        settings.event_broker_url,
        queue=settings.event_broker_queue,
        exchange=settings.event_broker_exchange,
    )


def _is_database_failure(error: BaseException) -> bool:
    if isinstance(error, _DATABASE_FAILURES):
        return True
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


def _lock_cursor(session: Session, consumer: str) -> BrokerCursor:
    """Returns the consumer's cursor row, locked for this transaction, creating it at 0."""
    query = select(BrokerCursor).where(BrokerCursor.consumer == consumer).with_for_update()
    cursor: Optional[BrokerCursor] = session.execute(query).scalar_one_or_none()
    if cursor is not None:
        return cursor
    cursor = BrokerCursor(consumer=consumer, position=0, updated_at=utcnow())
    try:
        with session.begin_nested():
            session.add(cursor)
    except IntegrityError:
        # Another consumer created it in the meantime; take the lock on theirs.
        return session.execute(query).scalar_one()
    return cursor


def cursor_position(session: Session, consumer: str = CONSUMER_NAME) -> int:
    """Returns how far ``consumer`` has read the broker; 0 before its first event.

    Args:
        session: Open session on the application database.
        consumer: The consumer's name.
    """
    position: Optional[int] = session.execute(
        select(BrokerCursor.position).where(BrokerCursor.consumer == consumer)
    ).scalar_one_or_none()
    return int(position or 0)


def _apply(session: Session, record: BrokerRecord, rules: EventRules) -> None:
    try:
        event = decode_event(record.payload)
        with session.begin_nested():
            outcome = handle_event(
                session, event, rules, source_id=record.source_id, sender_id=record.sender_id
            )
    except MalformedEventError as error:
        logger.warning("Skipping malformed broker event %s: %s", record.source_id, error)
        return
    except Exception as error:
        if _is_database_failure(error):
            raise
        logger.exception("Skipping broker event %s, which could not be applied", record.source_id)
        return
    if outcome.follow_up_reasons or outcome.relayed:
        logger.info(
            "Broker event %s: follow-up %s, relayed to agent: %s",
            record.source_id,
            ", ".join(outcome.follow_up_reasons) or "none",
            outcome.relayed,
        )


def consume_batch(
    session: Session,
    source: EventSource,
    rules: EventRules,
    *,
    consumer: str = CONSUMER_NAME,
    limit: int = BATCH_SIZE,
) -> List[BrokerRecord]:
    """Applies the next batch of events and moves the cursor past them.

    Nothing is committed here: commit the session to keep the batch, roll it
    back to leave the cursor where it was.

    Args:
        session: Open session on the application database.
        source: Where the events come from.
        rules: Thresholds the handlers apply.
        consumer: The cursor's name.
        limit: The largest batch to read.

    Returns:
        The records read (skipped ones included); empty when none are waiting.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: When a database fails; nothing of the
            batch should be kept.
    """
    cursor = _lock_cursor(session, consumer)
    records = source.read(cursor.position, limit)
    for record in records:
        _apply(session, record, rules)
    if records:
        cursor.position = records[-1].position
        cursor.updated_at = utcnow()
        session.flush()
    return records


def _process_batch(
    engine: Engine, source: EventSource, rules: EventRules, consumer: str, limit: int
) -> int:
    with session_scope(engine) as session:
        records = consume_batch(session, source, rules, consumer=consumer, limit=limit)
    if records:
        source.acknowledge(records)
    return len(records)


def process_pending(
    settings: Settings,
    *,
    source: Optional[EventSource] = None,
    consumer: str = CONSUMER_NAME,
    limit: int = BATCH_SIZE,
) -> int:
    """Processes every event waiting in the broker right now, batch by batch.

    Args:
        settings: Where the application database and the broker are, and the thresholds.
        source: The source to read; by default one for ``settings.event_broker_url``,
            closed again at the end.
        consumer: The cursor's name.
        limit: The largest batch per transaction.

    Returns:
        How many broker records were consumed (skipped ones included).

    Raises:
        sqlalchemy.exc.SQLAlchemyError: When a database fails; the batch that
            was in progress is not kept.
    """
    own_source = source is None
    active_source = _settings_source(settings) if source is None else source
    engine = get_engine(settings.database_url)
    rules = EventRules.from_settings(settings)
    total = 0
    try:
        while True:
            count = _process_batch(engine, active_source, rules, consumer, limit)
            total += count
            if count < limit:
                return total
    finally:
        if own_source:
            active_source.close()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_consumer(
    settings: Settings,
    stop: asyncio.Event,
    *,
    source: Optional[EventSource] = None,
    poll_interval: float = POLL_INTERVAL_SECONDS,
) -> None:
    """Follows the broker until ``stop`` is set.

    Polls every ``poll_interval`` seconds while the broker is idle and reads
    on at once while batches come back full. Database work runs in a worker
    thread, so the service's event loop stays responsive. When a database is
    unreachable, the loop waits (doubling up to :data:`MAX_RETRY_SECONDS`)
    and retries from the same cursor position; it never stops on an error.

    Args:
        settings: Where the application database and the broker are, and the thresholds.
        stop: Set it to end the loop; the batch in progress finishes first.
        source: The source to read; by default one for ``settings.event_broker_url``.
        poll_interval: Seconds between polls of an idle broker.
    """
    active_source = _settings_source(settings) if source is None else source
    engine = get_engine(settings.database_url)
    rules = EventRules.from_settings(settings)
    failures = 0
    logger.info("Event consumer %s started", CONSUMER_NAME)
    try:
        while not stop.is_set():
            try:
                count = await asyncio.to_thread(
                    _process_batch, engine, active_source, rules, CONSUMER_NAME, BATCH_SIZE
                )
            except Exception as error:
                failures += 1
                delay = min(MAX_RETRY_SECONDS, poll_interval * 2**failures)
                if failures == 1:
                    if _is_database_failure(error):
                        logger.warning("Event consumer cannot use a database, retrying: %s", error)
                    else:
                        logger.exception("Event consumer failed, retrying")
                await _wait(stop, delay)
                continue
            if failures:
                logger.info("Event consumer recovered after %d failed attempts", failures)
                failures = 0
            if count < BATCH_SIZE:
                await _wait(stop, poll_interval)
    finally:
        active_source.close()
        logger.info("Event consumer %s stopped", CONSUMER_NAME)

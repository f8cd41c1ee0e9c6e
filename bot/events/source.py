"""Where the bot service reads Rasa's events from.

Rasa publishes every event of every conversation to its event broker
(``endpoints.yml``: ``event_broker: type: SQL``). An :class:`EventSource` hands
them to the consumer in the order they were published, each with a
``position`` that only grows, so the consumer can store how far it got.

:class:`SqlBrokerSource` reads Rasa's SQL broker table ``events`` (``id``,
``sender_id``, ``data`` holding the event as JSON, see
``rasa/core/brokers/sql.py``); the row id is the position. The source only
reads: the consumer keeps its cursor in the application database, in the same
transaction as the work the events caused.

RabbitMQ (Rasa's ``pika`` broker, the production layout) is read by
:class:`bot.events.pika_source.AmqpBrokerSource`, a class with the same three
methods: ``read`` returns the messages it has received, numbered by a counter
of its own, and ``acknowledge`` acks them once the consumer has committed
their effects; the position is then only for logging, because the queue
itself remembers what was delivered. :func:`create_source` is the one place
that picks the class from the broker URL.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.db.engine import create_engine_for_url

logger = logging.getLogger(__name__)

# Rasa's SQLEventBroker.SQLBrokerEvent, declared here so that reading it does
# not import Rasa. The broker creates the table when Rasa starts.
_metadata = MetaData()
BROKER_EVENTS = Table(
    "events",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("data", Text),
)

# How long a missing row id may be waited for on a server database (see
# SqlBrokerSource).
DEFAULT_GAP_GRACE_SECONDS = 2.0


class UnsupportedBrokerError(ValueError):
    """The event broker URL names a broker the bot service cannot read."""


@dataclass(frozen=True)
class BrokerRecord:
    """One event as the broker delivered it, not yet decoded.

    Attributes:
        position: Where the record is in the broker's stream; grows with every
            record (the row id of Rasa's SQL broker).
        sender_id: The conversation, as the broker stored it next to the event.
        payload: The event as JSON text, exactly as Rasa published it.
    """

    position: int
    sender_id: Optional[str]
    payload: Optional[str]

    @property
    def source_id(self) -> str:
        """A stable id of this record, for events that carry none of their own."""
        return f"broker:{self.position}"


class EventSource(Protocol):
    """A stream of Rasa events, read in batches."""

    def read(self, after: int, limit: int) -> List[BrokerRecord]:
        """Returns up to ``limit`` records after position ``after``, oldest first."""
        ...

    def acknowledge(self, records: Sequence[BrokerRecord]) -> None:
        """Tells the broker that the effects of ``records`` are committed."""
        ...

    def close(self) -> None:
        """Releases the source's connections."""
        ...


class SqlBrokerSource:
    """Reads Rasa's SQL event broker table.

    Rows are returned in id order. On SQLite, ids are handed out and committed
    one writer at a time, so a missing id is a deleted row and never shows up
    later. On a server database two Rasa processes may commit out of order: a
    row with a higher id can be visible while a lower one is still being
    written. When the next expected id is missing, the batch stops short of the
    gap for up to ``gap_grace_seconds``; if the row has not appeared by then,
    the id is taken as rolled back and skipped, so nothing is lost and the
    stream never stalls.

    Args:
        url: SQLAlchemy URL of the broker's database.
        gap_grace_seconds: How long to wait for a missing id; by default 0 on
            SQLite and :data:`DEFAULT_GAP_GRACE_SECONDS` elsewhere.
        clock: Monotonic clock in seconds, replaceable in tests.
    """

    def __init__(
        self,
        url: str,
        *,
        gap_grace_seconds: Optional[float] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if gap_grace_seconds is None:
            is_sqlite = make_url(url).get_backend_name() == "sqlite"
            gap_grace_seconds = 0.0 if is_sqlite else DEFAULT_GAP_GRACE_SECONDS
        self._url = url
        self._gap_grace_seconds = gap_grace_seconds
        self._clock = clock
        self._engine: Optional[Engine] = None
        self._table_seen = False
        self._gaps_first_seen: Dict[int, float] = {}

    def _get_engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine_for_url(self._url)
        return self._engine

    def read(self, after: int, limit: int) -> List[BrokerRecord]:
        """Returns up to ``limit`` rows with an id above ``after``, in id order.

        Args:
            after: The position the consumer has processed up to.
            limit: The largest batch to return.

        Returns:
            The records; empty while Rasa has not created the table yet.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: When the broker's database cannot
                be read.
        """
        if limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        engine = self._get_engine()
        query = (
            select(BROKER_EVENTS.c.id, BROKER_EVENTS.c.sender_id, BROKER_EVENTS.c.data)
            .where(BROKER_EVENTS.c.id > after)
            .order_by(BROKER_EVENTS.c.id)
            .limit(limit)
        )
        try:
            with engine.connect() as connection:
                rows = connection.execute(query).all()
        except (OperationalError, ProgrammingError):
            if not self._table_seen and not inspect(engine).has_table(BROKER_EVENTS.name):
                logger.debug("Rasa has not created the event broker table yet")
                return []
            raise
        self._table_seen = True
        return self._up_to_first_gap(after, rows)

    def _up_to_first_gap(self, after: int, rows: Sequence[Any]) -> List[BrokerRecord]:
        records: List[BrokerRecord] = []
        expected = after + 1
        for row in rows:
            position, sender_id, payload = row
            # Where the consumer starts from scratch, the first row is the start.
            is_gap = position != expected and (after > 0 or bool(records))
            if is_gap and not self._gap_settled(expected):
                break
            records.append(BrokerRecord(int(position), sender_id, payload))
            expected = int(position) + 1
        self._gaps_first_seen = {
            missing: seen for missing, seen in self._gaps_first_seen.items() if missing >= expected
        }
        return records

    def _gap_settled(self, missing: int) -> bool:
        if self._gap_grace_seconds <= 0:
            return True
        now = self._clock()
        first_seen = self._gaps_first_seen.setdefault(missing, now)
        if now - first_seen < self._gap_grace_seconds:
            return False
        logger.info("Event broker row %d never appeared; skipping it", missing)
        return True

    def acknowledge(self, records: Sequence[BrokerRecord]) -> None:
        """Does nothing: the consumer's cursor is the acknowledgement."""

    def close(self) -> None:
        """Closes the pooled connections to the broker's database."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def create_source(
    url: str, *, queue: Optional[str] = None, exchange: Optional[str] = None
) -> EventSource:
    """Returns the source that reads the broker at ``url``.

    Args:
        url: ``settings.event_broker_url``: an SQLAlchemy URL (``sqlite:///…``,
            ``postgresql://…``) of Rasa's SQL broker database, or RabbitMQ's
            ``amqp://user:password@host:5672/vhost``.
        queue: The RabbitMQ queue (``settings.event_broker_queue``); only for amqp.
        exchange: The RabbitMQ exchange (``settings.event_broker_exchange``); only for amqp.

    Raises:
        UnsupportedBrokerError: For a broker the bot service has no source for.
    """
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme in ("amqp", "amqps"):
        from bot.events.pika_source import DEFAULT_EXCHANGE, DEFAULT_QUEUE, AmqpBrokerSource

        return AmqpBrokerSource(
            url, queue=queue or DEFAULT_QUEUE, exchange=exchange or DEFAULT_EXCHANGE
        )
    try:
        make_url(url).get_dialect()
    except Exception as error:  # SQLAlchemy raises ArgumentError and friends.
        raise UnsupportedBrokerError(f"EVENT_BROKER_URL is not a database URL: {url!r}") from error
    return SqlBrokerSource(url)

"""Reads Rasa's events from RabbitMQ, the production event broker.

Rasa's ``PikaEventBroker`` (``endpoints.production.yml``: ``event_broker: type:
pika``) publishes every event as JSON to a fanout exchange with a durable
queue bound to it. :class:`AmqpBrokerSource` takes messages from that queue
with ``basic.get`` and acknowledges them only when the consumer has committed
their effects, so a crash, a failed batch or a lost connection leaves them in
the queue and they are delivered again: at-least-once. A redelivered event
has the same :attr:`AmqpRecord.source_id` (a digest of its content), and the
handlers store each customer message once per message id, so nothing is
counted twice.

The queue and its exchange are declared exactly as Rasa declares them
(durable queue, non-durable fanout exchange), so the bot service may start
before the Rasa replicas without losing their first events.

The consumer calls the source from a worker thread; the source runs aio-pika,
which Rasa itself uses, on an event loop of its own in a background thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any, Coroutine, List, Optional, Sequence, TypeVar

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractQueue

from bot.events.source import BrokerRecord

logger = logging.getLogger(__name__)

DEFAULT_QUEUE = "shop_support_events"
DEFAULT_EXCHANGE = "shop_support_events"
CONNECT_TIMEOUT_SECONDS = 10.0
OPERATION_TIMEOUT_SECONDS = 30.0
GET_TIMEOUT_SECONDS = 5.0

_T = TypeVar("_T")


class BrokerUnavailableError(ConnectionError):
    """RabbitMQ could not be reached or stopped answering; the batch is retried."""


@dataclass(frozen=True)
class AmqpRecord(BrokerRecord):
    """A record taken from the RabbitMQ queue, not acknowledged yet.

    Attributes:
        digest: SHA-256 of the sender id and payload; the same for every
            delivery of one event.
    """

    digest: str = ""

    @property
    def source_id(self) -> str:
        """A stable id of this event, the same when RabbitMQ delivers it again."""
        return f"amqp:{self.digest[:40]}"


def _digest(sender_id: Optional[str], payload: str) -> str:
    return hashlib.sha256(f"{sender_id or ''}\n{payload}".encode()).hexdigest()


def _sender_of(payload: str) -> Optional[str]:
    try:
        event = json.loads(payload)
    except ValueError:
        return None
    sender = event.get("sender_id") if isinstance(event, dict) else None
    return sender if isinstance(sender, str) else None


def _redacted(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}:{parts.port or 5672}{parts.path or '/'}"


class AmqpBrokerSource:
    """Takes Rasa's events from a durable RabbitMQ queue.

    ``read`` returns the messages of the batch not yet acknowledged, if the
    last batch was not (its transaction failed), else up to ``limit`` new
    ones. ``acknowledge`` acks them. Positions are a counter continuing from
    the consumer's cursor; they are for logging only, since the queue itself
    remembers what was delivered.

    Args:
        url: ``amqp://user:password@host:5672/vhost`` (``EVENT_BROKER_URL``).
        queue: The durable queue Rasa publishes to (``EVENT_BROKER_QUEUE``).
        exchange: The fanout exchange it is bound to (``EVENT_BROKER_EXCHANGE``).
        operation_timeout: Seconds one read or acknowledgement may take.
    """

    def __init__(
        self,
        url: str,
        *,
        queue: str = DEFAULT_QUEUE,
        exchange: str = DEFAULT_EXCHANGE,
        operation_timeout: float = OPERATION_TIMEOUT_SECONDS,
    ) -> None:
        self._url = url
        self._queue_name = queue
        self._exchange_name = exchange
        self._timeout = operation_timeout
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._connection: Optional[AbstractConnection] = None
        self._channel: Optional[AbstractChannel] = None
        self._queue: Optional[AbstractQueue] = None
        self._pending: List[AmqpRecord] = []
        self._deliveries: List[AbstractIncomingMessage] = []
        self._lock = threading.Lock()

    @property
    def queue_name(self) -> str:
        """The queue this source consumes."""
        return self._queue_name

    def _run(self, coroutine: Coroutine[Any, Any, _T]) -> _T:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="amqp-event-source", daemon=True
            )
            thread.start()
            self._loop, self._thread = loop, thread
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(self._timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            # Start over on a fresh connection next time.
            asyncio.run_coroutine_threadsafe(self._disconnect(), self._loop)
            raise BrokerUnavailableError(
                f"RabbitMQ at {_redacted(self._url)} did not answer within {self._timeout:.0f} s"
            ) from None

    async def _connect(self) -> AbstractQueue:
        if self._queue is not None and self._channel is not None and not self._channel.is_closed:
            return self._queue
        await self._disconnect()
        try:
            connection = await aio_pika.connect(self._url, timeout=CONNECT_TIMEOUT_SECONDS)
        except Exception as error:
            raise BrokerUnavailableError(
                f"cannot connect to RabbitMQ at {_redacted(self._url)}: {error}"
            ) from error
        self._connection = connection
        self._channel = await connection.channel()
        # The same declarations as rasa.core.brokers.pika, or RabbitMQ refuses them.
        exchange = await self._channel.declare_exchange(
            self._exchange_name, type=aio_pika.ExchangeType.FANOUT
        )
        queue = await self._channel.declare_queue(self._queue_name, durable=True)
        await queue.bind(exchange, "")
        self._queue = queue
        logger.info(
            "Reading Rasa's events from RabbitMQ queue %s at %s",
            self._queue_name,
            _redacted(self._url),
        )
        return queue

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        self._channel, self._queue = None, None
        # Unacknowledged deliveries go back to the queue when the channel closes.
        self._pending, self._deliveries = [], []
        if connection is not None and not connection.is_closed:
            try:
                await connection.close()
            except Exception:
                logger.debug("Closing the RabbitMQ connection failed", exc_info=True)

    async def _fetch(self, after: int, limit: int) -> List[AmqpRecord]:
        try:
            queue = await self._connect()
            records: List[AmqpRecord] = []
            deliveries: List[AbstractIncomingMessage] = []
            while len(records) < limit:
                message = await queue.get(no_ack=False, fail=False, timeout=GET_TIMEOUT_SECONDS)
                if message is None:
                    break
                payload = message.body.decode("utf-8", errors="replace")
                sender = _sender_of(payload)
                position = after + len(records) + 1
                records.append(AmqpRecord(position, sender, payload, _digest(sender, payload)))
                deliveries.append(message)
        except BrokerUnavailableError:
            raise
        except Exception as error:
            await self._disconnect()
            raise BrokerUnavailableError(f"reading RabbitMQ queue failed: {error}") from error
        self._pending, self._deliveries = records, deliveries
        return records

    async def _ack(self, count: int) -> None:
        deliveries = self._deliveries[:count]
        try:
            for message in deliveries:
                await message.ack()
        except Exception as error:
            # The channel is gone: RabbitMQ delivers the messages again.
            await self._disconnect()
            raise BrokerUnavailableError(f"acknowledging events failed: {error}") from error
        self._pending = self._pending[count:]
        self._deliveries = self._deliveries[count:]

    def read(self, after: int, limit: int) -> List[BrokerRecord]:
        """Returns the unacknowledged batch again, or up to ``limit`` new events.

        Args:
            after: The consumer's cursor; new positions continue from it.
            limit: The largest batch to return.

        Returns:
            The records, oldest first; empty when the queue is empty.

        Raises:
            BrokerUnavailableError: When RabbitMQ cannot be reached.
        """
        if limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        with self._lock:
            if self._pending:
                return list(self._pending[:limit])
            return list(self._run(self._fetch(after, limit)))

    def acknowledge(self, records: Sequence[BrokerRecord]) -> None:
        """Acks ``records`` once the consumer has committed their effects.

        Raises:
            BrokerUnavailableError: When the acknowledgement could not be sent;
                RabbitMQ then delivers the events again.
        """
        with self._lock:
            if not records:
                return
            count = len(records)
            if [record.position for record in self._pending[:count]] != [
                record.position for record in records
            ]:
                raise ValueError("only the batch returned by read can be acknowledged")
            self._run(self._ack(count))

    def close(self) -> None:
        """Closes the connection; unacknowledged events stay in the queue."""
        with self._lock:
            loop, thread = self._loop, self._thread
            if loop is None or thread is None:
                return
            try:
                self._run(self._disconnect())
            finally:
                loop.call_soon_threadsafe(loop.stop)
                thread.join(timeout=5)
                loop.close()
                self._loop, self._thread = None, None

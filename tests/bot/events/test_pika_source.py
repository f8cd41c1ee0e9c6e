"""The RabbitMQ event source against the machine's RabbitMQ, fed by Rasa's own pika broker.

Each test declares a queue and exchange of its own (deleted afterwards), so
nothing else on the broker sees these events. Without RabbitMQ the tests are
skipped, except under CI, where they fail.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import AsyncIterator, Iterator, List, Tuple

import aio_pika
import pytest
from rasa.core.brokers.pika import PikaEventBroker
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sqlalchemy import select

from bot.db.engine import get_engine, session_scope
from bot.db.migrations import upgrade
from bot.db.models import MessageSentiment
from bot.events.consumer import process_pending
from bot.events.pika_source import AmqpBrokerSource, AmqpRecord, BrokerUnavailableError
from bot.events.source import BrokerRecord, create_source
from bot.settings import Settings, load_settings

RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
SENDER = "conv-amqp"


async def _broker_reachable() -> bool:
    try:
        connection = await aio_pika.connect(RABBITMQ_URL, timeout=3)
    except Exception:
        return False
    await connection.close()
    return True


@pytest.fixture
async def names() -> AsyncIterator[Tuple[str, str]]:
    """A queue and exchange used only by this test, removed afterwards."""
    if not await _broker_reachable():
        if os.environ.get("CI"):
            pytest.fail(f"RabbitMQ is required under CI ({RABBITMQ_URL})", pytrace=False)
        pytest.skip("RabbitMQ is not running")
    suffix = uuid.uuid4().hex[:10]
    queue, exchange = f"shop_prod_test_{suffix}", f"shop_prod_test_{suffix}"
    yield queue, exchange
    connection = await aio_pika.connect(RABBITMQ_URL, timeout=3)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await channel.exchange_delete(exchange)


@pytest.fixture
async def broker(names: Tuple[str, str]) -> AsyncIterator[PikaEventBroker]:
    """Rasa's pika event broker publishing to the test's queue."""
    queue, exchange = names
    event_broker = PikaEventBroker(
        "127.0.0.1",
        "guest",
        "guest",
        port=5672,
        queues=[queue],
        exchange_name=exchange,
        event_loop=asyncio.get_running_loop(),
        connection_attempts=1,
    )
    await event_broker.connect()
    yield event_broker
    await event_broker.close()


@pytest.fixture
def source(names: Tuple[str, str]) -> Iterator[AmqpBrokerSource]:
    queue, exchange = names
    amqp_source = AmqpBrokerSource(RABBITMQ_URL, queue=queue, exchange=exchange)
    yield amqp_source
    amqp_source.close()


async def publish(broker: PikaEventBroker, *events: Event) -> None:
    """Publishes like Rasa's tracker store and waits until RabbitMQ has them."""
    for event in events:
        body = {"sender_id": SENDER}
        body.update(event.as_dict())
        broker.publish(body)
    for _ in range(100):
        await asyncio.sleep(0.02)
        if not broker._background_tasks:
            return
    raise AssertionError("Rasa's broker did not publish in time")


async def read(source: AmqpBrokerSource, after: int = 0, limit: int = 50) -> List[BrokerRecord]:
    """Reads from a worker thread, as the consumer does, until something arrives."""
    deadline = time.monotonic() + 5
    while True:
        records = await asyncio.to_thread(source.read, after, limit)
        if records or time.monotonic() > deadline:
            return records
        await asyncio.sleep(0.05)


def said(text: str, message_id: str) -> UserUttered:
    return UserUttered(
        text,
        intent={"name": "complaint", "confidence": 0.9},
        parse_data={"intent": {"name": "complaint", "confidence": 0.9}, "entities": []},
        input_channel="rest",
        message_id=message_id,
    )


async def test_rasa_events_arrive_in_order_with_their_conversation(broker, source):
    await publish(broker, said("hello", "m1"), BotUttered("Hi!"), said("where is it", "m2"))

    records = await read(source, after=41)

    assert [record.position for record in records] == [42, 43, 44]
    assert {record.sender_id for record in records} == {SENDER}
    assert ['"hello"' in (records[0].payload or ""), '"Hi!"' in (records[1].payload or "")] == [
        True,
        True,
    ]
    assert all(record.source_id.startswith("amqp:") for record in records)


async def test_an_unacknowledged_batch_is_read_again_and_an_acknowledged_one_is_gone(
    broker, source
):
    await publish(broker, said("one", "m1"), said("two", "m2"))
    first = await read(source)
    await publish(broker, said("three", "m3"))

    again = await read(source)
    assert again == first  # the failed batch comes back first, nothing mixed in

    await asyncio.to_thread(source.acknowledge, again)
    rest = await read(source, after=2)
    assert [record.position for record in rest] == [3]
    assert '"three"' in (rest[0].payload or "")


async def test_events_not_acknowledged_before_a_crash_are_delivered_again(
    broker, names, source
):
    await publish(broker, said("kept safe", "m1"))
    [before] = await read(source)
    source.close()  # as if the service died before committing

    queue, exchange = names
    restarted = AmqpBrokerSource(RABBITMQ_URL, queue=queue, exchange=exchange)
    try:
        [after] = await read(restarted)
        assert isinstance(after, AmqpRecord) and isinstance(before, AmqpRecord)
        assert after.payload == before.payload
        assert after.source_id == before.source_id  # same id: handlers store it once
        await asyncio.to_thread(restarted.acknowledge, [after])
        assert await asyncio.to_thread(restarted.read, 1, 10) == []
    finally:
        restarted.close()


def _settings(tmp_path: Path, names: Tuple[str, str], database: str) -> Settings:
    queue, exchange = names
    return load_settings(
        {
            "BOT_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": f"sqlite:///{tmp_path / database}",
            "EVENT_BROKER_URL": RABBITMQ_URL,
            "EVENT_BROKER_QUEUE": queue,
            "EVENT_BROKER_EXCHANGE": exchange,
        }
    )


def _logged_messages(settings: Settings) -> List[str]:
    with session_scope(get_engine(settings.database_url)) as session:
        rows = session.execute(select(MessageSentiment.message_id)).scalars().all()
        return sorted(rows)


async def test_the_consumer_logs_messages_from_rabbitmq_and_only_then_acknowledges(
    broker, names, tmp_path
):
    await publish(broker, said("this is useless", "m1"), said("still broken", "m2"))

    broken = _settings(tmp_path, names, "missing/unmigrated.db")
    with pytest.raises(Exception):  # noqa: B017 - whichever way the database fails
        await asyncio.to_thread(process_pending, broken)

    settings = _settings(tmp_path, names, "shop.db")
    upgrade(settings.database_url)
    assert await asyncio.to_thread(process_pending, settings) == 2
    assert _logged_messages(settings) == ["m1", "m2"]
    # Acknowledged: a second consumer finds the queue empty.
    assert await asyncio.to_thread(process_pending, settings) == 0
    get_engine(settings.database_url).dispose()


def test_the_factory_reads_rabbitmq_for_an_amqp_url():
    source = create_source(RABBITMQ_URL, queue="q_name", exchange="x_name")
    try:
        assert isinstance(source, AmqpBrokerSource)
        assert source.queue_name == "q_name"
    finally:
        source.close()


def test_an_unreachable_broker_is_a_clear_error_without_the_password():
    source = AmqpBrokerSource("amqp://shop:hunter2-very-secret@127.0.0.1:1/", queue="q")
    try:
        with pytest.raises(BrokerUnavailableError) as error:
            source.read(0, 10)
        assert "127.0.0.1:1" in str(error.value)
        assert "hunter2" not in str(error.value)
    finally:
        source.close()

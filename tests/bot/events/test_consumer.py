"""The consumer against a real Rasa SQL broker table and a committed application database.

Events are published with Rasa's own ``SQLEventBroker`` (on a temporary SQLite
file) exactly as Rasa's tracker store publishes them; the application database
is the migrated SQLite or PostgreSQL test database, emptied after each test
because the consumer commits.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from rasa.core.brokers.sql import SQLEventBroker
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

import bot.events.consumer as consumer_module
from bot.db.engine import get_engine, session_scope
from bot.db.models import (
    Base,
    BrokerCursor,
    Conversation,
    CustomerTier,
    FollowUp,
    HandoffMessage,
    HandoffSender,
    MessageSentiment,
    SentimentLabel,
)
from bot.db.repositories.conversations import get_conversation, list_message_sentiments
from bot.db.repositories.handoffs import create_ticket
from bot.events.consumer import CONSUMER_NAME, cursor_position, process_pending, run_consumer
from bot.events.handlers import REASON_AT_THRESHOLD, REASON_COMPLAINT, REASON_NEGATIVE_STREAK
from bot.events.source import BrokerRecord, SqlBrokerSource
from bot.settings import Settings, load_settings
from tests.support.database import database_url_of
from tests.support.shop_factory import ShopFactory

SENDER = "conv-consumer"
T0 = datetime(2024, 5, 2, 9, 0, tzinfo=timezone.utc).timestamp()


def _wipe(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def app_db(db_engine: Engine) -> Iterator[str]:
    """URL of the migrated test database, emptied before and after the test."""
    url = database_url_of(db_engine)
    _wipe(db_engine)
    yield url
    get_engine(url).dispose()
    _wipe(db_engine)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[SQLEventBroker]:
    """Rasa's SQL event broker on a temporary SQLite file (it creates the table)."""
    event_broker = SQLEventBroker(host=f"sqlite:///{tmp_path / 'events.db'}")
    yield event_broker
    event_broker.engine.dispose()


@pytest.fixture
def settings(app_db: str, broker: SQLEventBroker, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "BOT_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": app_db,
            "EVENT_BROKER_URL": str(broker.engine.url),
            "FOLLOW_UP_THRESHOLD": "-0.5",
        }
    )


def publish(broker: SQLEventBroker, *events: Event, sender_id: str = SENDER) -> None:
    """Publishes like Rasa's tracker store: the sender id plus the event as a dict."""
    for event in events:
        body = {"sender_id": sender_id}
        body.update(event.as_dict())
        broker.publish(body)


def publish_raw(broker: SQLEventBroker, sender_id: Any, data: Any) -> None:
    with broker.session_scope() as session:
        session.add(broker.SQLBrokerEvent(sender_id=sender_id, data=data))
        session.commit()


def said(
    text: str,
    message_id: str,
    *,
    score: Any = None,
    label: str = "neutral",
    intent: str = "inform",
    timestamp: float = T0,
) -> UserUttered:
    parse_data: dict = {"intent": {"name": intent, "confidence": 0.9}, "entities": []}
    if score is not None:
        parse_data["sentiment"] = {"score": score, "label": label}
    return UserUttered(
        text,
        intent=parse_data["intent"],
        parse_data=parse_data,
        input_channel="rest",
        message_id=message_id,
        timestamp=timestamp,
    )


def last_row_id(broker: SQLEventBroker) -> int:
    with broker.session_scope() as session:
        return int(session.query(func.max(broker.SQLBrokerEvent.id)).scalar())


def count(settings: Settings, model: Any) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def stored_cursor(settings: Settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return cursor_position(session)


def create_gold_customer(settings: Settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        factory = ShopFactory(session)
        customer = factory.customer(email="gold@example.com", name="Gail Gold")
        customer.tier = CustomerTier.GOLD
        factory.order(customer, "ORD-600001", quantities=(5,))  # 79.95: 3 points
        return int(customer.id)


def test_rasa_events_become_the_sentiment_log_conversation_and_follow_up(settings, broker):
    customer_id = create_gold_customer(settings)
    publish(
        broker,
        SlotSet("customer_id", str(customer_id), timestamp=T0),
        said("Where is ORD-600001? jane@example.com", "m1", score=-0.3, label="negative"),
        BotUttered("Let me check that for you.", timestamp=T0 + 1),
        ActionExecuted("action_listen", timestamp=T0 + 2),
        said(
            "Still nothing, I want to complain",
            "m2",
            score=-0.7,
            label="negative",
            intent="complaint",
            timestamp=T0 + 60,
        ),
        said("THIS IS THE THIRD TIME!!!", "m3", timestamp=T0 + 120),
    )

    assert process_pending(settings) == 6

    with session_scope(get_engine(settings.database_url)) as session:
        rows = list_message_sentiments(session, SENDER)
        assert [row.message_id for row in rows] == ["m1", "m2", "m3"]
        assert rows[0].text_redacted == "Where is ORD-600001? [email]"
        assert {row.customer_id for row in rows} == {customer_id}
        assert rows[2].label == SentimentLabel.NEGATIVE  # scored by the consumer
        conversation = get_conversation(session, SENDER)
        assert (conversation.customer_id, conversation.customer_messages) == (customer_id, 3)
        assert (conversation.negative_streak, conversation.channel) == (3, "rest")
        assert conversation.mood < -0.3
        [item] = session.execute(select(FollowUp)).scalars().all()
        assert item.conversation_id == SENDER
        assert item.reason == "; ".join(
            [REASON_AT_THRESHOLD, REASON_NEGATIVE_STREAK, REASON_COMPLAINT]
        )
        assert item.customer_id == customer_id
        assert item.priority >= 40 + 25 + 3
    assert stored_cursor(settings) == last_row_id(broker)


def test_a_second_run_does_nothing_and_a_replay_doubles_nothing(settings, broker):
    publish(
        broker,
        said("this is useless", "m1", score=-0.8, label="negative"),
        said("still useless", "m2", score=-0.6, label="negative", timestamp=T0 + 5),
    )
    assert process_pending(settings) == 2
    assert process_pending(settings) == 0

    # Replay everything, as after restoring the cursor from an old backup.
    with session_scope(get_engine(settings.database_url)) as session:
        cursor = session.execute(select(BrokerCursor)).scalar_one()
        assert cursor.consumer == CONSUMER_NAME
        cursor.position = 0
    assert process_pending(settings) == 2

    assert count(settings, MessageSentiment) == 2
    assert count(settings, FollowUp) == 1
    with session_scope(get_engine(settings.database_url)) as session:
        conversation = get_conversation(session, SENDER)
        assert (conversation.customer_messages, conversation.negative_streak) == (2, 2)
    assert stored_cursor(settings) == last_row_id(broker)


def test_new_events_are_picked_up_after_the_cursor(settings, broker):
    publish(broker, said("hello", "m1", score=0.0))
    assert process_pending(settings) == 1
    publish(broker, said("my order", "m2", score=0.0, timestamp=T0 + 3))
    assert process_pending(settings) == 1
    assert count(settings, MessageSentiment) == 2


def test_events_are_processed_in_batches(settings, broker):
    publish(broker, *(said(f"message {n}", f"m{n}", score=0.0, timestamp=T0 + n) for n in range(7)))
    assert process_pending(settings, limit=3) == 7
    assert count(settings, MessageSentiment) == 7
    assert stored_cursor(settings) == last_row_id(broker)


def test_malformed_and_unknown_events_are_skipped_and_the_rest_kept(settings, broker):
    publish_raw(broker, SENDER, "not json at all")
    publish_raw(broker, SENDER, "[1, 2, 3]")
    publish_raw(broker, SENDER, None)
    publish_raw(broker, SENDER, json.dumps({"event": "telepathy", "sender_id": SENDER}))
    publish_raw(broker, None, json.dumps({"event": "user", "text": "nobody sent this"}))
    publish(broker, said("finally a real message", "m1", score=0.2, label="neutral"))

    assert process_pending(settings) == 6

    assert count(settings, MessageSentiment) == 1
    assert stored_cursor(settings) == last_row_id(broker)


def test_an_event_that_fails_is_skipped_without_losing_the_others(settings, broker, monkeypatch):
    real = consumer_module.handle_event

    def failing_on_m2(session, event, rules, **kwargs):
        result = real(session, event, rules, **kwargs)
        if event.get("message_id") == "m2":
            raise ValueError("a bug in a handler")
        return result

    monkeypatch.setattr(consumer_module, "handle_event", failing_on_m2)
    publish(
        broker,
        said("one", "m1", score=0.0),
        said("two", "m2", score=-0.9, label="negative", timestamp=T0 + 1),
        said("three", "m3", score=0.0, timestamp=T0 + 2),
    )
    assert process_pending(settings) == 3
    with session_scope(get_engine(settings.database_url)) as session:
        # m2's writes were rolled back to its savepoint, with its follow-up.
        assert [row.message_id for row in list_message_sentiments(session, SENDER)] == ["m1", "m3"]
        assert get_conversation(session, SENDER).customer_messages == 2
    assert count(settings, FollowUp) == 0


def test_a_database_outage_keeps_the_cursor_and_the_batch_is_done_once_later(
    settings, broker, monkeypatch
):
    real = consumer_module.handle_event
    outage = {"left": 1}

    def outage_on_m2(session, event, rules, **kwargs):
        if event.get("message_id") == "m2" and outage["left"]:
            outage["left"] -= 1
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return real(session, event, rules, **kwargs)

    monkeypatch.setattr(consumer_module, "handle_event", outage_on_m2)
    publish(
        broker,
        said("one", "m1", score=-0.9, label="negative"),
        said("two", "m2", score=0.0, timestamp=T0 + 1),
    )
    with pytest.raises(OperationalError):
        process_pending(settings)
    # Nothing of the batch was kept, m1 included, and the cursor did not move.
    assert stored_cursor(settings) == 0
    assert count(settings, MessageSentiment) == 0
    assert count(settings, FollowUp) == 0

    assert process_pending(settings) == 2
    assert count(settings, MessageSentiment) == 2
    assert count(settings, FollowUp) == 1
    with session_scope(get_engine(settings.database_url)) as session:
        assert get_conversation(session, SENDER).customer_messages == 2


async def test_events_that_rasa_streams_from_its_tracker_store_are_consumed(settings, broker):
    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    store = InMemoryTrackerStore(Domain.empty(), event_broker=broker)
    tracker = DialogueStateTracker.from_events(
        "conv-tracker",
        [
            ActionExecuted("action_listen"),
            said("I'm furious, the lamp arrived broken", "t1", score=-0.85, label="negative"),
            BotUttered("I'm sorry to hear that."),
        ],
    )
    await store.save(tracker)

    assert await asyncio.to_thread(process_pending, settings) == 3
    with session_scope(get_engine(settings.database_url)) as session:
        [row] = list_message_sentiments(session, "conv-tracker")
        assert (row.message_id, row.score) == ("t1", pytest.approx(-0.85))
        assert session.execute(select(FollowUp.reason)).scalar_one() == REASON_AT_THRESHOLD


async def wait_for(predicate, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if await asyncio.to_thread(predicate):
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"not true within {timeout} s")


async def test_a_paused_conversations_message_reaches_the_agent_within_two_seconds(
    settings, broker
):
    with session_scope(get_engine(settings.database_url)) as session:
        ticket_id = create_ticket(
            session, SENDER, "customer asked for a person", {}, channel="rest"
        ).id
    stop = asyncio.Event()
    task = asyncio.create_task(run_consumer(settings, stop))
    try:
        await asyncio.sleep(0.4)  # the consumer is idle, polling
        publish(broker, said("Hello? My number is 087 123 4567", "live-1", timestamp=time.time()))

        def relayed() -> List[HandoffMessage]:
            with session_scope(get_engine(settings.database_url)) as session:
                return list(session.execute(select(HandoffMessage)).scalars())

        elapsed = await wait_for(lambda: bool(relayed()), timeout=2.0)
        assert elapsed < 2.0
        [message] = relayed()
        assert (message.ticket_id, message.sender, message.source_id) == (
            ticket_id,
            HandoffSender.CUSTOMER,
            "live-1",
        )
        assert message.text == "Hello? My number is [phone]"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)


class FlakySource:
    """A real SQL source whose first reads fail as if the database were down."""

    def __init__(self, url: str, failures: int) -> None:
        self.inner = SqlBrokerSource(url)
        self.failures_left = failures
        self.closed = False

    def read(self, after: int, limit: int) -> List[BrokerRecord]:
        if self.failures_left:
            self.failures_left -= 1
            raise OperationalError("SELECT", {}, Exception("could not connect to server"))
        return self.inner.read(after, limit)

    def acknowledge(self, records) -> None:
        self.inner.acknowledge(records)

    def close(self) -> None:
        self.closed = True
        self.inner.close()


async def test_the_loop_waits_out_an_outage_and_carries_on(settings, broker):
    publish(broker, said("hello", "m1", score=0.0))
    source = FlakySource(settings.event_broker_url, failures=3)
    stop = asyncio.Event()
    task = asyncio.create_task(run_consumer(settings, stop, source=source, poll_interval=0.02))
    try:
        await wait_for(lambda: count(settings, MessageSentiment) == 1, timeout=5.0)
        assert source.failures_left == 0
        assert not task.done()
        publish(broker, said("still there?", "m2", score=0.0, timestamp=T0 + 1))
        await wait_for(lambda: count(settings, MessageSentiment) == 2, timeout=5.0)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    assert source.closed
    assert count(settings, Conversation) == 1
    assert stored_cursor(settings) == last_row_id(broker)

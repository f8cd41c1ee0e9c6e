"""The SQL tracker store that finds the events to publish with a count."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.runtime.tracker_store import CountingSQLTrackerStore

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SENDER = "customer-1"


class RecordingBroker(EventBroker):
    """Keeps every published event body, as RabbitMQ would receive them."""

    def __init__(self) -> None:
        self.published: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.published.append(event)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def make_store(
    cls: type, path: Path, domain: Domain, broker: Optional[EventBroker]
) -> TrackerStore:
    return cls(domain=domain, host=f"sqlite:///{path}", event_broker=broker)


def first_turn() -> List[Any]:
    return [
        ActionExecuted("action_session_start", timestamp=1.0),
        SessionStarted(timestamp=1.1),
        ActionExecuted("action_listen", timestamp=1.2),
        UserUttered("hello", {"name": "greet", "confidence": 0.99}, timestamp=2.0),
        ActionExecuted("utter_greet", timestamp=2.1),
        BotUttered("Hi! How can I help?", timestamp=2.2),
        ActionExecuted("action_listen", timestamp=2.3),
    ]


def second_turn() -> List[Any]:
    return [
        UserUttered(
            "where is ORD-104233", {"name": "order_status", "confidence": 0.9}, timestamp=3.0
        ),
        SlotSet("order_number", "ORD-104233", timestamp=3.1),
        ActionExecuted("action_listen", timestamp=3.2),
    ]


def second_turn_unsaved(store: TrackerStore, domain: Domain) -> DialogueStateTracker:
    """Saves the first turn, reloads it and adds the second turn without saving it."""
    asyncio.run(store.save(DialogueStateTracker.from_events(SENDER, first_turn(), domain.slots)))
    tracker = asyncio.run(store.retrieve(SENDER))
    assert tracker is not None
    for event in second_turn():
        tracker.update(event)
    return tracker


def save_two_turns(store: TrackerStore, domain: Domain) -> DialogueStateTracker:
    tracker = second_turn_unsaved(store, domain)
    asyncio.run(store.save(tracker))
    return tracker


def stored_rows(path: Path) -> List[tuple]:
    import sqlite3

    with sqlite3.connect(path) as connection:
        return connection.execute(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data "
            "FROM events ORDER BY id"
        ).fetchall()


def test_each_event_is_stored_and_published_once(tmp_path: Path, domain: Domain) -> None:
    broker = RecordingBroker()
    store = make_store(CountingSQLTrackerStore, tmp_path / "t.db", domain, broker)

    save_two_turns(store, domain)

    expected = first_turn() + second_turn()
    assert [body["event"] for body in broker.published] == [e.type_name for e in expected]
    assert [body["timestamp"] for body in broker.published] == [e.timestamp for e in expected]
    assert {body["sender_id"] for body in broker.published} == {SENDER}
    assert [row[1] for row in stored_rows(tmp_path / "t.db")] == [e.type_name for e in expected]
    reloaded = asyncio.run(store.retrieve(SENDER))
    assert reloaded is not None
    assert reloaded.get_slot("order_number") == "ORD-104233"
    assert reloaded.latest_message.text == "where is ORD-104233"


def test_saving_an_unchanged_tracker_adds_nothing(tmp_path: Path, domain: Domain) -> None:
    broker = RecordingBroker()
    store = make_store(CountingSQLTrackerStore, tmp_path / "t.db", domain, broker)
    tracker = save_two_turns(store, domain)
    published = len(broker.published)

    asyncio.run(store.save(tracker))

    assert len(broker.published) == published
    assert len(stored_rows(tmp_path / "t.db")) == published


def test_same_rows_and_messages_as_rasas_store(tmp_path: Path, domain: Domain) -> None:
    ours, rasas = RecordingBroker(), RecordingBroker()
    save_two_turns(make_store(CountingSQLTrackerStore, tmp_path / "ours.db", domain, ours), domain)
    save_two_turns(make_store(SQLTrackerStore, tmp_path / "rasa.db", domain, rasas), domain)

    assert ours.published == rasas.published
    assert stored_rows(tmp_path / "ours.db") == stored_rows(tmp_path / "rasa.db")


def test_saving_never_rebuilds_the_stored_tracker(
    tmp_path: Path, domain: Domain, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = RecordingBroker()
    store = make_store(CountingSQLTrackerStore, tmp_path / "t.db", domain, broker)
    tracker = second_turn_unsaved(store, domain)

    async def no_retrieve(sender_id: str) -> None:
        raise AssertionError(f"save rebuilt the tracker of {sender_id}")

    monkeypatch.setattr(store, "retrieve", no_retrieve)
    asyncio.run(store.save(tracker))

    assert len(broker.published) == len(first_turn() + second_turn())


def test_works_without_an_event_broker(tmp_path: Path, domain: Domain) -> None:
    store = make_store(CountingSQLTrackerStore, tmp_path / "t.db", domain, None)
    save_two_turns(store, domain)
    assert len(stored_rows(tmp_path / "t.db")) == len(first_turn() + second_turn())


def test_the_endpoint_files_name_this_store() -> None:
    for name in ("endpoints.yml", "endpoints.production.yml"):
        config = yaml.safe_load((PROJECT_ROOT / name).read_text())
        assert (
            config["tracker_store"]["type"] == "bot.runtime.tracker_store.CountingSQLTrackerStore"
        )


def test_the_embedded_event_broker_stays_rasas_sql_broker() -> None:
    config = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text())
    assert config["event_broker"]["type"] == "SQL"

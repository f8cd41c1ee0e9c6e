from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, Set

import pytest
from sqlalchemy import func, select, update

from bot.db.engine import session_scope
from bot.db.models import (
    Customer,
    FaqFeedback,
    FollowUp,
    HandoffMessage,
    HandoffSender,
    HandoffTicket,
    MessageSentiment,
    Order,
    SentimentLabel,
    UnansweredQuestion,
)
from bot.db.repositories.conversations import add_message_sentiment, get_or_create_conversation
from bot.db.repositories.follow_ups import raise_follow_up
from bot.db.repositories.handoffs import add_message, create_ticket
from bot.db.repositories.knowledge_feedback import record_feedback, record_unanswered
from bot.privacy.retention import run_retention
from bot.settings import SettingsError, load_settings
from tests.bot.privacy.people import conversation_events
from tests.support.shop_factory import ShopFactory
from tests.support.stores import Stores

NOW = datetime(2025, 6, 1, 9, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=400)
RECENT = NOW - timedelta(days=20)


def _app_conversation(stores: Stores, conversation_id: str, at: datetime) -> None:
    """A conversation with a message, a handoff, a follow-up and FAQ feedback, all at ``at``."""
    with session_scope(stores.app) as session:
        get_or_create_conversation(session, conversation_id, channel="rest", now=at)
        add_message_sentiment(
            session,
            conversation_id=conversation_id,
            message_id=f"{conversation_id}-1",
            score=-0.6,
            label=SentimentLabel.NEGATIVE,
            text_redacted="where is my parcel",
            created_at=at,
        )
        ticket = create_ticket(session, conversation_id, "asked for a person", {}, now=at)
        add_message(
            session, ticket, HandoffSender.CUSTOMER, "hello?", f"{conversation_id}:1", now=at
        )
        raise_follow_up(session, conversation_id, "negative message", 10, now=at)
        record_feedback(session, conversation_id, "returns_policy", "returns?", False, now=at)
        record_unanswered(session, conversation_id, "where is it", "fallback", now=at)


def _per_conversation(stores: Stores) -> Dict[str, Set[str]]:
    with session_scope(stores.app) as session:
        found = {
            model.__tablename__: set(session.execute(select(model.conversation_id)).scalars())
            for model in (
                MessageSentiment,
                HandoffTicket,
                FollowUp,
                FaqFeedback,
                UnansweredQuestion,
            )
        }
        found["handoff_messages"] = set(
            session.execute(
                select(HandoffTicket.conversation_id).join(
                    HandoffMessage, HandoffMessage.ticket_id == HandoffTicket.id
                )
            ).scalars()
        )
    senders = stores.event_senders()
    found["tracker"] = set(senders["tracker"])
    found["broker"] = set(senders["broker"])
    return found


@pytest.fixture
def history(stores: Stores) -> Stores:
    """Conversations of different ages, in one store or several."""
    _app_conversation(stores, "old", OLD)
    stores.add_events("old", conversation_events("where is my parcel", None, OLD))
    # The tracker store saw this one lately, though the database did not.
    _app_conversation(stores, "old-here-recent-there", OLD)
    stores.add_events("old-here-recent-there", conversation_events("hi again", None, RECENT))
    # And this one the other way round.
    _app_conversation(stores, "recent-here-old-there", RECENT)
    stores.add_events("recent-here-old-there", conversation_events("hello", None, OLD))
    stores.add_events("old-only-in-rasa", conversation_events("hello", None, OLD))
    _app_conversation(stores, "old-only-here", OLD)
    _app_conversation(stores, "recent", RECENT)
    stores.add_events("recent", conversation_events("hello", None, RECENT))
    # An agent is still working on this one's follow-up.
    _app_conversation(stores, "followed-up-lately", OLD)
    with session_scope(stores.app) as session:
        session.execute(
            update(FollowUp)
            .where(FollowUp.conversation_id == "followed-up-lately")
            .values(updated_at=RECENT)
        )
        factory = ShopFactory(session)
        factory.order(factory.customer(email="kept@example.com"), "ORD-500001", placed_at=OLD)
    return stores


EXPIRED = {"old", "old-only-in-rasa", "old-only-here"}
IN_RASA = {"old-here-recent-there", "recent-here-old-there", "recent"}
KEPT = IN_RASA | {"followed-up-lately"}


def test_conversations_past_the_period_are_deleted_everywhere(history: Stores) -> None:
    report = run_retention(history.settings, days=365, now=NOW)

    assert report is not None
    assert report.conversations == len(EXPIRED)
    left = _per_conversation(history)
    for store, conversations in left.items():
        assert not conversations & EXPIRED, store
    assert report.tracker_events == 2 * len(conversation_events("", None, OLD))
    assert report.broker_events == report.tracker_events
    assert report.deleted["message_sentiments"] == 2
    assert report.deleted["handoff_messages"] == 2
    assert report.deleted["conversations"] == 2


def test_conversations_active_anywhere_within_the_period_stay(history: Stores) -> None:
    run_retention(history.settings, days=365, now=NOW)

    left = _per_conversation(history)
    for store in ("message_sentiments", "handoff_tickets", "handoff_messages", "follow_ups"):
        assert left[store] == KEPT, store
    assert left["tracker"] == IN_RASA
    assert left["broker"] == IN_RASA


def test_customers_and_orders_are_kept(history: Stores) -> None:
    run_retention(history.settings, days=365, now=NOW)

    with session_scope(history.app) as session:
        assert session.execute(select(func.count()).select_from(Customer)).scalar_one() == 1
        assert session.execute(select(Order.number)).scalars().all() == ["ORD-500001"]


def test_a_second_run_finds_nothing_more(history: Stores) -> None:
    run_retention(history.settings, days=365, now=NOW)
    before = _per_conversation(history)

    again = run_retention(history.settings, days=365, now=NOW)

    assert again is not None
    assert (again.conversations, again.tracker_events, again.broker_events) == (0, 0, 0)
    assert _per_conversation(history) == before


def test_the_period_comes_from_the_settings(history: Stores) -> None:
    settings = replace(history.settings, retention_days=365)

    report = run_retention(settings, now=NOW)

    assert report is not None
    assert (report.days, report.conversations) == (365, len(EXPIRED))
    assert report.cutoff == NOW - timedelta(days=365)


def test_retention_is_off_unless_configured(history: Stores) -> None:
    before = _per_conversation(history)

    assert history.settings.retention_days == 0
    assert run_retention(history.settings, now=NOW) is None
    assert run_retention(history.settings, days=0, now=NOW) is None
    assert _per_conversation(history) == before


def test_a_longer_period_keeps_more(history: Stores) -> None:
    report = run_retention(history.settings, days=500, now=NOW)

    assert report is not None
    assert report.conversations == 0
    assert "old" in _per_conversation(history)["tracker"]


def test_retention_days_setting(tmp_path: Path) -> None:
    base = {"BOT_VAR_DIR": str(tmp_path)}
    assert load_settings(base).retention_days == 0
    assert load_settings({**base, "RETENTION_DAYS": "365"}).retention_days == 365
    for bad in ("-1", "a year"):
        with pytest.raises(SettingsError, match="RETENTION_DAYS"):
            load_settings({**base, "RETENTION_DAYS": bad})

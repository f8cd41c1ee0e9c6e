from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from bot.db.models import Conversation, MessageSentiment, SentimentLabel
from bot.db.repositories.conversations import (
    add_message_sentiment,
    find_message_sentiment,
    get_conversation,
    get_or_create_conversation,
    list_message_sentiments,
    record_customer_message,
    reset_negative_streak,
    set_conversation_customer,
)

T0 = datetime(2024, 5, 2, 9, 0, tzinfo=timezone.utc)


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_conversation_is_created_once_and_learns_its_channel_later(db_session):
    first = get_or_create_conversation(db_session, "conv-1", now=T0)
    assert first.id is not None
    assert (first.channel, first.started_at, first.customer_messages, first.mood) == (
        None,
        T0,
        0,
        0.0,
    )
    again = get_or_create_conversation(db_session, "conv-1", channel="socketio")
    assert again.id == first.id
    assert again.channel == "socketio"
    # A channel once known is not overwritten by a later event.
    get_or_create_conversation(db_session, "conv-1", channel="rest")
    assert get_conversation(db_session, "conv-1").channel == "socketio"
    assert count(db_session, Conversation) == 1
    assert get_conversation(db_session, "conv-unknown") is None


def test_counters_mood_and_negative_streak_follow_the_messages(db_session):
    conversation = get_or_create_conversation(db_session, "conv-1", channel="rest", now=T0)
    record_customer_message(
        db_session,
        conversation,
        label=SentimentLabel.NEGATIVE,
        mood=-0.3,
        fallback=False,
        at=T0 + timedelta(minutes=1),
    )
    record_customer_message(
        db_session,
        conversation,
        label=SentimentLabel.NEGATIVE,
        mood=-0.5,
        fallback=True,
        at=T0 + timedelta(minutes=2),
    )
    db_session.expire_all()
    stored = get_conversation(db_session, "conv-1")
    assert (stored.customer_messages, stored.fallback_messages, stored.negative_streak) == (2, 1, 2)
    assert stored.mood == pytest.approx(-0.5)
    assert stored.last_label == SentimentLabel.NEGATIVE
    assert stored.last_message_at == T0 + timedelta(minutes=2)

    record_customer_message(
        db_session,
        stored,
        label=SentimentLabel.POSITIVE,
        mood=0.1,
        fallback=False,
        at=T0 + timedelta(minutes=3),
    )
    assert (stored.negative_streak, stored.last_label) == (0, SentimentLabel.POSITIVE)


def test_a_late_event_does_not_move_the_last_message_time_back(db_session):
    conversation = get_or_create_conversation(db_session, "conv-1", now=T0)
    later = T0 + timedelta(minutes=5)
    for at in (later, T0 + timedelta(minutes=1)):
        record_customer_message(
            db_session,
            conversation,
            label=SentimentLabel.NEUTRAL,
            mood=0.0,
            fallback=False,
            at=at,
        )
    assert conversation.last_message_at == later


def test_a_mood_outside_the_scale_is_refused(db_session):
    conversation = get_or_create_conversation(db_session, "conv-1", now=T0)
    with pytest.raises(ValueError, match="mood"):
        record_customer_message(
            db_session,
            conversation,
            label=SentimentLabel.NEGATIVE,
            mood=-1.5,
            fallback=False,
            at=T0,
        )


def test_reset_negative_streak_ends_the_run(db_session):
    conversation = get_or_create_conversation(db_session, "conv-1", now=T0)
    record_customer_message(
        db_session, conversation, label=SentimentLabel.NEGATIVE, mood=-0.4, fallback=False, at=T0
    )
    reset_negative_streak(db_session, conversation)
    db_session.expire_all()
    assert get_conversation(db_session, "conv-1").negative_streak == 0


def test_the_conversation_remembers_its_verified_customer(db_session, factory):
    customer = factory.customer()
    conversation = get_or_create_conversation(db_session, "conv-1", now=T0)
    set_conversation_customer(db_session, conversation, customer.id)
    db_session.expire_all()
    assert get_conversation(db_session, "conv-1").customer_id == customer.id


def test_a_message_is_logged_once_even_when_replayed(db_session, factory):
    customer = factory.customer()
    logged = add_message_sentiment(
        db_session,
        conversation_id="conv-1",
        message_id="msg-1",
        score=-0.62,
        label=SentimentLabel.NEGATIVE,
        text_redacted="Still waiting for ORD-100002, mail me at [email]",
        channel="rest",
        intent="order_status",
        customer_id=customer.id,
        created_at=T0,
    )
    assert logged is not None
    replay = add_message_sentiment(
        db_session,
        conversation_id="conv-1",
        message_id="msg-1",
        score=0.9,
        label=SentimentLabel.POSITIVE,
        text_redacted="something else",
    )
    assert replay is None
    assert count(db_session, MessageSentiment) == 1
    stored = find_message_sentiment(db_session, "conv-1", "msg-1")
    assert (stored.score, stored.label, stored.intent, stored.channel) == (
        pytest.approx(-0.62),
        SentimentLabel.NEGATIVE,
        "order_status",
        "rest",
    )
    assert stored.text_redacted == "Still waiting for ORD-100002, mail me at [email]"
    assert (stored.customer_id, stored.created_at) == (customer.id, T0)


def test_the_same_message_id_in_another_conversation_is_another_message(db_session):
    for conversation_id in ("conv-1", "conv-2"):
        assert (
            add_message_sentiment(
                db_session,
                conversation_id=conversation_id,
                message_id="msg-1",
                score=0.0,
                label=SentimentLabel.NEUTRAL,
                text_redacted="hello",
            )
            is not None
        )
    assert count(db_session, MessageSentiment) == 2


def test_overlong_intent_and_channel_are_cut_to_fit(db_session):
    add_message_sentiment(
        db_session,
        conversation_id="conv-1",
        message_id="msg-1",
        score=0.0,
        label=SentimentLabel.NEUTRAL,
        text_redacted="hi",
        channel="c" * 80,
        intent="i" * 150,
    )
    stored = find_message_sentiment(db_session, "conv-1", "msg-1")
    assert (len(stored.channel), len(stored.intent)) == (64, 100)


@pytest.mark.parametrize("score", [-1.01, 1.5])
def test_a_score_outside_the_scale_is_refused(db_session, score):
    with pytest.raises(ValueError, match="score"):
        add_message_sentiment(
            db_session,
            conversation_id="conv-1",
            message_id="msg-1",
            score=score,
            label=SentimentLabel.NEUTRAL,
            text_redacted="hi",
        )
    assert count(db_session, MessageSentiment) == 0


def test_messages_are_listed_oldest_first(db_session):
    for message_id, minutes in (("b", 2), ("a", 1), ("c", 3)):
        add_message_sentiment(
            db_session,
            conversation_id="conv-1",
            message_id=message_id,
            score=0.0,
            label=SentimentLabel.NEUTRAL,
            text_redacted=message_id,
            created_at=T0 + timedelta(minutes=minutes),
        )
    add_message_sentiment(
        db_session,
        conversation_id="conv-2",
        message_id="z",
        score=0.0,
        label=SentimentLabel.NEUTRAL,
        text_redacted="other",
    )
    assert [row.message_id for row in list_message_sentiments(db_session, "conv-1")] == [
        "a",
        "b",
        "c",
    ]

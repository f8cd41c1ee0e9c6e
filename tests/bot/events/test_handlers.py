from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional

import pytest
from sqlalchemy import func, select

from bot.db.models import (
    Conversation,
    CustomerTier,
    FollowUp,
    FollowUpStatus,
    HandoffMessage,
    HandoffSender,
    MessageSentiment,
    SentimentLabel,
)
from bot.db.repositories.conversations import find_message_sentiment, get_conversation
from bot.db.repositories.handoffs import create_ticket, resolve_ticket
from bot.events.handlers import (
    REASON_AT_THRESHOLD,
    REASON_COMPLAINT,
    REASON_DAMAGED_ITEM,
    REASON_NEGATIVE_STREAK,
    EventRules,
    MalformedEventError,
    decode_event,
    handle_event,
    is_damaged_item_flag,
)
from bot.nlp.mood import next_mood
from bot.nlp.sentiment import score_text

RULES = EventRules(follow_up_threshold=-0.5)
T0 = datetime(2024, 5, 2, 9, 0, tzinfo=timezone.utc)
CONVERSATION = "conv-1"


def at(minutes: float) -> float:
    return (T0 + timedelta(minutes=minutes)).timestamp()


def user(
    text: str,
    *,
    message_id: Optional[str] = "m1",
    score: Optional[float] = None,
    label: Optional[str] = None,
    intent: str = "inform",
    minutes: float = 1,
    channel: str = "rest",
    sender_id: str = CONVERSATION,
) -> Dict[str, Any]:
    parse_data: Dict[str, Any] = {
        "intent": {"name": intent, "confidence": 0.93},
        "entities": [],
        "text": text,
    }
    if score is not None:
        parse_data["sentiment"] = {"score": score, "label": label or "neutral"}
    event: Dict[str, Any] = {
        "event": "user",
        "sender_id": sender_id,
        "timestamp": at(minutes),
        "text": text,
        "parse_data": parse_data,
        "input_channel": channel,
        "metadata": {},
    }
    if message_id is not None:
        event["message_id"] = message_id
    return event


def slot(name: str, value: Any, minutes: float = 0.5) -> Dict[str, Any]:
    return {
        "event": "slot",
        "sender_id": CONVERSATION,
        "timestamp": at(minutes),
        "name": name,
        "value": value,
    }


def handle(session, event, rules=RULES, source_id="broker:1"):
    return handle_event(session, event, rules, source_id=source_id)


def follow_up(session) -> Optional[FollowUp]:
    return session.execute(
        select(FollowUp).where(FollowUp.conversation_id == CONVERSATION)
    ).scalar_one_or_none()


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_a_customer_message_is_logged_redacted_with_its_sentiment(db_session):
    text = "Card 4111 1111 1111 1111, mail jane.doe@example.com, order ORD-100002"
    handle(db_session, user(text, score=-0.31, label="negative", intent="order_status"))
    row = find_message_sentiment(db_session, CONVERSATION, "m1")
    assert row.text_redacted == "Card [card], mail [email], order ORD-100002"
    assert (row.score, row.label, row.intent, row.channel) == (
        pytest.approx(-0.31),
        SentimentLabel.NEGATIVE,
        "order_status",
        "rest",
    )
    assert row.created_at == T0 + timedelta(minutes=1)
    assert row.customer_id is None
    conversation = get_conversation(db_session, CONVERSATION)
    assert (conversation.customer_messages, conversation.fallback_messages) == (1, 0)
    assert conversation.channel == "rest"
    assert conversation.mood == pytest.approx(next_mood(0.0, -0.31))
    assert (conversation.last_label, conversation.negative_streak) == (SentimentLabel.NEGATIVE, 1)
    assert conversation.last_message_at == T0 + timedelta(minutes=1)


def test_a_message_without_sentiment_in_the_parse_data_is_scored_here(db_session):
    text = "I am STILL waiting, this is the third time!!!"
    handle(db_session, user(text))
    expected = score_text(text)
    row = find_message_sentiment(db_session, CONVERSATION, "m1")
    assert row.score == pytest.approx(expected.score)
    assert row.label == SentimentLabel(expected.label) == SentimentLabel.NEGATIVE


def test_a_sentiment_label_that_is_not_ours_is_derived_from_the_score(db_session):
    handle(db_session, user("meh", score=0.6, label="ecstatic"))
    assert find_message_sentiment(db_session, CONVERSATION, "m1").label == SentimentLabel.POSITIVE


def test_mood_rolls_over_the_messages(db_session):
    handle(db_session, user("one", message_id="m1", score=-0.9, label="negative"))
    handle(db_session, user("two", message_id="m2", score=0.5, label="positive", minutes=2))
    conversation = get_conversation(db_session, CONVERSATION)
    assert conversation.mood == pytest.approx(next_mood(next_mood(0.0, -0.9), 0.5))
    assert conversation.customer_messages == 2


def test_fallbacks_are_counted(db_session):
    handle(db_session, user("blorp", message_id="m1", intent="nlu_fallback", score=0.0))
    handle(db_session, user("zzz", message_id="m2", intent="nlu_fallback", score=0.0, minutes=2))
    handle(db_session, user("my order", message_id="m3", intent="order_status", score=0.0))
    conversation = get_conversation(db_session, CONVERSATION)
    assert (conversation.customer_messages, conversation.fallback_messages) == (3, 2)


def test_a_replayed_message_changes_nothing(db_session):
    event = user("this is useless", score=-0.7, label="negative")
    first = handle(db_session, event)
    second = handle(db_session, event, source_id="broker:2")
    assert not first.duplicate and second.duplicate
    conversation = get_conversation(db_session, CONVERSATION)
    assert (conversation.customer_messages, conversation.negative_streak) == (1, 1)
    assert count(db_session, MessageSentiment) == 1


def test_a_message_without_an_id_is_logged_under_its_broker_row(db_session):
    handle(db_session, user("hello", message_id=None, score=0.0), source_id="broker:42")
    assert find_message_sentiment(db_session, CONVERSATION, "broker:42") is not None


def test_a_message_at_the_threshold_raises_a_follow_up(db_session):
    outcome = handle(db_session, user("awful", score=-0.5, label="negative"))
    assert outcome.follow_up_reasons == (REASON_AT_THRESHOLD,)
    item = follow_up(db_session)
    assert (item.reason, item.status, item.priority) == (
        REASON_AT_THRESHOLD,
        FollowUpStatus.OPEN,
        38,
    )


def test_a_mildly_negative_message_alone_raises_nothing(db_session):
    outcome = handle(db_session, user("a bit slow", score=-0.3, label="negative"))
    assert outcome.follow_up_reasons == ()
    assert follow_up(db_session) is None


def test_the_threshold_comes_from_the_rules(db_session):
    rules = EventRules(follow_up_threshold=-0.2)
    handle(db_session, user("a bit slow", score=-0.3, label="negative"), rules=rules)
    assert follow_up(db_session).reason == REASON_AT_THRESHOLD


def test_two_negative_messages_in_a_row_raise_a_follow_up(db_session):
    handle(db_session, user("slow", message_id="m1", score=-0.3, label="negative"))
    outcome = handle(
        db_session, user("still slow", message_id="m2", score=-0.35, label="negative", minutes=2)
    )
    assert outcome.follow_up_reasons == (REASON_NEGATIVE_STREAK,)
    assert follow_up(db_session).reason == REASON_NEGATIVE_STREAK
    assert get_conversation(db_session, CONVERSATION).negative_streak == 2


def test_a_friendly_message_in_between_breaks_the_run(db_session):
    handle(db_session, user("slow", message_id="m1", score=-0.3, label="negative"))
    handle(db_session, user("ok thanks", message_id="m2", score=0.4, label="positive", minutes=2))
    handle(db_session, user("slow", message_id="m3", score=-0.3, label="negative", minutes=3))
    assert follow_up(db_session) is None
    assert get_conversation(db_session, CONVERSATION).negative_streak == 1


def test_a_new_session_breaks_the_run(db_session):
    handle(db_session, user("slow", message_id="m1", score=-0.3, label="negative"))
    handle(db_session, {"event": "session_started", "sender_id": CONVERSATION})
    handle(db_session, user("slow", message_id="m2", score=-0.3, label="negative", minutes=2))
    assert follow_up(db_session) is None


def test_a_complaint_raises_a_follow_up_even_when_calm(db_session):
    outcome = handle(db_session, user("I want to make a complaint", intent="complaint", score=0.0))
    assert outcome.follow_up_reasons == (REASON_COMPLAINT,)
    assert (follow_up(db_session).reason, follow_up(db_session).priority) == (
        REASON_COMPLAINT,
        25,
    )


def test_every_reason_is_kept_on_one_item(db_session):
    handle(db_session, user("bad", message_id="m1", score=-0.3, label="negative"))
    handle(
        db_session,
        user(
            "terrible, complaint",
            message_id="m2",
            score=-0.8,
            label="negative",
            minutes=2,
            intent="complaint",
        ),
    )
    assert follow_up(db_session).reason == "; ".join(
        [REASON_AT_THRESHOLD, REASON_NEGATIVE_STREAK, REASON_COMPLAINT]
    )
    assert count(db_session, FollowUp) == 1


def test_a_verified_customer_is_remembered_and_raises_priority(db_session, factory):
    customer = factory.customer()
    customer.tier = CustomerTier.GOLD
    factory.order(customer, "ORD-500001", quantities=(5,))  # 79.95: 3 points
    handle(db_session, slot("customer_id", str(customer.id)))
    handle(db_session, user("this is awful", score=-0.6, label="negative"))
    assert get_conversation(db_session, CONVERSATION).customer_id == customer.id
    assert find_message_sentiment(db_session, CONVERSATION, "m1").customer_id == customer.id
    item = follow_up(db_session)
    assert (item.customer_id, item.priority) == (customer.id, 40 + 25 + 3)


@pytest.mark.parametrize("value", ["999999", "not a number", None, True, -3])
def test_an_unusable_customer_id_is_ignored(db_session, value):
    handle(db_session, slot("customer_id", value))
    handle(db_session, user("hello", score=0.0))
    assert get_conversation(db_session, CONVERSATION).customer_id is None


def test_a_cleared_customer_id_keeps_the_verified_customer(db_session, factory):
    customer = factory.customer()
    handle(db_session, slot("customer_id", customer.id))
    handle(db_session, slot("customer_id", None))
    assert get_conversation(db_session, CONVERSATION).customer_id == customer.id


@pytest.mark.parametrize(
    "value",
    [
        "damaged item reported",
        "item value €180.00 above €150.00",
        "second problem within 30 days",
    ],
)
def test_the_damaged_item_flag_raises_a_follow_up(db_session, value):
    outcome = handle(db_session, slot("escalation_flag", value))
    assert outcome.follow_up_reasons == (REASON_DAMAGED_ITEM,)
    item = follow_up(db_session)
    assert (item.reason, item.priority) == (REASON_DAMAGED_ITEM, 25)


@pytest.mark.parametrize("value", ["privacy request needs staff", None, "", 3])
def test_other_flags_raise_nothing(db_session, value):
    assert not is_damaged_item_flag(value)
    handle(db_session, slot("escalation_flag", value))
    assert follow_up(db_session) is None


def test_the_damaged_item_priority_uses_the_conversation_mood(db_session):
    handle(db_session, user("not great", score=-0.3, label="negative"))
    handle(db_session, slot("escalation_flag", "damaged lamp", minutes=2))
    assert get_conversation(db_session, CONVERSATION).mood == pytest.approx(-0.12)
    # round(50 * 1.12 / 2) = 28, against 25 for a neutral conversation.
    assert follow_up(db_session).priority == 28


def test_messages_reach_the_open_ticket_redacted(db_session):
    ticket = create_ticket(
        db_session, CONVERSATION, "customer asked for a person", {}, now=T0 + timedelta(minutes=1)
    )
    outcome = handle(
        db_session, user("Call me on +353 87 123 4567 please", message_id="m9", minutes=2)
    )
    assert outcome.relayed
    [message] = db_session.execute(select(HandoffMessage)).scalars().all()
    assert (message.ticket_id, message.sender, message.source_id) == (
        ticket.id,
        HandoffSender.CUSTOMER,
        "m9",
    )
    assert message.text == "Call me on [phone] please"
    assert message.created_at == T0 + timedelta(minutes=2)
    # The message is also in the sentiment log.
    assert find_message_sentiment(db_session, CONVERSATION, "m9") is not None


def test_the_message_that_led_to_the_handoff_is_not_repeated_to_the_agent(db_session):
    create_ticket(db_session, CONVERSATION, "customer asked for a person", {}, now=T0)
    outcome = handle(db_session, user("I want a person", intent="request_human", minutes=-0.1))
    assert not outcome.relayed
    assert count(db_session, HandoffMessage) == 0


def test_nothing_is_relayed_without_an_open_ticket(db_session):
    ticket = create_ticket(db_session, CONVERSATION, "customer asked for a person", {}, now=T0)
    resolve_ticket(db_session, ticket.id, now=T0)
    handle(db_session, user("thanks, bye", minutes=2))
    other = create_ticket(db_session, "conv-other", "verification locked", {}, now=T0)
    assert other.id != ticket.id
    assert count(db_session, HandoffMessage) == 0


def test_a_message_without_an_id_reaches_the_ticket_under_its_broker_row(db_session):
    create_ticket(db_session, CONVERSATION, "customer asked for a person", {}, now=T0)
    handle(db_session, user("hello?", message_id=None, minutes=2), source_id="broker:77")
    assert db_session.execute(select(HandoffMessage.source_id)).scalar_one() == "broker:77"


def test_script_and_sql_looking_text_is_stored_as_text(db_session):
    text = "1' OR '1'='1; DROP TABLE conversations; <script>alert(1)</script>"
    handle(db_session, user(text, score=0.0))
    assert find_message_sentiment(db_session, CONVERSATION, "m1").text_redacted == text
    assert count(db_session, Conversation) == 1


@pytest.mark.parametrize(
    "event", [{"event": "bot", "sender_id": CONVERSATION, "text": "Hi"}, {"event": "pause"}]
)
def test_events_that_need_nothing_change_nothing(db_session, event):
    outcome = handle(db_session, event)
    assert outcome.handled
    assert count(db_session, Conversation) == 0


def test_an_unknown_event_type_is_skipped(db_session):
    outcome = handle(db_session, {"event": "telepathy", "sender_id": CONVERSATION})
    assert not outcome.handled
    assert count(db_session, Conversation) == 0


@pytest.mark.parametrize(
    "event",
    [
        {"event": "user", "text": "no sender"},
        {"event": "user", "sender_id": "", "text": "empty sender"},
        {"event": "user", "sender_id": "x" * 256, "text": "sender too long"},
        {"event": "user", "sender_id": CONVERSATION, "text": ["not", "text"]},
        {"sender_id": CONVERSATION, "text": "no type"},
    ],
)
def test_a_malformed_event_is_refused(db_session, event):
    with pytest.raises(MalformedEventError):
        handle(db_session, event)
    assert count(db_session, MessageSentiment) == 0


def test_the_broker_sender_id_is_used_when_the_event_names_none(db_session):
    event = user("hi", score=0.0)
    del event["sender_id"]
    handle_event(db_session, event, RULES, source_id="broker:1", sender_id="conv-from-row")
    assert get_conversation(db_session, "conv-from-row").customer_messages == 1


def test_an_absurd_timestamp_falls_back_to_now(db_session):
    event = user("hi", score=0.0)
    event["timestamp"] = float("nan")
    before = datetime.now(timezone.utc)
    handle(db_session, event)
    assert find_message_sentiment(db_session, CONVERSATION, "m1").created_at >= before - timedelta(
        seconds=1
    )


@pytest.mark.parametrize("payload", [None, "not json", "[1, 2]", '{"text": "no type"}', '"x"'])
def test_payloads_that_are_not_events_are_refused(payload):
    with pytest.raises(MalformedEventError):
        decode_event(payload)


def test_a_payload_is_decoded():
    event = user("hi")
    assert decode_event(json.dumps(event)) == event

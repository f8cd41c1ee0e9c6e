from __future__ import annotations

import json
from datetime import date, datetime, timezone

from sqlalchemy.orm import Session

from bot.handoff.context import build_context, load_context
from tests.bot.handoff.events import action, bot, fallback, user
from tests.support.shop_factory import ShopFactory

TODAY = date(2024, 6, 1)
CARD = "4111 1111 1111 1111"


def conversation():
    return [
        {"event": "action", "name": "action_session_start"},
        user("hi", "greet", score=0.2, label="positive", timestamp=1_717_243_200.0),
        bot(
            "Hello! How can I help?",
            [{"title": "Where is my order?", "payload": "/order_status"}],
        ),
        user("/order_status", "order_status"),
        action("order_status_form"),
        user(
            "it's ORD-100001, mail me at jane.doe@example.com or call +353 1 555 0142, "
            f"card {CARD}",
            "inform",
            score=-0.3,
            label="negative",
        ),
        user("flibbertigibbet", "nlu_fallback", score=0.0, label="neutral"),
        action("action_fallback"),
        fallback("<script>alert('x')</script> 1' OR '1'='1"),
        user("I want a person", "request_human", score=-0.6, label="negative", channel="socketio"),
    ]


def test_the_packet_has_a_redacted_transcript_with_order_numbers_kept():
    packet = build_context(conversation(), reason="customer asked for a person")
    texts = [line["text"] for line in packet["transcript"]]
    assert texts[0] == "hi"
    assert texts[2] == 'Tapped "Where is my order?"'
    detail = texts[3]
    assert "ORD-100001" in detail
    assert "jane.doe@example.com" not in detail and "[email]" in detail
    assert "555 0142" not in detail and "[phone]" in detail
    assert CARD not in detail and "[card]" in detail
    assert [line["sender"] for line in packet["transcript"]] == [
        "customer",
        "bot",
        "customer",
        "customer",
        "customer",
        "customer",
        "customer",
    ]
    assert packet["transcript"][0]["at"] == "2024-06-01T12:00:00+00:00"


def test_the_packet_lists_what_was_not_understood_the_last_intents_and_the_mood():
    packet = build_context(conversation(), reason="fallbacks after an apology")
    assert packet["reason"] == "fallbacks after an apology"
    assert packet["not_understood"] == [
        "flibbertigibbet",
        "<script>alert('x')</script> 1' OR '1'='1",
    ]
    assert packet["last_intents"] == [
        "order_status",
        "inform",
        "nlu_fallback",
        "nlu_fallback",
        "request_human",
    ]
    assert [(p["score"], p["label"]) for p in packet["sentiment_timeline"]] == [
        (0.2, "positive"),
        (-0.3, "negative"),
        (0.0, "neutral"),
        (-0.6, "negative"),
    ]
    assert packet["channel"] == "socketio"
    assert packet["customer"] is None
    json.dumps(packet)


def test_only_the_latest_messages_since_a_restart_are_kept():
    events = [user("old secret", "inform"), {"event": "restart"}, *conversation()]
    packet = build_context(events, reason="customer asked for a person")
    assert all("old secret" not in line["text"] for line in packet["transcript"])
    many = [user(f"message {n}", "inform") for n in range(60)]
    transcript = build_context(many, reason="x")["transcript"]
    assert len(transcript) == 40 and transcript[-1]["text"] == "message 59"


def test_a_verified_customer_gets_their_profile_and_recent_orders(
    db_session: Session, factory: ShopFactory
):
    customer = factory.customer(email="robin@example.com", name="Robin Byrne")
    factory.order(customer, "ORD-700001", datetime(2024, 5, 20, 9, 0, tzinfo=timezone.utc))
    other = factory.customer(email="sam@example.com", name="Sam Other")
    factory.order(other, "ORD-700002")
    packet = load_context(
        db_session,
        conversation(),
        reason="strongly negative message",
        customer_id=customer.id,
        channel="rest",
        today=TODAY,
    )
    profile = packet["customer"]
    assert (profile["id"], profile["name"], profile["tier"]) == (
        customer.id,
        "Robin Byrne",
        "silver",
    )
    assert profile["points_balance"] == 0
    [order] = profile["recent_orders"]
    assert order["number"] == "ORD-700001"
    assert order["status"] == "paid"
    assert order["placed_at"].startswith("2024-05-20T09:00")
    assert order["currency"] == "EUR" and order["total_cents"] > 0
    assert order["first_product"]
    assert profile["open_returns"] == [] and profile["open_cases"] == []
    assert packet["channel"] == "rest"
    json.dumps(packet)


def test_an_anonymous_customer_gets_no_profile_even_when_quoting_an_order(
    db_session: Session, factory: ShopFactory
):
    someone = factory.customer(email="owner@example.com")
    factory.order(someone, "ORD-700003")
    events = [
        user("ORD-700003", "inform", entities=[{"entity": "ORDER_NUMBER", "value": "ORD-700003"}])
    ]
    packet = load_context(
        db_session, events, reason="x", customer_id=None, channel=None, today=TODAY
    )
    assert packet["customer"] is None
    assert "owner@example.com" not in json.dumps(packet)

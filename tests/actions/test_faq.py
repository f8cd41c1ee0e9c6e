from __future__ import annotations

import sqlalchemy
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import (
    FEEDBACK_BUTTONS,
    ActionAnswerChosenFaq,
    ActionAskFaqFeedback,
    ActionFaqGate,
    ActionFaqSuggestions,
    ActionRecordFaqFeedback,
)
from bot.knowledge import answering
from tests.actions.conftest import make_tracker

DOMAIN = {"responses": {"utter_faq/shipping_costs": [{"text": "..."}]}}


def faq_tracker(text: str, article: str, confidence: float):
    tracker = make_tracker(text=text, intent="faq")
    tracker.latest_message["response_selector"] = {
        "faq": {"response": {"intent_response_key": f"faq/{article}", "confidence": confidence}}
    }
    return tracker


def rows(settings, sql: str, **params):
    engine = sqlalchemy.create_engine(settings.database_url)
    with engine.connect() as connection:
        result = connection.execute(sqlalchemy.text(sql), params).all()
    engine.dispose()
    return result


def test_confident_choice_lets_the_response_selector_answer():
    events = ActionFaqGate().run(
        CollectingDispatcher(), faq_tracker("shipping cost?", "shipping_costs", 0.93), {}
    )
    assert events == [
        SlotSet("faq_confident", True),
        SlotSet("faq_article", "shipping_costs"),
        SlotSet("faq_question", "shipping cost?"),
    ]


def test_unsure_choice_is_not_answered():
    low = answering.MIN_ARTICLE_CONFIDENCE / 2
    events = ActionFaqGate().run(
        CollectingDispatcher(), faq_tracker("vouchers", "gift_cards_buy", low), {}
    )
    assert events[:2] == [SlotSet("faq_confident", False), SlotSet("faq_article", None)]


def test_feedback_question_has_yes_and_no_buttons():
    dispatcher = CollectingDispatcher()
    assert ActionAskFaqFeedback().run(dispatcher, make_tracker(), {}) == []
    assert dispatcher.messages[0]["text"] == "Did that answer your question?"
    assert dispatcher.messages[0]["buttons"] == FEEDBACK_BUTTONS


def test_not_understood_question_gets_the_closest_articles_and_is_noted(demo_shop):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="how much does delivery cost to France", intent="nlu_fallback")
    events = ActionFaqSuggestions().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"] == answering.SUGGESTIONS_INTRO
    assert 1 <= len(message["buttons"]) <= 3
    offered = next(event["value"] for event in events if event["name"] == "faq_suggestions")
    assert all(article.startswith("shipping") for article in offered[:1])
    assert message["buttons"][0]["payload"] == f'/faq_choose{{"faq_article": "{offered[0]}"}}'
    noted = rows(
        demo_shop,
        "SELECT reason, question FROM unanswered_questions WHERE conversation_id = :id",
        id=tracker.sender_id,
    )
    assert ("fallback", "how much does delivery cost to France") in [tuple(row) for row in noted]


def test_gibberish_gets_a_request_to_rephrase(demo_shop):
    dispatcher = CollectingDispatcher()
    events = ActionFaqSuggestions().run(dispatcher, make_tracker(text="qwzx vbnm"), {})
    assert dispatcher.messages[0]["text"] == answering.NOT_UNDERSTOOD
    assert events == [SlotSet("faq_suggestions", None)]


def test_picking_a_suggestion_by_position_answers_that_article():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="the second one",
        intent="faq_choose",
        slots={"faq_suggestions": ["shipping", "shipping_costs"], "faq_question": "delivery?"},
    )
    events = ActionAnswerChosenFaq().run(dispatcher, tracker, DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_faq/shipping_costs"
    assert dispatcher.messages[1]["text"] == answering.FEEDBACK_QUESTION
    assert SlotSet("faq_article", "shipping_costs") in events


def test_unknown_article_in_a_payload_is_not_answered(demo_shop):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        text="/faq_choose",
        intent="faq_choose",
        entities=[{"entity": "faq_article", "value": "no_such_article"}],
    )
    ActionAnswerChosenFaq().run(dispatcher, tracker, DOMAIN)
    assert all(message.get("response") is None for message in dispatcher.messages)


def test_helpful_and_unhelpful_answers_are_stored_per_article_and_conversation(demo_shop):
    for intent, helpful in (("affirm", True), ("deny", False)):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(
            text="yes" if helpful else "no",
            intent=intent,
            slots={"faq_article": "shipping_costs", "faq_question": "what does delivery cost"},
        )
        tracker.sender_id = f"feedback-{intent}"
        events = ActionRecordFaqFeedback().run(dispatcher, tracker, {})
        assert events == [SlotSet("faq_article", None), SlotSet("faq_question", None)]
        expected = answering.FEEDBACK_THANKS if helpful else answering.FEEDBACK_SORRY
        assert dispatcher.messages[0]["text"] == expected
        stored = rows(
            demo_shop,
            "SELECT article_id, question, helpful FROM faq_feedback WHERE conversation_id = :id",
            id=tracker.sender_id,
        )
        assert [(row[0], row[1], bool(row[2])) for row in stored] == [
            ("shipping_costs", "what does delivery cost", helpful)
        ]
    todo = rows(
        demo_shop,
        "SELECT reason, article_id FROM unanswered_questions WHERE conversation_id = :id",
        id="feedback-deny",
    )
    assert [tuple(row) for row in todo] == [("unhelpful", "shipping_costs")]

from __future__ import annotations

import pytest
from rasa_sdk.events import ConversationPaused
from rasa_sdk.executor import CollectingDispatcher

from actions.apology import ActionApologise, ActionFallback, apologise_for_failure
from bot.handoff.apology import Issue, Situation, compose, turn_seed
from bot.knowledge import answering
from tests.actions.handoff_helpers import (
    customer_id_of,
    freeze_clock,
    new_sender,
    ticket_of,
    tracker_of,
)
from tests.bot.handoff.events import action, bot, user


@pytest.fixture
def fixed_now(monkeypatch):
    return freeze_clock(monkeypatch)


TALK = {"title": "Talk to a person", "payload": "/request_human"}


def run(action_class, tracker):
    dispatcher = CollectingDispatcher()
    events = action_class().run(dispatcher, tracker, {})
    return events, dispatcher.messages


def test_a_verified_customer_hears_their_name_and_the_issue(demo_shop):
    sender = new_sender("complaint")
    jane = customer_id_of(demo_shop, "jane.doe@example.com")
    history = [
        user("I was charged twice", "payment_problem"),
        bot("Sorry about that. Which order?"),
        user("this is absolutely ridiculous", "complaint", score=-0.6, label="negative"),
    ]
    events, [message] = run(
        ActionApologise,
        tracker_of(
            history,
            slots={"customer_id": str(jane), "order_number": "ORD-100002"},
            sender_id=sender,
        ),
    )
    assert events == []
    expected = compose(
        Situation.COMPLAINT,
        Issue("payment_problem", order_number="ORD-100002"),
        "Jane",
        turn_seed(sender, history),
    )
    assert message["text"] == expected.text
    assert ", Jane" in message["text"]
    assert "he payment for order ORD-100002" in message["text"]
    assert message["buttons"] == [
        {"title": "Sort it out now", "payload": "/payment_problem"},
        TALK,
    ]


def test_an_anonymous_complaint_offers_the_help_menu_or_a_person(demo_shop):
    sender = new_sender("anon-complaint")
    history = [user("your service is terrible", "complaint", score=-0.5)]
    _, [message] = run(ActionApologise, tracker_of(history, sender_id=sender))
    assert (
        message["text"]
        == compose(Situation.COMPLAINT, Issue(), None, turn_seed(sender, history)).text
    )
    assert "Jane" not in message["text"]
    assert message["buttons"] == [{"title": "Sort it out now", "payload": "/help"}, TALK]


def test_a_negative_message_that_is_not_a_complaint_gets_the_negative_wording(demo_shop):
    sender = new_sender("negative")
    history = [user("my order is late again", "order_status", score=-0.4, label="negative")]
    _, [message] = run(ActionApologise, tracker_of(history, sender_id=sender))
    assert (
        message["text"]
        == compose(Situation.NEGATIVE, Issue("order_status"), None, turn_seed(sender, history)).text
    )


def test_a_strongly_negative_complaint_goes_straight_to_a_person(demo_shop, fixed_now):
    sender = new_sender("furious")
    history = [user("THIRD TIME I'M ASKING, USELESS!!!", "complaint", score=-0.92)]
    events, [message] = run(ActionApologise, tracker_of(history, sender_id=sender))
    assert events == [ConversationPaused()]
    escalating = compose(Situation.ESCALATING, Issue(), None, turn_seed(sender, history))
    assert message["text"].startswith(escalating.text)
    assert "buttons" not in message or not message["buttons"]
    assert ticket_of(demo_shop, sender)["reason"] == "strongly negative message"


def fallback_ladder(sender, messages, apologised_first=False):
    history = []
    if apologised_first:
        history += [user("this is ridiculous", "complaint"), action("action_apologise")]
    for number in range(messages):
        history.append(user(f"wibble wobble {number}", "nlu_fallback"))
        if number < messages - 1:
            history.append(action("action_fallback"))
    return history, tracker_of(history, sender_id=sender)


def test_the_first_message_not_understood_gets_suggestions(demo_shop):
    events, [message] = run(ActionFallback, fallback_ladder(new_sender("f1"), 1)[1])
    assert message["text"] in (answering.SUGGESTIONS_INTRO, answering.NOT_UNDERSTOOD)
    assert ConversationPaused() not in events


def test_the_second_in_a_row_gets_an_apology_with_next_steps(demo_shop):
    sender = new_sender("f2")
    history, tracker = fallback_ladder(sender, 2)
    events, [message] = run(ActionFallback, tracker)
    assert events == []
    expected = compose(Situation.FALLBACK, Issue(), None, turn_seed(sender, history))
    assert message["text"] == expected.text
    assert message["buttons"] == [{"title": "See what I can do", "payload": "/help"}, TALK]


def test_the_third_gets_suggestions_again_and_the_fourth_a_person(demo_shop, fixed_now):
    _, [third] = run(ActionFallback, fallback_ladder(new_sender("f3"), 3)[1])
    assert third["text"] in (answering.SUGGESTIONS_INTRO, answering.NOT_UNDERSTOOD)
    sender = new_sender("f4")
    events, [message] = run(ActionFallback, fallback_ladder(sender, 4)[1])
    assert events == [ConversationPaused()]
    assert message["text"].startswith(
        "I'm sorry I couldn't work out what you need. A person from our team will take it from "
        "here."
    )
    ticket = ticket_of(demo_shop, sender)
    assert ticket["reason"] == "fallbacks after an apology"
    assert ticket["context"]["not_understood"] == [f"wibble wobble {n}" for n in range(4)]


def test_two_messages_not_understood_after_a_complaint_go_to_a_person(demo_shop, fixed_now):
    _, [first] = run(ActionFallback, fallback_ladder(new_sender("c1"), 1, True)[1])
    assert first["text"] in (answering.SUGGESTIONS_INTRO, answering.NOT_UNDERSTOOD)
    sender = new_sender("c2")
    events, _ = run(ActionFallback, fallback_ladder(sender, 2, True)[1])
    assert events == [ConversationPaused()]
    assert ticket_of(demo_shop, sender)["reason"] == "fallbacks after an apology"


def test_a_failing_action_can_apologise_and_offer_to_try_again(demo_shop):
    sender = new_sender("failure")
    history = [user("I'd like to return my shoes", "return_refund")]
    dispatcher = CollectingDispatcher()
    apologise_for_failure(dispatcher, tracker_of(history, sender_id=sender))
    [message] = dispatcher.messages
    assert (
        message["text"]
        == compose(Situation.FAILURE, Issue("return_refund"), None, turn_seed(sender, history)).text
    )
    assert message["buttons"] == [{"title": "Try again", "payload": "/return_refund"}, TALK]

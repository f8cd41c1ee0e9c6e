from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account import ActionAccountGuidance
from bot.account import messages
from tests.actions.conftest import make_tracker

FORGET = [SlotSet("account_topic", None)]
TOPIC_PAYLOADS = [
    '/account_issue{"account_topic":"password"}',
    '/account_issue{"account_topic":"email"}',
    '/account_issue{"account_topic":"close"}',
    '/account_issue{"account_topic":"create"}',
]


def ask(text: str, **tracker_options) -> tuple:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text=text, intent="account_issue", **tracker_options)
    events = ActionAccountGuidance().run(dispatcher, tracker, {})
    return events, dispatcher.messages


def test_password_trouble_gets_the_reset_steps_with_the_link_lifetime():
    events, said = ask("I forgot my password and can't log in")
    assert events == FORGET
    assert [message["text"] for message in said] == [messages.password_help(60)]
    assert "valid for 60 minutes" in said[0]["text"]
    assert "spam" in said[0]["text"]


def test_closing_explains_what_happens_to_orders_and_points():
    _, said = ask("please close my customer account for good")
    [message] = said
    assert message["text"] == messages.close_account(30, 6)


def test_an_unclear_question_offers_the_topics_as_buttons():
    events, said = ask("trouble with my account")
    assert events == FORGET
    [message] = said
    assert message["text"] == messages.WHICH_TOPIC
    assert [button["payload"] for button in message["buttons"]] == TOPIC_PAYLOADS


def test_a_topic_button_gets_that_topics_answer():
    events, said = ask(
        TOPIC_PAYLOADS[1],
        slots={"account_topic": "email"},
        entities=[{"entity": "account_topic", "value": "email"}],
    )
    assert events == FORGET
    assert [message["text"] for message in said] == [messages.CHANGE_EMAIL]


def test_the_button_just_pressed_wins_over_an_older_topic():
    _, said = ask(
        TOPIC_PAYLOADS[3],
        slots={"account_topic": "close"},
        entities=[{"entity": "account_topic", "value": "create"}],
    )
    assert [message["text"] for message in said] == [messages.CREATE_ACCOUNT]


@pytest.mark.parametrize("customer_id", [None, "1"])
@pytest.mark.parametrize(
    "email", ["jane.doe@example.com", "JANE.DOE@EXAMPLE.COM", "nobody@nowhere.example"]
)
def test_no_one_learns_whether_an_address_has_an_account(demo_shop, customer_id, email):
    events, said = ask(
        f"does {email} have an account with you?", slots={"customer_id": customer_id}
    )
    assert events == FORGET
    assert [message["text"] for message in said] == [messages.ACCOUNT_PRIVATE]


@pytest.mark.parametrize("text", ["1' OR '1'='1", "<script>alert('x')</script>"])
def test_code_looking_input_is_treated_as_an_unclear_question(text):
    _, said = ask(text, entities=[{"entity": "account_topic", "value": text}])
    [message] = said
    assert message["text"] == messages.WHICH_TOPIC
    assert len(message["buttons"]) == 4

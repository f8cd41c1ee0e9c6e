from __future__ import annotations

from datetime import timedelta

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.greeting import ActionGreet
from bot.db.engine import get_engine, session_scope
from bot.db.models import Customer
from bot.identity.tokens import issue_customer_token
from tests.actions.conftest import make_tracker


def greet(slots=None, metadata=None):
    dispatcher = CollectingDispatcher()
    events = [{"event": "user", "text": "hi", "metadata": metadata or {}}]
    tracker = make_tracker(slots=slots, text="hi", intent="greet", events=events)
    result = ActionGreet().run(dispatcher, tracker, {})
    return result, dispatcher.messages


def jane_id(settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar()


def test_an_anonymous_customer_gets_the_general_greeting(demo_shop):
    events, messages = greet()
    assert events == [SlotSet("customer_recognised", False)]
    assert messages == []


def test_a_forged_token_gets_the_general_greeting_too(demo_shop):
    forged = issue_customer_token(jane_id(demo_shop), "not-the-secret", timedelta(hours=1))
    events, messages = greet(metadata={"customer_token": forged})
    assert events == [SlotSet("customer_recognised", False)]
    assert messages == []


def test_a_signed_in_customer_is_welcomed_by_name_with_the_open_order(demo_shop):
    customer = jane_id(demo_shop)
    token = issue_customer_token(customer, demo_shop.customer_token_secret, timedelta(hours=1))
    events, messages = greet(metadata={"customer_token": token})
    assert events == [SlotSet("customer_id", str(customer)), SlotSet("customer_recognised", True)]
    [message] = messages
    assert message["text"].startswith("Hi Jane, welcome back! Your order from ")
    assert (
        "the Black leather backpack, is waiting for the payment to be confirmed." in message["text"]
    )
    assert message["text"].endswith("What can I do for you today?")

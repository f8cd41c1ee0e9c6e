from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.order_status import ActionOrderStatus, ValidateOrderStatusForm
from bot.orders import messages as messages_module
from tests.actions.conftest import make_tracker

DOMAIN = {
    "forms": {"order_status_form": {"required_slots": ["order_number", "email"]}},
    "slots": {"order_number": {}, "email": {}},
}


async def run_validation(slot: str, value: str) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={slot: value, "requested_slot": slot},
        text=value,
        events=[{"event": "user", "text": value}, {"event": "slot", "name": slot, "value": value}],
        active_loop="order_status_form",
    )
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, DOMAIN)
    return events, dispatcher.messages


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("ORD-100001", "ORD-100001"), ("it's ord 100002", "ORD-100002"), ("#100003", "ORD-100003")],
)
async def test_order_number_is_accepted_in_the_ways_people_type_it(typed, canonical):
    events, messages = await run_validation("order_number", typed)
    assert events == [SlotSet("order_number", canonical)]
    assert messages == []


@pytest.mark.parametrize(
    "typed", ["hello", "ORD-1234", "1' OR '1'='1", "<script>alert(1)</script>"]
)
async def test_anything_else_is_refused_with_an_explanation(typed):
    events, messages = await run_validation("order_number", typed)
    assert events == [SlotSet("order_number", None)]
    assert [message["text"] for message in messages] == [messages_module.INVALID_ORDER_NUMBER]


async def test_email_is_lower_cased_and_a_non_email_refused():
    events, _ = await run_validation("email", "my email is Jane.Doe@Example.com")
    assert events == [SlotSet("email", "jane.doe@example.com")]
    events, messages = await run_validation("email", "janedoe at example")
    assert events == [SlotSet("email", None)]
    assert [message["text"] for message in messages] == [messages_module.INVALID_EMAIL]


def run_lookup(order_number: str, email: str) -> tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_number": order_number, "email": email})
    events = ActionOrderStatus().run(dispatcher, tracker, {})
    return events, dispatcher.messages


FORGET = [SlotSet("order_number", None), SlotSet("email", None)]


def test_owner_hears_carrier_tracking_number_and_the_delay(demo_shop):
    events, messages = run_lookup("ORD-100003", "jane.doe@example.com")
    assert events == FORGET
    [message] = messages
    assert message["text"].startswith("Your order ORD-100003 from ")
    assert "DPD, tracking number" in message["text"]
    assert "sorry about the delay" in message["text"]


def test_wrong_email_and_unknown_order_get_the_same_reply(demo_shop):
    wrong_email = run_lookup("ORD-100003", "someone.else@example.com")
    unknown_order = run_lookup("ORD-999999", "jane.doe@example.com")
    assert wrong_email == unknown_order == (FORGET, [_not_found()])


def _not_found() -> dict:
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(text=messages_module.ORDER_NOT_FOUND)
    return dispatcher.messages[0]


def test_unreachable_database_gets_a_polite_reply_and_no_crash(demo_shop, monkeypatch):
    from bot.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    events, messages = run_lookup("ORD-100003", "jane.doe@example.com")
    assert events == FORGET
    assert [message["text"] for message in messages] == [messages_module.LOOKUP_UNAVAILABLE]


def test_form_questions_are_sent_by_the_ask_actions():
    from actions.order_status import ActionAskEmail, ActionAskOrderNumber

    for action, question in [
        (ActionAskOrderNumber(), messages_module.ASK_ORDER_NUMBER),
        (ActionAskEmail(), messages_module.ASK_EMAIL),
    ]:
        dispatcher = CollectingDispatcher()
        assert action.run(dispatcher, make_tracker(), {}) == []
        assert [message["text"] for message in dispatcher.messages] == [question]


def test_every_action_in_the_domain_is_served_by_the_action_server():
    import yaml
    from rasa_sdk.executor import ActionExecutor

    from bot.settings import PROJECT_ROOT

    executor = ActionExecutor()
    executor.register_package("actions")
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    custom = {name for name in domain["actions"]}
    assert custom <= set(executor.actions)
    assert "" not in executor.actions

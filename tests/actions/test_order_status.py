from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Optional, Tuple

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.order_status import ActionOrderStatus, ValidateOrderStatusForm
from bot.orders import messages as messages_module
from tests.actions.conftest import make_tracker

DOMAIN = {
    "forms": {
        "order_status_form": {"required_slots": ["order_number", "email", "verification_code"]}
    },
    "slots": {"order_number": {}, "email": {}, "verification_code": {}, "customer_id": {}},
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


def run_lookup(
    order_number: str,
    *,
    customer_id: Optional[str] = None,
    verification_code: Optional[str] = None,
    metadata: Optional[dict] = None,
) -> Tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={
            "order_number": order_number,
            "customer_id": customer_id,
            "verification_code": verification_code,
        },
        events=[{"event": "user", "text": "hi", "metadata": metadata or {}}],
    )
    events = ActionOrderStatus().run(dispatcher, tracker, {})
    return events, dispatcher.messages


FORGET = [
    SlotSet("order_number", None),
    SlotSet("email", None),
    SlotSet("verification_code", None),
]


def jane_id(settings) -> int:
    from bot.db.engine import get_engine, session_scope
    from bot.db.models import Customer

    with session_scope(get_engine(settings.database_url)) as session:
        return session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar()


def test_verified_owner_hears_carrier_tracking_number_and_the_delay(demo_shop):
    customer = str(jane_id(demo_shop))
    events, messages = run_lookup("ORD-100003", customer_id=customer)
    assert events == [*FORGET, SlotSet("customer_id", customer)]
    [message] = messages
    assert message["text"].startswith("Your order ORD-100003 from ")
    assert "DPD, tracking number" in message["text"]
    assert "sorry about the delay" in message["text"]
    assert message["text"].endswith("or shall I cancel it and refund you?")
    assert [button["payload"] for button in message["buttons"]] == [
        "/thank",
        '/cancel_order{"ORDER_NUMBER":"ORD-100003"}',
    ]


def test_an_order_on_its_way_gets_no_cancel_offer(demo_shop):
    _, messages = run_lookup("ORD-100001", customer_id=str(jane_id(demo_shop)))
    assert "buttons" not in messages[0] or not messages[0]["buttons"]


def test_another_customers_order_gets_the_same_reply_as_an_unknown_one(demo_shop):
    from bot.db.engine import get_engine, session_scope
    from bot.db.models import Customer

    with session_scope(get_engine(demo_shop.database_url)) as session:
        others = session.query(Customer.id).filter(Customer.email != "jane.doe@example.com")
        other = others.first()[0]
    someone_else = run_lookup("ORD-100003", customer_id=str(other))
    unknown = run_lookup("ORD-999999", customer_id=str(other))
    assert someone_else[1] == unknown[1] == [_not_found()]


def test_anonymous_customer_hears_nothing_about_the_order(demo_shop):
    events, messages = run_lookup("ORD-100003")
    assert events == FORGET
    assert messages == [_not_found()]


def test_signed_website_token_verifies_but_an_unsigned_id_does_not(demo_shop):
    from bot.identity.tokens import issue_customer_token

    customer = jane_id(demo_shop)
    token = issue_customer_token(customer, demo_shop.customer_token_secret, timedelta(minutes=5))
    _, messages = run_lookup("ORD-100003", metadata={"customer_token": token})
    assert messages[0]["text"].startswith("Your order ORD-100003 from ")

    _, unsigned = run_lookup("ORD-100003", metadata={"customer_id": customer})
    forged = issue_customer_token(customer, "not-the-shop-secret", timedelta(minutes=5))
    _, forged_messages = run_lookup("ORD-100003", metadata={"customer_token": forged})
    expired = issue_customer_token(
        customer,
        demo_shop.customer_token_secret,
        timedelta(minutes=5),
        now=datetime.now(timezone.utc) - timedelta(hours=1),
    )
    _, expired_messages = run_lookup("ORD-100003", metadata={"customer_token": expired})
    assert unsigned == forged_messages == expired_messages == [_not_found()]


def test_locked_verification_offers_a_person(demo_shop):
    events, messages = run_lookup("ORD-100003", verification_code="locked")
    assert events == [
        *FORGET,
        SlotSet("handoff_reason", "verification locked"),
        FollowupAction("action_handoff"),
    ]
    assert [message["text"] for message in messages] == [messages_module.VERIFICATION_LOCKED]


def _not_found() -> dict:
    dispatcher = CollectingDispatcher()
    dispatcher.utter_message(text=messages_module.ORDER_NOT_FOUND)
    return dispatcher.messages[0]


def test_unreachable_database_gets_a_polite_reply_and_no_crash(demo_shop, monkeypatch):
    from bot.settings import get_settings

    customer = str(jane_id(demo_shop))
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    events, messages = run_lookup("ORD-100003", customer_id=customer)
    assert events == [*FORGET, SlotSet("customer_id", customer)]
    assert [message["text"] for message in messages] == [messages_module.LOOKUP_UNAVAILABLE]


async def validate(sender: str, slots: dict, requested: str, value: str) -> Tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={**slots, requested: value, "requested_slot": requested},
        text=value,
        events=[
            {"event": "user", "text": value},
            {"event": "slot", "name": requested, "value": value},
        ],
        active_loop="order_status_form",
        sender_id=sender,
    )
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, CODE_DOMAIN)
    return events, [message["text"] for message in dispatcher.messages]


CODE_DOMAIN = {
    "forms": {
        "order_status_form": {"required_slots": ["order_number", "email", "verification_code"]}
    },
    "slots": {"order_number": {}, "email": {}, "verification_code": {}, "customer_id": {}},
}


def latest_code(settings, email: str) -> str:
    from bot.db.engine import get_engine, session_scope
    from bot.db.repositories.outbox import list_outbox_messages

    with session_scope(get_engine(settings.database_url)) as session:
        [message] = list_outbox_messages(session, recipient=email, limit=1)
        return re.search(r"\b(\d{6})\b", message.body).group(1)


async def test_code_sent_to_the_owner_verifies_and_greets_by_name(demo_shop):
    sender = f"code-{uuid.uuid4()}"
    order = {"order_number": "ORD-100003"}
    events, said = await validate(sender, order, "email", "Jane.Doe@example.com")
    assert SlotSet("email", "jane.doe@example.com") in events
    assert said == [messages_module.CODE_SENT]
    code = latest_code(demo_shop, "jane.doe@example.com")

    slots = {**order, "email": "jane.doe@example.com"}
    events, said = await validate(sender, slots, "verification_code", code)
    assert SlotSet("verification_code", "verified") in events
    assert SlotSet("customer_id", str(jane_id(demo_shop))) in events
    assert said == [messages_module.verified("Jane")]


async def test_wrong_email_sends_nothing_and_says_the_same(demo_shop):
    from bot.db.engine import get_engine, session_scope
    from bot.db.models import OutboxMessage

    with session_scope(get_engine(demo_shop.database_url)) as session:
        before = session.query(OutboxMessage).count()
    _, wrong_email = await validate(
        f"w-{uuid.uuid4()}", {"order_number": "ORD-100003"}, "email", "x@example.com"
    )
    _, unknown = await validate(
        f"u-{uuid.uuid4()}", {"order_number": "ORD-999999"}, "email", "jane.doe@example.com"
    )
    with session_scope(get_engine(demo_shop.database_url)) as session:
        assert session.query(OutboxMessage).count() == before
    assert wrong_email == unknown == [messages_module.CODE_SENT]


async def test_three_wrong_codes_lock_and_the_right_code_then_fails(demo_shop):
    sender = f"lock-{uuid.uuid4()}"
    slots = {"order_number": "ORD-100003", "email": "jane.doe@example.com"}
    await validate(sender, {"order_number": "ORD-100003"}, "email", "jane.doe@example.com")
    code = latest_code(demo_shop, "jane.doe@example.com")
    wrong = "000000" if code != "000000" else "111111"
    _, first = await validate(sender, slots, "verification_code", wrong)
    _, second = await validate(sender, slots, "verification_code", wrong)
    assert first == [messages_module.wrong_code(2)]
    assert second == [messages_module.wrong_code(1)]
    events, _ = await validate(sender, slots, "verification_code", wrong)
    assert SlotSet("verification_code", "locked") in events
    events, _ = await validate(sender, slots, "verification_code", code)
    assert SlotSet("verification_code", "locked") in events
    assert not any(getattr(e, "get", dict().get)("name") == "customer_id" for e in events)


@pytest.mark.parametrize("typed", ["hello", "12345", "verified", "1' OR '1'='1", "<script>"])
async def test_anything_but_six_digits_is_refused_as_a_code(demo_shop, typed):
    slots = {"order_number": "ORD-100003", "email": "jane.doe@example.com"}
    events, said = await validate(f"t-{uuid.uuid4()}", slots, "verification_code", typed)
    assert events == [SlotSet("verification_code", None)]
    assert said == [messages_module.INVALID_CODE]


def test_form_questions_are_sent_by_the_ask_actions():
    from actions.verification import (
        ActionAskEmail,
        ActionAskOrderNumber,
        ActionAskVerificationCode,
    )

    for action, question in [
        (ActionAskOrderNumber(), messages_module.ASK_ORDER_NUMBER),
        (ActionAskEmail(), messages_module.ASK_EMAIL),
        (ActionAskVerificationCode(), messages_module.ASK_CODE),
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

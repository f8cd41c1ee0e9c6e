"""A customer verified by code on a messaging app is remembered there, and only there."""

from __future__ import annotations

import random
import re
from typing import List, Optional, Tuple

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

from actions.greeting import ActionGreet
from actions.order_status import ValidateOrderStatusForm
from actions.verification import verified_customer
from bot.db.engine import get_engine, session_scope
from bot.db.models import AuditEntry, Customer
from bot.db.repositories.outbox import list_outbox_messages
from bot.identity import links
from bot.identity.messages import remembered
from bot.orders import messages
from tests.actions.conftest import make_tracker

DOMAIN = {
    "forms": {
        "order_status_form": {"required_slots": ["order_number", "email", "verification_code"]}
    },
    "slots": {"order_number": {}, "email": {}, "verification_code": {}, "customer_id": {}},
}
JANE = "jane.doe@example.com"


def telegram_user() -> str:
    return str(random.randint(10**8, 10**9))


def jane_id(settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return int(session.query(Customer.id).filter_by(email=JANE).scalar())


def user_event(text: str, channel: Optional[str]) -> dict:
    return {"event": "user", "text": text, "input_channel": channel, "metadata": {}}


async def validate(
    sender: str, channel: Optional[str], slots: dict, requested: str, value: str
) -> Tuple[list, List[str]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={**slots, requested: value, "requested_slot": requested},
        text=value,
        events=[
            user_event(value, channel),
            {"event": "slot", "name": requested, "value": value},
        ],
        active_loop="order_status_form",
        sender_id=sender,
    )
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, DOMAIN)
    return events, [message["text"] for message in dispatcher.messages]


async def verify_by_code(settings, sender: str, channel: Optional[str]) -> Tuple[list, List[str]]:
    """Gives ORD-100003 and Jane's email, then the code she was sent."""
    order = {"order_number": "ORD-100003"}
    await validate(sender, channel, order, "email", JANE)
    with session_scope(get_engine(settings.database_url)) as session:
        [mail] = list_outbox_messages(session, recipient=JANE, limit=1)
        code = re.search(r"\b(\d{6})\b", mail.body).group(1)
    return await validate(sender, channel, {**order, "email": JANE}, "verification_code", code)


def new_conversation(sender: str, channel: Optional[str]):
    """A later conversation of the same user: nothing in its slots."""
    return make_tracker(
        text="hi", intent="greet", events=[user_event("hi", channel)], sender_id=sender
    )


def greet(sender: str, channel: Optional[str]) -> Tuple[list, list]:
    dispatcher = CollectingDispatcher()
    events = ActionGreet().run(dispatcher, new_conversation(sender, channel), {})
    return events, dispatcher.messages


async def test_a_code_on_telegram_links_the_user_and_says_so_once(demo_shop):
    sender = telegram_user()

    events, said = await verify_by_code(demo_shop, sender, "telegram")

    assert SlotSet("verification_code", "verified") in events
    assert said == [messages.verified("Jane"), remembered("Telegram")]
    assert said[1] == "I'll remember you on Telegram, so next time you won't need a code."
    jane = jane_id(demo_shop)
    assert links.linked_customer(demo_shop, "telegram", sender) == jane
    with session_scope(get_engine(demo_shop.database_url)) as session:
        [audit] = (
            session.query(AuditEntry)
            .filter_by(conversation_id=sender)
            .filter(AuditEntry.entity == "channel_link")
            .all()
        )
        assert (audit.entity_id, audit.old_value, audit.new_value) == (
            "telegram",
            None,
            str(jane),
        )
    # Proving it again changes nothing and is not announced again.
    assert links.remember_channel_user(demo_shop, "telegram", sender, jane_id(demo_shop)) is None


async def test_a_linked_user_starts_the_next_conversation_verified_and_greeted(demo_shop):
    sender = telegram_user()
    await verify_by_code(demo_shop, sender, "telegram")

    assert verified_customer(new_conversation(sender, "telegram")) == jane_id(demo_shop)
    events, said = greet(sender, "telegram")
    assert events == [
        SlotSet("customer_id", str(jane_id(demo_shop))),
        SlotSet("customer_recognised", True),
    ]
    [welcome] = said
    assert welcome["text"].startswith("Hi Jane, welcome back!")


async def test_the_link_is_for_that_app_and_user_only(demo_shop):
    sender = telegram_user()
    await verify_by_code(demo_shop, sender, "telegram")

    assert verified_customer(new_conversation(sender, "slack")) is None
    assert verified_customer(new_conversation(telegram_user(), "telegram")) is None
    assert verified_customer(new_conversation(sender, "rest")) is None
    assert greet(telegram_user(), "telegram") == ([SlotSet("customer_recognised", False)], [])


@pytest.mark.parametrize(
    ("channel", "sender"),
    [
        ("rest", "website-session-1"),
        ("socketio", "0f3c2a9d4b5e6f708192a3b4c5d6e7f8"),
        ("callback", "handoff-customer"),
        (None, "no-channel"),
        ("twilio", "+447700900123"),
    ],
    ids=["rest", "socketio", "callback", "unknown", "sms"],
)
async def test_website_and_sms_conversations_are_not_linked(demo_shop, channel, sender):
    sender = f"{sender}-{telegram_user()}"
    if channel == "twilio":
        sender = f"+44{telegram_user()}"

    events, said = await verify_by_code(demo_shop, sender, channel)

    assert said == [messages.verified("Jane")]
    assert SlotSet("customer_id", str(jane_id(demo_shop))) in events
    assert verified_customer(new_conversation(sender, channel)) is None


@pytest.mark.parametrize(
    ("channel", "app"),
    [("twilio", "WhatsApp"), ("facebook", "Messenger"), ("slack", "Slack")],
)
async def test_every_messaging_app_is_remembered_by_its_name(demo_shop, channel, app):
    sender = f"whatsapp:+44{telegram_user()}" if channel == "twilio" else f"U{telegram_user()}"

    _, said = await verify_by_code(demo_shop, sender, channel)

    assert said == [messages.verified("Jane"), remembered(app)]
    assert verified_customer(new_conversation(sender, channel)) == jane_id(demo_shop)


async def test_a_forgotten_user_needs_a_code_again(demo_shop):
    sender = telegram_user()
    await verify_by_code(demo_shop, sender, "telegram")

    assert links.forget_channel_user(demo_shop, "telegram", sender) is True
    assert links.forget_channel_user(demo_shop, "telegram", sender) is False

    assert verified_customer(new_conversation(sender, "telegram")) is None
    assert greet(sender, "telegram") == ([SlotSet("customer_recognised", False)], [])


async def test_the_slot_of_this_conversation_comes_before_the_link(demo_shop):
    sender = telegram_user()
    await verify_by_code(demo_shop, sender, "telegram")
    tracker = make_tracker(
        slots={"customer_id": "424242"}, events=[user_event("hi", "telegram")], sender_id=sender
    )

    assert verified_customer(tracker) == 424242


async def test_an_unreachable_database_leaves_the_user_anonymous(demo_shop, monkeypatch):
    sender = telegram_user()
    await verify_by_code(demo_shop, sender, "telegram")

    def unavailable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(links, "linked_customer", unavailable)

    assert verified_customer(new_conversation(sender, "telegram")) is None


async def test_a_link_that_cannot_be_stored_still_verifies_without_the_promise(
    demo_shop, monkeypatch
):
    def unavailable(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(links, "remember_channel_user", unavailable)

    events, said = await verify_by_code(demo_shop, telegram_user(), "telegram")

    assert SlotSet("verification_code", "verified") in events
    assert said == [messages.verified("Jane")]

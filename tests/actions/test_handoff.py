from __future__ import annotations

import pytest
from rasa_sdk.events import ActiveLoop, ConversationPaused, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from actions.handoff import ActionHandoff, escalation_followup
from bot.db.engine import get_engine, session_scope
from bot.db.models import AuditEntry
from bot.handoff.apology import Issue, Situation, compose, turn_seed
from bot.handoff.queue_status import HANDOFF_UNAVAILABLE, queue_message
from bot.knowledge.policies import load_policies
from bot.support.contact import contact_support_message
from tests.actions.handoff_helpers import (
    SUNDAY_NOON,
    WEDNESDAY_NOON,
    customer_id_of,
    freeze_clock,
    new_sender,
    other_customer,
    ticket_of,
    tracker_of,
)
from tests.bot.handoff.events import user


@pytest.fixture
def fixed_now(monkeypatch):
    return freeze_clock(monkeypatch)


JANE = "jane.doe@example.com"
CANCEL_DOMAIN = {
    "forms": {
        "cancel_order_form": {
            "required_slots": ["order_number", "email", "verification_code", "cancel_confirmed"]
        }
    }
}


def run_handoff(tracker, domain=None):
    dispatcher = CollectingDispatcher()
    events = ActionHandoff().run(dispatcher, tracker, domain or {})
    return events, [message["text"] for message in dispatcher.messages]


def expected_status(settings, sender, now=WEDNESDAY_NOON, already=False):
    position = ticket_of(settings, sender)["position"]
    contact = load_policies().contact
    return queue_message(
        position, settings.handoff_minutes_per_ticket, contact, now, already_queued=already
    )


def test_asking_for_a_person_queues_the_conversation_and_pauses_the_bot(demo_shop, fixed_now):
    sender = new_sender("human")
    tracker = tracker_of([user("I want to talk to a human", "request_human")], sender_id=sender)
    events, said = run_handoff(tracker)
    assert events == [ConversationPaused()]
    ticket = ticket_of(demo_shop, sender)
    assert said == [
        "Of course, I'll get you a person from our support team. "
        + expected_status(demo_shop, sender)
    ]
    assert (ticket["reason"], ticket["status"], ticket["channel"]) == (
        "customer asked for a person",
        "waiting",
        "rest",
    )
    context = ticket["context"]
    assert context["customer"] is None
    assert context["reason"] == "customer asked for a person"
    assert context["transcript"][-1]["text"] == "I want to talk to a human"
    assert context["last_intents"] == ["request_human"]
    with session_scope(get_engine(demo_shop.database_url)) as session:
        [row] = session.execute(
            select(AuditEntry).where(AuditEntry.conversation_id == sender)
        ).scalars()
        assert (row.entity, row.entity_id, row.field, row.new_value) == (
            "handoff_ticket",
            str(ticket["id"]),
            "status",
            "waiting",
        )


def test_a_verified_customer_is_named_and_their_profile_goes_to_the_agent(demo_shop, fixed_now):
    sender = new_sender("jane")
    jane = customer_id_of(demo_shop, JANE)
    tracker = tracker_of(
        [user("can I speak to someone", "request_human")],
        slots={"customer_id": str(jane)},
        sender_id=sender,
    )
    _, [text] = run_handoff(tracker)
    assert text.startswith("Of course, Jane, I'll get you a person from our support team.")
    ticket = ticket_of(demo_shop, sender)
    assert ticket["customer_id"] == jane
    profile = ticket["context"]["customer"]
    assert (profile["id"], profile["name"]) == (jane, "Jane Doe")
    assert "ORD-100001" in [order["number"] for order in profile["recent_orders"]]


def test_quoting_another_customers_order_reveals_nothing_about_it(demo_shop, fixed_now):
    jane = customer_id_of(demo_shop, JANE)
    other = other_customer(demo_shop, JANE)
    quote = user(
        "ORD-100001", "inform", entities=[{"entity": "ORDER_NUMBER", "value": "ORD-100001"}]
    )
    anonymous = new_sender("anon")
    run_handoff(tracker_of([quote, user("a person please", "request_human")], sender_id=anonymous))
    assert ticket_of(demo_shop, anonymous)["context"]["customer"] is None
    verified_b = new_sender("other")
    run_handoff(
        tracker_of(
            [quote, user("a person please", "request_human")],
            slots={"customer_id": str(other)},
            sender_id=verified_b,
        )
    )
    ticket = ticket_of(demo_shop, verified_b)
    profile = ticket["context"]["customer"]
    assert profile["id"] == other != jane
    assert "ORD-100001" not in [order["number"] for order in profile["recent_orders"]]
    assert ticket["customer_id"] == other


def test_script_and_sql_looking_text_is_stored_as_text(demo_shop, fixed_now):
    sender = new_sender("script")
    text = "<script>alert('x')</script> 1' OR '1'='1"
    tracker = tracker_of(
        [user(text, "nlu_fallback"), user("human", "request_human")], sender_id=sender
    )
    events, _ = run_handoff(tracker)
    assert events == [ConversationPaused()]
    context = ticket_of(demo_shop, sender)["context"]
    assert context["transcript"][0]["text"] == text
    assert context["not_understood"] == [text]


def test_a_flow_escalation_uses_its_reason_and_clears_the_flag(demo_shop, fixed_now):
    sender = new_sender("damaged")
    tracker = tracker_of(
        [user('/inform{"remedy":"refund"}', "inform")],
        slots={"handoff_reason": "damaged item flagged", "escalation_flag": "item value above"},
        sender_id=sender,
    )
    events, [text] = run_handoff(tracker)
    assert events == [
        SlotSet("handoff_reason", None),
        SlotSet("escalation_flag", None),
        ConversationPaused(),
    ]
    assert text.startswith("I'd like a person from our team to look at this item with you")
    assert ticket_of(demo_shop, sender)["reason"] == "damaged item flagged"


def test_without_a_reason_slot_the_action_finds_the_reason_itself(demo_shop, fixed_now):
    sender = new_sender("angry")
    history = [user("THIS IS A JOKE!!!", "inform", score=-0.93, label="negative")]
    events, [text] = run_handoff(tracker_of(history, sender_id=sender))
    assert events == [ConversationPaused()]
    assert ticket_of(demo_shop, sender)["reason"] == "strongly negative message"
    apology = compose(Situation.ESCALATING, Issue(), None, turn_seed(sender, history))
    assert text == f"{apology.text} {expected_status(demo_shop, sender)}"


def test_a_form_in_progress_is_ended_and_forgotten(demo_shop, fixed_now):
    sender = new_sender("form")
    tracker = tracker_of(
        [user("get me a person", "request_human")],
        slots={"order_number": "ORD-100002", "email": JANE, "requested_slot": "verification_code"},
        sender_id=sender,
        active_loop="cancel_order_form",
    )
    events, _ = run_handoff(tracker, CANCEL_DOMAIN)
    assert events == [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("order_number", None),
        SlotSet("email", None),
        ConversationPaused(),
    ]


def test_asking_again_keeps_the_place_in_the_queue(demo_shop, fixed_now):
    sender = new_sender("twice")
    tracker = tracker_of([user("human please", "request_human")], sender_id=sender)
    run_handoff(tracker)
    first = ticket_of(demo_shop, sender)
    _, [text] = run_handoff(tracker)
    assert ticket_of(demo_shop, sender)["id"] == first["id"]
    assert text.endswith(expected_status(demo_shop, sender, already=True))
    assert "You're still" in text


def test_outside_opening_hours_the_customer_is_queued_and_told_when(demo_shop, monkeypatch):
    freeze_clock(monkeypatch, SUNDAY_NOON)
    sender = new_sender("sunday")
    events, [text] = run_handoff(tracker_of([user("human", "request_human")], sender_id=sender))
    assert events == [ConversationPaused()]
    assert ticket_of(demo_shop, sender)["status"] == "waiting"
    assert "Our team is away right now" in text
    assert "tomorrow at 08:00 (Europe/Dublin time)" in text
    assert text.endswith(expected_status(demo_shop, sender, now=SUNDAY_NOON))


def test_when_the_queue_is_unavailable_the_customer_gets_the_contact_details(
    demo_shop, fixed_now, monkeypatch
):
    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr("actions.handoff.queue_conversation", broken)
    tracker = tracker_of(
        [user("human", "request_human")],
        slots={"handoff_reason": "customer asked for a person"},
    )
    events, said = run_handoff(tracker)
    assert events == [SlotSet("handoff_reason", None)]
    assert said == [
        HANDOFF_UNAVAILABLE,
        contact_support_message(load_policies().contact, WEDNESDAY_NOON),
    ]


def test_escalation_followup_hands_off_after_a_locked_verification(demo_shop):
    tracker = tracker_of([user("111111", "inform")], slots={"verification_code": "locked"})
    final_events = [SlotSet("order_number", None), SlotSet("verification_code", None)]
    assert escalation_followup(tracker, new_events=final_events) == [
        SlotSet("handoff_reason", "verification locked"),
        FollowupAction("action_handoff"),
    ]


def test_escalation_followup_sees_a_flag_raised_by_the_final_action(demo_shop):
    tracker = tracker_of([user('/inform{"privacy_confirmed":true}', "affirm")])
    flagged = [SlotSet("escalation_flag", "privacy request needs staff")]
    assert escalation_followup(tracker, new_events=flagged) == [
        SlotSet("handoff_reason", "privacy request needs staff"),
        FollowupAction("action_handoff"),
    ]
    damaged = [SlotSet("escalation_flag", "second problem within 90 days")]
    assert escalation_followup(tracker, new_events=damaged)[0] == SlotSet(
        "handoff_reason", "damaged item flagged"
    )
    stale = tracker_of([user("ok", "affirm")], slots={"escalation_flag": "old"})
    assert escalation_followup(stale, new_events=[SlotSet("escalation_flag", None)]) == []


def test_escalation_followup_is_empty_when_the_assistant_carries_on(demo_shop):
    tracker = tracker_of([user("where is my order", "order_status", score=-0.2)])
    assert escalation_followup(tracker) == []

from __future__ import annotations

from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.switch_flow import FLOW_FOR_INTENT, ActionSwitchFlow
from tests.actions.conftest import make_tracker

DOMAIN = {
    "forms": {
        "cancel_order_form": {
            "required_slots": ["order_number", "email", "verification_code", "cancel_confirmed"]
        },
        "order_status_form": {"required_slots": ["order_number", "email", "verification_code"]},
    }
}


def switch(intent: str, active_loop: str = "cancel_order_form", slots=None):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots=slots or {}, intent=intent, active_loop=active_loop)
    return ActionSwitchFlow().run(dispatcher, tracker, DOMAIN), dispatcher.messages


def test_asking_for_another_flow_leaves_the_form_and_starts_that_flow():
    events, messages = switch(
        "order_status",
        slots={"order_number": "ORD-100001", "customer_id": "7", "cancel_confirmed": True},
    )
    assert events == [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("verification_code", None),
        SlotSet("cancel_confirmed", None),
        FollowupAction("order_status_form"),
    ]
    assert messages == []


def test_the_order_and_the_verified_customer_carry_over():
    events, _ = switch("return_refund")
    forgotten = {event["name"] for event in events if event["event"] == "slot"}
    assert not forgotten & {"order_number", "email", "customer_id"}
    assert events[-1] == FollowupAction("return_form")


def test_asking_for_the_same_flow_again_just_stops_it():
    events, messages = switch("cancel_order")
    assert FollowupAction("cancel_order_form") not in events
    assert [message["response"] for message in messages] == ["utter_form_stopped"]


def test_every_order_intent_has_a_flow():
    contract = {
        "order_status",
        "cancel_order",
        "return_refund",
        "damaged_or_wrong_item",
        "change_delivery_address",
        "payment_problem",
        "loyalty_points",
        "privacy_request",
        "account_issue",
    }
    assert set(FLOW_FOR_INTENT) == contract

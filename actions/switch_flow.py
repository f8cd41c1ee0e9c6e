"""Changing one's mind in the middle of a flow: leave it and start the one asked for.

Domain requirements: every form named in :data:`FLOW_FOR_INTENT` exists, and
the rules in ``data/stories/switching.yml`` call ``action_switch_flow`` when a
form is active and the customer asks for a different flow.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

# What each order intent starts: a form, or an action for guidance without one.
FLOW_FOR_INTENT = {
    "order_status": "order_status_form",
    "cancel_order": "cancel_order_form",
    "return_refund": "return_form",
    "damaged_or_wrong_item": "damaged_item_form",
    "change_delivery_address": "change_address_form",
    "payment_problem": "payment_problem_form",
    "loyalty_points": "loyalty_form",
    "privacy_request": "privacy_form",
    "account_issue": "action_account_guidance",
}
# Who the customer is and which order they mean carry over to the next flow.
KEPT_SLOTS = frozenset({"order_number", "email", "customer_id"})


def slots_to_forget(domain: DomainDict, form: str) -> List[str]:
    """Returns the slots the active form asks for that the next flow must not inherit.

    Args:
        domain: The assistant's domain.
        form: The form being left.
    """
    required = domain.get("forms", {}).get(form, {}).get("required_slots", [])
    return [slot for slot in required if slot not in KEPT_SLOTS]


class ActionSwitchFlow(Action):
    """Leaves the active form and starts the flow of the customer's latest intent."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_switch_flow"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Deactivates the form, forgets its answers, and follows up with the new flow."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        target = FLOW_FOR_INTENT.get(str(intent))
        active: Dict[str, Any] = tracker.active_loop or {}
        events: List[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None)]
        leaving = active.get("name")
        if leaving:
            # A verified customer stays verified through ``customer_id``; the
            # lockout after wrong codes is kept in the database, not in a slot.
            events.extend(SlotSet(slot, None) for slot in slots_to_forget(domain, leaving))
        if target is None or target == leaving:
            dispatcher.utter_message(response="utter_form_stopped")
            return events
        events.append(FollowupAction(target))
        return events

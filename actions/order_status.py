"""The order status check: which order, and where it is, for its verified owner."""

from __future__ import annotations

import logging
from datetime import date
from typing import Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import intent_payload
from actions.verification import CODE_LOCKED, VerifiedOrderFormValidation, verified_customer
from bot.orders import messages
from bot.orders.lookup import order_status_for_customer
from bot.settings import get_settings

logger = logging.getLogger(__name__)


class ValidateOrderStatusForm(VerifiedOrderFormValidation):
    """Validates the order status form: the order, then who is asking.

    Domain requirements: form ``order_status_form`` with slots ``order_number``,
    ``email`` and ``verification_code``.
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return "validate_order_status_form"

    def slots_after_verification(self, tracker: Tracker, customer_id: int) -> List[str]:
        """Nothing more is needed to tell the owner where the order is."""
        return []


class ActionOrderStatus(Action):
    """Tells the owner of an order where it is."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_order_status"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Answers the verified owner; forgets the order details afterwards."""
        number: Optional[str] = tracker.get_slot("order_number")
        customer_id = verified_customer(tracker)
        events: List[EventType] = [
            SlotSet("order_number", None),
            SlotSet("email", None),
            SlotSet("verification_code", None),
        ]
        if customer_id is not None:
            events.append(SlotSet("customer_id", str(customer_id)))
        if tracker.get_slot("verification_code") == CODE_LOCKED:
            dispatcher.utter_message(text=messages.VERIFICATION_LOCKED)
            return events
        if not number or customer_id is None:
            dispatcher.utter_message(text=messages.ORDER_NOT_FOUND)
            return events
        try:
            report = order_status_for_customer(
                get_settings().database_url, number, customer_id, date.today()
            )
        except SQLAlchemyError:
            logger.exception("order status look-up failed for conversation %s", tracker.sender_id)
            dispatcher.utter_message(text=messages.LOOKUP_UNAVAILABLE)
            return events
        if report is None:
            dispatcher.utter_message(text=messages.ORDER_NOT_FOUND)
        elif report.is_late:
            dispatcher.utter_message(
                text=f"{report.message} {messages.LATE_ORDER_OFFER}",
                buttons=late_order_buttons(report.order_number),
            )
        else:
            dispatcher.utter_message(text=report.message)
        return events


def late_order_buttons(order_number: str) -> List[Dict[str, str]]:
    """The choices offered for an overdue parcel: wait, or cancel it and be refunded."""
    return [
        {"title": "I'll wait, thanks", "payload": intent_payload("thank")},
        {
            "title": "Cancel and refund me",
            "payload": intent_payload("cancel_order", ORDER_NUMBER=order_number),
        },
    ]

"""The order status check: which order, and where it is, for its verified owner."""

from __future__ import annotations

from datetime import date
from typing import Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import intent_payload
from actions.verification import VerifiedFlowAction, VerifiedOrderFormValidation
from bot.orders import messages
from bot.orders.lookup import order_status_for_customer
from bot.settings import get_settings


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


class ActionOrderStatus(VerifiedFlowAction):
    """Tells the owner of an order where it is."""

    action_name = "action_order_status"

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, number: str
    ) -> List[EventType]:
        """Answers the verified owner; the order details are forgotten afterwards."""
        report = order_status_for_customer(
            get_settings().database_url, number, customer_id, date.today()
        )
        if report is None:
            dispatcher.utter_message(text=messages.ORDER_NOT_FOUND)
        elif report.is_late:
            dispatcher.utter_message(
                text=f"{report.message} {messages.LATE_ORDER_OFFER}",
                buttons=late_order_buttons(report.order_number),
            )
        else:
            dispatcher.utter_message(text=report.message)
        return []


def late_order_buttons(order_number: str) -> List[Dict[str, str]]:
    """The choices offered for an overdue parcel: wait, or cancel it and be refunded."""
    return [
        {"title": "I'll wait, thanks", "payload": intent_payload("thank")},
        {
            "title": "Cancel and refund me",
            "payload": intent_payload("cancel_order", ORDER_NUMBER=order_number),
        },
    ]

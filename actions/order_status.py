"""The order status check: the form that asks for the order and the answer."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import AskAction
from bot.orders import messages
from bot.orders.identifiers import extract_email, extract_order_number
from bot.orders.lookup import order_status_for_owner
from bot.settings import get_settings

logger = logging.getLogger(__name__)


class ValidateOrderStatusForm(FormValidationAction):
    """Checks the order number and email the customer gives.

    Domain requirements: form ``order_status_form`` with slots ``order_number``
    and ``email``.
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return "validate_order_status_form"

    def validate_order_number(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts ``ORD-104233`` and the ways people type it."""
        number = extract_order_number(str(slot_value or ""))
        if number is None:
            dispatcher.utter_message(text=messages.INVALID_ORDER_NUMBER)
        return {"order_number": number}

    def validate_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts anything shaped like an email address."""
        email = extract_email(str(slot_value or ""))
        if email is None:
            dispatcher.utter_message(text=messages.INVALID_EMAIL)
        return {"email": email}


class ActionAskOrderNumber(AskAction):
    """Asks for the order number while the order status form runs."""

    action_name = "action_ask_order_number"
    question = messages.ASK_ORDER_NUMBER


class ActionAskEmail(AskAction):
    """Asks for the email on the order while the order status form runs."""

    action_name = "action_ask_email"
    question = messages.ASK_EMAIL


class ActionOrderStatus(Action):
    """Tells the owner of an order where it is."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_order_status"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Looks the order up and answers; forgets the details afterwards."""
        number: Optional[str] = tracker.get_slot("order_number")
        email: Optional[str] = tracker.get_slot("email")
        reset: List[EventType] = [SlotSet("order_number", None), SlotSet("email", None)]
        if not number or not email:
            dispatcher.utter_message(text=messages.ORDER_NOT_FOUND)
            return reset
        try:
            report = order_status_for_owner(
                get_settings().database_url, number, email, date.today()
            )
        except SQLAlchemyError:
            logger.exception("order status look-up failed for conversation %s", tracker.sender_id)
            dispatcher.utter_message(text=messages.LOOKUP_UNAVAILABLE)
            return reset
        if report is None:
            dispatcher.utter_message(text=messages.ORDER_NOT_FOUND)
        else:
            dispatcher.utter_message(text=report.message)
        return reset

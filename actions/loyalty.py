"""Loyalty points: balance, tier, points about to expire and how to redeem them.

The flow is about the customer, not an order: a customer verified by the
website's token or earlier in the conversation is asked nothing; anyone else
proves who they are with an order number, its email and the one-time code.
"""

from __future__ import annotations

from datetime import date
from typing import List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import AskAction
from actions.verification import VerifiedFlowAction, VerifiedOrderFormValidation
from bot.loyalty import messages as say
from bot.loyalty.balance import loyalty_for_customer
from bot.settings import get_settings


class ValidateLoyaltyForm(VerifiedOrderFormValidation):
    """Verifies the customer, if the conversation has not already.

    Domain requirements: form ``loyalty_form`` with slots ``order_number``,
    ``email`` and ``verification_code``.
    """

    needs_order = False

    def name(self) -> str:
        """Name of the action in the domain."""
        return "validate_loyalty_form"

    def slots_after_verification(self, tracker: Tracker, customer_id: int) -> List[str]:
        """A verified customer is asked nothing."""
        return []


class ActionAskLoyaltyOrderNumber(AskAction):
    """Asks an anonymous customer for an order number, to prove who they are."""

    action_name = "action_ask_loyalty_form_order_number"
    question = say.ASK_LOYALTY_ORDER_NUMBER


class ActionLoyaltyPoints(VerifiedFlowAction):
    """Tells a verified customer their points, tier and how to use them, or how to join."""

    action_name = "action_loyalty_points"
    needs_order = False
    not_verified_message = say.NOT_VERIFIED

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, number: str
    ) -> List[EventType]:
        """Answers with the customer's standing in the loyalty programme."""
        today = date.today()
        standing = loyalty_for_customer(get_settings().database_url, customer_id, today)
        if standing is None:
            dispatcher.utter_message(text=say.NOT_VERIFIED)
        elif standing.is_member:
            dispatcher.utter_message(text=say.balance_reply(standing, today))
        else:
            dispatcher.utter_message(text=say.join_reply(standing))
        return []

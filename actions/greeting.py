"""Greeting: a returning, verified customer is welcomed by name."""

from __future__ import annotations

import logging
from datetime import date
from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.verification import verified_customer
from bot.identity import service as identity
from bot.settings import get_settings

logger = logging.getLogger(__name__)


class ActionGreet(Action):
    """Welcomes a known customer by name, with their open orders.

    Sets ``customer_recognised``: when it is false, the rules in
    ``data/stories/social.yml`` follow with the general ``utter_greet``.
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_greet"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the personal welcome when the customer is known."""
        customer_id = verified_customer(tracker)
        if customer_id is None:
            return [SlotSet("customer_recognised", False)]
        try:
            text = identity.welcome_back_message(
                get_settings(), customer_id, tracker.sender_id, date.today()
            )
        except SQLAlchemyError:
            logger.exception("could not load the history of customer %s", customer_id)
            text = None
        if text is None:
            return [SlotSet("customer_recognised", False)]
        dispatcher.utter_message(text=text)
        return [SlotSet("customer_id", str(customer_id)), SlotSet("customer_recognised", True)]

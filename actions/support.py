"""Pointing customers to the human support team."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.knowledge.policies import load_policies
from bot.support.contact import contact_support_message


class ActionContactSupport(Action):
    """Tells the customer how and when to reach a person."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_contact_support"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the contact details from the shop's contact policy."""
        contact = load_policies().contact
        dispatcher.utter_message(text=contact_support_message(contact, datetime.now(timezone.utc)))
        return []

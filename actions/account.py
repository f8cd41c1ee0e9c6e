"""Guidance for account questions; no account is ever looked up or disclosed."""

from __future__ import annotations

from typing import Any, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import intent_payload
from bot.account import messages
from bot.account.guidance import TOPIC_CHOICES, account_policy, answer_account_question
from bot.knowledge.policies import load_policies

TOPIC_SLOT = "account_topic"
TOPIC_BUTTONS = [
    {"title": title, "payload": intent_payload("account_issue", account_topic=topic.value)}
    for topic, title in TOPIC_CHOICES
]


def _chosen_topic(tracker: Tracker) -> Any:
    """The topic picked with a button in this message, else the slot filled from it."""
    picked = next(tracker.get_latest_entity_values(TOPIC_SLOT), None)
    return picked if picked is not None else tracker.get_slot(TOPIC_SLOT)


class ActionAccountGuidance(Action):
    """Answers an account question for its topic, or asks which topic it is."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_account_guidance"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the guidance and forgets the topic, so the next question starts afresh."""
        text = str(tracker.latest_message.get("text") or "")
        answer = answer_account_question(
            text, _chosen_topic(tracker), account_policy(load_policies())
        )
        for message in answer.texts:
            dispatcher.utter_message(text=message)
        if answer.ask_topic:
            dispatcher.utter_message(text=messages.WHICH_TOPIC, buttons=TOPIC_BUTTONS)
        return [SlotSet(TOPIC_SLOT, None)]

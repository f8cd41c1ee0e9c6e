"""Apologising, and the ladder for messages the assistant does not understand.

``action_apologise`` answers a complaint (or a negative message) with a
specific apology and two ways forward: "Sort it out now" restarts the flow
the trouble is about, "Talk to a person" sends ``/request_human``. A message
strong enough to need a person (see :mod:`bot.handoff.escalation`) goes to the
support team at once instead.

``action_fallback`` is the one action the fallback rule runs: it offers
"Did you mean…?" suggestions, apologises after two messages in a row it did
not understand, and hands the conversation to a person after two more.

Domain requirements: actions ``action_apologise`` and ``action_fallback``,
plus what ``actions/handoff.py`` and ``actions/faq.py`` need.
"""

from __future__ import annotations

from typing import List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.faq import offer_suggestions
from actions.handoff import escalate_now, first_name
from bot.handoff.apology import Situation, compose, issue_from_conversation, turn_seed
from bot.handoff.escalation import FallbackStep, fallback_step

COMPLAINT_INTENT = "complaint"


def apologise(dispatcher: CollectingDispatcher, tracker: Tracker, situation: Situation) -> None:
    """Sends the apology for ``situation``, about this conversation's issue.

    Args:
        dispatcher: Sends the apology and its buttons.
        tracker: The conversation.
        situation: Why the assistant apologises.
    """
    loop = (tracker.active_loop or {}).get("name")
    issue = issue_from_conversation(tracker.events, tracker.slots, loop)
    apology = compose(
        situation, issue, first_name(tracker), turn_seed(tracker.sender_id, tracker.events)
    )
    dispatcher.utter_message(text=apology.text, buttons=[dict(b) for b in apology.buttons])


def apologise_for_failure(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Apologises for an action that failed on our side, offering to try again or a person.

    For actions that catch their own errors, e.g. in an ``except`` block
    instead of a generic "something went wrong".
    """
    apologise(dispatcher, tracker, Situation.FAILURE)


class ActionApologise(Action):
    """Apologises for a complaint or a negative message, or hands off when it is strong."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_apologise"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the apology with its buttons; a person takes over when one should."""
        handed_off = escalate_now(dispatcher, tracker, domain)
        if handed_off is not None:
            return handed_off
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        situation = Situation.COMPLAINT if intent == COMPLAINT_INTENT else Situation.NEGATIVE
        apologise(dispatcher, tracker, situation)
        return []


class ActionFallback(Action):
    """Answers a message that was not understood: suggest, apologise, or hand off."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_fallback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Takes the next step of the ladder for this conversation."""
        handed_off = escalate_now(dispatcher, tracker, domain)
        if handed_off is not None:
            return handed_off
        if fallback_step(tracker.events) is FallbackStep.APOLOGISE:
            apologise(dispatcher, tracker, Situation.FALLBACK)
            return []
        return offer_suggestions(dispatcher, tracker, "fallback")

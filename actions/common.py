"""Base classes shared by the action modules."""

from __future__ import annotations

import abc
import json
from typing import Any, Callable, Dict, List, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class NamedAction(Action, abc.ABC):
    """An action whose subclasses set their domain name as ``action_name``.

    Abstract, so that the action server registers only its subclasses.
    """

    action_name: str = ""

    def name(self) -> str:
        """Name of the action in the domain."""
        return self.action_name

    @abc.abstractmethod
    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Runs the action and returns the events it causes."""


class AskAction(NamedAction, abc.ABC):
    """An ``action_ask_<slot>`` that sends one question while a form waits.

    Subclasses set ``action_name`` and ``question`` as class attributes, and
    ``buttons`` for a question with choices.
    """

    buttons: Sequence[Dict[str, str]] = ()

    @property
    @abc.abstractmethod
    def question(self) -> str:
        """The question to send."""

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question, with its buttons if it has any."""
        dispatcher.utter_message(text=self.question, buttons=list(self.buttons))
        return []


SlotValidator = Callable[[Any, Any, CollectingDispatcher, Tracker, DomainDict], Dict[str, Any]]


def yes_or_no_validator(slot: str) -> SlotValidator:
    """Builds a ``validate_<slot>`` method that keeps a yes or no; anything else asks again.

    Use it as a class attribute of a form validation action, e.g.
    ``validate_cancel_confirmed = yes_or_no_validator("cancel_confirmed")``.

    Args:
        slot: A boolean slot, filled by ``affirm`` and ``deny``.
    """

    def validate(
        self: Any,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Keeps a yes or no; anything else asks again."""
        return {slot: slot_value if isinstance(slot_value, bool) else None}

    return validate


def latest_user_metadata(tracker: Tracker) -> Dict[str, Any]:
    """Returns the metadata the channel sent with the customer's latest message.

    Args:
        tracker: The conversation.

    Returns:
        The metadata, or an empty mapping when there is none.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata")
            return metadata if isinstance(metadata, dict) else {}
    return {}


def intent_payload(intent: str, **entities: str) -> str:
    """The payload of a button that sends ``intent``, with entities as the NLU would extract them.

    Args:
        intent: The intent the button stands for, e.g. ``inform``.
        **entities: Entity values, e.g. ``ORDER_NUMBER="ORD-100001"``.

    Returns:
        A payload such as ``/inform{"ORDER_NUMBER":"ORD-100001"}``.
    """
    if not entities:
        return f"/{intent}"
    return f"/{intent}" + json.dumps(entities, separators=(",", ":"))

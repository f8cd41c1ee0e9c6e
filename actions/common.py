"""Base classes shared by the action modules."""

from __future__ import annotations

import abc
import json
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict


class AskAction(Action, abc.ABC):
    """An ``action_ask_<slot>`` that sends one question while a form waits.

    Subclasses set ``action_name`` and ``question`` as class attributes.
    """

    action_name: str = ""

    @property
    @abc.abstractmethod
    def question(self) -> str:
        """The question to send."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return self.action_name

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question."""
        dispatcher.utter_message(text=self.question)
        return []


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

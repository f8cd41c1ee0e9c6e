"""Base classes shared by the action modules."""

from __future__ import annotations

import abc
from typing import List

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

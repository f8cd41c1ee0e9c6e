"""Knowledge-base answers, "Did you mean…?" suggestions and answer feedback."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from bot.db.engine import get_engine, session_scope
from bot.db.repositories.knowledge_feedback import record_feedback, record_unanswered
from bot.knowledge import answering
from bot.knowledge.search import load_article_search
from bot.settings import get_settings

logger = logging.getLogger(__name__)

FEEDBACK_BUTTONS = [
    {"title": "Yes, thanks", "payload": "/affirm"},
    {"title": "No", "payload": "/deny"},
]


def _question_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def _store(tracker: Tracker, write: Any) -> None:
    """Runs a database write; a failure is logged and never reaches the customer."""
    try:
        with session_scope(get_engine(get_settings().database_url)) as session:
            write(session)
    except SQLAlchemyError:
        logger.exception("could not store FAQ feedback for %s", tracker.sender_id)


def _choose_button(article_id: str, title: str) -> Dict[str, str]:
    return {"title": title, "payload": f'/faq_choose{{"faq_article": "{article_id}"}}'}


def offer_suggestions(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str
) -> List[EventType]:
    """Offers the closest articles as buttons, or asks to rephrase when none fit."""
    text = _question_text(tracker)
    hits = (
        load_article_search().search(text, limit=answering.MAX_SUGGESTIONS) if text.strip() else []
    )
    closest = hits[0].article_id if hits else None
    _store(
        tracker,
        lambda session: record_unanswered(session, tracker.sender_id, text, reason, closest),
    )
    if not hits:
        dispatcher.utter_message(text=answering.NOT_UNDERSTOOD)
        return [SlotSet("faq_suggestions", None)]
    buttons = [_choose_button(hit.article_id, hit.title) for hit in hits]
    dispatcher.utter_message(text=answering.SUGGESTIONS_INTRO, buttons=buttons)
    return [
        SlotSet("faq_suggestions", [hit.article_id for hit in hits]),
        SlotSet("faq_question", text),
    ]


class ActionFaqGate(Action):
    """Checks whether the ResponseSelector is confident enough to answer.

    Rules branch on the ``faq_confident`` slot: Rasa's own ``utter_faq`` sends
    the chosen article, otherwise the closest articles are offered.
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_faq_gate"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sets ``faq_confident`` and remembers the article and the question."""
        choice = answering.article_choice(tracker.latest_message)
        confident = bool(choice and choice.is_confident)
        return [
            SlotSet("faq_confident", confident),
            SlotSet("faq_article", choice.article_id if confident and choice else None),
            SlotSet("faq_question", _question_text(tracker)),
        ]


class ActionAskFaqFeedback(Action):
    """Asks whether the answer helped, with Yes and No buttons."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_faq_feedback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question."""
        dispatcher.utter_message(text=answering.FEEDBACK_QUESTION, buttons=FEEDBACK_BUTTONS)
        return []


class ActionAnswerChosenFaq(Action):
    """Answers the article the customer picked from the suggestions."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_answer_chosen_faq"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the article's answer and asks whether it helped."""
        chosen = next(tracker.get_latest_entity_values("faq_article"), None)
        offered = tracker.get_slot("faq_suggestions") or []
        if chosen is None:
            chosen = answering.pick_suggestion(_question_text(tracker), offered)
        if not chosen or f"utter_faq/{chosen}" not in (domain.get("responses") or {}):
            return offer_suggestions(dispatcher, tracker, "low_confidence")
        dispatcher.utter_message(response=f"utter_faq/{chosen}")
        dispatcher.utter_message(text=answering.FEEDBACK_QUESTION, buttons=FEEDBACK_BUTTONS)
        return [
            SlotSet("faq_article", chosen),
            SlotSet("faq_suggestions", None),
            SlotSet("faq_question", tracker.get_slot("faq_question") or ""),
        ]


class ActionFaqSuggestions(Action):
    """When a message is not understood, offers the closest articles."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_faq_suggestions"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Offers suggestions and records the question for the support team."""
        return offer_suggestions(dispatcher, tracker, "fallback")


class ActionRecordFaqFeedback(Action):
    """Stores whether an answer helped, per article and conversation."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_record_faq_feedback"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Thanks the customer, or apologises and notes the question as a to-do."""
        article_id = tracker.get_slot("faq_article")
        question = tracker.get_slot("faq_question") or ""
        helpful = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        if article_id:

            def write(session: Any) -> None:
                record_feedback(session, tracker.sender_id, article_id, question, helpful)
                if not helpful:
                    record_unanswered(session, tracker.sender_id, question, "unhelpful", article_id)

            _store(tracker, write)
        dispatcher.utter_message(
            text=answering.FEEDBACK_THANKS if helpful else answering.FEEDBACK_SORRY
        )
        return [SlotSet("faq_article", None), SlotSet("faq_question", None)]

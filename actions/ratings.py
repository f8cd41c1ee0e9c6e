"""Asking how the conversation went (CSAT 1-5, then an optional NPS 0-10) and storing it.

``action_ask_csat`` asks once per conversation, with five star buttons
(``/rate_conversation{"csat_score":"N"}``), the same question the support team's
hand-back sends. ``action_record_rating`` stores the stars, asks the NPS
question once (buttons ``/rate_conversation{"nps_score":"N"}`` and "No thanks"),
stores that answer, and thanks the customer.

Domain requirements: intent ``rate_conversation``; entities ``csat_score`` and
``nps_score``; actions ``action_ask_csat`` and ``action_record_rating``.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from actions.common import intent_payload
from bot.db.engine import get_engine, session_scope
from bot.db.repositories.ratings import (
    CSAT_MAX,
    CSAT_MIN,
    NPS_MAX,
    NPS_MIN,
    NoRatingYetError,
    record_csat,
    record_nps,
)
from bot.handoff.service import CSAT_QUESTION, csat_buttons
from bot.settings import get_settings

logger = logging.getLogger(__name__)

RATE_INTENT = "rate_conversation"
CSAT_ENTITY = "csat_score"
NPS_ENTITY = "nps_score"
NPS_SKIP = "skip"
# Intents that are not a request: a conversation made only of these is not rated.
SMALL_TALK = frozenset(
    {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", RATE_INTENT}
)

NPS_QUESTION = (
    "One last question, if you have a moment: how likely are you to recommend us to a friend? "
    "0 is not at all likely and 10 is extremely likely."
)
NPS_THANKS = "Thank you, that really helps us improve."
NPS_SKIPPED = "No problem at all. Thanks again for your feedback!"
NOT_A_RATING = "Sorry, I didn't catch a rating there. Please tap one of the buttons below."
RATING_NOT_SAVED = (
    "Thank you for rating us. I'm sorry, I couldn't save it just now because of a problem on "
    "our side."
)

_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_NUMBER = r"(\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")"
_OUT_OF = re.compile(r"\b" + _NUMBER + r"\s*(?:/|out of|of)\s*(5|10|five|ten)\b")
_STARS = re.compile(r"\b" + _NUMBER + r"\s*stars?\b")
# A number on its own ("4", "a 4", "I'd say 8!"); not a digit inside other text.
_BARE = re.compile(
    r"(?:(?:a|an|it's|its|i'd say|i give it|maybe|probably)\s+)*" + _NUMBER + r"\s*[.!]*"
)

Rating = Tuple[str, int]  # ("csat" | "nps", score)


def csat_thanks(score: int) -> str:
    """Thanks for a CSAT rating, in words that fit the score."""
    if score >= 4:
        return f"Thank you for the {score} stars, that's lovely to hear!"
    if score == 3:
        return "Thanks for your rating. I'll pass it on so we can do better next time."
    return (
        "Thank you for telling me, and I'm sorry we fell short today. Your rating goes straight "
        "to our support team so they can put things right."
    )


def nps_buttons() -> List[Dict[str, str]]:
    """Eleven buttons from 0 to 10, and "No thanks"."""
    buttons = [
        {"title": str(score), "payload": intent_payload(RATE_INTENT, nps_score=str(score))}
        for score in range(NPS_MIN, NPS_MAX + 1)
    ]
    buttons.append(
        {"title": "No thanks", "payload": intent_payload(RATE_INTENT, nps_score=NPS_SKIP)}
    )
    return buttons


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def typed_rating(text: str, expecting: str) -> Optional[Rating]:
    """Reads a rating the customer typed: ``4 stars``, ``9 out of 10``, ``a 5``.

    Args:
        text: The message.
        expecting: ``"csat"`` or ``"nps"``: the scale of a bare number.

    Returns:
        The scale and score, or ``None`` when no rating is in the text.
    """
    lowered = text.lower()
    match = _OUT_OF.search(lowered)
    if match:
        scale = "nps" if match.group(2) in ("10", "ten") else "csat"
        return scale, _number(match.group(1))
    match = _STARS.search(lowered)
    if match:
        return "csat", _number(match.group(1))
    match = _BARE.fullmatch(lowered.strip())
    if match:
        return expecting, _number(match.group(1))
    return None


def _bot_texts(tracker: Tracker) -> List[str]:
    return [str(e.get("text") or "") for e in tracker.events if e.get("event") == "bot"]


def _user_intents(tracker: Tracker) -> List[str]:
    intents = []
    for event in tracker.events:
        if event.get("event") == "user":
            name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if name:
                intents.append(str(name))
    return intents


def csat_asked(tracker: Tracker) -> bool:
    """Whether this conversation was already asked for (or gave) a rating."""
    return CSAT_QUESTION in _bot_texts(tracker) or RATE_INTENT in _user_intents(tracker)


def nps_asked(tracker: Tracker) -> bool:
    """Whether this conversation was already asked the NPS question."""
    return NPS_QUESTION in _bot_texts(tracker)


def _expecting(tracker: Tracker) -> str:
    """The question asked last: ``nps`` when the NPS question came after the CSAT one."""
    for text in reversed(_bot_texts(tracker)):
        if text == NPS_QUESTION:
            return "nps"
        if text == CSAT_QUESTION:
            return "csat"
    return "csat"


def _entity(tracker: Tracker, entity: str) -> Optional[str]:
    value = next(tracker.get_latest_entity_values(entity), None)
    return str(value).strip().lower() if value is not None else None


def _score(value: Optional[str], low: int, high: int) -> Optional[int]:
    if value is None or not value.isdigit():
        return None
    score = int(value)
    return score if low <= score <= high else None


def _store(tracker: Tracker, write: Callable[[Session], Any]) -> bool:
    """Runs a write in a transaction of its own; a failure is logged."""
    try:
        with session_scope(get_engine(get_settings().database_url)) as session:
            write(session)
    except SQLAlchemyError:
        logger.exception("could not store the rating of %s", tracker.sender_id)
        return False
    return True


class ActionAskCsat(Action):
    """Asks for a star rating, once per conversation, when the customer asked for something."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_csat"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with five star buttons, unless it was asked already."""
        if csat_asked(tracker):
            return []
        if all(intent in SMALL_TALK for intent in _user_intents(tracker)):
            return []
        dispatcher.utter_message(text=CSAT_QUESTION, buttons=csat_buttons())
        return []


class ActionRecordRating(Action):
    """Stores a CSAT or NPS answer and thanks the customer; asks the NPS question once."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_record_rating"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Reads the rating from the button (or the typed text) and stores it."""
        csat_value = _entity(tracker, CSAT_ENTITY)
        nps_value = _entity(tracker, NPS_ENTITY)
        if csat_value is None and nps_value is None:
            typed = typed_rating(str(tracker.latest_message.get("text") or ""), _expecting(tracker))
            if typed is not None:
                scale, score = typed
                csat_value, nps_value = (
                    (str(score), None) if scale == "csat" else (None, str(score))
                )
        if csat_value is not None:
            self._record_csat(dispatcher, tracker, _score(csat_value, CSAT_MIN, CSAT_MAX))
        elif nps_value == NPS_SKIP:
            dispatcher.utter_message(text=NPS_SKIPPED)
        elif nps_value is not None:
            self._record_nps(dispatcher, tracker, _score(nps_value, NPS_MIN, NPS_MAX))
        else:
            self._ask_again(dispatcher, tracker)
        return []

    @staticmethod
    def _ask_again(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        buttons = nps_buttons() if _expecting(tracker) == "nps" else csat_buttons()
        dispatcher.utter_message(text=NOT_A_RATING, buttons=buttons)

    def _record_csat(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, score: Optional[int]
    ) -> None:
        if score is None:
            dispatcher.utter_message(text=NOT_A_RATING, buttons=csat_buttons())
            return
        if not _store(tracker, lambda session: record_csat(session, tracker.sender_id, score)):
            dispatcher.utter_message(text=RATING_NOT_SAVED)
            return
        dispatcher.utter_message(text=csat_thanks(score))
        if not nps_asked(tracker):
            dispatcher.utter_message(text=NPS_QUESTION, buttons=nps_buttons())

    def _record_nps(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, score: Optional[int]
    ) -> None:
        if score is None:
            dispatcher.utter_message(text=NOT_A_RATING, buttons=nps_buttons())
            return
        missing_csat = False

        def write(session: Session) -> None:
            nonlocal missing_csat
            try:
                record_nps(session, tracker.sender_id, score)
            except NoRatingYetError:
                missing_csat = True

        if not _store(tracker, write):
            dispatcher.utter_message(text=RATING_NOT_SAVED)
        elif missing_csat:
            dispatcher.utter_message(text=CSAT_QUESTION, buttons=csat_buttons())
        else:
            dispatcher.utter_message(text=NPS_THANKS)

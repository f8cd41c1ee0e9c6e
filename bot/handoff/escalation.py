"""When a conversation goes to a person: the escalation triggers, decided from the tracker.

Everything here is pure: it reads the events, the latest message and the slots
of a conversation as the action server receives them, and says whether (and
why) the conversation should be handed to the support team. The actions in
``actions/handoff.py`` and ``actions/apology.py`` act on the answer.

Not understood messages follow a ladder, counted from the events:

1. the first message not understood in a row gets "Did you mean…?" suggestions;
2. the second gets an apology with the next best steps;
3. after an apology (that one, or the apology for a complaint), the next one
   gets suggestions again, and the one after that goes to a person.

A message the assistant understands ends the ladder, and so does a handoff:
messages the customer writes to the agent while the conversation is paused
are not counted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional

from bot.settings import Settings

# Reasons stored in ``HandoffTicket.reason`` and counted by the metrics.
REQUEST_HUMAN = "customer asked for a person"
FALLBACKS_AFTER_APOLOGY = "fallbacks after an apology"
STRONGLY_NEGATIVE = "strongly negative message"
DAMAGED_ITEM_FLAGGED = "damaged item flagged"
VERIFICATION_LOCKED = "verification locked"
PRIVACY_NEEDS_STAFF = "privacy request needs staff"
REASONS = (
    REQUEST_HUMAN,
    FALLBACKS_AFTER_APOLOGY,
    STRONGLY_NEGATIVE,
    DAMAGED_ITEM_FLAGGED,
    VERIFICATION_LOCKED,
    PRIVACY_NEEDS_STAFF,
)

# Names the domain uses.
FALLBACK_INTENT = "nlu_fallback"
REQUEST_HUMAN_INTENT = "request_human"
FALLBACK_ACTION = "action_fallback"
APOLOGY_ACTION = "action_apologise"
ESCALATION_FLAG_SLOT = "escalation_flag"
VERIFICATION_CODE_SLOT = "verification_code"
# The value of ``verification_code`` after too many wrong codes; the same as
# ``actions.verification.CODE_LOCKED`` (``bot`` does not import ``actions``).
CODE_LOCKED = "locked"

# Not understood twice in a row: apologise. Twice more after an apology: a person.
FALLBACKS_BEFORE_APOLOGY = 2
FALLBACKS_AFTER_APOLOGY_LIMIT = 2


@dataclass(frozen=True)
class Escalation:
    """A conversation that should go to a person now.

    Attributes:
        reason: One of :data:`REASONS`.
    """

    reason: str


class FallbackStep(str, enum.Enum):
    """What the assistant does with a message it did not understand."""

    SUGGEST = "suggest"
    APOLOGISE = "apologise"
    HAND_OFF = "hand_off"


def _intent(event_or_message: Mapping[str, Any]) -> Optional[str]:
    parse_data = event_or_message.get("parse_data")
    source = parse_data if isinstance(parse_data, Mapping) else event_or_message
    intent = source.get("intent") or {}
    name = intent.get("name") if isinstance(intent, Mapping) else None
    return str(name) if name else None


def _step(streak: int, since_apology: Optional[int]) -> FallbackStep:
    if since_apology is not None:
        if since_apology >= FALLBACKS_AFTER_APOLOGY_LIMIT:
            return FallbackStep.HAND_OFF
        return FallbackStep.SUGGEST
    if streak >= FALLBACKS_BEFORE_APOLOGY:
        return FallbackStep.APOLOGISE
    return FallbackStep.SUGGEST


def fallback_step(events: Iterable[Mapping[str, Any]]) -> FallbackStep:
    """Says what to do with the latest message, when it was not understood.

    The events are replayed: each message not understood extends the streak
    and, once an apology was made, the count since that apology. An apology is
    a run of ``action_apologise``, or a run of ``action_fallback`` at the step
    where it apologises. A message understood, a pause or a resume starts
    over; messages written while the conversation is paused are skipped.

    Args:
        events: The conversation's events as the action server receives them,
            ending with the message not understood.

    Returns:
        The step for the latest message.
    """
    streak = 0
    since_apology: Optional[int] = None
    paused = False
    for event in events:
        kind = event.get("event")
        if kind in ("pause", "resume", "restart", "session_started"):
            paused = kind == "pause"
            streak, since_apology = 0, None
        elif paused:
            continue
        elif kind == "user":
            if _intent(event) == FALLBACK_INTENT:
                streak += 1
                if since_apology is not None:
                    since_apology += 1
            else:
                streak, since_apology = 0, None
        elif kind == "action":
            name = event.get("name")
            if name == APOLOGY_ACTION:
                since_apology = 0
            elif name == FALLBACK_ACTION:
                step = _step(streak, since_apology)
                if step is FallbackStep.APOLOGISE:
                    since_apology = 0
                elif step is FallbackStep.HAND_OFF:
                    streak, since_apology = 0, None
    return _step(streak, since_apology)


def sentiment_score(message: Mapping[str, Any]) -> Optional[float]:
    """Returns the sentiment score (-1..1) the NLU gave a message, if any.

    Args:
        message: ``tracker.latest_message``, or a user event's ``parse_data``.
    """
    sentiment = message.get("sentiment")
    if not isinstance(sentiment, Mapping):
        return None
    score = sentiment.get("score")
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        return None
    return float(score)


def is_strongly_negative(message: Mapping[str, Any], settings: Settings) -> bool:
    """Tells whether a message scores at or below ``settings.escalation_threshold``."""
    score = sentiment_score(message)
    return score is not None and score <= settings.escalation_threshold


def handed_off_since_latest_message(events: Iterable[Mapping[str, Any]]) -> bool:
    """Tells whether the conversation was paused after the customer's latest message."""
    handed_off = False
    for event in events:
        kind = event.get("event")
        if kind == "user":
            handed_off = False
        elif kind == "pause":
            handed_off = True
    return handed_off


def flag_reason(flag: Any) -> Optional[str]:
    """Maps the ``escalation_flag`` slot to a handoff reason.

    The privacy flow sets it to :data:`PRIVACY_NEEDS_STAFF`; the damaged-item
    flow sets it to why its case needs a person (e.g. the item's value).

    Returns:
        The reason, or ``None`` when the slot is empty.
    """
    if not isinstance(flag, str) or not flag.strip():
        return None
    if flag.strip() == PRIVACY_NEEDS_STAFF:
        return PRIVACY_NEEDS_STAFF
    return DAMAGED_ITEM_FLAGGED


def decide(
    events: Iterable[Mapping[str, Any]],
    latest_message: Mapping[str, Any],
    slots: Mapping[str, Any],
    settings: Settings,
    *,
    active_loop: Optional[str] = None,
) -> Optional[Escalation]:
    """Decides whether the conversation goes to a person now, and why.

    The triggers, most specific first: the customer asked for a person; the
    privacy flow or the damaged-item flow flagged the conversation
    (``escalation_flag``); verification was locked when an order form ended
    (``verification_code`` is ``locked`` and no form is active); the latest
    message is strongly negative; the latest message is the second one not
    understood after an apology. Nothing is decided twice for the same
    message: once the conversation was paused after it, the answer is ``None``.

    Args:
        events: The conversation's events.
        latest_message: ``tracker.latest_message``: intent and parse data,
            including the NLU's ``sentiment``.
        slots: The slot values to judge by.
        settings: For ``escalation_threshold``.
        active_loop: The form still active, if any.

    Returns:
        The escalation, or ``None`` when the assistant carries on.
    """
    history = list(events)
    if handed_off_since_latest_message(history):
        return None
    intent = _intent(latest_message)
    if intent == REQUEST_HUMAN_INTENT:
        return Escalation(REQUEST_HUMAN)
    flagged = flag_reason(slots.get(ESCALATION_FLAG_SLOT))
    if flagged is not None:
        return Escalation(flagged)
    if slots.get(VERIFICATION_CODE_SLOT) == CODE_LOCKED and not active_loop:
        return Escalation(VERIFICATION_LOCKED)
    if is_strongly_negative(latest_message, settings):
        return Escalation(STRONGLY_NEGATIVE)
    if intent == FALLBACK_INTENT and fallback_step(history) is FallbackStep.HAND_OFF:
        return Escalation(FALLBACKS_AFTER_APOLOGY)
    return None

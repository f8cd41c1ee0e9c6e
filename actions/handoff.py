"""Handing a conversation to the support team: queue it, tell the customer, pause the bot.

``action_handoff`` puts the conversation in the queue with a context packet
for the agent, tells the customer their place and likely wait (or, outside
opening hours, when they will hear back) and returns ``ConversationPaused``:
while a conversation is paused Rasa logs the customer's messages (so the
agent gets them through the event broker) but predicts no action, so the bot
stays silent until the team hands the conversation back.

Other actions escalate without any rule:

* :func:`escalation_followup` returns ``[SlotSet("handoff_reason", …),
  FollowupAction("action_handoff")]`` when :func:`bot.handoff.escalation.decide`
  says a person should take over; a flow's final action appends it to its events;
* :func:`escalate_now` hands off inside the calling action itself.

Domain requirements: actions ``action_handoff``; slots ``handoff_reason``
(text, custom mapping), ``escalation_flag``, ``verification_code`` and
``customer_id``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import (
    ActiveLoop,
    ConversationPaused,
    EventType,
    FollowupAction,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

# A module import, so that actions.verification may import this module in turn.
from actions import verification
from bot.handoff import escalation
from bot.handoff.apology import Situation, compose, issue_from_conversation, turn_seed
from bot.handoff.context import latest_channel
from bot.handoff.queue_status import (
    HANDOFF_UNAVAILABLE,
    handoff_intro,
    queue_conversation,
    queue_message,
)
from bot.identity import service as identity
from bot.knowledge.policies import load_policies
from bot.settings import Settings, get_settings
from bot.support.contact import contact_support_message

logger = logging.getLogger(__name__)

HANDOFF_ACTION = "action_handoff"
HANDOFF_REASON_SLOT = "handoff_reason"


def utc_now() -> datetime:
    """The current time, time-zone aware; tests replace it."""
    return datetime.now(timezone.utc)


def first_name(tracker: Tracker) -> Optional[str]:
    """The verified customer's first name, or ``None`` (anonymous, or the database is down)."""
    customer_id = verification.verified_customer(tracker)
    if customer_id is None:
        return None
    try:
        return identity.customer_first_name(get_settings(), customer_id)
    except SQLAlchemyError:
        logger.exception("could not read the name of customer %s", customer_id)
        return None


def _active_loop(tracker: Tracker) -> Optional[str]:
    loop = tracker.active_loop or {}
    name = loop.get("name") if isinstance(loop, dict) else None
    return str(name) if name else None


def pending_escalation(
    tracker: Tracker, settings: Settings, new_events: Sequence[EventType] = ()
) -> Optional[escalation.Escalation]:
    """Asks :func:`bot.handoff.escalation.decide` about the conversation as it stands.

    Args:
        tracker: The conversation as the calling action received it.
        settings: The assistant's settings.
        new_events: Events the calling action is about to return. An
            ``escalation_flag`` it sets counts; its other slot events do not,
            so a form's ``verification_code`` is judged as the form left it
            (a final action clears that slot as it ends).
    """
    slots: Dict[str, Any] = dict(tracker.slots)
    for event in new_events:
        if event.get("event") == "slot" and event.get("name") == escalation.ESCALATION_FLAG_SLOT:
            slots[escalation.ESCALATION_FLAG_SLOT] = event.get("value")
    return escalation.decide(
        tracker.events,
        tracker.latest_message or {},
        slots,
        settings,
        active_loop=_active_loop(tracker),
    )


def escalation_followup(
    tracker: Tracker, settings: Optional[Settings] = None, new_events: Sequence[EventType] = ()
) -> List[EventType]:
    """Events that make Rasa run ``action_handoff`` next, when a person should take over.

    A flow's final action appends them to its own events, e.g.
    ``events + escalation_followup(tracker, new_events=events)``.

    Args:
        tracker: The conversation as the calling action received it.
        settings: The assistant's settings; :func:`bot.settings.get_settings` by default.
        new_events: The events the calling action returns (see :func:`pending_escalation`).

    Returns:
        ``[SlotSet("handoff_reason", reason), FollowupAction("action_handoff")]``,
        or ``[]`` when the assistant carries on.
    """
    found = pending_escalation(tracker, settings or get_settings(), new_events)
    if found is None:
        return []
    return [SlotSet(HANDOFF_REASON_SLOT, found.reason), FollowupAction(HANDOFF_ACTION)]


def _form_cleanup(tracker: Tracker, domain: DomainDict) -> List[EventType]:
    """Ends the active form and forgets its slots, so nothing half-asked resumes later."""
    loop = _active_loop(tracker)
    if loop is None:
        return []
    form = (domain.get("forms") or {}).get(loop)
    slots = (form.get("required_slots") or []) if isinstance(form, dict) else []
    forget = [SlotSet(str(slot), None) for slot in slots if tracker.get_slot(str(slot)) is not None]
    return [ActiveLoop(None), SlotSet("requested_slot", None), *forget]


def _consumed_slots(tracker: Tracker) -> List[EventType]:
    """Clears the reason and the flag that led here, so they don't trigger a second handoff."""
    return [
        SlotSet(slot, None)
        for slot in (HANDOFF_REASON_SLOT, escalation.ESCALATION_FLAG_SLOT)
        if tracker.get_slot(slot) is not None
    ]


def _intro(tracker: Tracker, reason: str, name: Optional[str]) -> str:
    if reason != escalation.STRONGLY_NEGATIVE:
        return handoff_intro(reason, name)
    issue = issue_from_conversation(tracker.events, tracker.slots, _active_loop(tracker))
    seed = turn_seed(tracker.sender_id, tracker.events)
    return compose(Situation.ESCALATING, issue, name, seed).text


def hand_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, reason: str
) -> List[EventType]:
    """Queues the conversation for a person, tells the customer, and pauses the bot.

    Args:
        dispatcher: Sends the messages.
        tracker: The conversation.
        domain: The domain, for the slots of a form that is still active.
        reason: One of :data:`bot.handoff.escalation.REASONS`.

    Returns:
        The events: an active form ended, the reason and flag cleared, and
        ``ConversationPaused``. When the queue is unavailable the customer
        gets the team's contact details instead and the bot is not paused.
    """
    settings = get_settings()
    customer_id = verification.verified_customer(tracker)
    name = first_name(tracker)
    now = utc_now()
    contact = load_policies().contact
    events = [*_form_cleanup(tracker, domain), *_consumed_slots(tracker)]
    try:
        entry = queue_conversation(
            settings.database_url,
            tracker.sender_id,
            tracker.events,
            reason,
            channel=latest_channel(tracker.events),
            customer_id=customer_id,
            now=now,
        )
    except SQLAlchemyError:
        logger.exception("could not queue conversation %s for a person", tracker.sender_id)
        dispatcher.utter_message(text=HANDOFF_UNAVAILABLE)
        dispatcher.utter_message(text=contact_support_message(contact, now))
        return events
    status = queue_message(
        entry.position,
        settings.handoff_minutes_per_ticket,
        contact,
        now,
        already_queued=entry.already_queued,
    )
    dispatcher.utter_message(text=f"{_intro(tracker, reason, name)} {status}")
    return [*events, ConversationPaused()]


def escalate_now(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    domain: DomainDict,
    new_events: Sequence[EventType] = (),
) -> Optional[List[EventType]]:
    """Hands off inside the calling action when a person should take over.

    Returns:
        The handoff's events, or ``None`` when the assistant carries on.
    """
    found = pending_escalation(tracker, get_settings(), new_events)
    if found is None:
        return None
    return hand_off(dispatcher, tracker, domain, found.reason)


class ActionHandoff(Action):
    """Hands the conversation to the support team's queue and pauses the assistant.

    The reason is the ``handoff_reason`` slot set by :func:`escalation_followup`;
    without it, what :func:`bot.handoff.escalation.decide` finds, and
    otherwise that the customer asked for a person.
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return HANDOFF_ACTION

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Queues the conversation and tells the customer their place."""
        reason = tracker.get_slot(HANDOFF_REASON_SLOT)
        if reason not in escalation.REASONS:
            found = pending_escalation(tracker, get_settings())
            reason = found.reason if found is not None else escalation.REQUEST_HUMAN
        return hand_off(dispatcher, tracker, domain, str(reason))

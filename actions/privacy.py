"""Privacy requests: a verified customer asks for a copy of their data or its erasure."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import AskAction, intent_payload, yes_or_no_validator
from actions.verification import (
    CODE_VERIFIED,
    OrderNumberQuestion,
    VerifiedFlowAction,
    VerifiedOrderFormValidation,
    verified_customer,
)
from bot.db.errors import CustomerNotFoundError
from bot.db.models import PrivacyRequestKind
from bot.knowledge.policies import load_policies
from bot.orders import messages as order_messages
from bot.orders.status import short_date
from bot.privacy import messages
from bot.privacy.requests import (
    KIND_ERASURE,
    KIND_EXPORT,
    KIND_INFO,
    NoFreeReferenceError,
    PrivacyOutcome,
    PrivacyPolicy,
    classify_answer,
    classify_request,
    erasure_for_customer,
    export_for_customer,
    loyalty_points_for_customer,
    pending_request_for_customer,
    privacy_policy,
)
from bot.settings import get_settings

logger = logging.getLogger(__name__)

KIND_SLOT = "privacy_kind"
CONFIRM_SLOT = "privacy_confirmed"
FORM_SLOTS = ("order_number", "email", "verification_code", KIND_SLOT, CONFIRM_SLOT)
ESCALATION_SLOT = "escalation_flag"
ESCALATION_REASON = "privacy request needs staff"
REQUEST_INTENT = "privacy_request"

KIND_BUTTONS = [
    {"title": "A copy of my data", "payload": intent_payload("inform", privacy_kind=KIND_EXPORT)},
    {"title": "Erase my data", "payload": intent_payload("inform", privacy_kind=KIND_ERASURE)},
    {"title": "Something else", "payload": intent_payload("inform", privacy_kind=KIND_INFO)},
]
CONFIRM_BUTTONS = [
    {"title": "Yes, erase my data", "payload": "/affirm"},
    {"title": "No, keep my account", "payload": "/deny"},
]


def _request_text(tracker: Tracker) -> str:
    """The text of the customer's latest message asking for a privacy request."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") == REQUEST_INTENT:
            return str(event.get("text") or "")
    latest = tracker.latest_message or {}
    if (latest.get("intent") or {}).get("name") == REQUEST_INTENT:
        return str(latest.get("text") or "")
    return ""


def _pending_erasure(customer_id: int) -> Optional[PrivacyOutcome]:
    try:
        return pending_request_for_customer(
            get_settings().database_url, customer_id, PrivacyRequestKind.ERASURE
        )
    except SQLAlchemyError:
        logger.exception("could not check the privacy requests of customer %s", customer_id)
        return None


class ValidatePrivacyForm(VerifiedOrderFormValidation):
    """Validates the privacy form: who is asking, what they want, and a yes for erasure.

    Domain requirements: form ``privacy_form`` with slots ``order_number``,
    ``email``, ``verification_code``, ``privacy_kind`` and ``privacy_confirmed``.
    What the customer wants is read from their first message when it is
    clear ("send me a copy of my data", "delete my data"); otherwise asked.
    """

    needs_order = False

    def name(self) -> str:
        """Name of the action in the domain."""
        return "validate_privacy_form"

    def slots_after_verification(self, tracker: Tracker, customer_id: int) -> List[str]:
        """Erasure needs a yes, unless an erasure request is already pending."""
        if tracker.get_slot(KIND_SLOT) != KIND_ERASURE:
            return [KIND_SLOT]
        if tracker.get_slot(CONFIRM_SLOT) is None and _pending_erasure(customer_id) is not None:
            return [KIND_SLOT]
        return [KIND_SLOT, CONFIRM_SLOT]

    async def extract_privacy_kind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Reads what a verified customer wants from the message that started the request."""
        if tracker.get_slot(KIND_SLOT) is not None:
            return {}
        kind = classify_request(_request_text(tracker))
        return {KIND_SLOT: kind} if kind else {}

    def validate_verification_code(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Checks the code; once verified, reads what the customer wants from their request."""
        result = super().validate_verification_code(slot_value, dispatcher, tracker, domain)
        if result.get("verification_code") == CODE_VERIFIED and not tracker.get_slot(KIND_SLOT):
            kind = classify_request(_request_text(tracker))
            if kind:
                result[KIND_SLOT] = kind
        return result

    def validate_privacy_kind(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Keeps a copy, erasure or something else; anything unclear asks again."""
        kind = classify_answer(slot_value)
        if kind is None:
            dispatcher.utter_message(text=messages.KIND_UNCLEAR)
        return {KIND_SLOT: kind}

    validate_privacy_confirmed = yes_or_no_validator(CONFIRM_SLOT)


class ActionAskPrivacyFormOrderNumber(OrderNumberQuestion):
    """Asks an anonymous customer for one of their orders, to prove who they are."""

    action_name = "action_ask_privacy_form_order_number"

    @property
    def question(self) -> str:
        """The question, with the privacy team's address for customers without orders."""
        return messages.ask_order_number(privacy_policy(load_policies()).email)


class ActionAskPrivacyKind(AskAction):
    """Asks whether the customer wants a copy of their data, its erasure or something else."""

    action_name = "action_ask_privacy_kind"
    question = messages.ASK_KIND
    buttons = KIND_BUTTONS


class ActionAskPrivacyConfirmed(Action):
    """Explains what erasure means and asks the customer to confirm it."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_privacy_confirmed"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the explanation, with the customer's own points balance when known."""
        policy = privacy_policy(load_policies())
        customer_id = verified_customer(tracker)
        points: Optional[int] = None
        if customer_id is not None:
            try:
                points = loyalty_points_for_customer(get_settings().database_url, customer_id)
            except SQLAlchemyError:
                logger.exception("could not read the points of customer %s", customer_id)
        dispatcher.utter_message(
            text=messages.confirm_erasure(policy.order_records_years, points),
            buttons=CONFIRM_BUTTONS,
        )
        return []


def _outcome_message(outcome: PrivacyOutcome, policy: PrivacyPolicy, today: date) -> str:
    due = short_date(outcome.due_on, today)
    if outcome.kind is PrivacyRequestKind.EXPORT:
        if outcome.created:
            return messages.export_requested(outcome.reference, due, policy.email)
        return messages.export_already_pending(outcome.reference, due, policy.email)
    if outcome.created:
        return messages.erasure_requested(outcome.reference, due, policy.email)
    return messages.erasure_already_pending(outcome.reference, due, policy.email)


class ActionPrivacyRequest(VerifiedFlowAction):
    """Records the request for the privacy team, or says why nothing was recorded."""

    action_name = "action_privacy_request"
    form_slots = FORM_SLOTS
    needs_order = False
    unavailable_errors = (SQLAlchemyError, OSError, NoFreeReferenceError)

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, number: str
    ) -> List[EventType]:
        """Records an export, or a confirmed erasure, and flags erasure for staff."""
        policy = privacy_policy(load_policies())
        kind = classify_answer(tracker.get_slot(KIND_SLOT))
        confirmed = tracker.get_slot(CONFIRM_SLOT)
        if kind == KIND_INFO:
            text = messages.privacy_information(policy.email, policy.request_response_days)
            dispatcher.utter_message(text=text)
            return []
        if kind is None:
            dispatcher.utter_message(text=messages.NOTHING_REQUESTED)
            return []
        if kind == KIND_ERASURE and confirmed is False:
            dispatcher.utter_message(text=messages.ERASURE_DECLINED)
            return []
        today = date.today()
        try:
            outcome = self._request(tracker, customer_id, kind, confirmed is True, today)
        except CustomerNotFoundError:
            dispatcher.utter_message(text=order_messages.ORDER_NOT_FOUND)
            return []
        if outcome is None:
            dispatcher.utter_message(text=messages.NOTHING_REQUESTED)
            return []
        dispatcher.utter_message(text=_outcome_message(outcome, policy, today))
        if outcome.kind is PrivacyRequestKind.ERASURE:
            return [SlotSet(ESCALATION_SLOT, ESCALATION_REASON)]
        return []

    @staticmethod
    def _request(
        tracker: Tracker, customer_id: int, kind: str, confirmed: bool, today: date
    ) -> Optional[PrivacyOutcome]:
        """Records the request; an unconfirmed erasure only finds one already pending."""
        settings = get_settings()
        if kind == KIND_EXPORT:
            return export_for_customer(
                settings.database_url, settings.var_dir, customer_id, tracker.sender_id, today
            )
        if confirmed:
            return erasure_for_customer(
                settings.database_url, customer_id, tracker.sender_id, today
            )
        return pending_request_for_customer(
            settings.database_url, customer_id, PrivacyRequestKind.ERASURE
        )

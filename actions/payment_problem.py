"""Payment problems: a declined card, a charge that looks doubled, something else.

Only a double charge is about one order, so only then does the customer
prove who they are; a real duplicate capture opens a refund case.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.common import AskAction
from actions.verification import (
    OrderNumberQuestion,
    VerifiedFlowAction,
    VerifiedOrderFormValidation,
)
from bot.db.repositories.cases import CaseReferenceExhaustedError
from bot.knowledge.policies import load_policies
from bot.orders import messages
from bot.orders import payment_messages as say
from bot.orders.payments import (
    ChargeCheck,
    ChargeFinding,
    PaymentIssue,
    alternative_methods,
    charge_moment,
    classify_payment_issue,
    double_charge_for_customer,
    duplicate_refund_days,
)
from bot.settings import get_settings

ISSUE_SLOT = "payment_issue"
FORM_SLOTS = ("payment_issue", "order_number", "email", "verification_code")
# Messages that are not an answer to the form's question (the same as the
# ``not_intent`` list of the shared slots' text mappings).
NOT_AN_ANSWER = frozenset(
    {
        "faq",
        "faq_choose",
        "stop",
        "greet",
        "goodbye",
        "thank",
        "help",
        "bot_challenge",
        "request_human",
        "complaint",
        "out_of_scope",
    }
)


def _issue_payload(issue: PaymentIssue) -> str:
    return "/inform" + json.dumps({ISSUE_SLOT: issue.value}, separators=(",", ":"))


ISSUE_BUTTONS = [
    {"title": "My card was declined", "payload": _issue_payload(PaymentIssue.DECLINED)},
    {"title": "I was charged twice", "payload": _issue_payload(PaymentIssue.CHARGED_TWICE)},
    {"title": "Something else", "payload": _issue_payload(PaymentIssue.OTHER)},
]
PERSON_BUTTONS = [{"title": "Talk to a person", "payload": "/request_human"}]


def _issue(value: Any) -> Optional[PaymentIssue]:
    try:
        return PaymentIssue(value)
    except ValueError:
        return None


class ValidatePaymentProblemForm(VerifiedOrderFormValidation):
    """Asks what went wrong; only a double charge goes on to the order and verification.

    Domain requirements: form ``payment_problem_form`` with slots
    ``order_number``, ``email``, ``verification_code`` and ``payment_issue``;
    ``payment_issue`` is a text slot filled from the ``payment_issue`` entity
    of the buttons (and by :meth:`extract_payment_issue` from free text).
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return "validate_payment_problem_form"

    async def required_slots(
        self,
        domain_slots: List[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[str]:
        """The issue first; a double charge then needs the order, proven to be theirs."""
        if _issue(tracker.get_slot(ISSUE_SLOT)) is not PaymentIssue.CHARGED_TWICE:
            return [ISSUE_SLOT]
        verified = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        return [ISSUE_SLOT, *verified]

    def slots_after_verification(self, tracker: Tracker, customer_id: int) -> List[str]:
        """Nothing more to ask once the order is known to be theirs."""
        return []

    async def extract_payment_issue(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """Recognises the issue in the customer's own words, in the first message too."""
        if tracker.get_slot(ISSUE_SLOT) is not None:
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in NOT_AN_ANSWER:
            return {}
        issue = classify_payment_issue(str(tracker.latest_message.get("text") or ""))
        if issue is not None:
            return {ISSUE_SLOT: issue.value}
        if tracker.get_slot("requested_slot") == ISSUE_SLOT:
            dispatcher.utter_message(text=say.PAYMENT_ISSUE_UNCLEAR)
            return {ISSUE_SLOT: None}
        return {}

    def validate_payment_issue(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Keeps one of the three issues; anything else asks again."""
        issue = _issue(slot_value)
        if issue is None and slot_value is not None:
            dispatcher.utter_message(text=say.PAYMENT_ISSUE_UNCLEAR)
        return {ISSUE_SLOT: issue.value if issue is not None else None}


class ActionAskPaymentIssue(AskAction):
    """Asks what went wrong with the payment, with a button per issue."""

    action_name = "action_ask_payment_issue"
    question = say.ASK_PAYMENT_ISSUE
    buttons = ISSUE_BUTTONS


class ActionAskPaymentProblemOrderNumber(OrderNumberQuestion):
    """Asks which order was charged twice."""

    action_name = "action_ask_payment_problem_form_order_number"
    question = say.ASK_CHARGED_ORDER_NUMBER


class ActionPaymentProblem(VerifiedFlowAction):
    """Helps with the payment problem, and opens a refund case for a real double charge."""

    action_name = "action_payment_problem"
    form_slots = FORM_SLOTS
    unavailable_errors = (SQLAlchemyError, CaseReferenceExhaustedError)

    def answered_first(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
        """Only a double charge needs the order; a declined card or anything else doesn't."""
        issue = _issue(tracker.get_slot(ISSUE_SLOT))
        if issue is PaymentIssue.DECLINED:
            dispatcher.utter_message(
                text=say.declined_guidance(alternative_methods(load_policies()))
            )
            return True
        if issue is not PaymentIssue.CHARGED_TWICE:
            dispatcher.utter_message(text=say.OTHER_PAYMENT_PROBLEM, buttons=PERSON_BUTTONS)
            return True
        return False

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, number: str
    ) -> List[EventType]:
        """Examines the order's charges; a real double charge opens a refund case."""
        check = double_charge_for_customer(
            get_settings().database_url, number, customer_id, tracker.sender_id, date.today()
        )
        dispatcher.utter_message(text=_charges_message(check, date.today()))
        return []


def _charges_message(check: ChargeCheck, today: date) -> str:
    policies = load_policies()
    if check.finding is ChargeFinding.NOT_FOUND:
        return messages.ORDER_NOT_FOUND
    if check.finding is ChargeFinding.DOUBLE_CHARGE:
        return say.double_charge_refund(check, duplicate_refund_days(policies), today)
    if check.finding is ChargeFinding.DUPLICATE_REFUNDED:
        return say.duplicate_already_refunded(check, today)
    if check.finding is ChargeFinding.REFUND_LINE:
        return say.refund_shows_as_second_line(check, today)
    if check.finding is ChargeFinding.PENDING_HOLD:
        return say.pending_hold(check, charge_moment(policies), today)
    if check.finding is ChargeFinding.SINGLE_CHARGE:
        return say.single_charge(check, today)
    return say.not_charged(check)

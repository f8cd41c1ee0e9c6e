"""Cancelling an order: verified owner, order not yet shipped, confirmed first."""

from __future__ import annotations

from datetime import date
from typing import List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import yes_or_no_validator
from actions.verification import (
    OrderNumberQuestion,
    VerifiedFlowAction,
    VerifiedOrderFormValidation,
    check_order,
    verified_customer,
)
from bot.knowledge.formatting import format_money
from bot.knowledge.policies import load_policies
from bot.orders import messages
from bot.orders.cancellation import Cancellability, CancellationCheck
from bot.orders.lookup import cancel_for_customer, cancellation_for_customer
from bot.settings import get_settings

CONFIRM_BUTTONS = [
    {"title": "Yes, cancel it", "payload": "/affirm"},
    {"title": "No, keep it", "payload": "/deny"},
]
FORM_SLOTS = ("order_number", "email", "verification_code", "cancel_confirmed")


def _cancellation(database_url: str, number: str, customer_id: int) -> CancellationCheck:
    return cancellation_for_customer(database_url, number, customer_id, date.today())


def _check(tracker: Tracker, customer_id: Optional[int]) -> Optional[CancellationCheck]:
    return check_order(tracker, customer_id, _cancellation, "cancellation check")


class ValidateCancelOrderForm(VerifiedOrderFormValidation):
    """Validates the cancel order form; asks for confirmation only when cancelling is possible.

    Domain requirements: form ``cancel_order_form`` with slots ``order_number``,
    ``email``, ``verification_code`` and ``cancel_confirmed``.
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return "validate_cancel_order_form"

    def slots_after_verification(self, tracker: Tracker, customer_id: int) -> List[str]:
        """Confirmation is asked only for an order that can still be cancelled."""
        check = _check(tracker, customer_id)
        return ["cancel_confirmed"] if check is not None and check.allowed else []

    validate_cancel_confirmed = yes_or_no_validator("cancel_confirmed")


class ActionAskCancelOrderNumber(OrderNumberQuestion):
    """Asks which order to cancel."""

    action_name = "action_ask_cancel_order_form_order_number"
    question = messages.ASK_CANCEL_ORDER_NUMBER


class ActionAskCancelConfirmed(Action):
    """Shows the order and asks the customer to confirm the cancellation."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_cancel_confirmed"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with Yes and No buttons."""
        check = _check(tracker, verified_customer(tracker))
        summary = check.summary if check is not None and check.summary else "order"
        dispatcher.utter_message(
            text=messages.confirm_cancellation(summary), buttons=CONFIRM_BUTTONS
        )
        return []


class ActionCancelOrder(VerifiedFlowAction):
    """Cancels the order once confirmed, or explains why it can't be cancelled."""

    action_name = "action_cancel_order"
    form_slots = FORM_SLOTS

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, number: str
    ) -> List[EventType]:
        """Cancels a confirmed order; without a yes, says what cancelling would mean."""
        if tracker.get_slot("cancel_confirmed") is False:
            dispatcher.utter_message(text=messages.CANCEL_KEPT)
            return []
        confirmed = tracker.get_slot("cancel_confirmed") is True
        database_url = get_settings().database_url
        if confirmed:
            check = cancel_for_customer(
                database_url, number, customer_id, tracker.sender_id, date.today()
            )
        else:
            check = cancellation_for_customer(database_url, number, customer_id, date.today())
        dispatcher.utter_message(text=_outcome_message(check, confirmed))
        return []


def _outcome_message(check: CancellationCheck, confirmed: bool) -> str:
    policies = load_policies()
    if check.verdict is Cancellability.NOT_FOUND:
        return messages.ORDER_NOT_FOUND
    if check.allowed and confirmed:
        refund = format_money(check.refund_cents, check.currency) if check.refund_cents else ""
        if check.late_parcel and refund:
            return messages.late_parcel_cancelled(
                check.order_number, refund, policies.cancellation.refund_days
            )
        return messages.order_cancelled(
            check.order_number, refund, policies.cancellation.refund_days
        )
    if check.verdict in (Cancellability.SHIPPED, Cancellability.DELIVERED):
        return messages.cannot_cancel_sent(
            check.order_number,
            check.verdict is Cancellability.DELIVERED,
            policies.returns.window_days,
        )
    if check.verdict in (Cancellability.ALREADY_CANCELLED, Cancellability.RETURNED):
        return messages.already_closed(check.order_number, check.verdict is Cancellability.RETURNED)
    # Cancellable but not confirmed: the form ended without a yes.
    return messages.CANCEL_KEPT

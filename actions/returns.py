"""Returning items for a refund, and the status of returns already made.

The verified owner names the order; when it can be returned they pick the
items (only if more than one line can go back) and say why. An order that
already has returns gets their status first; asking again then starts a
return for the items that are left.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import intent_payload
from actions.verification import (
    OrderNumberQuestion,
    VerifiedFlowAction,
    VerifiedOrderFormValidation,
    check_order,
    verified_customer,
)
from bot.knowledge.formatting import format_money, join_words
from bot.knowledge.policies import Policies, load_policies
from bot.orders import messages
from bot.orders import returns_messages as texts
from bot.orders.returns import (
    ALL_ITEMS,
    ReturnableLine,
    ReturnCheck,
    ReturnItemsUnavailableError,
    ReturnVerdict,
    RmaUnavailableError,
    choose_items,
    clean_reason,
    return_check_for_customer,
    start_return_for_customer,
)
from bot.settings import get_settings

logger = logging.getLogger(__name__)

FORM_SLOTS = ("order_number", "email", "verification_code", "return_items", "return_reason")
# The order whose returns were just reported: asking again then starts a new return.
STATUS_SHOWN_SLOT = "return_status_shown"
ITEM_ENTITY = "return_item"
REASON_ENTITY = "return_reason"


def _return_check(database_url: str, number: str, customer_id: int) -> ReturnCheck:
    return return_check_for_customer(database_url, number, customer_id, date.today())


def _check(tracker: Tracker, customer_id: Optional[int]) -> Optional[ReturnCheck]:
    return check_order(tracker, customer_id, _return_check, "return check")


def _starts_new_return(check: ReturnCheck, tracker: Tracker) -> bool:
    """A return can start, and any earlier returns of the order were reported already."""
    if not check.allowed:
        return False
    return not check.existing or tracker.get_slot(STATUS_SHOWN_SLOT) == check.order_number


def _chosen_lines(tracker: Tracker, check: ReturnCheck) -> List[ReturnableLine]:
    """The lines in the ``return_items`` slot; the only line when there was no choice."""
    if len(check.lines) == 1:
        return list(check.lines)
    value = tracker.get_slot("return_items") or []
    chosen = {str(item) for item in (value if isinstance(value, list) else [value])}
    return [line for line in check.lines if str(line.line_id) in chosen]


class ValidateReturnForm(VerifiedOrderFormValidation):
    """Validates the return form: the order, then the items and the reason.

    Domain requirements: form ``return_form`` with slots ``order_number``,
    ``email``, ``verification_code``, ``return_items`` (list, from the
    ``return_item`` entity or text) and ``return_reason`` (from the
    ``return_reason`` entity or text); slot ``return_status_shown`` (text,
    custom).
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return "validate_return_form"

    def slots_after_verification(self, tracker: Tracker, customer_id: int) -> List[str]:
        """Items are asked only when several lines can go back; nothing when none can."""
        check = _check(tracker, customer_id)
        if check is None or not _starts_new_return(check, tracker):
            return []
        if len(check.lines) > 1:
            return ["return_items", "return_reason"]
        return ["return_reason"]

    def validate_return_items(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Keeps the line ids of the items chosen by button or by name."""
        check = _check(tracker, verified_customer(tracker))
        if check is None or not check.allowed:
            return {"return_items": None}
        choice = choose_items(slot_value, check.lines)
        if choice.ambiguous:
            dispatcher.utter_message(text=texts.item_ambiguous(choice.ambiguous))
            return {"return_items": None}
        if not choice.line_ids:
            dispatcher.utter_message(text=texts.ITEMS_NOT_RECOGNISED)
            return {"return_items": None}
        return {"return_items": [str(line_id) for line_id in choice.line_ids]}

    def validate_return_reason(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Keeps the reason as the customer said it; too little text asks again."""
        reason = clean_reason(slot_value)
        if reason is None:
            dispatcher.utter_message(text=texts.REASON_TOO_SHORT)
        return {"return_reason": reason}


class ActionAskReturnOrderNumber(OrderNumberQuestion):
    """Asks which order the items come from."""

    action_name = "action_ask_return_form_order_number"
    question = texts.ASK_RETURN_ORDER_NUMBER


class ActionAskReturnItems(Action):
    """Asks which items go back, with a button per returnable line and one for all."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_return_items"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with the order's returnable lines as buttons."""
        check = _check(tracker, verified_customer(tracker))
        number = str(tracker.get_slot("order_number") or "")
        if check is None or not check.allowed:
            dispatcher.utter_message(text=texts.ask_return_items(number))
            return []
        buttons = [
            {
                "title": line.title,
                "payload": intent_payload("inform", **{ITEM_ENTITY: str(line.line_id)}),
            }
            for line in check.lines
        ]
        buttons.append(
            {
                "title": texts.ALL_ITEMS_TITLE,
                "payload": intent_payload("inform", **{ITEM_ENTITY: ALL_ITEMS}),
            }
        )
        dispatcher.utter_message(text=texts.ask_return_items(check.order_number), buttons=buttons)
        return []


class ActionAskReturnReason(Action):
    """Asks why the items go back, with buttons for the common reasons."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_return_reason"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Names the chosen items and sends the question."""
        check = _check(tracker, verified_customer(tracker))
        chosen = _chosen_lines(tracker, check) if check is not None else []
        items = join_words([line.description for line in chosen])
        dispatcher.utter_message(
            text=texts.ask_return_reason(items),
            buttons=[
                {"title": reason, "payload": intent_payload("inform", **{REASON_ENTITY: reason})}
                for reason in texts.REASON_CHOICES
            ],
        )
        return []


class ActionReturnRefund(VerifiedFlowAction):
    """Books the return, reports earlier returns, or explains why a return can't start."""

    action_name = "action_return_refund"
    form_slots = FORM_SLOTS

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, number: str
    ) -> List[EventType]:
        """Books a new return, or reports the order's returns and why no return can start."""
        settings = get_settings()
        policies = load_policies()
        today = date.today()
        check = return_check_for_customer(settings.database_url, number, customer_id, today)
        if _starts_new_return(check, tracker):
            return self._book(dispatcher, tracker, check, customer_id, policies)
        dispatcher.utter_message(text=_explain(check, policies, today))
        if check.existing and check.allowed:
            return [SlotSet(STATUS_SHOWN_SLOT, check.order_number)]
        return []

    @staticmethod
    def _book(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        check: ReturnCheck,
        customer_id: int,
        policies: Policies,
    ) -> List[EventType]:
        """Creates the return from the form's items and reason and confirms it."""
        reason = clean_reason(tracker.get_slot("return_reason"))
        chosen = _chosen_lines(tracker, check)
        if reason is None or not chosen:
            dispatcher.utter_message(text=texts.RETURN_NOT_BOOKED)
            return []
        today = date.today()
        try:
            after, created = start_return_for_customer(
                get_settings().database_url,
                check.order_number,
                customer_id,
                [line.line_id for line in chosen],
                reason,
                tracker.sender_id,
                today,
            )
        except ReturnItemsUnavailableError:
            dispatcher.utter_message(text=texts.ITEMS_UNAVAILABLE)
            return []
        except RmaUnavailableError:
            logger.exception("no free RMA id for conversation %s", tracker.sender_id)
            dispatcher.utter_message(text=texts.RETURN_UNAVAILABLE)
            return []
        if created is None:
            dispatcher.utter_message(text=_explain(after, policies, today))
            return []
        dispatcher.utter_message(text=texts.return_created(created, policies.returns.refund_days))
        return [SlotSet(STATUS_SHOWN_SLOT, None)]


def _explain(check: ReturnCheck, policies: Policies, today: date) -> str:
    """Reports the order's returns, or says why no return can start."""
    returns = policies.returns
    if check.verdict is ReturnVerdict.NOT_FOUND:
        return messages.ORDER_NOT_FOUND
    if check.existing:
        return texts.existing_returns(
            check.order_number,
            check.existing,
            returns.refund_days,
            today,
            remaining=check.lines,
            last_day=check.last_day,
        )
    if (
        check.verdict is ReturnVerdict.WINDOW_CLOSED
        and check.delivered_on is not None
        and check.last_day is not None
    ):
        return texts.window_closed(
            check.order_number,
            check.delivered_on,
            returns.window_days,
            check.last_day,
            today,
            policies.warranty.months,
        )
    if check.verdict is ReturnVerdict.NOT_SHIPPED:
        return texts.not_shipped(check.order_number, check.can_cancel, returns.window_days)
    if check.verdict is ReturnVerdict.IN_TRANSIT:
        return texts.in_transit(check.order_number, returns.window_days)
    if check.verdict is ReturnVerdict.CANCELLED:
        return texts.cancelled_order(check.order_number)
    if check.verdict is ReturnVerdict.ALREADY_RETURNED:
        refund = format_money(check.refunded_cents, check.currency) if check.refunded_cents else ""
        return texts.already_returned(check.order_number, refund, check.refunded_on, today)
    if check.verdict is ReturnVerdict.DELIVERY_UNKNOWN:
        return texts.delivery_unknown(check.order_number)
    # Allowed or nothing left, yet no return to report: the items were taken meanwhile.
    return texts.ITEMS_UNAVAILABLE

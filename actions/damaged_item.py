"""Damaged, wrong or incomplete items: apologise, find the item, open a case.

The flow's first reply, whichever action sends it, starts with the apology
:data:`bot.orders.damage_messages.APOLOGY`.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.verification import (
    OrderNumberQuestion,
    VerifiedFlowAction,
    VerifiedOrderFormValidation,
    check_order,
    verified_customer,
)
from bot.knowledge.formatting import format_money
from bot.knowledge.policies import load_policies
from bot.orders import damage_messages, messages
from bot.orders.damage import (
    PROBLEM_KINDS,
    REPLACEMENT_DISPATCH_BUSINESS_DAYS,
    DamageCheck,
    DamageReport,
    DamageVerdict,
    classify_problem,
    damage_check_for_customer,
    match_item,
    problem_kind_from,
    remedy_from,
    report_damage_for_customer,
)
from bot.orders.status import short_date
from bot.settings import get_settings

TRIGGER_INTENT = "damaged_or_wrong_item"
FORM_SLOTS = (
    "order_number",
    "email",
    "verification_code",
    "damaged_item",
    "problem_kind",
    "remedy",
)
ESCALATION_SLOT = "escalation_flag"


def _inform_payload(entity: str, value: str) -> str:
    return "/inform" + json.dumps({entity: value}, separators=(",", ":"))


def already_apologised(tracker: Tracker) -> bool:
    """Tells whether this run of the flow has already apologised.

    The run starts at the latest form activation; any loop event ends the
    search, so an apology in an earlier run does not count.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "bot" and str(event.get("text") or "").startswith(
            damage_messages.APOLOGY
        ):
            return True
        if event.get("event") == "active_loop":
            return False
    return False


def apologise_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Starts the first message this action sent with the apology, if the flow hasn't yet.

    Args:
        dispatcher: The action's dispatcher, after it sent its messages.
        tracker: The conversation as the action received it.
    """
    if not dispatcher.messages or already_apologised(tracker):
        return
    first = dispatcher.messages[0]
    text = str(first.get("text") or "")
    if not text.startswith(damage_messages.APOLOGY):
        first["text"] = f"{damage_messages.APOLOGY} {text}".strip()


def customer_words(tracker: Tracker) -> str:
    """Returns the customer's latest description of the problem, in their own words.

    That is the latest message understood as a damaged or wrong item; button
    payloads are not words.
    """
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        text = str(event.get("text") or "").strip()
        if intent == TRIGGER_INTENT and text and not text.startswith("/"):
            return text
    return ""


def _line_id(value: Any) -> Optional[int]:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _check(
    tracker: Tracker, customer_id: Optional[int], with_line: bool = True
) -> Optional[DamageCheck]:
    line_id = _line_id(tracker.get_slot("damaged_item")) if with_line else None

    def look_up(database_url: str, number: str, customer: int) -> DamageCheck:
        return damage_check_for_customer(database_url, number, customer, line_id)

    return check_order(tracker, customer_id, look_up, "damage check")


def _verified_check(tracker: Tracker, with_line: bool = True) -> Optional[DamageCheck]:
    return _check(tracker, verified_customer(tracker), with_line)


class ValidateDamagedItemForm(VerifiedOrderFormValidation):
    """Validates the damaged item form: the order, the item, what's wrong and the remedy.

    Domain requirements: form ``damaged_item_form`` with slots ``order_number``,
    ``email``, ``verification_code``, ``damaged_item``, ``problem_kind`` and
    ``remedy``; entities ``damaged_item``, ``problem_kind`` and ``remedy`` for
    the buttons.
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return "validate_damaged_item_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Validates the slots; a first reply of the flow starts with the apology."""
        events = await super().run(dispatcher, tracker, domain)
        apologise_first(dispatcher, tracker)
        return events

    def slots_after_verification(self, tracker: Tracker, customer_id: int) -> List[str]:
        """The item (for an order of several lines), the problem and the remedy.

        Nothing more is asked about an order that hasn't arrived, or about an
        item whose problem is already with the team.
        """
        check = _check(tracker, customer_id)
        if check is None or not check.eligible:
            return []
        slots = ["damaged_item"] if check.needs_item_choice else []
        if check.verdict is DamageVerdict.ALREADY_REPORTED:
            return slots
        return [*slots, "problem_kind", "remedy"]

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Validates, then takes the problem from the customer's words when they make it obvious."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        if tracker.slots.get("problem_kind") is not None:
            return events
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        kind = classify_problem(customer_words(tracker)) if "problem_kind" in required else None
        if kind is not None:
            events.append(SlotSet("problem_kind", kind.value))
            tracker.slots["problem_kind"] = kind.value
        return events

    def validate_damaged_item(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts one of the order's lines, by button or by the product's name."""
        check = _verified_check(tracker, with_line=False)
        if check is None:
            return {"damaged_item": None}
        item = match_item(check.items, slot_value)
        if item is None:
            dispatcher.utter_message(text=damage_messages.UNKNOWN_ITEM)
            return {"damaged_item": None}
        return {"damaged_item": str(item.line_id)}

    def validate_problem_kind(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts damaged, wrong item or missing parts, by button or in words."""
        kind = problem_kind_from(slot_value)
        if kind is None:
            dispatcher.utter_message(text=damage_messages.UNKNOWN_PROBLEM)
            return {"problem_kind": None}
        return {"problem_kind": kind.value}

    def validate_remedy(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts a replacement or a refund, by button or in words."""
        remedy = remedy_from(slot_value)
        if remedy is None:
            dispatcher.utter_message(text=damage_messages.UNKNOWN_REMEDY)
            return {"remedy": None}
        return {"remedy": remedy.value}


class ActionAskDamagedItemOrderNumber(OrderNumberQuestion):
    """Apologises, then asks which order arrived damaged, wrong or incomplete."""

    action_name = "action_ask_damaged_item_form_order_number"
    question = damage_messages.ASK_ORDER_NUMBER

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Asks, with the customer's recent orders as buttons once verified.

        The apology comes first the first time only; asking again after a
        mistyped number doesn't repeat it.
        """
        asked = CollectingDispatcher()
        events = super().run(asked, tracker, domain)
        first_time = not already_apologised(tracker)
        for message in asked.messages:
            text = str(message.get("text") or "")
            if text.startswith(damage_messages.APOLOGY):
                text = text[len(damage_messages.APOLOGY) :].lstrip()
            if first_time and message is asked.messages[0]:
                text = f"{damage_messages.APOLOGY} {text}"
            dispatcher.messages.append({**message, "text": text})
        return events


class ActionAskDamagedItemEmail(Action):
    """Asks for the email on the order, apologising first if nothing was said yet."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_damaged_item_form_email"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question."""
        first = not already_apologised(tracker)
        dispatcher.utter_message(
            text=damage_messages.ASK_EMAIL_FIRST if first else messages.ASK_EMAIL
        )
        return []


class ActionAskDamagedItem(Action):
    """Asks which item of the order is affected, with a button per line."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_damaged_item"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with the order's items."""
        check = _verified_check(tracker, with_line=False)
        items = check.items if check is not None else ()
        dispatcher.utter_message(
            text=damage_messages.WHICH_ITEM,
            buttons=[
                {"title": item.title, "payload": _inform_payload("damaged_item", str(item.line_id))}
                for item in items
            ],
        )
        apologise_first(dispatcher, tracker)
        return []


class ActionAskProblemKind(Action):
    """Asks what's wrong: damaged, the wrong item, or parts missing."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_problem_kind"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with a button per kind of problem."""
        check = _verified_check(tracker)
        item = check.item if check is not None else None
        dispatcher.utter_message(
            text=damage_messages.which_problem(item.product_name if item else ""),
            buttons=[
                {
                    "title": damage_messages.PROBLEM_TITLES[kind],
                    "payload": _inform_payload("problem_kind", kind.value),
                }
                for kind in PROBLEM_KINDS
            ],
        )
        apologise_first(dispatcher, tracker)
        return []


class ActionAskRemedy(Action):
    """Asks whether the customer wants a replacement or a refund.

    A replacement would only be offered for a product in stock; the shop
    keeps no stock records here, so both are always offered.
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_remedy"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with Replacement and Refund buttons."""
        kind = problem_kind_from(tracker.get_slot("problem_kind"))
        check = _verified_check(tracker)
        item = check.item if check is not None else None
        refund = format_money(item.total_cents, check.currency) if check and item else ""
        dispatcher.utter_message(
            text=damage_messages.which_remedy(kind),
            buttons=[
                {
                    "title": damage_messages.replacement_title(kind),
                    "payload": _inform_payload("remedy", "replacement"),
                },
                {
                    "title": damage_messages.refund_title(refund),
                    "payload": _inform_payload("remedy", "refund"),
                },
            ],
        )
        apologise_first(dispatcher, tracker)
        return []


class ActionDamagedItem(VerifiedFlowAction):
    """Opens the case once the form is complete, or explains why it can't."""

    action_name = "action_damaged_item"
    form_slots = FORM_SLOTS

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Acts on the completed form, flags escalations and forgets the form's slots."""
        events = super().run(dispatcher, tracker, domain)
        apologise_first(dispatcher, tracker)
        return events

    def refused(self) -> List[EventType]:
        """Nothing to escalate when no case was opened."""
        return [SlotSet(ESCALATION_SLOT, None)]

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, number: str
    ) -> List[EventType]:
        """Opens the case, or says why not; flags a case a person should look at first."""
        kind = problem_kind_from(tracker.get_slot("problem_kind"))
        remedy = remedy_from(tracker.get_slot("remedy"))
        line_id = _line_id(tracker.get_slot("damaged_item"))
        settings = get_settings()
        if kind is not None and remedy is not None:
            report = report_damage_for_customer(
                settings.database_url,
                number,
                customer_id,
                line_id,
                kind,
                remedy,
                tracker.sender_id,
                settings.damage_escalation_threshold_cents,
                customer_words(tracker),
            )
        else:
            report = DamageReport(
                damage_check_for_customer(settings.database_url, number, customer_id, line_id)
            )
        dispatcher.utter_message(text=_outcome_message(report, date.today()))
        reason = report.escalation.reason if report.escalation else None
        return [SlotSet(ESCALATION_SLOT, reason)]


def _outcome_message(report: DamageReport, today: date) -> str:
    check = report.check
    if report.opened and report.kind is not None and report.remedy is not None:
        item = check.item.product_name if check.item else "item"
        escalation = report.escalation
        return damage_messages.case_opened(
            report.reference,
            item,
            report.kind,
            report.remedy,
            format_money(report.amount_cents, check.currency),
            load_policies().returns.refund_days,
            REPLACEMENT_DISPATCH_BUSINESS_DAYS,
            high_value=escalation.high_value if escalation else False,
            repeat=escalation.repeat if escalation else False,
        )
    verdict = check.verdict
    if verdict is DamageVerdict.NOT_FOUND:
        return messages.ORDER_NOT_FOUND
    if verdict is DamageVerdict.NOT_SENT:
        return damage_messages.not_sent(check.order_number)
    if verdict is DamageVerdict.ON_ITS_WAY:
        return damage_messages.on_its_way(check.order_number)
    if verdict is DamageVerdict.CANCELLED:
        return damage_messages.was_cancelled(check.order_number)
    if verdict is DamageVerdict.RETURNED:
        return damage_messages.was_returned(check.order_number)
    if verdict is DamageVerdict.ALREADY_REPORTED and check.item is not None:
        opened = check.existing_case_opened
        return damage_messages.already_reported(
            check.item.product_name,
            check.existing_case,
            short_date(opened, today) if opened else "",
        )
    return damage_messages.NOT_OPENED

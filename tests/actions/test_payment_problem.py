from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import List, Optional, Tuple

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func
from sqlalchemy.exc import OperationalError

from actions import payment_problem as payment_actions
from actions.payment_problem import (
    ActionAskPaymentIssue,
    ActionAskPaymentProblemOrderNumber,
    ActionPaymentProblem,
    ValidatePaymentProblemForm,
)
from actions.verification import CODE_LOCKED
from bot.db.engine import get_engine, session_scope
from bot.db.models import (
    AuditEntry,
    CaseKind,
    Customer,
    Order,
    Payment,
    PaymentKind,
    PaymentStatus,
    SupportCase,
)
from bot.knowledge.formatting import format_money
from bot.orders import messages
from bot.orders import payment_messages as say
from bot.orders.status import short_date
from tests.actions.conftest import make_tracker

FORM = "payment_problem_form"
DOMAIN = {
    "forms": {
        FORM: {"required_slots": ["order_number", "email", "verification_code", "payment_issue"]}
    },
    "slots": {
        "payment_issue": {},
        "order_number": {},
        "email": {},
        "verification_code": {},
        "customer_id": {},
    },
}
FORGET = [
    SlotSet("payment_issue", None),
    SlotSet("order_number", None),
    SlotSet("email", None),
    SlotSet("verification_code", None),
]


def jane(settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar()


def double_charged_orders(settings) -> List[Tuple[str, int, int, int]]:
    """(number, owner, total, captured) of the demo shop's orders captured twice."""
    with session_scope(get_engine(settings.database_url)) as session:
        rows = (
            session.query(
                Order.number, Order.customer_id, Order.total_cents, func.sum(Payment.amount_cents)
            )
            .join(Payment, Payment.order_id == Order.id)
            .filter(Payment.kind == PaymentKind.CAPTURE, Payment.status == PaymentStatus.SUCCEEDED)
            .group_by(Order.id, Order.number, Order.customer_id, Order.total_cents)
            .having(func.count(Payment.id) >= 2)
            .order_by(Order.number)
            .all()
        )
        return [tuple(row) for row in rows]


def cases_for(settings, number: str) -> List[Tuple[str, int, str]]:
    with session_scope(get_engine(settings.database_url)) as session:
        return [
            (case.reference, case.amount_cents, case.conversation_id)
            for case in session.query(SupportCase)
            .join(Order, SupportCase.order_id == Order.id)
            .filter(Order.number == number, SupportCase.kind == CaseKind.DOUBLE_CHARGE)
        ]


def run_action(
    issue: Optional[str],
    number: Optional[str] = None,
    customer_id: Optional[int] = None,
    code: Optional[str] = None,
    sender: str = "pay",
) -> Tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={
            "payment_issue": issue,
            "order_number": number,
            "customer_id": str(customer_id) if customer_id is not None else None,
            "verification_code": code,
        },
        sender_id=sender,
    )
    events = ActionPaymentProblem().run(dispatcher, tracker, {})
    return events, dispatcher.messages


# -- the final action ----------------------------------------------------------


def test_declined_card_gets_guidance_without_any_verification(demo_shop):
    events, said = run_action("declined")
    assert events == FORGET
    assert [m["text"] for m in said] == [
        say.declined_guidance(("PayPal", "Apple Pay", "Google Pay", "Klarna"))
    ]
    assert "Nothing is taken for a declined payment" in said[0]["text"]


def test_something_else_gets_guidance_and_a_person_offered(demo_shop):
    events, said = run_action("other")
    assert events == FORGET
    [message] = said
    assert message["text"] == say.OTHER_PAYMENT_PROBLEM
    assert message["buttons"] == [{"title": "Talk to a person", "payload": "/request_human"}]


def test_double_charge_opens_one_refund_case_and_states_amount_and_timing(demo_shop):
    number, owner, total, captured = double_charged_orders(demo_shop)[0]
    assert captured > total
    sender = f"pay-{uuid.uuid4()}"
    events, said = run_action("charged_twice", number, owner, "verified", sender)
    assert events == [*FORGET, SlotSet("customer_id", str(owner))]
    [text] = [m["text"] for m in said]
    extra = format_money(captured - total, "EUR")
    assert text.startswith(f"I'm so sorry: order {number} was charged twice on ")
    assert f"We'll refund the extra {extra} to your " in text
    assert "within 3 business days" in text
    [(reference, amount, conversation)] = cases_for(demo_shop, number)
    assert re.fullmatch(r"CASE-\d{6}", reference) and f"reference is {reference}" in text
    assert (amount, conversation) == (captured - total, sender)
    with session_scope(get_engine(demo_shop.database_url)) as session:
        row = session.query(AuditEntry).filter_by(entity="case", entity_id=reference).one()
        assert (row.field, row.old_value, row.new_value, row.conversation_id) == (
            "status",
            None,
            "open",
            sender,
        )

    _, again = run_action("charged_twice", number, owner, "verified", f"pay-{uuid.uuid4()}")
    assert again[0]["text"].startswith(f"We're already on this one: under case {reference}")
    assert len(cases_for(demo_shop, number)) == 1


def test_a_verified_customer_cannot_claim_another_customers_double_charge(demo_shop):
    number, owner, _, _ = double_charged_orders(demo_shop)[-1]
    intruder = jane(demo_shop)
    assert owner != intruder
    before = cases_for(demo_shop, number)
    events, said = run_action("charged_twice", number, intruder, "verified")
    assert events == [*FORGET, SlotSet("customer_id", str(intruder))]
    assert [m["text"] for m in said] == [messages.ORDER_NOT_FOUND]
    assert cases_for(demo_shop, number) == before


def test_an_anonymous_customer_learns_nothing_about_the_order(demo_shop):
    number, _, _, _ = double_charged_orders(demo_shop)[-1]
    events, said = run_action("charged_twice", number)
    assert events == FORGET
    assert [m["text"] for m in said] == [messages.ORDER_NOT_FOUND]


def test_a_locked_verification_ends_politely(demo_shop):
    _, said = run_action("charged_twice", "ORD-100001", None, CODE_LOCKED)
    assert [m["text"] for m in said] == [messages.VERIFICATION_LOCKED]


def jane_order(settings, number: str) -> Tuple[int, date]:
    with session_scope(get_engine(settings.database_url)) as session:
        order = session.query(Order).filter_by(number=number).one()
        return order.total_cents, order.placed_at.date()


def test_a_refund_is_explained_as_the_second_line(demo_shop):
    _, said = run_action("charged_twice", "ORD-100002", jane(demo_shop), "verified")
    [text] = [m["text"] for m in said]
    assert text.startswith("I can see one charge for order ORD-100002: €")
    assert "by PayPal on " in text
    assert "The second line on your statement is money coming back to you: a refund of €" in text
    assert cases_for(demo_shop, "ORD-100002") == []


def test_a_single_charge_is_shown_with_amount_date_and_method(demo_shop):
    total, placed = jane_order(demo_shop, "ORD-100001")
    _, said = run_action("charged_twice", "ORD-100001", jane(demo_shop), "verified")
    [text] = [m["text"] for m in said]
    assert text.startswith(
        f"I can see only one charge for order ORD-100001: {format_money(total, 'EUR')} by card on "
    )
    day = short_date(placed, date.today())
    next_day = short_date(placed + timedelta(days=1), date.today())
    assert f"by card on {day}." in text or f"by card on {next_day}." in text


def test_a_pending_order_shows_only_its_reservation(demo_shop):
    total, _ = jane_order(demo_shop, "ORD-100004")
    _, said = run_action("charged_twice", "ORD-100004", jane(demo_shop), "verified")
    [text] = [m["text"] for m in said]
    assert text.startswith("You haven't been charged for order ORD-100004 yet.")
    assert f"hold of {format_money(total, 'EUR')} from " in text
    assert "on your Klarna account: we take the payment when your order ships" in text


@pytest.mark.parametrize("typed", ["1' OR '1'='1", "<script>alert(1)</script>"])
def test_odd_order_numbers_are_plain_text(demo_shop, typed):
    _, said = run_action("charged_twice", typed, jane(demo_shop), "verified")
    assert [m["text"] for m in said] == [messages.ORDER_NOT_FOUND]


def test_a_database_failure_is_a_polite_apology(demo_shop, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT payments", {}, Exception("database is locked"))

    monkeypatch.setattr(payment_actions, "double_charge_for_customer", broken)
    events, said = run_action("charged_twice", "ORD-100001", jane(demo_shop), "verified")
    assert [m["text"] for m in said] == [messages.LOOKUP_UNAVAILABLE]
    assert events[: len(FORGET)] == FORGET


# -- the form ------------------------------------------------------------------


async def run_form(
    text: str,
    intent: str = "payment_problem",
    slots: Optional[dict] = None,
    requested: Optional[str] = None,
) -> Tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={**(slots or {}), "requested_slot": requested},
        text=text,
        intent=intent,
        events=[{"event": "user", "text": text}],
        active_loop=FORM,
    )
    events = await ValidatePaymentProblemForm().run(dispatcher, tracker, DOMAIN)
    return events, [m["text"] for m in dispatcher.messages]


async def test_a_declined_card_in_the_first_message_ends_the_form_at_once():
    events, said = await run_form("my card was declined at checkout")
    assert events == [SlotSet("payment_issue", "declined"), SlotSet("requested_slot", None)]
    assert said == []


async def test_a_double_charge_in_the_first_message_goes_on_to_the_order():
    events, said = await run_form("you charged me twice!")
    assert events == [
        SlotSet("payment_issue", "charged_twice"),
        SlotSet("requested_slot", "order_number"),
    ]
    assert said == []


async def test_a_vague_first_message_asks_what_happened():
    events, said = await run_form("I have a problem with a payment")
    assert events == [SlotSet("requested_slot", "payment_issue")]
    assert said == []


@pytest.mark.parametrize("typed", ["banana", "1' OR '1'='1", "<script>alert(1)</script>"])
async def test_an_unclear_answer_is_explained_and_asked_again(typed):
    events, said = await run_form(typed, intent="inform", requested="payment_issue")
    assert events == [SlotSet("payment_issue", None), SlotSet("requested_slot", "payment_issue")]
    assert said == [say.PAYMENT_ISSUE_UNCLEAR]


async def test_a_question_in_between_is_not_taken_as_the_answer():
    events, said = await run_form(
        "do you accept klarna or is my card declined", intent="faq", requested="payment_issue"
    )
    assert events == [SlotSet("requested_slot", "payment_issue")]
    assert said == []


async def test_a_verified_customer_with_the_order_named_is_asked_nothing_more(demo_shop):
    events, _ = await run_form(
        "charged twice for ORD-100001",
        slots={"order_number": "ORD-100001", "customer_id": str(jane(demo_shop))},
    )
    assert events == [
        SlotSet("payment_issue", "charged_twice"),
        SlotSet("requested_slot", None),
    ]


@pytest.mark.parametrize(
    ("issue", "customer", "required"),
    [
        (None, None, ["payment_issue"]),
        ("declined", None, ["payment_issue"]),
        ("other", "7", ["payment_issue"]),
        ("charged_twice", None, ["payment_issue", "order_number", "email", "verification_code"]),
        ("charged_twice", "7", ["payment_issue", "order_number"]),
    ],
)
async def test_only_a_double_charge_needs_the_order_and_verification(issue, customer, required):
    tracker = make_tracker(
        slots={"payment_issue": issue, "customer_id": customer, "order_number": "ORD-100001"}
    )
    assert (
        await ValidatePaymentProblemForm().required_slots(
            [], CollectingDispatcher(), tracker, DOMAIN
        )
        == required
    )


@pytest.mark.parametrize("value", ["refund_me", "charged_twice ", 3])
def test_a_forged_button_value_is_refused(value):
    dispatcher = CollectingDispatcher()
    result = ValidatePaymentProblemForm().validate_payment_issue(
        value, dispatcher, make_tracker(), DOMAIN
    )
    assert result == {"payment_issue": None}
    assert [m["text"] for m in dispatcher.messages] == [say.PAYMENT_ISSUE_UNCLEAR]


def test_the_issue_question_has_a_button_per_issue():
    dispatcher = CollectingDispatcher()
    ActionAskPaymentIssue().run(dispatcher, make_tracker(), DOMAIN)
    [message] = dispatcher.messages
    assert message["text"] == say.ASK_PAYMENT_ISSUE
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("My card was declined", '/inform{"payment_issue":"declined"}'),
        ("I was charged twice", '/inform{"payment_issue":"charged_twice"}'),
        ("Something else", '/inform{"payment_issue":"other"}'),
    ]


def test_an_anonymous_customer_is_asked_which_order_without_any_shown():
    dispatcher = CollectingDispatcher()
    ActionAskPaymentProblemOrderNumber().run(dispatcher, make_tracker(), DOMAIN)
    assert dispatcher.messages[0]["text"] == say.ASK_CHARGED_ORDER_NUMBER
    assert not dispatcher.messages[0]["buttons"]

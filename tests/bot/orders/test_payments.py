from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db.models import (
    AuditEntry,
    CaseKind,
    CaseRemedy,
    CaseStatus,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    SupportCase,
)
from bot.db.repositories.cases import CaseReferenceExhaustedError, new_case_reference
from bot.knowledge.formatting import format_money
from bot.knowledge.policies import load_policies
from bot.orders import payment_messages as say
from bot.orders.payments import (
    ChargeFinding,
    ChargeLine,
    PaymentIssue,
    alternative_methods,
    charge_moment,
    classify_payment_issue,
    duplicate_refund_days,
    examine_charges,
    review_double_charge,
)

DUBLIN = ZoneInfo("Europe/Dublin")
PLACED = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
TODAY = date(2024, 6, 3)
NOW = datetime(2024, 6, 3, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def owner(factory):
    return factory.customer(email="payer@example.com", name="Pat Payer")


def pay(order, kind, status=PaymentStatus.SUCCEEDED, amount=None, at=PLACED, ref="x", method=None):
    order.payments.append(
        Payment(
            method=method or PaymentMethod.CARD,
            kind=kind,
            status=status,
            amount_cents=order.total_cents if amount is None else amount,
            reference=f"pi_{ref}_{order.number}",
            created_at=at,
            failure_reason="Card declined" if status == PaymentStatus.FAILED else None,
        )
    )


def cases_of(session, order):
    return (
        session.execute(select(SupportCase).where(SupportCase.order_id == order.id)).scalars().all()
    )


def case_audit(session, reference):
    return (
        session.execute(select(AuditEntry).where(AuditEntry.entity_id == reference)).scalars().all()
    )


# -- what the customer wrote ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "my card was declined",
        "Card declind",
        "the payment keeps getting rejected",
        "it won't go through",
        "it won\u2019t go through",
        "My card was declined",
        "payment didn't go through",
    ],
)
def test_declined_payments_are_recognised(text):
    assert classify_payment_issue(text) is PaymentIssue.DECLINED


@pytest.mark.parametrize(
    "text",
    [
        "I was charged twice",
        "double charge on my card",
        "there are two charges for one order",
        "you charged me again for the same order",
        "duplicate payment on my statement",
        "charged 2x for one order",
        "I was charged twice",
    ],
)
def test_double_charges_are_recognised(text):
    assert classify_payment_issue(text) is PaymentIssue.CHARGED_TWICE


@pytest.mark.parametrize(
    "text",
    [
        "payment problem",
        "can you double-check my payment",
        "I ordered 2 x mugs",
        "my gift card won't work",
        "declined at first, then charged twice",
        "1' OR '1'='1",
        "<script>alert('twice')</script> declined",
        "",
    ],
)
def test_unclear_or_mixed_messages_are_left_to_the_customer(text):
    assert classify_payment_issue(text) is None


@pytest.mark.parametrize("text", ["Something else", "it's another problem"])
def test_something_else_is_recognised(text):
    assert classify_payment_issue(text) is PaymentIssue.OTHER


def test_other_on_its_own_is_not_taken_for_something_else():
    assert classify_payment_issue("the other payment is still on my statement") is None


# -- what the policies say -----------------------------------------------------


def test_other_ways_to_pay_are_the_non_card_methods_of_the_policy():
    policies = load_policies()
    assert alternative_methods(policies) == ("PayPal", "Apple Pay", "Google Pay", "Klarna")
    text = say.declined_guidance(alternative_methods(policies))
    assert "PayPal, Apple Pay, Google Pay or Klarna" in text
    assert "Nothing is taken for a declined payment" in text
    assert "3-D Secure" in text and "billing address" in text


def test_duplicate_refund_time_prefers_a_payment_policy_value():
    policies = load_policies()
    assert duplicate_refund_days(policies) == policies.cancellation.refund_days == 3
    values = {
        **policies.values,
        "payment": {**policies.values["payment"], "duplicate_refund_days": 2},
    }
    assert duplicate_refund_days(dataclasses.replace(policies, values=values)) == 2
    assert charge_moment(policies) == "when your order ships"


# -- what the payments show ----------------------------------------------------


def test_a_single_capture_is_one_charge_with_amount_date_and_method(db_session, factory, owner):
    order = factory.order(owner, "ORD-310001", placed_at=PLACED)
    check = examine_charges(order, TODAY, DUBLIN)
    assert check.finding is ChargeFinding.SINGLE_CHARGE
    assert check.captures == (ChargeLine(order.total_cents, date(2024, 5, 1), "card"),)
    text = say.single_charge(check, TODAY)
    assert text.startswith("I can see only one charge for order ORD-310001: €")
    assert "by card on 1 May" in text and "talk to a person" in text


def test_payment_dates_are_days_in_the_shops_time_zone(db_session, factory, owner):
    late_evening = datetime(2024, 5, 1, 23, 30, tzinfo=timezone.utc)  # 00:30 in Dublin
    order = factory.order(owner, "ORD-310002", placed_at=late_evening)
    [line] = examine_charges(order, TODAY, DUBLIN).captures
    assert line.day == date(2024, 5, 2)


def test_a_double_capture_opens_one_audited_refund_case(db_session, factory, owner):
    order = factory.order(owner, "ORD-310003", placed_at=PLACED, quantities=(2,))
    pay(order, PaymentKind.CAPTURE, at=PLACED + timedelta(minutes=3), ref="dup")
    db_session.flush()
    check = review_double_charge(
        db_session, "ord-310003", owner.id, "conv-pay-1", TODAY, DUBLIN, now=NOW
    )
    assert check.finding is ChargeFinding.DOUBLE_CHARGE
    assert check.extra_cents == order.total_cents
    assert check.case_is_new and re.fullmatch(r"CASE-\d{6}", check.case_reference)
    [case] = cases_of(db_session, order)
    assert (case.reference, case.kind, case.status, case.remedy) == (
        check.case_reference,
        CaseKind.DOUBLE_CHARGE,
        CaseStatus.OPEN,
        CaseRemedy.REFUND,
    )
    assert (case.customer_id, case.amount_cents, case.conversation_id) == (
        owner.id,
        order.total_cents,
        "conv-pay-1",
    )
    assert "ORD-310003" in case.description and "charged 2 times" in case.description
    [row] = case_audit(db_session, case.reference)
    assert (row.entity, row.field, row.old_value, row.new_value, row.conversation_id) == (
        "case",
        "status",
        None,
        "open",
        "conv-pay-1",
    )
    text = say.double_charge_refund(check, 3, TODAY)
    total = f"€{order.total_cents // 100}.{order.total_cents % 100:02d}"
    assert text == (
        f"I'm so sorry: order ORD-310003 was charged twice on 1 May, {total} each time. "
        f"We'll refund the extra {total} to your card within 3 business days. Your case "
        f"reference is {case.reference}, in case you need to get back to us about it."
    )


def test_asking_again_finds_the_open_case_instead_of_a_second_one(db_session, factory, owner):
    order = factory.order(owner, "ORD-310004", placed_at=PLACED)
    pay(order, PaymentKind.CAPTURE, at=PLACED + timedelta(minutes=2), ref="dup")
    db_session.flush()
    first = review_double_charge(db_session, "ORD-310004", owner.id, "conv-a", TODAY, DUBLIN)
    again = review_double_charge(db_session, "ORD-310004", owner.id, "conv-b", TODAY, DUBLIN)
    assert again.finding is ChargeFinding.DOUBLE_CHARGE and not again.case_is_new
    assert again.case_reference == first.case_reference
    assert len(cases_of(db_session, order)) == 1
    assert len(case_audit(db_session, first.case_reference)) == 1
    assert "We're already on this one" in say.double_charge_refund(again, 3, TODAY)


def test_only_the_capture_beyond_the_total_is_refunded(db_session, factory, owner):
    order = factory.order(owner, "ORD-310005", placed_at=PLACED)
    pay(order, PaymentKind.CAPTURE, amount=500, at=PLACED + timedelta(minutes=2), ref="part")
    db_session.flush()
    check = review_double_charge(db_session, "ORD-310005", owner.id, "conv-c", TODAY, DUBLIN)
    assert check.finding is ChargeFinding.DOUBLE_CHARGE and check.extra_cents == 500
    assert cases_of(db_session, order)[0].amount_cents == 500


def test_a_duplicate_already_refunded_opens_no_case(db_session, factory, owner):
    order = factory.order(owner, "ORD-310006", placed_at=PLACED)
    pay(order, PaymentKind.CAPTURE, at=PLACED + timedelta(minutes=2), ref="dup")
    pay(order, PaymentKind.REFUND, at=PLACED + timedelta(days=2), ref="back")
    db_session.flush()
    check = review_double_charge(db_session, "ORD-310006", owner.id, "conv-d", TODAY, DUBLIN)
    assert check.finding is ChargeFinding.DUPLICATE_REFUNDED
    assert cases_of(db_session, order) == []
    assert "already been given back" in say.duplicate_already_refunded(check, TODAY)
    assert "on 3 May" in say.duplicate_already_refunded(check, TODAY)


def test_a_refund_is_explained_as_the_second_line(db_session, factory, owner):
    order = factory.order(owner, "ORD-310007", placed_at=PLACED, status=OrderStatus.RETURNED)
    pay(order, PaymentKind.REFUND, at=datetime(2024, 5, 20, 9, 0, tzinfo=timezone.utc), ref="r")
    db_session.flush()
    check = review_double_charge(db_session, "ORD-310007", owner.id, "conv-e", TODAY, DUBLIN)
    assert check.finding is ChargeFinding.REFUND_LINE
    text = say.refund_shows_as_second_line(check, TODAY)
    assert "money coming back to you: a refund of €" in text and "on 20 May" in text
    assert cases_of(db_session, order) == []


def test_a_pending_authorisation_next_to_the_capture_is_a_hold(db_session, factory, owner):
    order = factory.order(owner, "ORD-310008", placed_at=PLACED)
    pay(order, PaymentKind.AUTHORISATION, PaymentStatus.PENDING, at=PLACED, ref="auth")
    db_session.flush()
    check = examine_charges(order, TODAY, DUBLIN)
    assert check.finding is ChargeFinding.PENDING_HOLD
    assert check.hold == ChargeLine(order.total_cents, date(2024, 5, 1), "card")
    text = say.pending_hold(check, "when your order ships", TODAY)
    assert "was charged once" in text
    assert f"authorisation hold of {format_money(order.total_cents, 'EUR')} from 1 May" in text
    assert "usually within 3\u20137 days" in text


def test_a_recent_authorisation_may_still_show_but_an_old_one_does_not(db_session, factory, owner):
    order = factory.order(owner, "ORD-310009", placed_at=PLACED)
    pay(order, PaymentKind.AUTHORISATION, at=PLACED - timedelta(minutes=1), ref="auth")
    db_session.flush()
    assert examine_charges(order, date(2024, 5, 4), DUBLIN).finding is ChargeFinding.PENDING_HOLD
    assert examine_charges(order, TODAY, DUBLIN).finding is ChargeFinding.SINGLE_CHARGE


def test_an_order_not_yet_charged_shows_only_its_reservation(db_session, factory, owner):
    order = factory.order(owner, "ORD-310010", placed_at=PLACED, status=OrderStatus.PENDING)
    order.payments[0].kind = PaymentKind.AUTHORISATION
    order.payments[0].status = PaymentStatus.PENDING
    order.payments[0].method = PaymentMethod.KLARNA
    db_session.flush()
    check = examine_charges(order, TODAY, DUBLIN)
    assert check.finding is ChargeFinding.PENDING_HOLD and check.captures == ()
    text = say.pending_hold(check, charge_moment(load_policies()), TODAY)
    assert text.startswith("You haven't been charged for order ORD-310010 yet.")
    assert "on your Klarna account: we take the payment when your order ships" in text


def test_declined_attempts_only_mean_nothing_was_taken(db_session, factory, owner):
    order = factory.order(owner, "ORD-310011", placed_at=PLACED, status=OrderStatus.PENDING)
    order.payments[0].kind = PaymentKind.AUTHORISATION
    order.payments[0].status = PaymentStatus.FAILED
    order.payments[0].failure_reason = "Insufficient funds"
    db_session.flush()
    check = examine_charges(order, TODAY, DUBLIN)
    assert check.finding is ChargeFinding.NOT_CHARGED
    assert say.not_charged(check).startswith("No money has been taken for order ORD-310011")


def test_another_customers_double_charge_reads_as_not_found_and_opens_nothing(
    db_session, factory, owner
):
    order = factory.order(owner, "ORD-310012", placed_at=PLACED)
    pay(order, PaymentKind.CAPTURE, at=PLACED + timedelta(minutes=2), ref="dup")
    intruder = factory.customer(email="intruder@example.com")
    db_session.flush()
    check = review_double_charge(db_session, "ORD-310012", intruder.id, "conv-f", TODAY, DUBLIN)
    unknown = review_double_charge(db_session, "ORD-999999", intruder.id, "conv-f", TODAY, DUBLIN)
    assert check == unknown and check.finding is ChargeFinding.NOT_FOUND
    assert check.order_number == "" and check.captures == ()
    assert cases_of(db_session, order) == []


@pytest.mark.parametrize("typed", ["1' OR '1'='1", "<script>alert(1)</script>", ""])
def test_odd_order_numbers_are_plain_text(db_session, factory, owner, typed):
    factory.order(owner, "ORD-310013", placed_at=PLACED)
    check = review_double_charge(db_session, typed, owner.id, "conv-g", TODAY, DUBLIN)
    assert check.finding is ChargeFinding.NOT_FOUND


# -- case references -----------------------------------------------------------


def test_case_references_skip_ones_in_use(db_session, factory, owner):
    order = factory.order(owner, "ORD-310014", placed_at=PLACED)
    db_session.add(
        SupportCase(
            reference="CASE-000042",
            customer_id=owner.id,
            order_id=order.id,
            kind=CaseKind.DOUBLE_CHARGE,
        )
    )
    db_session.flush()
    draws = iter([42, 7])
    assert new_case_reference(db_session, lambda _: next(draws)) == "CASE-000007"
    with pytest.raises(CaseReferenceExhaustedError):
        new_case_reference(db_session, lambda _: 42)

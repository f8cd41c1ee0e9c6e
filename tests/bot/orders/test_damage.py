from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import (
    AuditEntry,
    CaseKind,
    CaseRemedy,
    CaseStatus,
    OrderStatus,
    ShipmentStatus,
    SupportCase,
)
from bot.db.repositories.cases import add_case
from bot.orders.damage import (
    DamageVerdict,
    ItemChoice,
    classify_problem,
    find_damage_check,
    match_item,
    problem_kind_from,
    remedy_from,
    report_damage,
)

NOW = datetime(2024, 6, 1, 9, 30, tzinfo=timezone.utc)
THRESHOLD = 15000


@pytest.fixture
def owner(factory):
    return factory.customer(email="owner@example.com", name="Olive Owner")


def delivered(factory, customer, number, quantities=(2,), status=OrderStatus.DELIVERED):
    order = factory.order(customer, number, status=status, quantities=quantities)
    shipment = order.shipments[0]
    shipment.status = ShipmentStatus.DELIVERED
    shipment.delivered_at = datetime(2024, 5, 4, 11, 0, tzinfo=timezone.utc)
    factory.session.flush()
    return order


def report(session, order, customer, *, line_id=None, kind=CaseKind.DAMAGED_ITEM, **options):
    options.setdefault("threshold_cents", THRESHOLD)
    options.setdefault("now", NOW)
    return report_damage(
        session,
        order.number,
        customer.id,
        line_id,
        kind,
        options.pop("remedy", CaseRemedy.REPLACEMENT),
        options.pop("conversation_id", "conv-1"),
        **options,
    )


def cases(session: Session):
    return session.execute(select(SupportCase)).scalars().all()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my lamp arrived broken", CaseKind.DAMAGED_ITEM),
        ("The glass top is CRACKED", CaseKind.DAMAGED_ITEM),
        ("it came smashed", CaseKind.DAMAGED_ITEM),
        ("you sent me the wrong colour", CaseKind.WRONG_ITEM),
        ("this isn\u2019t what I ordered", CaseKind.WRONG_ITEM),
        ("two pieces are missing", CaseKind.MISSING_PARTS),
        ("some parts aren't there", CaseKind.MISSING_PARTS),
        ("there's a problem with my order", None),
        ("the wrong parts were sent and one is broken", None),
        ("", None),
    ],
)
def test_the_problem_is_taken_from_the_words_only_when_obvious(text, kind):
    assert classify_problem(text) is kind


def test_buttons_and_words_both_name_the_problem():
    assert problem_kind_from("wrong_item") is CaseKind.WRONG_ITEM
    assert problem_kind_from("it's damaged") is CaseKind.DAMAGED_ITEM
    assert problem_kind_from("double_charge") is None
    assert problem_kind_from(None) is None


@pytest.mark.parametrize(
    ("text", "remedy"),
    [
        ("replacement", CaseRemedy.REPLACEMENT),
        ("I'd like a new one please", CaseRemedy.REPLACEMENT),
        ("send me the right one", CaseRemedy.REPLACEMENT),
        ("refund", CaseRemedy.REFUND),
        ("just give me my money back", CaseRemedy.REFUND),
        ("a refund or a replacement, either", None),
        ("hmm", None),
    ],
)
def test_the_remedy_is_read_from_buttons_and_words(text, remedy):
    assert remedy_from(text) is remedy


ITEMS = (
    ItemChoice(11, "Blue desk lamp", "Blue desk lamp", 4500),
    ItemChoice(12, "2 x Mustard cushion cover", "Mustard cushion cover", 3000),
    ItemChoice(13, "4 x Speckled white ceramic mug", "Speckled white ceramic mug", 4800),
    ItemChoice(14, "Blue ceramic bowl", "Blue ceramic bowl", 2200),
)


@pytest.mark.parametrize(
    ("typed", "line_id"),
    [
        ("12", 12),
        ("the mugs", 13),
        ("Cushion covers", 12),
        ("the blue lamp", 11),
        ("blue", None),
        ("ceramic", None),
        ("99", None),
        ("the sofa", None),
        ("1' OR '1'='1", None),
        ("<script>alert(1)</script>", None),
    ],
)
def test_the_item_is_a_line_of_the_order_by_button_or_by_name(typed, line_id):
    item = match_item(ITEMS, typed)
    assert (item.line_id if item else None) == line_id


@pytest.mark.parametrize(
    ("status", "parcel_delivered", "verdict"),
    [
        (OrderStatus.DELIVERED, True, DamageVerdict.ELIGIBLE),
        (OrderStatus.SHIPPED, True, DamageVerdict.ELIGIBLE),
        (OrderStatus.SHIPPED, False, DamageVerdict.ON_ITS_WAY),
        (OrderStatus.PAID, False, DamageVerdict.NOT_SENT),
        (OrderStatus.PENDING, False, DamageVerdict.NOT_SENT),
        (OrderStatus.CANCELLED, False, DamageVerdict.CANCELLED),
        (OrderStatus.RETURNED, True, DamageVerdict.RETURNED),
    ],
)
def test_only_an_order_that_has_arrived_can_be_reported(
    db_session, factory, owner, status, parcel_delivered, verdict
):
    if parcel_delivered:
        order = delivered(factory, owner, "ORD-500001", status=status)
    else:
        order = factory.order(owner, "ORD-500001", status=status)
    assert find_damage_check(db_session, "ORD-500001", owner.id, None).verdict is verdict
    outcome = report(db_session, order, owner)
    assert outcome.opened is (verdict is DamageVerdict.ELIGIBLE)
    assert len(cases(db_session)) == (1 if verdict is DamageVerdict.ELIGIBLE else 0)


def test_a_case_is_opened_for_the_line_total_and_audited(db_session, factory, owner):
    order = delivered(factory, owner, "ORD-500002", quantities=(2,))
    outcome = report(
        db_session,
        order,
        owner,
        remedy=CaseRemedy.REFUND,
        customer_words="Both arrived smashed'); DROP TABLE orders; --",
    )
    assert outcome.opened and outcome.escalation is None
    assert re.fullmatch(r"CASE-\d{6}", outcome.reference)
    db_session.expire_all()
    [case] = cases(db_session)
    line = order.lines[0]
    assert (case.reference, case.customer_id, case.order_id, case.order_line_id) == (
        outcome.reference,
        owner.id,
        order.id,
        line.id,
    )
    assert (case.kind, case.remedy, case.status, case.amount_cents) == (
        CaseKind.DAMAGED_ITEM,
        CaseRemedy.REFUND,
        CaseStatus.OPEN,
        2 * 1500,
    )
    assert case.description == (
        f"Damaged item: 2 x {line.product.display_name} on order ORD-500002, reported in the "
        'chat. Customer wrote: "Both arrived smashed\'); DROP TABLE orders; --"'
    )
    assert (case.conversation_id, case.escalate, case.escalation_reason) == ("conv-1", False, None)
    [row] = db_session.execute(
        select(AuditEntry).where(AuditEntry.entity_id == outcome.reference)
    ).scalars()
    assert (row.entity, row.field, row.old_value, row.new_value, row.conversation_id) == (
        "case",
        "status",
        None,
        "open",
        "conv-1",
    )


def test_an_item_worth_more_than_the_threshold_is_escalated(db_session, factory, owner):
    order = delivered(factory, owner, "ORD-500003", quantities=(2,))
    outcome = report(db_session, order, owner, threshold_cents=2999)
    [case] = cases(db_session)
    assert case.escalate is True
    assert case.escalation_reason == "item value €30 above €29.99"
    assert outcome.escalation is not None and outcome.escalation.high_value
    assert not outcome.escalation.repeat


def test_an_item_worth_exactly_the_threshold_is_not_escalated(db_session, factory, owner):
    order = delivered(factory, owner, "ORD-500004", quantities=(2,))
    assert report(db_session, order, owner, threshold_cents=3000).escalation is None


@pytest.mark.parametrize(
    ("kind", "days_ago", "escalated"),
    [
        (CaseKind.MISSING_PARTS, 30, True),
        (CaseKind.WRONG_ITEM, 89, True),
        (CaseKind.DAMAGED_ITEM, 91, False),
        (CaseKind.DOUBLE_CHARGE, 5, False),
    ],
)
def test_a_second_problem_within_90_days_is_escalated(
    db_session, factory, owner, kind, days_ago, escalated
):
    earlier = delivered(factory, owner, "ORD-500005")
    add_case(
        db_session,
        customer_id=owner.id,
        kind=kind,
        conversation_id="earlier",
        order_id=earlier.id,
        now=NOW - timedelta(days=days_ago),
    )
    order = delivered(factory, owner, "ORD-500006")
    outcome = report(db_session, order, owner)
    case = db_session.execute(
        select(SupportCase).where(SupportCase.reference == outcome.reference)
    ).scalar_one()
    assert case.escalate is escalated
    assert case.escalation_reason == ("second problem within 90 days" if escalated else None)


def test_both_reasons_are_given_when_both_apply(db_session, factory, owner):
    earlier = delivered(factory, owner, "ORD-500007")
    add_case(
        db_session,
        customer_id=owner.id,
        kind=CaseKind.DAMAGED_ITEM,
        conversation_id="earlier",
        order_id=earlier.id,
        now=NOW - timedelta(days=3),
    )
    order = delivered(factory, owner, "ORD-500008", quantities=(2,))
    outcome = report(db_session, order, owner, threshold_cents=2000)
    assert outcome.escalation is not None
    assert outcome.escalation.reason == (
        "item value €30 above €20 and second problem within 90 days"
    )


def test_another_customers_problem_does_not_make_this_one_a_repeat(db_session, factory, owner):
    stranger = factory.customer(email="stranger@example.com")
    theirs = delivered(factory, stranger, "ORD-500009")
    report(db_session, theirs, stranger, now=NOW - timedelta(days=1))
    mine = delivered(factory, owner, "ORD-500010")
    assert report(db_session, mine, owner).escalation is None


def test_an_item_already_reported_gets_no_second_case_while_open(db_session, factory, owner):
    order = delivered(factory, owner, "ORD-500011")
    first = report(db_session, order, owner)
    again = report(db_session, order, owner, kind=CaseKind.MISSING_PARTS)
    assert not again.opened
    assert again.check.verdict is DamageVerdict.ALREADY_REPORTED
    assert again.check.existing_case == first.reference
    assert len(cases(db_session)) == 1
    cases(db_session)[0].status = CaseStatus.RESOLVED
    db_session.flush()
    third = report(db_session, order, owner, now=NOW + timedelta(days=1))
    assert third.opened and third.escalation is not None and third.escalation.repeat


def test_the_item_must_be_chosen_from_the_orders_own_lines(db_session, factory, owner):
    order = delivered(factory, owner, "ORD-500012", quantities=(1, 3))
    other = delivered(factory, owner, "ORD-500013")
    check = find_damage_check(db_session, order.number, owner.id, None)
    assert check.verdict is DamageVerdict.NO_ITEM and check.needs_item_choice
    assert [item.title for item in check.items] == [
        order.lines[0].product.display_name,
        f"3 x {order.lines[1].product.display_name}",
    ]
    assert not report(db_session, order, owner, line_id=other.lines[0].id).opened
    chosen = report(db_session, order, owner, line_id=order.lines[1].id)
    assert chosen.opened and chosen.amount_cents == 3 * 1500
    [case] = cases(db_session)
    assert case.order_line_id == order.lines[1].id


def test_another_customers_order_reads_as_not_found(db_session, factory, owner):
    stranger = factory.customer(email="stranger@example.com")
    theirs = delivered(factory, stranger, "ORD-500014")
    check = find_damage_check(db_session, theirs.number, owner.id, None)
    assert check.verdict is DamageVerdict.NOT_FOUND and check.items == ()
    assert not report(db_session, theirs, owner).opened
    assert cases(db_session) == []


def test_a_double_charge_is_not_an_item_problem(db_session, factory, owner):
    order = delivered(factory, owner, "ORD-500015")
    with pytest.raises(ValueError):
        report(db_session, order, owner, kind=CaseKind.DOUBLE_CHARGE)

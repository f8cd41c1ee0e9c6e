from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import AuditEntry, CaseKind, CaseRemedy, CaseStatus, SupportCase
from bot.db.repositories.cases import (
    CaseReferenceExhaustedError,
    add_case,
    cases_of_customer_since,
    find_case,
    new_case_reference,
    open_cases_of_order,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def customer(factory):
    return factory.customer(email="casey@example.com")


def test_a_case_is_stored_with_a_random_reference_and_audited(
    db_session: Session, factory, customer
):
    order = factory.order(customer, "ORD-400001", quantities=(2,))
    case = add_case(
        db_session,
        customer_id=customer.id,
        kind=CaseKind.DAMAGED_ITEM,
        conversation_id="conv-9",
        order_id=order.id,
        order_line_id=order.lines[0].id,
        remedy=CaseRemedy.REFUND,
        description="Cracked",
        amount_cents=3000,
        now=NOW,
    )
    db_session.expire_all()
    stored = find_case(db_session, case.reference)
    assert stored is not None
    assert re.fullmatch(r"CASE-\d{6}", stored.reference)
    assert (stored.status, stored.kind, stored.remedy, stored.amount_cents) == (
        CaseStatus.OPEN,
        CaseKind.DAMAGED_ITEM,
        CaseRemedy.REFUND,
        3000,
    )
    assert (stored.order_line_id, stored.conversation_id, stored.escalate) == (
        order.lines[0].id,
        "conv-9",
        False,
    )
    [row] = db_session.execute(
        select(AuditEntry).where(AuditEntry.entity_id == case.reference)
    ).scalars()
    assert (row.entity, row.field, row.old_value, row.new_value, row.conversation_id) == (
        "case",
        "status",
        None,
        "open",
        "conv-9",
    )


def test_a_reference_in_use_is_never_handed_out_again(db_session: Session, customer):
    add_case(
        db_session,
        customer_id=customer.id,
        kind=CaseKind.WRONG_ITEM,
        conversation_id="c",
        reference="CASE-000042",
    )
    numbers = iter([42, 42, 7])
    assert new_case_reference(db_session, lambda _: next(numbers)) == "CASE-000007"
    with pytest.raises(CaseReferenceExhaustedError):
        new_case_reference(db_session, lambda _: 42)


@pytest.mark.parametrize(
    ("escalate", "reason", "amount"),
    [(True, None, 0), (False, "item value", 0), (False, None, -1)],
)
def test_inconsistent_cases_are_refused(db_session: Session, customer, escalate, reason, amount):
    with pytest.raises(ValueError):
        add_case(
            db_session,
            customer_id=customer.id,
            kind=CaseKind.DAMAGED_ITEM,
            conversation_id="c",
            escalate=escalate,
            escalation_reason=reason,
            amount_cents=amount,
        )
    assert db_session.execute(select(SupportCase)).first() is None


def test_cases_since_a_date_are_the_customers_own_of_the_kinds_asked(
    db_session: Session, factory, customer
):
    other = factory.customer(email="someone.else@example.com")

    def case(owner, kind, days_ago):
        return add_case(
            db_session,
            customer_id=owner.id,
            kind=kind,
            conversation_id="c",
            now=NOW - timedelta(days=days_ago),
        )

    recent = case(customer, CaseKind.MISSING_PARTS, 10)
    older = case(customer, CaseKind.DAMAGED_ITEM, 80)
    case(customer, CaseKind.DAMAGED_ITEM, 91)
    charge = case(customer, CaseKind.DOUBLE_CHARGE, 5)
    case(other, CaseKind.DAMAGED_ITEM, 1)
    since = NOW - timedelta(days=90)
    assert [c.reference for c in cases_of_customer_since(db_session, customer.id, since)] == [
        charge.reference,
        recent.reference,
        older.reference,
    ]
    problems = cases_of_customer_since(
        db_session, customer.id, since, [CaseKind.DAMAGED_ITEM, CaseKind.MISSING_PARTS]
    )
    assert [c.reference for c in problems] == [recent.reference, older.reference]


def test_open_cases_of_an_order_leave_out_resolved_ones(db_session: Session, factory, customer):
    order = factory.order(customer, "ORD-400002")
    other_order = factory.order(customer, "ORD-400003")

    def case(for_order, kind, status):
        made = add_case(
            db_session,
            customer_id=customer.id,
            kind=kind,
            conversation_id="c",
            order_id=for_order.id,
        )
        made.status = status
        return made

    open_one = case(order, CaseKind.DAMAGED_ITEM, CaseStatus.OPEN)
    in_progress = case(order, CaseKind.DOUBLE_CHARGE, CaseStatus.IN_PROGRESS)
    case(order, CaseKind.WRONG_ITEM, CaseStatus.RESOLVED)
    case(other_order, CaseKind.DAMAGED_ITEM, CaseStatus.OPEN)
    db_session.flush()
    assert [c.reference for c in open_cases_of_order(db_session, order.id)] == [
        open_one.reference,
        in_progress.reference,
    ]
    assert [
        c.reference for c in open_cases_of_order(db_session, order.id, [CaseKind.DAMAGED_ITEM])
    ] == [open_one.reference]

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import (
    AuditEntry,
    Order,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
)
from bot.knowledge.policies import load_policies
from bot.orders.cancellation import (
    Cancellability,
    cancel_order,
    find_cancellation,
    refundable_cents,
)

TODAY = date(2024, 5, 2)
NOW = datetime(2024, 5, 2, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def policies():
    return load_policies()


@pytest.fixture
def owner(factory):
    return factory.customer(email="owner@example.com", name="Olive Owner")


def audit_rows(session: Session, number: str):
    return (
        session.execute(select(AuditEntry).where(AuditEntry.entity_id == number)).scalars().all()
    )


def test_paid_order_is_cancelled_refunded_in_full_and_audited(
    db_session, factory, owner, policies
):
    order = factory.order(owner, "ORD-300001", status=OrderStatus.PAID, quantities=(2,))
    check = cancel_order(
        db_session, "ord 300001", owner.id, "conv-1", policies, TODAY, now=NOW
    )
    assert check.allowed
    assert check.refund_cents == order.total_cents == 2 * 1500 + 495
    assert "ORD-300001 from 1 May" in check.summary and "€" in check.summary
    db_session.expire_all()
    assert db_session.get(Order, order.id).status == OrderStatus.CANCELLED
    [row] = audit_rows(db_session, "ORD-300001")
    assert (row.entity, row.field, row.old_value, row.new_value) == (
        "order",
        "status",
        "paid",
        "cancelled",
    )
    assert row.conversation_id == "conv-1"


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (OrderStatus.SHIPPED, Cancellability.SHIPPED),
        (OrderStatus.DELIVERED, Cancellability.DELIVERED),
        (OrderStatus.CANCELLED, Cancellability.ALREADY_CANCELLED),
        (OrderStatus.RETURNED, Cancellability.RETURNED),
    ],
)
def test_orders_past_the_warehouse_are_not_cancelled(
    db_session, factory, owner, policies, status, verdict
):
    order = factory.order(owner, "ORD-300002", status=status)
    check = cancel_order(db_session, "ORD-300002", owner.id, "conv-2", policies, TODAY)
    assert check.verdict is verdict and not check.allowed
    db_session.expire_all()
    assert db_session.get(Order, order.id).status == status
    assert audit_rows(db_session, "ORD-300002") == []


def test_another_customers_order_reads_as_not_found_and_is_untouched(
    db_session, factory, owner, policies
):
    order = factory.order(owner, "ORD-300003", status=OrderStatus.PAID)
    intruder = factory.customer(email="intruder@example.com")
    check = cancel_order(db_session, "ORD-300003", intruder.id, "conv-3", policies, TODAY)
    unknown = find_cancellation(db_session, "ORD-999999", intruder.id, policies, TODAY)
    assert check == unknown
    assert check.verdict is Cancellability.NOT_FOUND and check.summary == ""
    db_session.expire_all()
    assert db_session.get(Order, order.id).status == OrderStatus.PAID


@pytest.mark.parametrize("typed", ["1' OR '1'='1", "<script>alert(1)</script>", ""])
def test_odd_order_numbers_are_plain_text(db_session, factory, owner, policies, typed):
    factory.order(owner, "ORD-300004", status=OrderStatus.PAID)
    check = cancel_order(db_session, typed, owner.id, "conv-4", policies, TODAY)
    assert check.verdict is Cancellability.NOT_FOUND


def test_refund_counts_captures_less_refunds_and_ignores_holds_and_failures(
    db_session, factory, owner
):
    order = factory.order(owner, "ORD-300005", status=OrderStatus.PAID)
    captured = order.total_cents
    for kind, status, amount, ref in [
        (PaymentKind.AUTHORISATION, PaymentStatus.SUCCEEDED, 9999, "a"),
        (PaymentKind.CAPTURE, PaymentStatus.FAILED, 5000, "b"),
        (PaymentKind.REFUND, PaymentStatus.SUCCEEDED, 1000, "c"),
    ]:
        order.payments.append(
            Payment(
                method=PaymentMethod.CARD,
                kind=kind,
                status=status,
                amount_cents=amount,
                reference=f"pi_{ref}_300005",
                failure_reason="declined" if status == PaymentStatus.FAILED else None,
            )
        )
    db_session.flush()
    assert refundable_cents(order) == captured - 1000


def test_pending_order_with_only_a_hold_refunds_nothing(db_session, factory, owner, policies):
    order = factory.order(owner, "ORD-300006", status=OrderStatus.PENDING)
    for payment in order.payments:
        payment.kind = PaymentKind.AUTHORISATION
    db_session.flush()
    check = cancel_order(db_session, "ORD-300006", owner.id, "conv-6", policies, TODAY)
    assert check.allowed and check.refund_cents == 0

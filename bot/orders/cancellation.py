"""Cancelling an order: allowed only before it ships, confirmed first, always audited."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from sqlalchemy.orm import Session

from bot.db.models import Order, OrderStatus, PaymentKind, PaymentStatus, utcnow
from bot.db.repositories.audit import record_change
from bot.db.repositories.orders import find_order_of_customer
from bot.knowledge.formatting import format_money
from bot.knowledge.policies import Policies
from bot.orders.status import describe_items, short_date

AUDIT_ENTITY = "order"
AUDIT_FIELD = "status"


class Cancellability(str, enum.Enum):
    """Whether an order can be cancelled, and if not, why."""

    ALLOWED = "allowed"
    NOT_FOUND = "not_found"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    ALREADY_CANCELLED = "already_cancelled"
    RETURNED = "returned"


_BLOCKED_BY_STATUS = {
    OrderStatus.SHIPPED: Cancellability.SHIPPED,
    OrderStatus.DELIVERED: Cancellability.DELIVERED,
    OrderStatus.CANCELLED: Cancellability.ALREADY_CANCELLED,
    OrderStatus.RETURNED: Cancellability.RETURNED,
}


@dataclass(frozen=True)
class CancellationCheck:
    """What cancelling a customer's order would mean.

    Attributes:
        verdict: Whether the order can be cancelled.
        order_number: Canonical order number; empty when not found.
        summary: ``order ORD-100002 from 12 Nov (the Blue desk lamp), €89.00``.
        refund_cents: What would be refunded: the captured payments not yet refunded.
        currency: ISO 4217 code of the order.
        late_parcel: The order has shipped but its parcel is overdue, which the
            policy lets the customer cancel; if it still arrives, they refuse it.
    """

    verdict: Cancellability
    order_number: str = ""
    summary: str = ""
    refund_cents: int = 0
    currency: str = ""
    late_parcel: bool = False

    @property
    def allowed(self) -> bool:
        """Whether the order can be cancelled now."""
        return self.verdict is Cancellability.ALLOWED


def refundable_cents(order: Order) -> int:
    """Returns the money taken for an order and not yet given back.

    Only succeeded captures count; authorisations are holds that the bank
    releases on its own.
    """
    taken = given_back = 0
    for payment in order.payments:
        if payment.status != PaymentStatus.SUCCEEDED:
            continue
        if payment.kind == PaymentKind.CAPTURE:
            taken += payment.amount_cents
        elif payment.kind == PaymentKind.REFUND:
            given_back += payment.amount_cents
    return max(taken - given_back, 0)


def _summary(order: Order, today: date) -> str:
    day = short_date(order.placed_at.date(), today)
    total = format_money(order.total_cents, order.currency)
    return f"order {order.number} from {day} ({describe_items(order)}), {total}"


def check_cancellation(
    order: Optional[Order], policies: Policies, today: date
) -> CancellationCheck:
    """Tells whether an order can be cancelled under the shop's policy.

    Args:
        order: The verified customer's order, or ``None`` when they have no such order.
        policies: The shop policies (which statuses may still be cancelled).
        today: The current date in the shop's time zone.

    Returns:
        The verdict with what the customer needs to decide.
    """
    if order is None:
        return CancellationCheck(Cancellability.NOT_FOUND)
    late_parcel = is_overdue_parcel(order, policies, today)
    if policies.cancellation.allows(order.status.value) or late_parcel:
        verdict = Cancellability.ALLOWED
    else:
        verdict = _BLOCKED_BY_STATUS.get(order.status, Cancellability.SHIPPED)
    return CancellationCheck(
        verdict,
        order.number,
        _summary(order, today),
        refundable_cents(order),
        order.currency,
        late_parcel,
    )


def is_overdue_parcel(order: Order, policies: Policies, today: date) -> bool:
    """Tells whether a shipped order's parcel is late enough to be cancelled and refunded.

    Args:
        order: The order, with its shipments loaded.
        policies: The shop policies (``cancellation.late_parcel_after_days``).
        today: The current date in the shop's time zone.
    """
    grace = policies.cancellation.late_parcel_after_days
    if grace is None or order.status != OrderStatus.SHIPPED or not order.shipments:
        return False
    parcel = order.shipments[-1]
    expected = parcel.estimated_delivery_date
    return parcel.delivered_at is None and expected is not None and (today - expected).days >= grace


def find_cancellation(
    session: Session, order_number: str, customer_id: int, policies: Policies, today: date
) -> CancellationCheck:
    """Checks the verified customer's order; another customer's order reads as not found.

    Args:
        session: Open database session.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        policies: The shop policies.
        today: The current date in the shop's time zone.
    """
    order = find_order_of_customer(session, order_number, customer_id)
    return check_cancellation(order, policies, today)


def cancel_order(
    session: Session,
    order_number: str,
    customer_id: int,
    conversation_id: str,
    policies: Policies,
    today: date,
    now: Optional[datetime] = None,
) -> CancellationCheck:
    """Cancels the verified customer's order if the policy still allows it.

    The order's status changes to ``cancelled`` and an audit row records the
    old and new status. The check is made again inside this transaction, so
    an order that shipped after the customer confirmed is not cancelled.

    Args:
        session: Open database session; the change commits with it.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        conversation_id: The conversation that asked, for the audit trail.
        policies: The shop policies.
        today: The current date in the shop's time zone.
        now: The time of the change; the current time by default.

    Returns:
        The check made before cancelling; ``allowed`` means it is now cancelled.
    """
    order = find_order_of_customer(session, order_number, customer_id)
    check = check_cancellation(order, policies, today)
    if order is None or not check.allowed:
        return check
    old_status = order.status.value
    order.status = OrderStatus.CANCELLED
    record_change(
        session,
        conversation_id,
        AUDIT_ENTITY,
        order.number,
        AUDIT_FIELD,
        old_status,
        OrderStatus.CANCELLED.value,
        now=now or utcnow(),
    )
    session.flush()
    return check

"""Privacy requests, and everything the shop holds about one customer.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction. Every query is limited to one ``customer_id``, so
an export can never pick up another customer's rows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.db.models import (
    Customer,
    Order,
    OrderLine,
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestStatus,
    ReturnLine,
    ReturnRequest,
    SupportCase,
    utcnow,
)


def lock_customer(session: Session, customer_id: int) -> Optional[Customer]:
    """Returns the customer, locking their row until the transaction ends.

    Two conversations of the same customer asking at the same moment then
    take turns, so they cannot both create a request. SQLite, which locks
    the whole database on write, needs no row lock.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
    """
    customer: Optional[Customer] = session.get(Customer, customer_id, with_for_update=True)
    return customer


def find_pending_request(
    session: Session, customer_id: int, kind: PrivacyRequestKind
) -> Optional[PrivacyRequest]:
    """Returns the customer's most recent request of ``kind`` still awaiting staff, if any.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
        kind: Export or erasure.
    """
    request: Optional[PrivacyRequest] = (
        session.execute(
            select(PrivacyRequest)
            .where(
                PrivacyRequest.customer_id == customer_id,
                PrivacyRequest.kind == kind,
                PrivacyRequest.status == PrivacyRequestStatus.PENDING_REVIEW,
            )
            .order_by(PrivacyRequest.created_at.desc(), PrivacyRequest.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    return request


def reference_taken(session: Session, reference: str) -> bool:
    """Tells whether a privacy request already has ``reference``.

    Args:
        session: Open database session.
        reference: A reference such as ``PRIV-123456``.
    """
    found = session.execute(
        select(PrivacyRequest.id).where(PrivacyRequest.reference == reference)
    ).first()
    return found is not None


def add_privacy_request(
    session: Session,
    reference: str,
    customer_id: int,
    kind: PrivacyRequestKind,
    due_on: date,
    conversation_id: str,
    export_path: Optional[str] = None,
    now: Optional[datetime] = None,
) -> PrivacyRequest:
    """Adds a request awaiting staff review and flushes it.

    Args:
        session: Open database session.
        reference: Unique reference, e.g. ``PRIV-123456``.
        customer_id: The verified customer who asked.
        kind: Export or erasure.
        due_on: The date by which the shop must answer.
        conversation_id: The conversation that asked.
        export_path: For an export, the file written for staff.
        now: When the request was made, timezone-aware; the current time by default.

    Returns:
        The new row.
    """
    request = PrivacyRequest(
        reference=reference,
        customer_id=customer_id,
        kind=kind,
        status=PrivacyRequestStatus.PENDING_REVIEW,
        export_path=export_path,
        conversation_id=conversation_id,
        created_at=now or utcnow(),
        due_on=due_on,
    )
    session.add(request)
    session.flush()
    return request


def _of_customer(
    session: Session,
    model: Any,
    customer_id: int,
    options: Sequence[Any] = (),
    oldest_first_by: Any = None,
) -> List[Any]:
    """Every row of ``model`` that belongs to one customer, oldest first.

    Args:
        session: Open database session.
        model: A mapped class with ``customer_id`` and ``id`` columns.
        customer_id: Primary key of the customer.
        options: Loader options for related rows.
        oldest_first_by: The column that orders the rows; ``created_at`` by default.
    """
    when = model.created_at if oldest_first_by is None else oldest_first_by
    rows = session.execute(
        select(model)
        .options(*options)
        .where(model.customer_id == customer_id)
        .order_by(when, model.id)
    ).scalars()
    return list(rows)


def orders_with_details(session: Session, customer_id: int) -> List[Order]:
    """Returns every order of the customer, oldest first, with lines, payments and shipments.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
    """
    options = [
        selectinload(Order.shipping_address),
        selectinload(Order.lines).joinedload(OrderLine.product),
        selectinload(Order.payments),
        selectinload(Order.shipments),
    ]
    return _of_customer(session, Order, customer_id, options, oldest_first_by=Order.placed_at)


def returns_of(session: Session, customer_id: int) -> List[ReturnRequest]:
    """Returns every return of the customer, oldest first, with its lines.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
    """
    options = [
        selectinload(ReturnRequest.order),
        selectinload(ReturnRequest.lines)
        .joinedload(ReturnLine.order_line)
        .joinedload(OrderLine.product),
    ]
    return _of_customer(session, ReturnRequest, customer_id, options)


def support_cases_of(session: Session, customer_id: int) -> List[SupportCase]:
    """Returns every support case of the customer, oldest first.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
    """
    return _of_customer(session, SupportCase, customer_id, [selectinload(SupportCase.order)])


def privacy_requests_of(session: Session, customer_id: int) -> List[PrivacyRequest]:
    """Returns every privacy request of the customer, oldest first.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
    """
    return _of_customer(session, PrivacyRequest, customer_id)

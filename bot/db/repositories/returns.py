"""Returns (RMAs) of orders: looking them up and adding new ones.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional, Sequence, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.db.models import (
    OrderLine,
    ReturnLine,
    ReturnRequest,
    ReturnStatus,
    utcnow,
)


def returns_of_order(session: Session, order_id: int) -> List[ReturnRequest]:
    """Returns every return of one order, oldest first, with its lines and products.

    Args:
        session: Open database session.
        order_id: Primary key of the order.
    """
    requests = session.execute(
        select(ReturnRequest)
        .options(
            selectinload(ReturnRequest.lines)
            .joinedload(ReturnLine.order_line)
            .joinedload(OrderLine.product)
        )
        .where(ReturnRequest.order_id == order_id)
        .order_by(ReturnRequest.created_at, ReturnRequest.id)
    ).scalars()
    return list(requests)


def find_return_by_rma(session: Session, rma: str) -> Optional[ReturnRequest]:
    """Returns the return with the RMA id ``rma`` and its lines, or ``None``.

    Args:
        session: Open database session.
        rma: The RMA id, e.g. ``RMA-482913``.
    """
    request: Optional[ReturnRequest] = session.execute(
        select(ReturnRequest)
        .options(selectinload(ReturnRequest.lines), joinedload(ReturnRequest.order))
        .where(ReturnRequest.rma == rma)
    ).scalar_one_or_none()
    return request


def rma_taken(session: Session, rma: str) -> bool:
    """Tells whether a return already has the RMA id ``rma``.

    Args:
        session: Open database session.
        rma: The RMA id, e.g. ``RMA-482913``.
    """
    found = session.execute(
        select(ReturnRequest.id).where(ReturnRequest.rma == rma).limit(1)
    ).first()
    return found is not None


def add_return_request(
    session: Session,
    *,
    rma: str,
    order_id: int,
    customer_id: int,
    lines: Sequence[Tuple[int, int]],
    reason: str,
    refund_cents: int,
    conversation_id: Optional[str],
    now: Optional[datetime] = None,
) -> ReturnRequest:
    """Adds a requested return for some lines of an order.

    Args:
        session: Open database session.
        rma: The return's unique RMA id.
        order_id: The order the items come from.
        customer_id: The customer returning them.
        lines: ``(order line id, quantity)`` for each line returned.
        reason: Why the customer returns the items, as they said it.
        refund_cents: What will be refunded once the parcel is checked.
        conversation_id: The conversation that asked for the return.
        now: When it was asked for, timezone-aware; the current time by default.

    Returns:
        The new return, flushed.

    Raises:
        ValueError: When no line is given or a quantity is not positive.
    """
    if not lines:
        raise ValueError("a return needs at least one line")
    if any(quantity < 1 for _, quantity in lines):
        raise ValueError(f"return quantities must be positive, got {list(lines)!r}")
    request = ReturnRequest(
        rma=rma,
        order_id=order_id,
        customer_id=customer_id,
        status=ReturnStatus.REQUESTED,
        reason=reason,
        refund_cents=refund_cents,
        conversation_id=conversation_id,
        created_at=now or utcnow(),
        lines=[ReturnLine(order_line_id=line_id, quantity=quantity) for line_id, quantity in lines],
    )
    session.add(request)
    session.flush()
    return request

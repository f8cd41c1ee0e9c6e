"""Support cases: problems with an order that staff put right.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction. Opening a case is a change of state, so
:func:`add_case` writes its audit row in the same transaction.
"""

from __future__ import annotations

import functools
import secrets
from datetime import datetime
from typing import Callable, List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import (
    OPEN_CASE_STATUSES,
    CaseKind,
    CaseRemedy,
    CaseStatus,
    SupportCase,
    utcnow,
)
from bot.db.references import random_reference
from bot.db.repositories.audit import record_change

CASE_REFERENCE_PREFIX = "CASE-"
CASE_REFERENCE_DIGITS = 6
AUDIT_ENTITY = "case"
AUDIT_FIELD = "status"
_MAX_REFERENCE_TRIES = 20


class CaseReferenceExhaustedError(RuntimeError):
    """No unused case reference was found after many random tries."""


def case_reference_taken(session: Session, reference: str) -> bool:
    """Tells whether a case already has ``reference``.

    Args:
        session: Open database session.
        reference: A reference such as ``CASE-042917``.
    """
    found = session.execute(
        select(SupportCase.id).where(SupportCase.reference == reference)
    ).first()
    return found is not None


def new_case_reference(
    session: Session, randbelow: Callable[[int], int] = secrets.randbelow
) -> str:
    """Returns an unused reference: ``CASE-`` and six random digits.

    Args:
        session: Open database session.
        randbelow: Source of random numbers below its argument (for tests).

    Raises:
        CaseReferenceExhaustedError: When every try hit a reference in use.
    """
    return random_reference(
        CASE_REFERENCE_PREFIX,
        functools.partial(case_reference_taken, session),
        CaseReferenceExhaustedError,
        _MAX_REFERENCE_TRIES,
        randbelow,
        CASE_REFERENCE_DIGITS,
    )


def add_case(
    session: Session,
    *,
    customer_id: int,
    kind: CaseKind,
    conversation_id: str,
    order_id: Optional[int] = None,
    order_line_id: Optional[int] = None,
    remedy: Optional[CaseRemedy] = None,
    description: str = "",
    amount_cents: int = 0,
    escalate: bool = False,
    escalation_reason: Optional[str] = None,
    reference: Optional[str] = None,
    now: Optional[datetime] = None,
) -> SupportCase:
    """Opens a support case and records it in the audit trail.

    The audit row is ``case`` / reference / ``status``, from ``None`` to ``open``.

    Args:
        session: Open database session; the case commits with it.
        customer_id: The customer the case is for.
        kind: What the problem is.
        conversation_id: The conversation that opened the case.
        order_id: The order concerned, if any.
        order_line_id: The order line concerned, if any.
        remedy: What the customer chose to put it right, if anything yet.
        description: What happened, in words staff can read.
        amount_cents: The money at stake, in cents.
        escalate: Whether a person should look at the case first.
        escalation_reason: Why, when ``escalate`` is set.
        reference: The case reference; a new random one by default.
        now: When the case was opened, timezone-aware; the current time by default.

    Returns:
        The new case, flushed.

    Raises:
        ValueError: When ``amount_cents`` is negative, or a reason is given
            without ``escalate`` or ``escalate`` without a reason.
    """
    if amount_cents < 0:
        raise ValueError(f"amount_cents must not be negative, got {amount_cents}")
    if escalate != bool(escalation_reason):
        raise ValueError("an escalated case needs a reason, and only an escalated case has one")
    opened_at = now or utcnow()
    case = SupportCase(
        reference=reference or new_case_reference(session),
        customer_id=customer_id,
        order_id=order_id,
        order_line_id=order_line_id,
        kind=kind,
        remedy=remedy,
        status=CaseStatus.OPEN,
        description=description,
        amount_cents=amount_cents,
        escalate=escalate,
        escalation_reason=escalation_reason if escalate else None,
        conversation_id=conversation_id,
        created_at=opened_at,
    )
    session.add(case)
    session.flush()
    record_change(
        session,
        conversation_id,
        AUDIT_ENTITY,
        case.reference,
        AUDIT_FIELD,
        None,
        CaseStatus.OPEN.value,
        now=opened_at,
    )
    return case


def cases_of_customer_since(
    session: Session,
    customer_id: int,
    since: datetime,
    kinds: Optional[Sequence[CaseKind]] = None,
) -> List[SupportCase]:
    """Returns a customer's cases opened at or after ``since``, newest first.

    Args:
        session: Open database session.
        customer_id: The customer.
        since: Earliest opening time, timezone-aware.
        kinds: Only cases of these kinds; every kind when omitted.
    """
    query = select(SupportCase).where(
        SupportCase.customer_id == customer_id, SupportCase.created_at >= since
    )
    if kinds is not None:
        query = query.where(SupportCase.kind.in_(list(kinds)))
    cases = session.execute(
        query.order_by(SupportCase.created_at.desc(), SupportCase.id.desc())
    ).scalars()
    return list(cases)


def open_cases_of_order(
    session: Session, order_id: int, kinds: Optional[Sequence[CaseKind]] = None
) -> List[SupportCase]:
    """Returns the cases of an order that staff have not resolved yet, oldest first.

    Args:
        session: Open database session.
        order_id: The order.
        kinds: Only cases of these kinds; every kind when omitted.
    """
    query = select(SupportCase).where(
        SupportCase.order_id == order_id, SupportCase.status.in_(list(OPEN_CASE_STATUSES))
    )
    if kinds is not None:
        query = query.where(SupportCase.kind.in_(list(kinds)))
    cases = session.execute(query.order_by(SupportCase.created_at, SupportCase.id)).scalars()
    return list(cases)


def find_case(session: Session, reference: str) -> Optional[SupportCase]:
    """Returns the case with ``reference``, or ``None``.

    Args:
        session: Open database session.
        reference: A reference such as ``CASE-042917``.
    """
    case: Optional[SupportCase] = session.execute(
        select(SupportCase).where(SupportCase.reference == reference)
    ).scalar_one_or_none()
    return case

"""Payment problems: what kind of problem it is, and what an order's payments show.

:func:`classify_payment_issue` recognises the obvious cases in a customer's
own words. :func:`examine_charges` reads an order's payments the way a
customer reads their bank statement: a second line may be a duplicate
capture, a hold the bank has not released yet, or a refund.
:func:`review_double_charge` opens a refund case for a real duplicate, once.
"""

from __future__ import annotations

import enum
import re
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Callable, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.db.engine import get_engine, session_scope
from bot.db.models import (
    CaseKind,
    CaseRemedy,
    Order,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    SupportCase,
)
from bot.db.repositories.cases import add_case, new_case_reference, open_cases_of_order
from bot.db.repositories.orders import find_order_of_customer
from bot.knowledge.formatting import format_money, join_words
from bot.knowledge.policies import Policies, load_policies
from bot.orders.cancellation import refundable_cents

# Banks release an authorisation hold on their own, usually within this many days.
HOLD_RELEASE_DAYS = (3, 7)

# Card schemes in ``policies.payment.methods``; the others are ways to pay without a card.
CARD_SCHEMES = frozenset({"visa", "mastercard", "american express", "amex", "maestro"})

METHOD_NAMES = {
    PaymentMethod.CARD: "card",
    PaymentMethod.PAYPAL: "PayPal",
    PaymentMethod.KLARNA: "Klarna",
    PaymentMethod.GIFT_CARD: "gift card",
}

_AWAITING_SHIPMENT = (OrderStatus.PENDING, OrderStatus.PAID)


class PaymentIssue(str, enum.Enum):
    """What went wrong with a payment, as the customer describes it."""

    DECLINED = "declined"
    CHARGED_TWICE = "charged_twice"
    OTHER = "other"


def _phrases(*patterns: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(patterns) + r")\b", re.IGNORECASE)


_DECLINED = _phrases(
    r"declin(?:e|ed|es|ing|d)",
    r"reject(?:ed|s|ing)?",
    r"won'?t go through",
    r"wont go through",
    r"(?:didn'?t|doesn'?t|does not|did not|isn'?t|not) go(?:ing)? through",
)
_CHARGED_TWICE = _phrases(
    r"twice",
    r"double[ds]?(?![- ]?check)",
    r"doble",
    r"duplicate[ds]?",
    r"two (?:charges|payments|debits)",
    r"charged (?:me )?again",
    r"billed (?:me )?again",
    r"charged (?:me )?two times",
    r"2x",
)
_SOMETHING_ELSE = _phrases(r"something else", r"(?:an)?other (?:issue|problem)")


def classify_payment_issue(text: str) -> Optional[PaymentIssue]:
    """Recognises an obvious payment issue in what the customer wrote.

    Args:
        text: The customer's message.

    Returns:
        The issue, or ``None`` when it is not obvious (nothing recognised, or
        words of both a declined payment and a double charge).
    """
    if not isinstance(text, str):
        return None
    normalized = text.replace("\u2019", "'")
    declined = bool(_DECLINED.search(normalized))
    twice = bool(_CHARGED_TWICE.search(normalized))
    if declined != twice:
        return PaymentIssue.DECLINED if declined else PaymentIssue.CHARGED_TWICE
    if not declined and _SOMETHING_ELSE.search(normalized):
        return PaymentIssue.OTHER
    return None


def alternative_methods(policies: Policies) -> Tuple[str, ...]:
    """Returns the accepted ways to pay that need no card, e.g. PayPal and Klarna."""
    return tuple(
        method for method in policies.payment.methods if method.lower() not in CARD_SCHEMES
    )


def duplicate_refund_days(policies: Policies) -> int:
    """Business days to refund a duplicate charge.

    ``payment.duplicate_refund_days`` in ``policies.yml`` when the shop sets
    it, otherwise the refund time of a cancelled order's payment.
    """
    payment = policies.values.get("payment")
    days = payment.get("duplicate_refund_days") if isinstance(payment, dict) else None
    if isinstance(days, int) and not isinstance(days, bool) and days > 0:
        return days
    return policies.cancellation.refund_days


def charge_moment(policies: Policies) -> str:
    """When the shop takes the payment, e.g. ``when your order ships``."""
    payment = policies.values.get("payment")
    moment = payment.get("charged_when") if isinstance(payment, dict) else None
    return moment.strip() if isinstance(moment, str) and moment.strip() else "when your order ships"


class ChargeFinding(str, enum.Enum):
    """What an order's payments explain about a charge that looks doubled."""

    NOT_FOUND = "not_found"
    DOUBLE_CHARGE = "double_charge"
    DUPLICATE_REFUNDED = "duplicate_refunded"
    REFUND_LINE = "refund_line"
    PENDING_HOLD = "pending_hold"
    SINGLE_CHARGE = "single_charge"
    NOT_CHARGED = "not_charged"


@dataclass(frozen=True)
class ChargeLine:
    """One payment as it shows on a statement.

    Attributes:
        amount_cents: The amount.
        day: The day, in the shop's time zone.
        method: How it was paid, as customers say it: ``card``, ``PayPal``.
    """

    amount_cents: int
    day: date
    method: str


@dataclass(frozen=True)
class ChargeCheck:
    """What the payments of a customer's order show.

    Attributes:
        finding: The explanation that fits.
        order_number: Canonical order number; empty when not found.
        currency: ISO 4217 code of the order.
        total_cents: The order total.
        captures: The money taken, one line per succeeded capture.
        hold: The authorisation hold that may show next to (or instead of) a charge.
        refund: The latest refund, for a refund that shows as a second line.
        extra_cents: Money taken beyond the order total and not yet given back.
        case_reference: The refund case for a double charge, e.g. ``CASE-042917``.
        case_is_new: Whether the case was opened just now (else it was open already).
        order_closed: Whether the order was cancelled or returned.
    """

    finding: ChargeFinding
    order_number: str = ""
    currency: str = ""
    total_cents: int = 0
    captures: Tuple[ChargeLine, ...] = ()
    hold: Optional[ChargeLine] = None
    refund: Optional[ChargeLine] = None
    extra_cents: int = 0
    case_reference: str = ""
    case_is_new: bool = False
    order_closed: bool = False


def _line(payment: Payment, zone: ZoneInfo) -> ChargeLine:
    return ChargeLine(
        payment.amount_cents,
        payment.created_at.astimezone(zone).date(),
        METHOD_NAMES.get(payment.method, payment.method.value.replace("_", " ")),
    )


def _succeeded(order: Order, kind: PaymentKind) -> Sequence[Payment]:
    return [
        payment
        for payment in order.payments
        if payment.kind == kind and payment.status == PaymentStatus.SUCCEEDED
    ]


def _hold(order: Order, captured: bool, today: date, zone: ZoneInfo) -> Optional[ChargeLine]:
    """The latest authorisation that a statement may still show as a line of its own.

    A pending authorisation always counts. A succeeded one counts for a few
    days, and for as long as an order awaiting shipment has not been charged:
    the hold then turns into the charge.
    """
    waiting_for_charge = not captured and order.status in _AWAITING_SHIPMENT
    latest: Optional[ChargeLine] = None
    for payment in order.payments:
        if payment.kind != PaymentKind.AUTHORISATION or payment.status == PaymentStatus.FAILED:
            continue
        line = _line(payment, zone)
        recent = today - line.day <= timedelta(days=HOLD_RELEASE_DAYS[1])
        if payment.status == PaymentStatus.PENDING or recent or waiting_for_charge:
            latest = line
    return latest


def examine_charges(order: Optional[Order], today: date, zone: ZoneInfo) -> ChargeCheck:
    """Explains what a customer who thinks they were charged twice is seeing.

    Only succeeded captures take money. Two or more of them adding up to
    more than the order total are a double charge, unless refunds already
    gave the extra back.

    Args:
        order: The verified customer's order, or ``None`` when they have no such order.
        today: The current date in the shop's time zone.
        zone: The shop's time zone, for the dates of payments.

    Returns:
        The finding, with the amounts and dates to quote.
    """
    if order is None:
        return ChargeCheck(ChargeFinding.NOT_FOUND)
    captures = tuple(_line(payment, zone) for payment in _succeeded(order, PaymentKind.CAPTURE))
    refunds = [_line(payment, zone) for payment in _succeeded(order, PaymentKind.REFUND)]
    captured = sum(line.amount_cents for line in captures)
    base = ChargeCheck(
        ChargeFinding.NOT_CHARGED,
        order_number=order.number,
        currency=order.currency,
        total_cents=order.total_cents,
        captures=captures,
        refund=refunds[-1] if refunds else None,
        order_closed=order.status in (OrderStatus.CANCELLED, OrderStatus.RETURNED),
    )
    if len(captures) >= 2 and captured > order.total_cents:
        extra = refundable_cents(order) - order.total_cents
        if extra > 0:
            return replace(base, finding=ChargeFinding.DOUBLE_CHARGE, extra_cents=extra)
        return replace(base, finding=ChargeFinding.DUPLICATE_REFUNDED)
    if refunds and captures:
        return replace(base, finding=ChargeFinding.REFUND_LINE)
    hold = _hold(order, bool(captures), today, zone)
    if hold is not None:
        return replace(base, finding=ChargeFinding.PENDING_HOLD, hold=hold)
    if captures:
        return replace(base, finding=ChargeFinding.SINGLE_CHARGE)
    return base


def open_double_charge_case(session: Session, order: Order) -> Optional[SupportCase]:
    """Returns the double-charge case still open for an order, if there is one."""
    cases = open_cases_of_order(session, order.id, [CaseKind.DOUBLE_CHARGE])
    return cases[-1] if cases else None


def _case_description(check: ChargeCheck) -> str:
    """What staff need to refund the duplicate, in the shop's own words."""
    taken = join_words(
        [
            f"{format_money(line.amount_cents, check.currency)} by {line.method} "
            f"on {line.day.isoformat()}"
            for line in check.captures
        ]
    )
    total = format_money(check.total_cents, check.currency)
    extra = format_money(check.extra_cents, check.currency)
    return (
        f"Order {check.order_number} (total {total}) was charged {len(check.captures)} times: "
        f"{taken}. Refund the extra {extra} to the original payment method."
    )


def review_double_charge(
    session: Session,
    order_number: str,
    customer_id: int,
    conversation_id: str,
    today: date,
    zone: ZoneInfo,
    now: Optional[datetime] = None,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> ChargeCheck:
    """Examines the verified customer's order and opens a refund case for a double charge.

    Another customer's order reads as not found. A double charge opens one
    :class:`~bot.db.models.SupportCase` (kind ``double_charge``, amount the
    extra capture) with an audit row; asking again finds the case already
    open instead of opening a second one.

    Args:
        session: Open database session; the case commits with it.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        conversation_id: The conversation that asked, for the case and the audit trail.
        today: The current date in the shop's time zone.
        zone: The shop's time zone.
        now: The time of the change; the current time by default.
        randbelow: Source of random numbers for the case reference (for tests).

    Returns:
        The check; for a double charge it names the case.
    """
    order = find_order_of_customer(session, order_number, customer_id)
    check = examine_charges(order, today, zone)
    if order is None or check.finding is not ChargeFinding.DOUBLE_CHARGE:
        return check
    existing = open_double_charge_case(session, order)
    if existing is not None:
        return replace(check, case_reference=existing.reference, case_is_new=False)
    case = add_case(
        session,
        customer_id=customer_id,
        kind=CaseKind.DOUBLE_CHARGE,
        conversation_id=conversation_id,
        order_id=order.id,
        remedy=CaseRemedy.REFUND,
        description=_case_description(check),
        amount_cents=check.extra_cents,
        reference=new_case_reference(session, randbelow),
        now=now,
    )
    return replace(check, case_reference=case.reference, case_is_new=True)


def double_charge_for_customer(
    database_url: str, order_number: str, customer_id: int, conversation_id: str, today: date
) -> ChargeCheck:
    """Reviews the verified customer's charges in one transaction.

    Args:
        database_url: The application database.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        conversation_id: The conversation, for the case and the audit trail.
        today: The current date in the shop's time zone.
    """
    zone = ZoneInfo(load_policies().contact.timezone)
    with session_scope(get_engine(database_url)) as session:
        return review_double_charge(
            session, order_number, customer_id, conversation_id, today, zone
        )

"""Damaged, wrong or incomplete items: who may report one, and opening the case.

Only an order that has reached the customer can arrive damaged: a delivered
order, or a shipped one whose parcel the carrier has delivered. The customer
names the item (when the order has more than one line), what is wrong and
whether they want a replacement or a refund; a :class:`SupportCase` is then
opened for the line, for the line's total, with an audit row.

A case is flagged for a person to review first when the item is worth more
than the shop's escalation threshold, or when the customer already had
another problem case within :data:`REPEAT_PROBLEM_WINDOW`.

There is no stock table, so a replacement is always offered; staff contact
the customer when an item cannot be replaced.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import FrozenSet, List, Optional, Sequence, Tuple

from sqlalchemy.orm import Session

from bot.db.engine import get_engine, session_scope
from bot.db.models import (
    CaseKind,
    CaseRemedy,
    Order,
    OrderLine,
    OrderStatus,
    ShipmentStatus,
    SupportCase,
    utcnow,
)
from bot.db.repositories.cases import add_case, cases_of_customer_since, open_cases_of_order
from bot.db.repositories.orders import find_order_of_customer
from bot.knowledge.formatting import format_money, join_words

# Business days from opening a case to handing a replacement (or the missing
# parts) to the carrier. Not in knowledge/policies.yml yet; quoted only here.
REPLACEMENT_DISPATCH_BUSINESS_DAYS = 2
# A problem case within this time before a new one flags the new one.
REPEAT_PROBLEM_WINDOW = timedelta(days=90)
PROBLEM_KINDS: Tuple[CaseKind, ...] = (
    CaseKind.DAMAGED_ITEM,
    CaseKind.WRONG_ITEM,
    CaseKind.MISSING_PARTS,
)
_MAX_WORDS_KEPT = 500

# What customers say when the problem is obvious. A message matching more
# than one kind is not obvious, and the customer is asked.
_PROBLEM_PATTERNS = {
    CaseKind.DAMAGED_ITEM: re.compile(
        r"\b(?:broken|broke|cracked|crack|smashed|shattered|damaged|chipped|dented|crushed)\b"
    ),
    CaseKind.WRONG_ITEM: re.compile(
        r"\bwrong\b|\b(?:not|isn't|isnt|wasn't|wasnt) what i (?:ordered|asked for|paid for)\b"
        r"|\binstead of\b"
    ),
    CaseKind.MISSING_PARTS: re.compile(
        r"\b(?:missing|parts?|pieces?|incomplete)\b|\bnot in the box\b|\bweren't in the box\b"
    ),
}
_REMEDY_PATTERNS = {
    CaseRemedy.REPLACEMENT: re.compile(
        r"\b(?:replace\w*|new one|another one|exchange|swap|send (?:me )?(?:a |an |the )?"
        r"(?:new|right|correct|missing|replacement|another)\b)"
    ),
    CaseRemedy.REFUND: re.compile(r"\b(?:refund\w*|money back|reimburse\w*|my money)\b"),
}
_WORD = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset({"a", "an", "and", "the", "of", "with", "my", "for", "in", "on", "it"})


def _plain(text: str) -> str:
    return text.lower().replace("\u2019", "'")


def classify_problem(text: str) -> Optional[CaseKind]:
    """Tells what is wrong when a message makes it obvious.

    "It arrived broken" is a damaged item, "you sent the wrong colour" a wrong
    item, "two pieces are missing" missing parts.

    Args:
        text: What the customer wrote.

    Returns:
        The kind of problem, or ``None`` when the message names none or more than one.
    """
    plain = _plain(text)
    kinds = [kind for kind, pattern in _PROBLEM_PATTERNS.items() if pattern.search(plain)]
    return kinds[0] if len(kinds) == 1 else None


def problem_kind_from(value: object) -> Optional[CaseKind]:
    """Reads the problem from a button (``damaged_item``) or typed words.

    Args:
        value: The slot value.

    Returns:
        The kind of problem, or ``None`` when it isn't clear.
    """
    text = str(value or "").strip()
    for kind in PROBLEM_KINDS:
        if text == kind.value:
            return kind
    return classify_problem(text)


def remedy_from(value: object) -> Optional[CaseRemedy]:
    """Reads the remedy from a button (``replacement``, ``refund``) or typed words.

    Args:
        value: The slot value.

    Returns:
        The remedy, or ``None`` when it isn't clear.
    """
    text = str(value or "").strip()
    for remedy in CaseRemedy:
        if text == remedy.value:
            return remedy
    plain = _plain(text)
    remedies = [remedy for remedy, pattern in _REMEDY_PATTERNS.items() if pattern.search(plain)]
    return remedies[0] if len(remedies) == 1 else None


class DamageVerdict(str, enum.Enum):
    """Whether a problem with an order can be reported, and if not, why."""

    ELIGIBLE = "eligible"
    NOT_FOUND = "not_found"
    NOT_SENT = "not_sent"
    ON_ITS_WAY = "on_its_way"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    ALREADY_REPORTED = "already_reported"
    NO_ITEM = "no_item"


@dataclass(frozen=True)
class ItemChoice:
    """One line of the order, as the customer picks it.

    Attributes:
        line_id: Primary key of the order line.
        title: ``Blue desk lamp`` or ``4 x Speckled white ceramic mug``.
        product_name: The product with its colour: ``Speckled white ceramic mug``.
        total_cents: Price of the line: quantity times unit price.
    """

    line_id: int
    title: str
    product_name: str
    total_cents: int


@dataclass(frozen=True)
class DamageCheck:
    """What reporting a problem with a customer's order would mean.

    Attributes:
        verdict: Whether a case can be opened.
        order_number: Canonical order number; empty when not found.
        currency: ISO 4217 code of the order.
        items: Every line of the order.
        item: The line concerned: the only one, or the one chosen.
        existing_case: Reference of the open case already reported for the item.
        existing_case_opened: When that case was opened.
    """

    verdict: DamageVerdict
    order_number: str = ""
    currency: str = ""
    items: Tuple[ItemChoice, ...] = ()
    item: Optional[ItemChoice] = None
    existing_case: str = ""
    existing_case_opened: Optional[date] = None

    @property
    def eligible(self) -> bool:
        """Whether the order has arrived and a case can be opened for it."""
        return self.verdict in (
            DamageVerdict.ELIGIBLE,
            DamageVerdict.ALREADY_REPORTED,
            DamageVerdict.NO_ITEM,
        )

    @property
    def needs_item_choice(self) -> bool:
        """Whether the customer has to say which item is affected."""
        return len(self.items) > 1


@dataclass(frozen=True)
class Escalation:
    """Why a person should look at a case first.

    Attributes:
        high_value: The item is worth more than the threshold.
        repeat: The customer had another problem case recently.
        reason: The reason stored on the case, for staff.
    """

    high_value: bool
    repeat: bool
    reason: str


@dataclass(frozen=True)
class DamageReport:
    """The outcome of reporting a problem.

    Attributes:
        check: The check made before the case was opened.
        reference: Reference of the new case; empty when none was opened.
        kind: What is wrong.
        remedy: What the customer chose.
        amount_cents: The line's total, the value of the case.
        escalation: Why the case is flagged, or ``None``.
    """

    check: DamageCheck
    reference: str = ""
    kind: Optional[CaseKind] = None
    remedy: Optional[CaseRemedy] = None
    amount_cents: int = 0
    escalation: Optional[Escalation] = None

    @property
    def opened(self) -> bool:
        """Whether a case was opened."""
        return bool(self.reference)


def _item(line: OrderLine) -> ItemChoice:
    name = line.product.display_name
    title = name if line.quantity == 1 else f"{line.quantity} x {name}"
    return ItemChoice(line.id, title, name, line.line_total_cents)


def has_arrived(order: Order) -> bool:
    """Tells whether an order has reached the customer.

    A delivered order has; a shipped one has when a parcel of it was delivered.
    """
    if order.status == OrderStatus.DELIVERED:
        return True
    if order.status != OrderStatus.SHIPPED:
        return False
    return any(
        shipment.delivered_at is not None or shipment.status == ShipmentStatus.DELIVERED
        for shipment in order.shipments
    )


def _not_arrived(order: Order) -> DamageVerdict:
    if order.status == OrderStatus.CANCELLED:
        return DamageVerdict.CANCELLED
    if order.status == OrderStatus.RETURNED:
        return DamageVerdict.RETURNED
    if order.status == OrderStatus.SHIPPED:
        return DamageVerdict.ON_ITS_WAY
    return DamageVerdict.NOT_SENT


def check_damage(
    order: Optional[Order], line_id: Optional[int], open_cases: Sequence[SupportCase]
) -> DamageCheck:
    """Tells whether a problem with an order's item can be reported.

    Args:
        order: The verified customer's order, or ``None`` when they have no such order.
        line_id: The order line the customer chose; ignored when the order has one line.
        open_cases: The order's problem cases that are still open.

    Returns:
        The verdict, with the order's items and the item concerned.
    """
    if order is None:
        return DamageCheck(DamageVerdict.NOT_FOUND)
    items = tuple(_item(line) for line in order.lines)
    if not has_arrived(order):
        return DamageCheck(_not_arrived(order), order.number, order.currency, items)
    if len(items) == 1:
        item: Optional[ItemChoice] = items[0]
    else:
        item = next((choice for choice in items if choice.line_id == line_id), None)
    if item is None:
        return DamageCheck(DamageVerdict.NO_ITEM, order.number, order.currency, items)
    existing = next((case for case in open_cases if case.order_line_id == item.line_id), None)
    if existing is not None:
        return DamageCheck(
            DamageVerdict.ALREADY_REPORTED,
            order.number,
            order.currency,
            items,
            item,
            existing.reference,
            existing.created_at.date(),
        )
    return DamageCheck(DamageVerdict.ELIGIBLE, order.number, order.currency, items, item)


def _words(text: str) -> FrozenSet[str]:
    words = set()
    for word in _WORD.findall(_plain(text)):
        if word in _STOP_WORDS:
            continue
        if len(word) > 3 and word.endswith("es") and word[-3] in "sxh":
            word = word[:-2]
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return frozenset(words)


def match_item(items: Sequence[ItemChoice], value: object) -> Optional[ItemChoice]:
    """Finds the item a customer means: a button's line id, or the product's name.

    "The mugs" means the Speckled white ceramic mug; "blue" means nothing when
    two items are blue.

    Args:
        items: The order's items.
        value: A line id from a button, or what the customer typed.

    Returns:
        The one item meant, or ``None`` when none or several fit.
    """
    text = str(value or "").strip()
    if text.isdigit():
        return next((item for item in items if str(item.line_id) == text), None)
    typed = _words(text)
    scores = [(len(typed & _words(item.product_name)), item) for item in items]
    best = max((score for score, _ in scores), default=0)
    if best == 0:
        return None
    top = [item for score, item in scores if score == best]
    return top[0] if len(top) == 1 else None


def assess_escalation(
    amount_cents: int,
    currency: str,
    threshold_cents: int,
    earlier_problem_cases: Sequence[SupportCase],
) -> Optional[Escalation]:
    """Tells whether a new case needs a person to look at it first.

    Args:
        amount_cents: Value of the item, in cents.
        currency: ISO 4217 code of the amount and the threshold.
        threshold_cents: Items worth more than this are flagged.
        earlier_problem_cases: The customer's other problem cases within
            :data:`REPEAT_PROBLEM_WINDOW`.

    Returns:
        The escalation, or ``None`` when the case needs none.
    """
    high_value = amount_cents > threshold_cents
    repeat = bool(earlier_problem_cases)
    reasons = []
    if high_value:
        value = format_money(amount_cents, currency)
        reasons.append(f"item value {value} above {format_money(threshold_cents, currency)}")
    if repeat:
        reasons.append(f"second problem within {REPEAT_PROBLEM_WINDOW.days} days")
    if not reasons:
        return None
    return Escalation(high_value, repeat, join_words(reasons))


def describe_problem(
    kind: CaseKind, item: ItemChoice, order_number: str, customer_words: str
) -> str:
    """Writes the case description staff read.

    Args:
        kind: What is wrong.
        item: The item concerned.
        order_number: The order.
        customer_words: The customer's own description; may be empty.
    """
    label = {
        CaseKind.DAMAGED_ITEM: "Damaged item",
        CaseKind.WRONG_ITEM: "Wrong item",
        CaseKind.MISSING_PARTS: "Missing parts",
    }.get(kind, kind.value)
    text = f"{label}: {item.title} on order {order_number}, reported in the chat."
    words = " ".join(customer_words.split())[:_MAX_WORDS_KEPT]
    return f'{text} Customer wrote: "{words}"' if words else text


def _open_problem_cases(session: Session, order: Optional[Order]) -> List[SupportCase]:
    return open_cases_of_order(session, order.id, PROBLEM_KINDS) if order is not None else []


def find_damage_check(
    session: Session, order_number: str, customer_id: int, line_id: Optional[int]
) -> DamageCheck:
    """Checks the verified customer's order; another customer's order reads as not found.

    Args:
        session: Open database session.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        line_id: The order line the customer chose, if any.
    """
    order = find_order_of_customer(session, order_number, customer_id)
    return check_damage(order, line_id, _open_problem_cases(session, order))


def report_damage(
    session: Session,
    order_number: str,
    customer_id: int,
    line_id: Optional[int],
    kind: CaseKind,
    remedy: CaseRemedy,
    conversation_id: str,
    threshold_cents: int,
    customer_words: str = "",
    now: Optional[datetime] = None,
) -> DamageReport:
    """Opens a case for a problem with the verified customer's item, if it can be reported.

    The check is made again inside this transaction, so an item reported
    twice gets one case. The case is for the line's total and is flagged
    when :func:`assess_escalation` says so; an audit row records it.

    Args:
        session: Open database session; the case commits with it.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        line_id: The order line the customer chose; ignored for a one-line order.
        kind: What is wrong; one of :data:`PROBLEM_KINDS`.
        remedy: Replacement or refund.
        conversation_id: The conversation, for the case and the audit trail.
        threshold_cents: Items worth more than this are flagged.
        customer_words: The customer's own description of the problem.
        now: The time of the report; the current time by default.

    Returns:
        The report; ``opened`` means a case now exists.

    Raises:
        ValueError: When ``kind`` is not a problem with an item.
    """
    if kind not in PROBLEM_KINDS:
        raise ValueError(f"{kind} is not a problem with an item")
    now = now or utcnow()
    order = find_order_of_customer(session, order_number, customer_id)
    check = check_damage(order, line_id, _open_problem_cases(session, order))
    if order is None or check.verdict is not DamageVerdict.ELIGIBLE or check.item is None:
        return DamageReport(check)
    item = check.item
    earlier = cases_of_customer_since(
        session, customer_id, now - REPEAT_PROBLEM_WINDOW, PROBLEM_KINDS
    )
    escalation = assess_escalation(item.total_cents, order.currency, threshold_cents, earlier)
    case = add_case(
        session,
        customer_id=customer_id,
        kind=kind,
        conversation_id=conversation_id,
        order_id=order.id,
        order_line_id=item.line_id,
        remedy=remedy,
        description=describe_problem(kind, item, order.number, customer_words),
        amount_cents=item.total_cents,
        escalate=escalation is not None,
        escalation_reason=escalation.reason if escalation else None,
        now=now,
    )
    return DamageReport(check, case.reference, kind, remedy, item.total_cents, escalation)


def damage_check_for_customer(
    database_url: str, order_number: str, customer_id: int, line_id: Optional[int]
) -> DamageCheck:
    """Tells the verified customer whether a problem with their order can be reported.

    Args:
        database_url: The application database.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        line_id: The order line the customer chose, if any.
    """
    with session_scope(get_engine(database_url)) as session:
        return find_damage_check(session, order_number, customer_id, line_id)


def report_damage_for_customer(
    database_url: str,
    order_number: str,
    customer_id: int,
    line_id: Optional[int],
    kind: CaseKind,
    remedy: CaseRemedy,
    conversation_id: str,
    threshold_cents: int,
    customer_words: str = "",
) -> DamageReport:
    """Opens a case for the verified customer's item in its own transaction.

    Args:
        database_url: The application database.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        line_id: The order line the customer chose, if any.
        kind: What is wrong.
        remedy: Replacement or refund.
        conversation_id: The conversation, for the case and the audit trail.
        threshold_cents: Items worth more than this are flagged.
        customer_words: The customer's own description of the problem.

    Returns:
        The report; ``opened`` means a case now exists.
    """
    with session_scope(get_engine(database_url)) as session:
        return report_damage(
            session,
            order_number,
            customer_id,
            line_id,
            kind,
            remedy,
            conversation_id,
            threshold_cents,
            customer_words,
        )

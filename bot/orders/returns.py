"""Returning items of a delivered order: which lines, how much back, and the RMA.

An order can be returned once it has been delivered, for
``policies.returns.window_days`` days after the day its parcel arrived (in the
shop's time zone). Lines already in a return are not returnable again. A new
return gets a unique ``RMA-`` id, is audited, and refunds the chosen lines;
returning a whole order refunds its shipping too, as the returns articles say.

The rules take a :class:`~sqlalchemy.orm.Session` and never commit; the
``*_for_customer`` functions at the end open their own transaction for actions.
"""

from __future__ import annotations

import enum
import functools
import re
import secrets
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.db.engine import get_engine, session_scope
from bot.db.models import (
    Order,
    OrderStatus,
    PaymentKind,
    PaymentStatus,
    ReturnRequest,
    ReturnStatus,
    utcnow,
)
from bot.db.references import random_reference
from bot.db.repositories.audit import record_change
from bot.db.repositories.orders import find_order_of_customer
from bot.db.repositories.returns import add_return_request, returns_of_order, rma_taken
from bot.db.seed import shipping_zone_key
from bot.knowledge.formatting import format_money, join_words
from bot.knowledge.policies import Policies, load_policies

AUDIT_ENTITY = "return"
AUDIT_FIELD = "status"
RMA_PREFIX = "RMA-"
RMA_DIGITS = 6
RMA_ATTEMPTS = 20
ALL_ITEMS = "all"
MAX_REASON_LENGTH = 500
MIN_REASON_LETTERS = 3


class ReturnVerdict(str, enum.Enum):
    """Whether items of an order can be returned now, and if not, why."""

    ALLOWED = "allowed"
    NOT_FOUND = "not_found"
    NOT_SHIPPED = "not_shipped"
    IN_TRANSIT = "in_transit"
    CANCELLED = "cancelled"
    ALREADY_RETURNED = "already_returned"
    DELIVERY_UNKNOWN = "delivery_unknown"
    WINDOW_CLOSED = "window_closed"
    NOTHING_LEFT = "nothing_left"


class ReturnItemsUnavailableError(Exception):
    """None of the chosen lines can be returned (any more)."""


class RmaUnavailableError(Exception):
    """No free RMA id was found in :data:`RMA_ATTEMPTS` draws."""


def describe_quantity(name: str, quantity: int) -> str:
    """Names some units of a product: ``the Blue desk lamp`` or ``2 x Mustard cushion cover``."""
    return f"the {name}" if quantity == 1 else f"{quantity} x {name}"


@dataclass(frozen=True)
class ReturnableLine:
    """An order line, or what is left of it, that can still be returned.

    Attributes:
        line_id: Primary key of the order line.
        name: The product as customers see it: ``Blue desk lamp``.
        quantity: Units not yet in a return.
        unit_price_cents: Price paid per unit.
        currency: ISO 4217 code of the order.
        name_words: Words of the product name without its colour (``desk``, ``lamp``).
        colour_words: Words of its colour (``speckled``, ``white``).
    """

    line_id: int
    name: str
    quantity: int
    unit_price_cents: int
    currency: str
    name_words: Tuple[str, ...] = ()
    colour_words: Tuple[str, ...] = ()

    @property
    def refund_cents(self) -> int:
        """What returning these units gives back."""
        return self.quantity * self.unit_price_cents

    @property
    def title(self) -> str:
        """A button title: ``Blue desk lamp (x1, €34.99)``."""
        return f"{self.name} (x{self.quantity}, {format_money(self.refund_cents, self.currency)})"

    @property
    def description(self) -> str:
        """The units in a sentence: ``the Blue desk lamp``."""
        return describe_quantity(self.name, self.quantity)


@dataclass(frozen=True)
class ExistingReturn:
    """A return already made for the order, as its customer sees it.

    Attributes:
        rma: The RMA id.
        status: Where the return is.
        items: What is in it: ``the Blue desk lamp and 2 x Mustard cushion cover``.
        refund_cents: What is (or was) refunded for it.
        currency: ISO 4217 code of the order.
        refunded_on: The day the money went back, once refunded.
    """

    rma: str
    status: ReturnStatus
    items: str
    refund_cents: int
    currency: str
    refunded_on: Optional[date] = None


@dataclass(frozen=True)
class ReturnCheck:
    """What returning items of a customer's order would mean.

    Attributes:
        verdict: Whether a new return can start.
        order_number: Canonical order number; empty when not found.
        currency: ISO 4217 code of the order.
        delivered_on: The day the order arrived, when it did.
        last_day: The last day of the returns window, when it was delivered.
        lines: The lines that can still be returned (only when allowed).
        existing: Returns already made for the order, oldest first.
        free_label: Whether the order's shipping zone gets a prepaid return label.
        zone_name: The name of that zone, e.g. ``Ireland``.
        can_cancel: Whether the order can still be cancelled instead.
        refunded_cents: For an order returned without an RMA: the money given back.
        refunded_on: For such an order: the day of the latest refund.
    """

    verdict: ReturnVerdict
    order_number: str = ""
    currency: str = ""
    delivered_on: Optional[date] = None
    last_day: Optional[date] = None
    lines: Tuple[ReturnableLine, ...] = ()
    existing: Tuple[ExistingReturn, ...] = ()
    free_label: bool = False
    zone_name: str = ""
    can_cancel: bool = False
    refunded_cents: int = 0
    refunded_on: Optional[date] = None

    @property
    def allowed(self) -> bool:
        """Whether a new return can start now."""
        return self.verdict is ReturnVerdict.ALLOWED


@dataclass(frozen=True)
class CreatedReturn:
    """A return just made, with what the customer needs to send it.

    Attributes:
        rma: The new RMA id.
        order_number: The order the items come from.
        items: What is returned: ``the Blue desk lamp and 4 x Speckled white ceramic mug``.
        refund_cents: The refund, shipping included when the whole order comes back.
        shipping_refund_cents: The part of the refund that is the original shipping.
        currency: ISO 4217 code of the order.
        free_label: Whether the customer gets a prepaid return label.
        zone_name: The name of the order's shipping zone, e.g. ``Ireland``.
        damaged: Whether the reason says the items arrived damaged.
    """

    rma: str
    order_number: str
    items: str
    refund_cents: int
    shipping_refund_cents: int
    currency: str
    free_label: bool
    zone_name: str
    damaged: bool


# -- reading an order ---------------------------------------------------------------


def _local_date(moment: datetime, policies: Policies) -> date:
    return moment.astimezone(ZoneInfo(policies.contact.timezone)).date()


def delivery_date(order: Order, policies: Policies) -> Optional[date]:
    """Returns the day the order's (last) parcel was delivered, in the shop's time zone.

    Args:
        order: The order, with its shipments loaded.
        policies: The shop policies (for the time zone).

    Returns:
        The date, or ``None`` when no parcel has a delivery time.
    """
    moments = [shipment.delivered_at for shipment in order.shipments if shipment.delivered_at]
    return _local_date(max(moments), policies) if moments else None


def returned_quantities(returns: Iterable[ReturnRequest]) -> Dict[int, int]:
    """Adds up, per order line id, the units already in a return."""
    taken: Dict[int, int] = defaultdict(int)
    for request in returns:
        for line in request.lines:
            taken[line.order_line_id] += line.quantity
    return dict(taken)


def _words(text: str) -> Tuple[str, ...]:
    """Lower-case ASCII words of ``text``, accents removed."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).lower()
    return tuple(re.findall(r"[a-z0-9]+", plain))


def returnable_lines(order: Order, returns: Iterable[ReturnRequest]) -> Tuple[ReturnableLine, ...]:
    """Lists the order's lines with units not yet in a return.

    Args:
        order: The order, with its lines and products loaded.
        returns: The order's returns, with their lines.
    """
    taken = returned_quantities(returns)
    lines = []
    for line in order.lines:
        left = line.quantity - taken.get(line.id, 0)
        if left <= 0:
            continue
        lines.append(
            ReturnableLine(
                line_id=line.id,
                name=line.product.display_name,
                quantity=left,
                unit_price_cents=line.unit_price_cents,
                currency=order.currency,
                name_words=_words(line.product.name),
                colour_words=_words(line.product.colour or ""),
            )
        )
    return tuple(lines)


def _existing(
    order: Order, returns: Iterable[ReturnRequest], policies: Policies
) -> Tuple[ExistingReturn, ...]:
    described = []
    for request in returns:
        items = join_words(
            [
                describe_quantity(line.order_line.product.display_name, line.quantity)
                for line in request.lines
            ]
        )
        refunded_on = (
            _local_date(request.refunded_at, policies)
            if request.refunded_at and request.status is ReturnStatus.REFUNDED
            else None
        )
        described.append(
            ExistingReturn(
                request.rma,
                request.status,
                items or "your items",
                request.refund_cents,
                order.currency,
                refunded_on,
            )
        )
    return tuple(described)


def _refunds(order: Order, policies: Policies) -> Tuple[int, Optional[date]]:
    refunds = [
        payment
        for payment in order.payments
        if payment.kind is PaymentKind.REFUND and payment.status is PaymentStatus.SUCCEEDED
    ]
    if not refunds:
        return 0, None
    latest = max(payment.created_at for payment in refunds)
    return sum(payment.amount_cents for payment in refunds), _local_date(latest, policies)


_NOT_DELIVERED = {
    OrderStatus.PENDING: ReturnVerdict.NOT_SHIPPED,
    OrderStatus.PAID: ReturnVerdict.NOT_SHIPPED,
    OrderStatus.SHIPPED: ReturnVerdict.IN_TRANSIT,
    OrderStatus.CANCELLED: ReturnVerdict.CANCELLED,
    OrderStatus.RETURNED: ReturnVerdict.ALREADY_RETURNED,
}


def assess_return(
    order: Optional[Order],
    returns: Sequence[ReturnRequest],
    policies: Policies,
    today: date,
) -> ReturnCheck:
    """Tells whether items of an order can be returned under the shop's policy.

    Args:
        order: The verified customer's order, or ``None`` when they have no such order.
        returns: The order's returns, with their lines.
        policies: The shop policies (returns window, free return zones).
        today: The current date in the shop's time zone.

    Returns:
        The verdict with what the customer needs to hear.
    """
    if order is None:
        return ReturnCheck(ReturnVerdict.NOT_FOUND)
    zone_key = shipping_zone_key(order.shipping_address.country)
    delivered_on = delivery_date(order, policies)
    last_day = delivered_on + timedelta(days=policies.returns.window_days) if delivered_on else None
    lines = returnable_lines(order, returns)
    refunded_cents, refunded_on = _refunds(order, policies)
    if order.status is OrderStatus.DELIVERED:
        if delivered_on is None or last_day is None:
            verdict = ReturnVerdict.DELIVERY_UNKNOWN
        elif today > last_day:
            verdict = ReturnVerdict.WINDOW_CLOSED
        elif not lines:
            verdict = ReturnVerdict.NOTHING_LEFT
        else:
            verdict = ReturnVerdict.ALLOWED
    else:
        verdict = _NOT_DELIVERED[order.status]
    return ReturnCheck(
        verdict=verdict,
        order_number=order.number,
        currency=order.currency,
        delivered_on=delivered_on,
        last_day=last_day,
        lines=lines if verdict is ReturnVerdict.ALLOWED else (),
        existing=_existing(order, returns, policies),
        free_label=zone_key in policies.returns.free_return_zones,
        zone_name=policies.shipping.zones[zone_key].name,
        can_cancel=policies.cancellation.allows(order.status.value),
        refunded_cents=refunded_cents,
        refunded_on=refunded_on,
    )


def find_return_check(
    session: Session, order_number: str, customer_id: int, policies: Policies, today: date
) -> ReturnCheck:
    """Checks the verified customer's order; another customer's order reads as not found.

    Args:
        session: Open database session.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        policies: The shop policies.
        today: The current date in the shop's time zone.
    """
    order = find_order_of_customer(session, order_number, customer_id)
    returns = returns_of_order(session, order.id) if order is not None else []
    return assess_return(order, returns, policies, today)


# -- what the customer said ---------------------------------------------------------

# A message that means every returnable line.
_ALL_WORDS = frozenset({"all", "everything", "both", "whole", "entire"})
# Between two items: "the lamp and the mug", "lamp, mug & tote".
_ITEM_SEPARATORS = re.compile(r"\s*(?:,|;|&|\+|/|\band\b|\bplus\b|\bas well as\b)\s*")


@dataclass(frozen=True)
class ItemChoice:
    """The lines a customer picked.

    Attributes:
        line_ids: The chosen order line ids, in the order's order; empty when unclear.
        ambiguous: When a mention fits several lines equally well: those lines.
    """

    line_ids: Tuple[int, ...] = ()
    ambiguous: Tuple[ReturnableLine, ...] = ()


def _same_word(typed: str, word: str) -> bool:
    """``mugs`` and ``mug``, ``boxes`` and ``box``, ``accessories`` and ``accessory``."""
    if typed == word or typed in (f"{word}s", f"{word}es"):
        return True
    return word.endswith("y") and typed == f"{word[:-1]}ies"


def _score(words: Sequence[str], line: ReturnableLine) -> int:
    """How well a mention fits a line: name words count double, colour words once."""
    name_hits = sum(1 for word in line.name_words if any(_same_word(t, word) for t in words))
    colour_hits = sum(1 for word in line.colour_words if word in words)
    return 2 * name_hits + colour_hits


def _match_mention(
    mention: str, lines: Sequence[ReturnableLine]
) -> Tuple[List[ReturnableLine], bool]:
    """The best lines for one mention, and whether it says "all" ("both", "everything"...)."""
    words = _words(mention)
    scores = [(_score(words, line), line) for line in lines]
    best = max((score for score, _ in scores), default=0)
    matches = [line for score, line in scores if best > 0 and score == best]
    return matches, bool(_ALL_WORDS.intersection(words))


def choose_items(value: Any, lines: Sequence[ReturnableLine]) -> ItemChoice:
    """Works out which returnable lines a customer chose.

    Accepts what the ``return_items`` slot holds: a button's line id or
    ``all``, or typed text naming one or several products ("the lamp and the
    mug", "the navy tote bag", "both mugs", "everything"), alone or in a list.

    Args:
        value: The slot value: text, a line id, or a list of those.
        lines: The lines that can be returned.

    Returns:
        The chosen lines; no lines when nothing fits, and the candidates when a
        mention fits several lines equally well.
    """
    values = value if isinstance(value, (list, tuple)) else [value]
    by_id = {str(line.line_id): line for line in lines}
    chosen: Dict[int, ReturnableLine] = {}
    said_all = False
    for item in values:
        text = str(item or "").strip()
        if text.lower() == ALL_ITEMS:
            said_all = True
            continue
        if text in by_id:
            chosen[by_id[text].line_id] = by_id[text]
            continue
        for mention in _ITEM_SEPARATORS.split(text.lower()):
            matches, means_all = _match_mention(mention, lines)
            if not matches:
                said_all = said_all or means_all
                continue
            if len(matches) > 1 and not means_all:
                return ItemChoice(ambiguous=tuple(matches))
            chosen.update((line.line_id, line) for line in matches)
    if said_all and not chosen:
        return ItemChoice(tuple(line.line_id for line in lines))
    return ItemChoice(tuple(line.line_id for line in lines if line.line_id in chosen))


def clean_reason(text: Any) -> Optional[str]:
    """Returns the customer's reason for a return, tidied, or ``None`` when it is no reason.

    Control characters are dropped, spaces collapsed and the text cut to
    :data:`MAX_REASON_LENGTH` characters. It must contain at least
    :data:`MIN_REASON_LETTERS` letters. The text is kept as the customer
    wrote it; it is stored as data and never interpreted.
    """
    if not isinstance(text, str):
        return None
    printable = "".join(char if char.isprintable() else " " for char in text)
    tidy = " ".join(printable.split())[:MAX_REASON_LENGTH].strip()
    if sum(1 for char in tidy if char.isalpha()) < MIN_REASON_LETTERS:
        return None
    return tidy


_DAMAGE_WORDS = frozenset(
    {
        "damaged", "damage", "broken", "broke", "cracked", "crack", "smashed", "shattered",
        "dented", "scratched", "torn", "ripped", "chipped", "faulty", "defective", "leaking",
    }
)  # fmt: skip
_NOT_WORKING = re.compile(r"\b(?:doesn'?t|does not|not|stopped|won'?t) work", re.IGNORECASE)


def is_damage_reason(reason: str) -> bool:
    """Tells whether a return reason says the items arrived damaged or faulty."""
    return bool(_DAMAGE_WORDS.intersection(_words(reason))) or bool(_NOT_WORKING.search(reason))


# -- making a return ------------------------------------------------------------------


def new_rma(session: Session, draw: Optional[Callable[[], int]] = None) -> str:
    """Draws a random RMA id (``RMA-`` and six digits) that no return has yet.

    Args:
        session: Open database session.
        draw: Returns a number below 10**6; a cryptographic random number by default.

    Raises:
        RmaUnavailableError: When :data:`RMA_ATTEMPTS` draws all clash with existing ids.
    """

    def randbelow(bound: int) -> int:
        return draw() if draw is not None else secrets.randbelow(bound)

    return random_reference(
        RMA_PREFIX,
        functools.partial(rma_taken, session),
        RmaUnavailableError,
        RMA_ATTEMPTS,
        randbelow,
        RMA_DIGITS,
    )


def _shipping_refund(order: Order, chosen: Sequence[ReturnableLine], first_return: bool) -> int:
    """The original shipping, refunded when this return takes back the whole order."""
    whole = first_return and {line.line_id: line.quantity for line in chosen} == {
        line.id: line.quantity for line in order.lines
    }
    return order.shipping_cents if whole else 0


def start_return(
    session: Session,
    order_number: str,
    customer_id: int,
    line_ids: Optional[Sequence[int]],
    reason: str,
    conversation_id: str,
    policies: Policies,
    today: date,
    now: Optional[datetime] = None,
    draw: Optional[Callable[[], int]] = None,
) -> Tuple[ReturnCheck, Optional[CreatedReturn]]:
    """Creates a return for the verified customer's order if the policy allows it.

    The check is made again inside this transaction, so lines returned in the
    meantime are not returned twice. An audit row records the new return's
    status.

    Args:
        session: Open database session; the return commits with it.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        line_ids: The order lines to return, all their units not yet returned;
            ``None`` for every returnable line.
        reason: Why, as the customer said it (see :func:`clean_reason`).
        conversation_id: The conversation that asked, for the return and the audit trail.
        policies: The shop policies.
        today: The current date in the shop's time zone.
        now: The time of the request; the current time by default.
        draw: Source of RMA numbers, see :func:`new_rma`.

    Returns:
        The check made first, and the new return (``None`` when not allowed).

    Raises:
        ReturnItemsUnavailableError: When none of ``line_ids`` can be returned.
        RmaUnavailableError: When no free RMA id was found.
    """
    order = find_order_of_customer(session, order_number, customer_id)
    returns = returns_of_order(session, order.id) if order is not None else []
    check = assess_return(order, returns, policies, today)
    if order is None or not check.allowed:
        return check, None
    wanted = None if line_ids is None else {int(line_id) for line_id in line_ids}
    chosen = [line for line in check.lines if wanted is None or line.line_id in wanted]
    if not chosen:
        raise ReturnItemsUnavailableError(
            f"no returnable line among {line_ids!r} of {order.number}"
        )
    shipping = _shipping_refund(order, chosen, first_return=not returns)
    refund = sum(line.refund_cents for line in chosen) + shipping
    rma = new_rma(session, draw)
    moment = now or utcnow()
    add_return_request(
        session,
        rma=rma,
        order_id=order.id,
        customer_id=customer_id,
        lines=[(line.line_id, line.quantity) for line in chosen],
        reason=reason,
        refund_cents=refund,
        conversation_id=conversation_id,
        now=moment,
    )
    record_change(
        session,
        conversation_id,
        AUDIT_ENTITY,
        rma,
        AUDIT_FIELD,
        None,
        ReturnStatus.REQUESTED.value,
        now=moment,
    )
    created = CreatedReturn(
        rma=rma,
        order_number=order.number,
        items=join_words([line.description for line in chosen]),
        refund_cents=refund,
        shipping_refund_cents=shipping,
        currency=order.currency,
        free_label=check.free_label,
        zone_name=check.zone_name,
        damaged=is_damage_reason(reason),
    )
    return check, created


# -- one transaction each, for actions --------------------------------------------------


def return_check_for_customer(
    database_url: str, order_number: str, customer_id: int, today: date
) -> ReturnCheck:
    """Tells the verified customer whether items of their order can be returned.

    Args:
        database_url: The application database.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        today: The current date in the shop's time zone.
    """
    with session_scope(get_engine(database_url)) as session:
        return find_return_check(session, order_number, customer_id, load_policies(), today)


def start_return_for_customer(
    database_url: str,
    order_number: str,
    customer_id: int,
    line_ids: Optional[Sequence[int]],
    reason: str,
    conversation_id: str,
    today: date,
) -> Tuple[ReturnCheck, Optional[CreatedReturn]]:
    """Creates a return for the verified customer's order when the policy allows it.

    Args:
        database_url: The application database.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        line_ids: The order lines to return; ``None`` for every returnable line.
        reason: Why, as the customer said it.
        conversation_id: The conversation, for the return and the audit trail.
        today: The current date in the shop's time zone.

    Returns:
        See :func:`start_return`.

    Raises:
        ReturnItemsUnavailableError: When none of ``line_ids`` can be returned.
        RmaUnavailableError: When no free RMA id was found.
    """
    with session_scope(get_engine(database_url)) as session:
        return start_return(
            session,
            order_number,
            customer_id,
            line_ids,
            reason,
            conversation_id,
            load_policies(),
            today,
        )

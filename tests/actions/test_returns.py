from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

import actions.returns as returns_actions
from actions.returns import (
    ActionAskReturnItems,
    ActionAskReturnOrderNumber,
    ActionAskReturnReason,
    ActionReturnRefund,
    ValidateReturnForm,
)
from actions.verification import CODE_LOCKED
from bot.db.engine import get_engine, session_scope
from bot.db.models import (
    AuditEntry,
    Customer,
    Order,
    OrderStatus,
    PaymentKind,
    ReturnRequest,
    ReturnStatus,
)
from bot.db.repositories.returns import add_return_request
from bot.db.seed import shipping_zone_key
from bot.knowledge.formatting import format_money
from bot.orders import messages
from bot.orders import returns_messages as texts
from tests.actions.conftest import make_tracker

DOMAIN = {
    "forms": {
        "return_form": {
            "required_slots": [
                "order_number",
                "email",
                "verification_code",
                "return_items",
                "return_reason",
            ]
        }
    },
    "slots": {
        "order_number": {},
        "email": {},
        "verification_code": {},
        "return_items": {},
        "return_reason": {},
        "return_status_shown": {},
        "customer_id": {},
    },
}
FORGET = [
    SlotSet("order_number", None),
    SlotSet("email", None),
    SlotSet("verification_code", None),
    SlotSet("return_items", None),
    SlotSet("return_reason", None),
]


@dataclass(frozen=True)
class DemoLine:
    id: int
    name: str
    quantity: int
    total_cents: int


@dataclass(frozen=True)
class DemoOrder:
    number: str
    customer_id: int
    lines: Tuple[DemoLine, ...]
    shipping_cents: int
    zone: str


@pytest.fixture
def shop(demo_shop) -> Iterator[Any]:
    """The demo shop; every return made in a test is removed afterwards."""
    yield demo_shop
    with session_scope(get_engine(demo_shop.database_url)) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.entity == "return"))
        session.execute(delete(ReturnRequest))


def jane(settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar()


def returnable_order(
    settings, lines: int, zone: Optional[str] = None, not_of: Optional[int] = None
) -> DemoOrder:
    """A delivered order well inside the returns window, with ``lines`` lines (or more)."""
    recent = datetime.now(timezone.utc) - timedelta(days=25)
    with session_scope(get_engine(settings.database_url)) as session:
        for order in (
            session.query(Order).filter_by(status=OrderStatus.DELIVERED).order_by(Order.id)
        ):
            delivered = [s.delivered_at for s in order.shipments if s.delivered_at]
            order_zone = shipping_zone_key(order.shipping_address.country)
            if (
                delivered
                and max(delivered) > recent
                and (len(order.lines) == lines if lines == 1 else len(order.lines) >= lines)
                and (zone is None or order_zone == zone)
                and order.customer_id != not_of
            ):
                return DemoOrder(
                    order.number,
                    order.customer_id,
                    tuple(
                        DemoLine(
                            line.id,
                            line.product.display_name,
                            line.quantity,
                            line.line_total_cents,
                        )
                        for line in order.lines
                    ),
                    order.shipping_cents,
                    order_zone,
                )
    raise AssertionError("the demo shop has no such order")


def tracker_for(
    number: Optional[str],
    customer_id: Optional[int],
    sender: str = "returns-test",
    **slots: Any,
):
    return make_tracker(
        slots={
            "order_number": number,
            "customer_id": str(customer_id) if customer_id is not None else None,
            **slots,
        },
        active_loop="return_form",
        sender_id=sender,
    )


def finish(
    number: Optional[str], customer_id: Optional[int], sender: str = "returns-test", **slots: Any
) -> Tuple[list, List[str]]:
    dispatcher = CollectingDispatcher()
    events = ActionReturnRefund().run(
        dispatcher, tracker_for(number, customer_id, sender, **slots), {}
    )
    return events, [message["text"] for message in dispatcher.messages]


def stored_returns(settings) -> List[Dict[str, Any]]:
    with session_scope(get_engine(settings.database_url)) as session:
        return [
            {
                "rma": request.rma,
                "order": request.order.number,
                "customer_id": request.customer_id,
                "status": request.status,
                "reason": request.reason,
                "refund_cents": request.refund_cents,
                "conversation_id": request.conversation_id,
                "lines": [(line.order_line_id, line.quantity) for line in request.lines],
            }
            for request in session.execute(select(ReturnRequest)).scalars()
        ]


async def required(number: str, customer_id: int, **slots: Any) -> list:
    tracker = tracker_for(number, customer_id, **slots)
    return await ValidateReturnForm().required_slots([], CollectingDispatcher(), tracker, DOMAIN)


# -- which questions the form asks ---------------------------------------------------


async def test_items_are_asked_only_when_several_lines_can_go_back(shop):
    several = returnable_order(shop, lines=2)
    single = returnable_order(shop, lines=1)
    assert await required(several.number, several.customer_id) == [
        "order_number",
        "return_items",
        "return_reason",
    ]
    assert await required(single.number, single.customer_id) == ["order_number", "return_reason"]
    assert await required("ORD-100001", jane(shop)) == ["order_number"]  # window closed


def test_the_order_question_shows_an_order_number_example():
    dispatcher = CollectingDispatcher()
    ActionAskReturnOrderNumber().run(dispatcher, make_tracker(), {})
    assert dispatcher.messages[0]["text"] == (
        "I can help you return items. Which order would you like to return items from? The "
        "order number is in your confirmation email and looks like ORD-123456."
    )


def test_the_items_question_has_a_button_per_line_and_one_for_all(shop):
    order = returnable_order(shop, lines=2)
    dispatcher = CollectingDispatcher()
    ActionAskReturnItems().run(dispatcher, tracker_for(order.number, order.customer_id), {})
    [message] = dispatcher.messages
    assert message["text"] == texts.ask_return_items(order.number)
    assert message["buttons"] == [
        *(
            {
                "title": f"{line.name} (x{line.quantity}, {format_money(line.total_cents, 'EUR')})",
                "payload": f'/inform{{"return_item":"{line.id}"}}',
            }
            for line in order.lines
        ),
        {"title": "All items", "payload": '/inform{"return_item":"all"}'},
    ]


def test_the_reason_question_names_the_items_and_offers_common_reasons(shop):
    order = returnable_order(shop, lines=2)
    first = order.lines[0]
    dispatcher = CollectingDispatcher()
    tracker = tracker_for(order.number, order.customer_id, return_items=[str(first.id)])
    ActionAskReturnReason().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    described = f"the {first.name}" if first.quantity == 1 else f"{first.quantity} x {first.name}"
    assert message["text"] == (
        f"Got it: {described}. What's the reason for the return? Pick one below or tell me in "
        "your own words."
    )
    assert [button["title"] for button in message["buttons"]] == [
        "Doesn't fit",
        "Changed my mind",
        "Not as described",
        "Arrived damaged",
    ]
    assert message["buttons"][3]["payload"] == '/inform{"return_reason":"Arrived damaged"}'


# -- validating the answers -------------------------------------------------------------


def validate_items(order: DemoOrder, value: Any) -> Tuple[Dict[str, Any], List[str]]:
    dispatcher = CollectingDispatcher()
    result = ValidateReturnForm().validate_return_items(
        value, dispatcher, tracker_for(order.number, order.customer_id), DOMAIN
    )
    return result, [message["text"] for message in dispatcher.messages]


def test_typed_product_names_choose_the_items(shop):
    order = returnable_order(shop, lines=2)
    first, second = order.lines[:2]
    typed = f"the {first.name.lower()} and the {second.name.lower()}"
    result, said = validate_items(order, [typed])
    assert said == []
    assert result == {"return_items": [str(first.id), str(second.id)]}


def test_the_all_items_button_chooses_every_line(shop):
    order = returnable_order(shop, lines=2)
    result, _ = validate_items(order, ["all"])
    assert result == {"return_items": [str(line.id) for line in order.lines]}


@pytest.mark.parametrize("typed", ["1' OR '1'='1", "<script>alert(1)</script>", "the spaceship"])
def test_unrecognised_items_are_asked_again(shop, typed):
    order = returnable_order(shop, lines=2)
    result, said = validate_items(order, [typed])
    assert result == {"return_items": None}
    assert said == [texts.ITEMS_NOT_RECOGNISED]


def test_a_line_of_another_order_is_not_accepted(shop):
    order = returnable_order(shop, lines=2)
    other = returnable_order(shop, lines=1)
    result, said = validate_items(order, [str(other.lines[0].id)])
    assert result == {"return_items": None}
    assert said == [texts.ITEMS_NOT_RECOGNISED]


@pytest.mark.parametrize(
    ("typed", "kept"), [("no", None), ("  It's too   small ", "It's too small")]
)
def test_the_reason_needs_a_few_words(typed, kept):
    dispatcher = CollectingDispatcher()
    result = ValidateReturnForm().validate_return_reason(typed, dispatcher, make_tracker(), DOMAIN)
    assert result == {"return_reason": kept}
    assert [m["text"] for m in dispatcher.messages] == (
        [texts.REASON_TOO_SHORT] if not kept else []
    )


# -- booking the return ------------------------------------------------------------------


def test_a_return_is_booked_with_its_rma_refund_and_instructions(shop):
    order = returnable_order(shop, lines=2, zone="domestic")
    first, second = order.lines[:2]
    sender = f"returns-{uuid.uuid4()}"
    events, said = finish(
        order.number,
        order.customer_id,
        sender,
        return_items=[str(first.id), str(second.id)],
        return_reason="Doesn't fit",
    )
    assert events == [
        *FORGET,
        SlotSet("customer_id", str(order.customer_id)),
        SlotSet("return_status_shown", None),
    ]
    [stored] = stored_returns(shop)
    rma = stored["rma"]
    assert re.fullmatch(r"RMA-\d{6}", rma)
    refund = first.total_cents + second.total_cents
    whole = len(order.lines) == 2
    if whole:
        refund += order.shipping_cents
    assert stored == {
        "rma": rma,
        "order": order.number,
        "customer_id": order.customer_id,
        "status": ReturnStatus.REQUESTED,
        "reason": "Doesn't fit",
        "refund_cents": refund,
        "conversation_id": sender,
        "lines": [(first.id, first.quantity), (second.id, second.quantity)],
    }

    def named(line: DemoLine) -> str:
        return f"the {line.name}" if line.quantity == 1 else f"{line.quantity} x {line.name}"

    shipping = (
        f" (including the {format_money(order.shipping_cents, 'EUR')} you paid for shipping)"
        if whole and order.shipping_cents
        else ""
    )
    assert said == [
        f"Done: your return {rma} for {named(first)} and {named(second)} from order "
        f"{order.number} is booked. Please pack the items securely and write {rma} clearly on "
        "the parcel. Returns from Ireland are free: we'll email you a prepaid return label to "
        "stick on the parcel. Once it reaches our warehouse, we'll refund "
        f"{format_money(refund, 'EUR')}{shipping} to your original payment method within 5 "
        "business days."
    ]
    with session_scope(get_engine(shop.database_url)) as session:
        [row] = session.query(AuditEntry).filter_by(entity="return", entity_id=rma).all()
        assert (row.field, row.old_value, row.new_value, row.conversation_id) == (
            "status",
            None,
            "requested",
            sender,
        )


def test_outside_ireland_the_customer_sends_it_at_their_own_cost(shop):
    order = returnable_order(shop, lines=1, zone="international")
    _, [text] = finish(order.number, order.customer_id, return_reason="Changed my mind")
    assert "Returns from the rest of the world are sent at your own cost" in text
    assert "prepaid" not in text


def test_a_damaged_item_is_returned_and_the_faster_damage_report_offered(shop):
    order = returnable_order(shop, lines=1)
    _, [text] = finish(order.number, order.customer_id, return_reason="Arrived damaged")
    [stored] = stored_returns(shop)
    assert stored["reason"] == "Arrived damaged"
    assert text.startswith(f"Done: your return {stored['rma']} for ")
    assert text.endswith(
        "As it arrived damaged: a damaged-item report gets you a free replacement or refund "
        'faster. Just say "my item arrived broken" and I\'ll take it from there.'
    )


def test_a_script_looking_reason_is_stored_as_plain_text(shop):
    order = returnable_order(shop, lines=1)
    reason = "<script>alert('x')</script> 1' OR '1'='1"
    _, [text] = finish(order.number, order.customer_id, return_reason=reason)
    assert text.startswith("Done: your return RMA-")
    [stored] = stored_returns(shop)
    assert stored["reason"] == reason
    assert "<script>" not in text


def test_customer_a_cannot_return_customer_bs_order_by_quoting_its_number(shop):
    intruder = jane(shop)
    order = returnable_order(shop, lines=2, not_of=intruder)
    assert order.customer_id != intruder
    events, said = finish(
        order.number,
        intruder,
        return_items=[str(line.id) for line in order.lines],
        return_reason="Changed my mind",
    )
    assert said == [messages.ORDER_NOT_FOUND]
    assert events == [*FORGET, SlotSet("customer_id", str(intruder))]
    assert stored_returns(shop) == []
    # Nor are the other customer's items offered or accepted in the form.
    assert (
        ValidateReturnForm().slots_after_verification(tracker_for(order.number, intruder), intruder)
        == []
    )
    dispatcher = CollectingDispatcher()
    ActionAskReturnItems().run(dispatcher, tracker_for(order.number, intruder), {})
    assert "buttons" not in dispatcher.messages[0] or not dispatcher.messages[0]["buttons"]


def test_an_anonymous_customer_returns_nothing(shop):
    order = returnable_order(shop, lines=1)
    events, said = finish(order.number, None, return_reason="Changed my mind")
    assert events == FORGET
    assert said == [messages.ORDER_NOT_FOUND]
    assert stored_returns(shop) == []


def test_a_locked_verification_ends_the_return(shop):
    order = returnable_order(shop, lines=1)
    _, said = finish(
        order.number, None, verification_code=CODE_LOCKED, return_reason="Changed my mind"
    )
    assert said == [messages.VERIFICATION_LOCKED]
    assert stored_returns(shop) == []


def test_a_database_problem_gives_a_polite_answer(shop, monkeypatch):
    order = returnable_order(shop, lines=1)

    def broken(*args: Any) -> None:
        raise OperationalError("SELECT 1", {}, Exception("database is down"))

    monkeypatch.setattr(returns_actions, "return_check_for_customer", broken)
    events, said = finish(order.number, order.customer_id, return_reason="Changed my mind")
    assert said == [messages.LOOKUP_UNAVAILABLE]
    assert events == [*FORGET, SlotSet("customer_id", str(order.customer_id))]


# -- orders that can't be returned --------------------------------------------------------


def test_jane_hears_exactly_why_her_orders_cannot_be_returned(shop):
    customer = jane(shop)
    today = date.today()
    delivered = today - timedelta(days=39)
    closed = delivered + timedelta(days=30)

    def day(value: date) -> str:
        return (
            f"{value.day} {value:%b}"
            if value.year == today.year
            else f"{value.day} {value:%b} {value.year}"
        )

    _, [late] = finish("ORD-100001", customer)
    assert late == (
        f"Order ORD-100001 was delivered on {day(delivered)}; returns are possible for 30 days "
        f"after delivery, so the window closed on {day(closed)}. If an item is faulty, it's "
        "still covered by our 24-month warranty. If you'd like a member of our team to help, "
        'just type "talk to a person".'
    )
    _, [returned] = finish("ORD-100002", customer)
    assert re.fullmatch(
        r"Order ORD-100002 has already been returned to us, and we refunded €[\d.]+ to your "
        r"original payment method on \d{1,2} \w{3}( \d{4})?\. If something doesn't look right, "
        r'just type "talk to a person"\.',
        returned,
    )
    _, [shipped] = finish("ORD-100003", customer)
    assert shipped == (
        "Order ORD-100003 is on its way to you but hasn't been delivered yet. A return can start "
        "once it arrives, and you'll then have 30 days. If you'd like a member of our team to "
        'help, just type "talk to a person".'
    )
    _, [pending] = finish("ORD-100004", customer)
    assert pending == (
        "Order ORD-100004 hasn't left our warehouse yet, so there's nothing to return: a return "
        "can start once it's been delivered, and you'll then have 30 days. If you no longer want "
        'it, you can cancel it instead: just say "cancel my order". If you\'d like a member of '
        'our team to help, just type "talk to a person".'
    )
    assert stored_returns(shop) == []


def test_the_refund_of_jane_s_returned_order_is_the_one_recorded(shop):
    with session_scope(get_engine(shop.database_url)) as session:
        order = session.query(Order).filter_by(number="ORD-100002").one()
        [refund] = [p for p in order.payments if p.kind is PaymentKind.REFUND]
        amount = format_money(refund.amount_cents, order.currency)
    _, [text] = finish("ORD-100002", jane(shop))
    assert f"we refunded {amount} to your original payment method" in text


# -- returns already made -----------------------------------------------------------------


def add_return(settings, order: DemoOrder, line: DemoLine, status: ReturnStatus, rma: str) -> None:
    with session_scope(get_engine(settings.database_url)) as session:
        order_id = session.query(Order.id).filter_by(number=order.number).scalar()
        request = add_return_request(
            session,
            rma=rma,
            order_id=order_id,
            customer_id=order.customer_id,
            lines=[(line.id, line.quantity)],
            reason="Changed my mind",
            refund_cents=line.total_cents,
            conversation_id="earlier",
        )
        request.status = status
        if status is ReturnStatus.REFUNDED:
            request.refunded_at = datetime.now(timezone.utc) - timedelta(days=1)


async def test_earlier_returns_are_reported_before_a_new_one_starts(shop):
    order = returnable_order(shop, lines=2)
    first, second = order.lines[:2]
    add_return(shop, order, first, ReturnStatus.REFUNDED, "RMA-900001")
    assert await required(order.number, order.customer_id) == ["order_number"]

    events, [report] = finish(order.number, order.customer_id)
    assert events == [
        *FORGET,
        SlotSet("customer_id", str(order.customer_id)),
        SlotSet("return_status_shown", order.number),
    ]
    yesterday = date.today() - timedelta(days=1)
    lines = report.splitlines()
    assert lines[0] == f"Here's your return for order {order.number}:"
    named = f"the {first.name}" if first.quantity == 1 else f"{first.quantity} x {first.name}"
    assert lines[1] == (
        f"- RMA-900001 ({named}): refunded. {format_money(first.total_cents, 'EUR')} went back "
        f"to your original payment method on {yesterday.day} {yesterday:%b}"
        + (f" {yesterday.year}." if yesterday.year != date.today().year else ".")
    )
    assert lines[2].startswith("You can still return ")
    assert lines[2].endswith(": just ask me again to start another return for them.")
    assert stored_returns(shop)[0]["rma"] == "RMA-900001"
    assert len(stored_returns(shop)) == 1

    # Asking again for the same order starts a return for what is left, once.
    shown = {"return_status_shown": order.number}
    remaining = (
        ["order_number", "return_reason"]
        if len(order.lines) == 2
        else [
            "order_number",
            "return_items",
            "return_reason",
        ]
    )
    assert await required(order.number, order.customer_id, **shown) == remaining
    events, [done] = finish(
        order.number,
        order.customer_id,
        return_items=[str(second.id)],
        return_reason="Not as described",
        **shown,
    )
    assert done.startswith("Done: your return RMA-")
    assert events[-1] == SlotSet("return_status_shown", None)
    assert [r["lines"] for r in stored_returns(shop)] == [
        [(first.id, first.quantity)],
        [(second.id, second.quantity)],
    ]


def test_each_status_of_an_earlier_return_is_said_in_plain_words(shop):
    order = returnable_order(shop, lines=2)
    first, second = order.lines[:2]
    add_return(shop, order, first, ReturnStatus.REQUESTED, "RMA-900002")
    add_return(shop, order, second, ReturnStatus.REJECTED, "RMA-900003")
    _, [report] = finish(order.number, order.customer_id)
    lines = report.splitlines()
    assert lines[0] == f"Here are your returns for order {order.number}:"
    assert lines[1].endswith(
        "booked, and we're waiting for the parcel to reach our warehouse. We'll refund "
        f"{format_money(first.total_cents, 'EUR')} within 5 business days of it arriving."
    )
    assert lines[2].endswith("we couldn't accept this return, so nothing was refunded.")

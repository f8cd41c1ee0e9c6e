from __future__ import annotations

import uuid
from datetime import date
from typing import Optional, Tuple

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cancel_order import (
    ActionAskCancelConfirmed,
    ActionCancelOrder,
    ValidateCancelOrderForm,
)
from bot.db.engine import get_engine, session_scope
from bot.db.models import AuditEntry, Customer, Order, OrderStatus
from bot.knowledge.formatting import format_money
from bot.orders import messages
from tests.actions.conftest import make_tracker

DOMAIN = {
    "forms": {
        "cancel_order_form": {
            "required_slots": ["order_number", "email", "verification_code", "cancel_confirmed"]
        }
    },
    "slots": {
        "order_number": {},
        "email": {},
        "verification_code": {},
        "cancel_confirmed": {},
        "customer_id": {},
    },
}
FORGET = [
    SlotSet("order_number", None),
    SlotSet("email", None),
    SlotSet("verification_code", None),
    SlotSet("cancel_confirmed", None),
]


def an_order(settings, status: OrderStatus) -> Tuple[str, int]:
    with session_scope(get_engine(settings.database_url)) as session:
        order = session.query(Order).filter_by(status=status).order_by(Order.id.desc()).first()
        return order.number, order.customer_id


def jane(settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar()


def cancel(
    number: str, customer_id: Optional[int], confirmed: Optional[bool], sender: str = "c"
) -> Tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={
            "order_number": number,
            "customer_id": str(customer_id) if customer_id is not None else None,
            "cancel_confirmed": confirmed,
        },
        sender_id=sender,
    )
    events = ActionCancelOrder().run(dispatcher, tracker, {})
    return events, [message["text"] for message in dispatcher.messages]


def test_confirmed_cancellation_changes_the_order_and_states_the_refund(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    sender = f"cancel-{uuid.uuid4()}"
    events, said = cancel(number, owner, True, sender)
    assert events == [*FORGET, SlotSet("customer_id", str(owner))]
    [text] = said
    assert text.startswith(f"Done: order {number} is cancelled. We'll refund €")
    assert "within 3 business days" in text
    with session_scope(get_engine(demo_shop.database_url)) as session:
        assert session.query(Order.status).filter_by(number=number).scalar() == (
            OrderStatus.CANCELLED
        )
        row = session.query(AuditEntry).filter_by(entity_id=number).one()
        assert (row.old_value, row.new_value, row.conversation_id) == ("paid", "cancelled", sender)


def test_declined_cancellation_keeps_the_order(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    _, said = cancel(number, owner, False)
    assert said == [messages.CANCEL_KEPT]
    with session_scope(get_engine(demo_shop.database_url)) as session:
        assert session.query(Order.status).filter_by(number=number).scalar() == OrderStatus.PAID


def on_time_shipped_order(settings) -> Tuple[str, int]:
    today = date.today()
    with session_scope(get_engine(settings.database_url)) as session:
        for order in session.query(Order).filter_by(status=OrderStatus.SHIPPED).order_by(Order.id):
            if not order.shipments[-1].is_late(today):
                return order.number, order.customer_id
    raise AssertionError("the demo shop has no shipped order on time")


def test_shipped_order_gets_a_return_offered_instead(demo_shop):
    number, owner = on_time_shipped_order(demo_shop)
    _, said = cancel(number, owner, None)
    assert said == [messages.cannot_cancel_sent(number, False, 30)]
    _, said = cancel("ORD-100001", jane(demo_shop), None)
    assert said == [messages.cannot_cancel_sent("ORD-100001", True, 30)]


def test_an_overdue_parcel_can_be_cancelled_and_refunded(demo_shop):
    with session_scope(get_engine(demo_shop.database_url)) as session:
        order = session.query(Order).filter_by(number="ORD-100003").one()
        total = order.total_cents
    try:
        _, said = cancel("ORD-100003", jane(demo_shop), True)
        refund = format_money(total, "EUR")
        assert said == [messages.late_parcel_cancelled("ORD-100003", refund, 3)]
        with session_scope(get_engine(demo_shop.database_url)) as session:
            status = session.query(Order.status).filter_by(number="ORD-100003").scalar()
            assert status == OrderStatus.CANCELLED
    finally:
        with session_scope(get_engine(demo_shop.database_url)) as session:
            session.query(Order).filter_by(number="ORD-100003").update(
                {"status": OrderStatus.SHIPPED}
            )


def test_someone_elses_order_cannot_be_cancelled(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    intruder = jane(demo_shop)
    assert owner != intruder
    _, said = cancel(number, intruder, True)
    assert said == [messages.ORDER_NOT_FOUND]
    with session_scope(get_engine(demo_shop.database_url)) as session:
        assert session.query(Order.status).filter_by(number=number).scalar() == OrderStatus.PAID


def test_anonymous_customer_cancels_nothing(demo_shop):
    number, _ = an_order(demo_shop, OrderStatus.PAID)
    events, said = cancel(number, None, True)
    assert events == FORGET
    assert said == [messages.ORDER_NOT_FOUND]


async def required_after(settings, number: str, customer_id: int) -> list:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={"order_number": number, "customer_id": str(customer_id)},
        events=[{"event": "user", "text": number}],
        active_loop="cancel_order_form",
    )
    return await ValidateCancelOrderForm().required_slots([], dispatcher, tracker, DOMAIN)


async def test_confirmation_is_asked_only_when_cancelling_is_possible(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    assert await required_after(demo_shop, number, owner) == ["order_number", "cancel_confirmed"]
    shipped, shipped_owner = on_time_shipped_order(demo_shop)
    assert await required_after(demo_shop, shipped, shipped_owner) == ["order_number"]
    late = await required_after(demo_shop, "ORD-100003", jane(demo_shop))
    assert late == ["order_number", "cancel_confirmed"]


def test_confirmation_question_names_the_order_with_yes_and_no(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_number": number, "customer_id": str(owner)})
    ActionAskCancelConfirmed().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"].startswith(f"Just to check: shall I cancel your order {number} from ")
    assert [button["payload"] for button in message["buttons"]] == ["/affirm", "/deny"]


@pytest.mark.parametrize("value", ["yes", 1, None])
async def test_only_a_yes_or_no_answers_the_confirmation(value):
    result = ValidateCancelOrderForm().validate_cancel_confirmed(
        value, CollectingDispatcher(), make_tracker(), DOMAIN
    )
    assert result == {"cancel_confirmed": None}

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

import actions.change_address as change_address_actions
from actions.change_address import (
    ActionAskAddressConfirmed,
    ActionAskAddressCountry,
    ActionAskAddressPostcode,
    ActionChangeAddress,
    ValidateChangeAddressForm,
)
from actions.verification import CODE_LOCKED
from bot.db.engine import get_engine, session_scope
from bot.db.models import Address, AuditEntry, Customer, Order, OrderStatus, Shipment
from bot.orders import address_messages as say
from bot.orders import messages
from bot.orders.status import format_day
from tests.actions.conftest import make_tracker

ADDRESS_SLOTS = [
    "address_country",
    "address_street",
    "address_city",
    "address_postcode",
    "address_confirmed",
]
DOMAIN = {
    "forms": {
        "change_address_form": {
            "required_slots": ["order_number", "email", "verification_code", *ADDRESS_SLOTS]
        }
    },
    "slots": {
        slot: {}
        for slot in ["order_number", "email", "verification_code", "customer_id", *ADDRESS_SLOTS]
    },
}
FORGET = [
    SlotSet("order_number", None),
    SlotSet("email", None),
    SlotSet("verification_code", None),
    *(SlotSet(slot, None) for slot in ADDRESS_SLOTS),
]
OAK_STREET = {
    "address_country": "IE",
    "address_street": "5 Oak Street",
    "address_city": "Dublin 8",
    "address_postcode": "D08 T6K2",
}
NEW_ADDRESS = "5 Oak Street, Dublin 8, D08 T6K2, Ireland"
IRISH_COUNTRIES = ["Ireland"]
EU_COUNTRIES = ["France", "Germany", "Spain", "Italy", "the Netherlands"]


def jane(settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar()


def an_order(
    settings,
    status: OrderStatus,
    country: str = "IE",
    carrier: Optional[str] = None,
    oldest: bool = False,
) -> Tuple[str, int]:
    """The newest (or oldest) order in ``status`` going to ``country``, not Jane's.

    Tests that change an order take the oldest, so that the others find theirs untouched.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        query = (
            session.query(Order)
            .join(Order.shipping_address)
            .join(Order.customer)
            .filter(
                Order.status == status,
                Address.country == country,
                Customer.email != "jane.doe@example.com",
            )
            .order_by(Order.id if oldest else Order.id.desc())
        )
        for order in query:
            if carrier is None or (order.shipments and order.shipments[-1].carrier == carrier):
                return order.number, order.customer_id
    raise LookupError(f"no {status} order to {country}")


def shipping_of(settings, number: str) -> Tuple[int, str, Optional[date]]:
    """The order's address id, that address on one line, and its promised delivery date."""
    with session_scope(get_engine(settings.database_url)) as session:
        order = session.query(Order).filter_by(number=number).one()
        a = order.shipping_address
        parts = [a.line1, a.line2, a.city, a.region, a.postcode]
        names = {"IE": "Ireland", "FR": "France", "DE": "Germany", "GB": "United Kingdom"}
        line = ", ".join([p for p in parts if p] + [names.get(a.country, a.country)])
        return a.id, line, order.promised_delivery_date


def audit_of(settings, number: str) -> List[Tuple[str, str, str, str]]:
    with session_scope(get_engine(settings.database_url)) as session:
        rows = session.query(AuditEntry).filter_by(entity="order", entity_id=number).all()
        return [(r.field, r.old_value, r.new_value, r.conversation_id) for r in rows]


def finish(
    number: str,
    customer_id: Optional[int],
    confirmed: Optional[bool],
    address: Optional[Dict[str, Any]] = None,
    sender: str = "c",
    **slots: Any,
) -> Tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={
            "order_number": number,
            "customer_id": str(customer_id) if customer_id is not None else None,
            "address_confirmed": confirmed,
            **(OAK_STREET if address is None else address),
            **slots,
        },
        sender_id=sender,
    )
    events = ActionChangeAddress().run(dispatcher, tracker, {})
    return events, [message["text"] for message in dispatcher.messages]


def test_confirmed_address_is_used_and_the_delivery_date_stays(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID, oldest=True)
    old_id, old_line, promised = shipping_of(demo_shop, number)
    sender = f"address-{uuid.uuid4()}"
    events, said = finish(number, owner, True, sender=sender)
    assert events == [*FORGET, SlotSet("customer_id", str(owner))]
    today = date.today()
    due = format_day(promised, today) if promised and promised >= today else None
    assert said == [say.address_changed(number, NEW_ADDRESS, due)]
    assert said[0].startswith(f"Done: order {number} will now be delivered to {NEW_ADDRESS}.")
    assert "The delivery estimate stays the same" in said[0]
    new_id, new_line, still_promised = shipping_of(demo_shop, number)
    assert new_id != old_id and new_line == NEW_ADDRESS and still_promised == promised
    assert audit_of(demo_shop, number) == [("shipping_address", old_line, NEW_ADDRESS, sender)]


def test_saying_no_keeps_the_old_address(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PENDING)
    before = shipping_of(demo_shop, number)
    events, said = finish(number, owner, False)
    assert events == [*FORGET, SlotSet("customer_id", str(owner))]
    assert said == [say.address_kept(number)]
    assert "kept the old address" in said[0]
    assert shipping_of(demo_shop, number) == before
    assert audit_of(demo_shop, number) == []


def test_a_dpd_parcel_gets_dpds_options_with_its_tracking_number(demo_shop):
    with session_scope(get_engine(demo_shop.database_url)) as session:
        tracking = (
            session.query(Shipment.tracking_number)
            .join(Shipment.order)
            .filter(Order.number == "ORD-100003")
            .scalar()
        )
    _, said = finish("ORD-100003", jane(demo_shop), None, address={})
    assert said == [say.shipped_with_dpd("ORD-100003", tracking)]
    assert tracking in said[0] and "DPD Pickup shop" in said[0]


def test_an_an_post_parcel_gets_an_posts_options_with_its_tracking_number(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.SHIPPED, carrier="An Post")
    with session_scope(get_engine(demo_shop.database_url)) as session:
        order = session.query(Order).filter_by(number=number).one()
        tracking = order.shipments[-1].tracking_number
    before = shipping_of(demo_shop, number)
    _, said = finish(number, owner, True)
    assert said == [say.shipped_with_an_post(number, tracking)]
    assert "post office" in said[0] and "safe place" in said[0]
    assert shipping_of(demo_shop, number) == before
    assert audit_of(demo_shop, number) == []


def test_delivered_cancelled_and_returned_orders_say_why_nothing_changes(demo_shop):
    owner = jane(demo_shop)
    _, [delivered] = finish("ORD-100001", owner, None, address={})
    assert delivered.startswith("Order ORD-100001 was already delivered on ")
    assert "no delivery left to change" in delivered
    _, said = finish("ORD-100002", owner, None, address={})
    assert said == [say.returned_order("ORD-100002")]
    number, customer = an_order(demo_shop, OrderStatus.CANCELLED)
    _, said = finish(number, customer, True)
    assert said == [say.cancelled_order(number)]


def test_verified_customer_cannot_move_someone_elses_order(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    intruder = jane(demo_shop)
    assert owner != intruder
    before = shipping_of(demo_shop, number)
    _, said = finish(number, intruder, True)
    assert said == [messages.ORDER_NOT_FOUND]
    assert shipping_of(demo_shop, number) == before
    assert audit_of(demo_shop, number) == []


async def test_someone_elses_order_shows_no_address_and_asks_for_none(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    intruder = jane(demo_shop)
    _, old_line, _ = shipping_of(demo_shop, number)
    tracker = make_tracker(slots={"order_number": number, "customer_id": str(intruder)})
    dispatcher = CollectingDispatcher()
    ActionAskAddressCountry().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert old_line not in message["text"] and number not in message["text"]
    assert await required_after(number, intruder) == ["order_number"]


def test_anonymous_and_locked_out_customers_change_nothing(demo_shop):
    number, _ = an_order(demo_shop, OrderStatus.PAID)
    before = shipping_of(demo_shop, number)
    events, said = finish(number, None, True)
    assert events == FORGET
    assert said == [messages.ORDER_NOT_FOUND]
    _, said = finish(number, None, True, verification_code=CODE_LOCKED)
    assert said == [messages.VERIFICATION_LOCKED]
    assert shipping_of(demo_shop, number) == before


def test_another_zone_is_refused_even_when_confirmed(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    before = shipping_of(demo_shop, number)
    paris = {
        "address_country": "FR",
        "address_street": "12 rue de la République",
        "address_city": "Paris",
        "address_postcode": "75001",
    }
    _, said = finish(number, owner, True, address=paris)
    assert said == [say.other_zone(number, "France", "Ireland", IRISH_COUNTRIES, True)]
    assert shipping_of(demo_shop, number) == before


def test_a_database_failure_is_a_polite_apology(demo_shop, monkeypatch):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("UPDATE orders", {}, Exception("database is locked"))

    monkeypatch.setattr(change_address_actions, "change_address_for_customer", broken)
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    events, said = finish(number, owner, True)
    assert said == [messages.LOOKUP_UNAVAILABLE]
    assert events == [*FORGET, SlotSet("customer_id", str(owner))]


async def required_after(number: str, customer_id: int) -> list:
    tracker = make_tracker(
        slots={"order_number": number, "customer_id": str(customer_id)},
        events=[{"event": "user", "text": number}],
        active_loop="change_address_form",
    )
    return await ValidateChangeAddressForm().required_slots(
        [], CollectingDispatcher(), tracker, DOMAIN
    )


async def test_an_address_is_asked_for_only_before_the_order_ships(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    assert await required_after(number, owner) == ["order_number", *ADDRESS_SLOTS]
    assert await required_after("ORD-100003", jane(demo_shop)) == ["order_number"]
    assert await required_after("ORD-100001", jane(demo_shop)) == ["order_number"]


def test_the_owner_sees_where_the_order_goes_now_and_the_countries_of_its_zone(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID, country="FR")
    _, old_line, _ = shipping_of(demo_shop, number)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_number": number, "customer_id": str(owner)})
    ActionAskAddressCountry().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"] == say.ask_country(number, old_line, EU_COUNTRIES)
    assert message["text"] == (
        f"Order {number} is going to {old_line}. Which country should it go to now? "
        "I can send it to an address in France, Germany, Spain, Italy or the Netherlands."
    )
    assert [b["payload"] for b in message["buttons"]] == [
        f'/inform{{"address_country":"{code}"}}' for code in ["FR", "DE", "ES", "IT", "NL"]
    ]
    assert message["buttons"][-1]["title"] == "Netherlands"


def validate(method: str, value: Any, **slots: Any) -> Tuple[Dict[str, Any], List[str]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots=slots, active_loop="change_address_form")
    result = getattr(ValidateChangeAddressForm(), method)(value, dispatcher, tracker, DOMAIN)
    return result, [message["text"] for message in dispatcher.messages]


def test_a_country_of_another_zone_is_explained_and_asked_again(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    verified = {"order_number": number, "customer_id": str(owner)}
    result, said = validate("validate_address_country", "France", **verified)
    assert result == {"address_country": None}
    assert said == [say.other_zone(number, "France", "Ireland", IRISH_COUNTRIES, True)]
    assert 'cancel this order (just say "cancel my order")' in said[0]
    assert validate("validate_address_country", "éire", **verified) == (
        {"address_country": "IE"},
        [],
    )
    result, said = validate("validate_address_country", "Narnia", **verified)
    assert result == {"address_country": None}
    assert said == [say.unknown_country(IRISH_COUNTRIES)]


@pytest.mark.parametrize(
    ("country", "typed", "kept"),
    [("IE", "d08t6k2", "D08 T6K2"), ("NL", "1011ab", "1011 AB"), ("GB", "sw1a 1aa", "SW1A 1AA")],
)
def test_postcodes_are_checked_for_the_new_country(country, typed, kept):
    assert validate("validate_address_postcode", typed, address_country=country) == (
        {"address_postcode": kept},
        [],
    )


def test_a_postcode_of_another_country_is_refused_with_an_example():
    result, said = validate("validate_address_postcode", "75001", address_country="IE")
    assert result == {"address_postcode": None}
    assert said == [say.invalid_postcode("Eircode", "D02 X285", "Ireland")]


@pytest.mark.parametrize("typed", ["1' OR '1'='1", "<script>alert(1)</script>", "12"])
def test_odd_street_lines_are_refused_and_asked_again(typed):
    result, said = validate("validate_address_street", typed)
    assert result == {"address_street": None}
    assert said == [say.INVALID_STREET]


def test_street_and_town_are_kept_tidy():
    assert validate("validate_address_street", " 5  Oak Street ") == (
        {"address_street": "5 Oak Street"},
        [],
    )
    assert validate("validate_address_city", "Dublin 8") == ({"address_city": "Dublin 8"}, [])
    result, said = validate("validate_address_city", "<b>")
    assert result == {"address_city": None} and said == [say.INVALID_CITY]


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_only_a_yes_or_no_answers_the_confirmation(value):
    assert validate("validate_address_confirmed", value) == ({"address_confirmed": None}, [])


def test_the_confirmation_repeats_only_the_new_address(demo_shop):
    number, owner = an_order(demo_shop, OrderStatus.PAID)
    _, old_line, _ = shipping_of(demo_shop, number)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_number": number, "customer_id": str(owner), **OAK_STREET})
    ActionAskAddressConfirmed().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"] == (
        f"Just to check: shall I deliver order {number} to {NEW_ADDRESS} instead?"
    )
    assert old_line not in message["text"]
    assert message["buttons"] == [
        {"title": "Yes, deliver there", "payload": "/affirm"},
        {"title": "No, keep the old address", "payload": "/deny"},
    ]


def test_the_postcode_question_fits_the_country():
    dispatcher = CollectingDispatcher()
    ActionAskAddressPostcode().run(dispatcher, make_tracker(slots={"address_country": "US"}), {})
    assert [m["text"] for m in dispatcher.messages] == [
        "And the ZIP code? In the United States it looks like 97201."
    ]

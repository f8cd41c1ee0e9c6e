from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.db.models import Order, OrderLine, OrderStatus, Product, Shipment, ShipmentStatus
from bot.orders.identifiers import extract_email, extract_order_number
from bot.orders.status import describe_order_status, format_day

TODAY = date(2026, 11, 23)  # a Monday


def make_order(status: OrderStatus, *, shipment: Shipment | None = None, lines=None) -> Order:
    order = Order(
        number="ORD-100123",
        status=status,
        placed_at=datetime(2026, 11, 12, 10, 0, tzinfo=timezone.utc),
        promised_delivery_date=date(2026, 11, 26),
    )
    order.lines = lines or [
        OrderLine(
            quantity=1, unit_price_cents=3999, product=Product(name="Desk lamp", colour="Blue")
        )
    ]
    order.shipments = [shipment] if shipment else []
    return order


def parcel(estimated: date, delivered: datetime | None = None) -> Shipment:
    return Shipment(
        carrier="DPD",
        tracking_number="15501234567890",
        status=ShipmentStatus.DELIVERED if delivered else ShipmentStatus.IN_TRANSIT,
        estimated_delivery_date=estimated,
        delivered_at=delivered,
    )


def test_shipped_order_names_item_carrier_tracking_and_day():
    report = describe_order_status(
        make_order(OrderStatus.SHIPPED, shipment=parcel(date(2026, 11, 26))), TODAY
    )
    assert report.message == (
        "Your order ORD-100123 from 12 Nov, the Blue desk lamp, is with DPD, "
        "tracking number 15501234567890 and due Thursday 26 Nov."
    )
    assert not report.is_late
    assert (report.carrier, report.tracking_number) == ("DPD", "15501234567890")


def test_late_order_is_apologised_for():
    report = describe_order_status(
        make_order(OrderStatus.SHIPPED, shipment=parcel(date(2026, 11, 20))), TODAY
    )
    assert report.is_late
    assert "was due on Friday 20 Nov and hasn't arrived yet" in report.message
    assert "sorry about the delay" in report.message


def test_delivered_order_says_when():
    delivered = datetime(2026, 11, 18, 15, 0, tzinfo=timezone.utc)
    report = describe_order_status(
        make_order(OrderStatus.DELIVERED, shipment=parcel(date(2026, 11, 18), delivered)), TODAY
    )
    assert "was delivered on Wednesday 18 Nov" in report.message


@pytest.mark.parametrize(
    ("status", "phrase"),
    [
        (OrderStatus.PENDING, "waiting for the payment to be confirmed"),
        (OrderStatus.PAID, "being packed"),
        (OrderStatus.CANCELLED, "was cancelled"),
        (OrderStatus.RETURNED, "was returned"),
    ],
)
def test_every_status_has_its_own_explanation(status, phrase):
    assert phrase in describe_order_status(make_order(status), TODAY).message


def test_several_items_are_summarised():
    lines = [
        OrderLine(
            quantity=1, unit_price_cents=100, product=Product(name="Desk lamp", colour="Blue")
        ),
        OrderLine(quantity=2, unit_price_cents=100, product=Product(name="Mug", colour=None)),
    ]
    message = describe_order_status(make_order(OrderStatus.PAID, lines=lines), TODAY).message
    assert "the Blue desk lamp and 2 more items" in message


def test_dates_in_another_year_carry_the_year():
    assert format_day(date(2027, 1, 4), TODAY) == "Monday 4 Jan 2027"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ORD-104233", "ORD-104233"),
        ("my order is ord 104233, thanks", "ORD-104233"),
        ("#104233", "ORD-104233"),
        ("104233", "ORD-104233"),
        ("1234567", None),
        ("ORD-10423", None),
        ("1' OR '1'='1", None),
        ("<script>alert(1)</script>", None),
    ],
)
def test_order_numbers_are_found_in_free_text(text, expected):
    assert extract_order_number(text) == expected


def test_emails_are_found_and_lower_cased():
    assert extract_email("it's Jane.Doe@Example.COM ok") == "jane.doe@example.com"
    assert extract_email("jane at example dot com") is None

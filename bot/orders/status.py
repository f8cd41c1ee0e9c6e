"""What a customer is told about where their order is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Optional

from bot.db.models import Order, OrderStatus, Shipment


@dataclass(frozen=True)
class OrderStatusReport:
    """The status of one order, for a customer who has proven it is theirs.

    Attributes:
        order_number: Canonical order number.
        status: Order status.
        message: What to tell the customer.
        is_late: Whether a shipped order is past its expected delivery date.
        carrier: Carrier of the latest parcel, if shipped.
        tracking_number: Tracking number of the latest parcel, if shipped.
        expected_delivery: Date the order is expected, if known.
    """

    order_number: str
    status: OrderStatus
    message: str
    is_late: bool = False
    carrier: Optional[str] = None
    tracking_number: Optional[str] = None
    expected_delivery: Optional[date] = None


def format_day(day: date, today: date) -> str:
    """Formats a date the way people say it: ``Thursday 26 Nov``.

    The year is added when it is not the current year.
    """
    text = f"{day:%A} {day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def short_date(day: date, today: date) -> str:
    """Formats a date briefly: ``12 Nov``, with the year when it is not this year."""
    text = f"{day.day} {day:%b}"
    return text if day.year == today.year else f"{text} {day.year}"


def describe_items(order: Order) -> str:
    """Names what was ordered: ``the Blue desk lamp`` or ``the Blue desk lamp and 2 more items``."""
    if not order.lines:
        return "your items"
    name = order.lines[0].product.display_name
    others = order.item_count - order.lines[0].quantity
    if others <= 0:
        return (
            f"the {name}" if order.lines[0].quantity == 1 else f"{order.lines[0].quantity} x {name}"
        )
    return f"the {name} and {others} more item{'s' if others > 1 else ''}"


def _latest_shipment(order: Order) -> Optional[Shipment]:
    return order.shipments[-1] if order.shipments else None


def describe_order_status(order: Order, today: date) -> OrderStatusReport:
    """Describes an order's status for its owner.

    Args:
        order: The order, with its lines, products and shipments loaded.
        today: The current date in the shop's time zone.

    Returns:
        The report, including the sentence to send.
    """
    placed = short_date(order.placed_at.date(), today)
    opening = f"Your order {order.number} from {placed}, {describe_items(order)},"
    promised = order.promised_delivery_date
    shipment = _latest_shipment(order)

    if order.status == OrderStatus.PENDING:
        message = (
            f"{opening} is waiting for the payment to be confirmed. We'll pack it as soon as it is"
        )
        message += f", and it should arrive by {format_day(promised, today)}." if promised else "."
        return OrderStatusReport(order.number, order.status, message, expected_delivery=promised)

    if order.status == OrderStatus.PAID:
        message = f"{opening} is paid and being packed in our warehouse."
        if promised:
            message += f" It should arrive by {format_day(promised, today)}."
        return OrderStatusReport(order.number, order.status, message, expected_delivery=promised)

    if order.status == OrderStatus.SHIPPED and shipment is not None:
        expected = shipment.estimated_delivery_date or promised
        tracking = f"{shipment.carrier}, tracking number {shipment.tracking_number}"
        if shipment.is_late(today) and expected is not None:
            message = (
                f"{opening} was due on {format_day(expected, today)} and hasn't arrived yet. "
                f"I'm sorry about the delay. It's with {tracking}."
            )
            late = True
        else:
            due = f" and due {format_day(expected, today)}" if expected else ""
            message = f"{opening} is with {tracking}{due}."
            late = False
        return OrderStatusReport(
            order.number,
            order.status,
            message,
            late,
            shipment.carrier,
            shipment.tracking_number,
            expected,
        )

    if order.status == OrderStatus.DELIVERED:
        delivered = shipment.delivered_at.date() if shipment and shipment.delivered_at else None
        when = f" on {format_day(delivered, today)}" if delivered else ""
        message = f"{opening} was delivered{when}."
        if shipment:
            message += (
                f" It came with {shipment.carrier} (tracking number {shipment.tracking_number})."
            )
        return OrderStatusReport(
            order.number,
            order.status,
            message,
            carrier=shipment.carrier if shipment else None,
            tracking_number=shipment.tracking_number if shipment else None,
        )

    if order.status == OrderStatus.CANCELLED:
        message = f"{opening} was cancelled, so it won't be sent."
        return OrderStatusReport(order.number, order.status, message)

    if order.status == OrderStatus.RETURNED:
        message = f"{opening} was returned to us. The refund goes to your original payment method."
        return OrderStatusReport(order.number, order.status, message)

    # Shipped without a recorded parcel: say what is known, nothing invented.
    message = f"{opening} has left our warehouse."
    if promised:
        message += f" It should arrive by {format_day(promised, today)}."
    return OrderStatusReport(order.number, order.status, message, expected_delivery=promised)

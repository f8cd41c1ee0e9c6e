"""Builds customers, products and orders for database tests."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional, Sequence

from sqlalchemy.orm import Session

from bot.db.models import (
    Address,
    Customer,
    CustomerTier,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Product,
    Shipment,
    ShipmentStatus,
)


class ShopFactory:
    """Builds small, valid shop rows for repository tests."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._counter = 0

    def _next(self) -> int:
        self._counter += 1
        return self._counter

    def customer(self, email: Optional[str] = None, name: str = "Alex Morgan") -> Customer:
        n = self._next()
        customer = Customer(
            name=name,
            email=email or f"customer{n}@example.com",
            tier=CustomerTier.SILVER,
            created_at=datetime(2023, 1, 1, tzinfo=timezone.utc),
        )
        customer.addresses.append(
            Address(
                recipient_name=name,
                line1=f"{n} Test Street",
                city="Dublin 8",
                postcode="D08 T6K2",
                country="IE",
                is_default=True,
            )
        )
        self.session.add(customer)
        self.session.flush()
        return customer

    def product(self, price_cents: int = 1500) -> Product:
        n = self._next()
        product = Product(
            sku=f"TST-{n:04d}",
            name=f"Test product {n}",
            colour="Blue",
            category="Test",
            price_cents=price_cents,
        )
        self.session.add(product)
        self.session.flush()
        return product

    def order(
        self,
        customer: Customer,
        number: str,
        placed_at: Optional[datetime] = None,
        status: OrderStatus = OrderStatus.PAID,
        quantities: Sequence[int] = (1,),
    ) -> Order:
        placed_at = placed_at or datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
        lines = [
            OrderLine(product=product, quantity=quantity, unit_price_cents=product.price_cents)
            for product, quantity in ((self.product(), q) for q in quantities)
        ]
        subtotal = sum(line.quantity * line.unit_price_cents for line in lines)
        order = Order(
            number=number,
            customer=customer,
            shipping_address=customer.addresses[0],
            status=status,
            placed_at=placed_at,
            currency="EUR",
            subtotal_cents=subtotal,
            shipping_cents=495,
            total_cents=subtotal + 495,
            promised_delivery_date=date(2024, 5, 5),
            updated_at=placed_at,
            lines=lines,
        )
        order.payments.append(
            Payment(
                method=PaymentMethod.CARD,
                kind=PaymentKind.CAPTURE,
                status=PaymentStatus.SUCCEEDED,
                amount_cents=subtotal + 495,
                reference=f"pi_test_{number}",
                created_at=placed_at,
            )
        )
        order.shipments.append(
            Shipment(
                carrier="DPD",
                tracking_number=f"TRK{number[-6:]}",
                status=ShipmentStatus.IN_TRANSIT,
                shipped_at=placed_at,
                estimated_delivery_date=date(2024, 5, 4),
            )
        )
        self.session.add(order)
        self.session.flush()
        return order

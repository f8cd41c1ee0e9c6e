"""ORM models of the shop: customers, products, orders and what hangs off them.

Next to the shop data, the assistant keeps what customers thought of its FAQ
answers (:class:`FaqFeedback`) and the questions it could not answer well
(:class:`UnansweredQuestion`), for the support team's report.

For identity checks it keeps one-time codes (:class:`VerificationChallenge`,
only their hashes), conversations locked out after too many wrong codes
(:class:`VerificationLockout`) and the e-mails waiting to be sent
(:class:`OutboxMessage`). :class:`AuditEntry` records who changed what, and
from which conversation.

Conventions:

* Money is stored as integer minor units (``*_cents``) next to an ISO 4217
  ``currency`` on the order; floats never hold money.
* Timestamps are stored in UTC and always come back as timezone-aware
  ``datetime`` objects, on SQLite as on PostgreSQL (:class:`UtcDateTime`).
* Enumerations are stored as strings guarded by named CHECK constraints
  (``native_enum=False``), so the same schema works on SQLite and PostgreSQL.
* Constraint and index names follow :data:`NAMING_CONVENTION`, which keeps
  Alembic's batch mode on SQLite able to find and alter them.

The schema itself is created by the Alembic migrations in ``alembic/versions``;
a test compares both so that they cannot drift apart.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any, List, Optional, Type

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declarative_base, relationship, validates
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    """Returns the current time as a timezone-aware UTC datetime."""
    return datetime.now(timezone.utc)


def normalize_email(email: str) -> str:
    """Returns the canonical form of an e-mail address: trimmed and lower-cased.

    Args:
        email: An address as typed by a person.

    Returns:
        The address as stored in ``customers.email``.
    """
    return email.strip().lower()


class UtcDateTime(TypeDecorator):  # type: ignore[misc]
    """A timestamp stored in UTC that always loads as an aware ``datetime``.

    SQLite has no time zones, so values are stored there as naive UTC; on
    PostgreSQL the column is ``TIMESTAMP WITH TIME ZONE``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        """Converts an aware datetime to UTC before it is stored.

        Raises:
            ValueError: When given a naive datetime, whose zone is unknown.
        """
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"Timestamps must be timezone-aware, got {value!r}")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        """Returns the stored timestamp as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class CustomerTier(str, enum.Enum):
    """Loyalty tier of a customer."""

    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


class OrderStatus(str, enum.Enum):
    """Where an order is in its life cycle."""

    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class PaymentMethod(str, enum.Enum):
    """How a customer pays."""

    CARD = "card"
    PAYPAL = "paypal"
    KLARNA = "klarna"
    GIFT_CARD = "gift_card"


class PaymentKind(str, enum.Enum):
    """What a payment record does with the customer's money."""

    AUTHORISATION = "authorisation"
    CAPTURE = "capture"
    REFUND = "refund"


class PaymentStatus(str, enum.Enum):
    """Outcome of a payment operation at the payment provider."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class UnansweredReason(str, enum.Enum):
    """Why a customer's question is on the support team's to-do list.

    ``fallback``: the assistant did not understand the message;
    ``low_confidence``: it was unsure and only offered suggestions;
    ``unhelpful``: the customer said the answer did not help.
    """

    FALLBACK = "fallback"
    LOW_CONFIDENCE = "low_confidence"
    UNHELPFUL = "unhelpful"


class ShipmentStatus(str, enum.Enum):
    """Carrier status of a parcel."""

    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


def _enum_column_type(enum_class: Type[enum.Enum], name: str) -> Enum:
    """A portable enum type: VARCHAR plus a CHECK constraint called ``name``."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


class Customer(Base):
    """A person with an account at the shop."""

    __tablename__ = "customers"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower_case"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(120), nullable=False)
    email: Mapped[str] = Column(String(254), nullable=False, index=True, unique=True)
    phone: Mapped[Optional[str]] = Column(String(32))
    tier: Mapped[CustomerTier] = Column(
        _enum_column_type(CustomerTier, "customer_tier"),
        nullable=False,
        default=CustomerTier.BRONZE,
    )
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)

    addresses: Mapped[List[Address]] = relationship(
        "Address",
        back_populates="customer",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Address.id",
    )
    orders: Mapped[List[Order]] = relationship(
        "Order",
        back_populates="customer",
        order_by="Order.placed_at.desc()",
        passive_deletes="all",
    )
    loyalty_account: Mapped[Optional[LoyaltyAccount]] = relationship(
        "LoyaltyAccount",
        back_populates="customer",
        uselist=False,
        cascade="all, delete-orphan",
    )

    @validates("email")
    def _normalize_email(self, key: str, value: str) -> str:
        return normalize_email(value)

    @property
    def default_address(self) -> Optional[Address]:
        """The customer's default delivery address, if any."""
        return next((address for address in self.addresses if address.is_default), None)

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.email}>"


class Address(Base):
    """A delivery address of a customer."""

    __tablename__ = "addresses"
    __table_args__ = (CheckConstraint("length(country) = 2", name="country_iso2"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    recipient_name: Mapped[str] = Column(String(120), nullable=False)
    line1: Mapped[str] = Column(String(200), nullable=False)
    line2: Mapped[Optional[str]] = Column(String(200))
    city: Mapped[str] = Column(String(100), nullable=False)
    region: Mapped[Optional[str]] = Column(String(100))
    postcode: Mapped[str] = Column(String(20), nullable=False)
    country: Mapped[str] = Column(String(2), nullable=False)
    is_default: Mapped[bool] = Column(Boolean(), nullable=False, default=False)

    customer: Mapped[Customer] = relationship("Customer", back_populates="addresses")

    @validates("country")
    def _normalize_country(self, key: str, value: str) -> str:
        return value.strip().upper()

    def one_line(self) -> str:
        """The address on one line, as shown to a customer."""
        parts = [self.line1, self.line2, self.city, self.region, self.postcode, self.country]
        return ", ".join(part for part in parts if part)

    def __repr__(self) -> str:
        return f"<Address {self.id} {self.city} {self.country}>"


class Product(Base):
    """An item the shop sells, in one colour.

    ``name`` is the item without its colour (``Desk lamp``); ``display_name``
    adds it (``Blue desk lamp``).
    """

    __tablename__ = "products"
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_not_negative"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    sku: Mapped[str] = Column(String(40), nullable=False, unique=True)
    name: Mapped[str] = Column(String(200), nullable=False)
    colour: Mapped[Optional[str]] = Column(String(40))
    description: Mapped[Optional[str]] = Column(Text)
    category: Mapped[str] = Column(String(60), nullable=False, index=True)
    price_cents: Mapped[int] = Column(Integer, nullable=False)

    @property
    def display_name(self) -> str:
        """The name with its colour, as customers see it: ``Blue desk lamp``."""
        if not self.colour:
            return self.name
        return f"{self.colour} {self.name[:1].lower()}{self.name[1:]}"

    def __repr__(self) -> str:
        return f"<Product {self.sku}>"


class Order(Base):
    """A customer's order."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("subtotal_cents >= 0", name="subtotal_not_negative"),
        CheckConstraint("shipping_cents >= 0", name="shipping_not_negative"),
        CheckConstraint("total_cents = subtotal_cents + shipping_cents", name="total_adds_up"),
        CheckConstraint("length(currency) = 3", name="currency_iso3"),
        Index("ix_orders_customer_id_placed_at", "customer_id", "placed_at"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    number: Mapped[str] = Column(String(16), nullable=False, index=True, unique=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id", ondelete="RESTRICT"), nullable=False
    )
    status: Mapped[OrderStatus] = Column(
        _enum_column_type(OrderStatus, "order_status"),
        nullable=False,
        default=OrderStatus.PENDING,
        index=True,
    )
    placed_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    currency: Mapped[str] = Column(String(3), nullable=False, default="GBP")
    subtotal_cents: Mapped[int] = Column(Integer, nullable=False)
    shipping_cents: Mapped[int] = Column(Integer, nullable=False, default=0)
    total_cents: Mapped[int] = Column(Integer, nullable=False)
    shipping_address_id: Mapped[int] = Column(
        Integer, ForeignKey("addresses.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    promised_delivery_date: Mapped[Optional[date]] = Column(Date)
    updated_at: Mapped[datetime] = Column(
        UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    customer: Mapped[Customer] = relationship("Customer", back_populates="orders")
    shipping_address: Mapped[Address] = relationship("Address")
    lines: Mapped[List[OrderLine]] = relationship(
        "OrderLine",
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="OrderLine.id",
    )
    payments: Mapped[List[Payment]] = relationship(
        "Payment",
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: [Payment.created_at, Payment.id],
    )
    shipments: Mapped[List[Shipment]] = relationship(
        "Shipment",
        back_populates="order",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=lambda: [Shipment.shipped_at, Shipment.id],
    )

    @property
    def item_count(self) -> int:
        """Number of items over all lines."""
        return sum(line.quantity for line in self.lines)

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status.value if self.status else None}>"


class OrderLine(Base):
    """One product, in some quantity, on an order."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_not_negative"),
        UniqueConstraint("order_id", "product_id"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    # Indexed through the leading column of the (order_id, product_id) constraint.
    order_id: Mapped[int] = Column(
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    )
    product_id: Mapped[int] = Column(
        Integer, ForeignKey("products.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    quantity: Mapped[int] = Column(Integer, nullable=False, default=1)
    unit_price_cents: Mapped[int] = Column(Integer, nullable=False)

    order: Mapped[Order] = relationship("Order", back_populates="lines")
    product: Mapped[Product] = relationship("Product")

    @property
    def line_total_cents(self) -> int:
        """Price of the line: quantity times unit price."""
        return self.quantity * self.unit_price_cents

    def __repr__(self) -> str:
        return f"<OrderLine {self.id} order={self.order_id} x{self.quantity}>"


class Payment(Base):
    """One operation at the payment provider: an authorisation, capture or refund."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint(
            "status = 'failed' OR failure_reason IS NULL", name="failure_reason_only_if_failed"
        ),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    order_id: Mapped[int] = Column(
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    method: Mapped[PaymentMethod] = Column(
        _enum_column_type(PaymentMethod, "payment_method"), nullable=False
    )
    kind: Mapped[PaymentKind] = Column(
        _enum_column_type(PaymentKind, "payment_kind"), nullable=False
    )
    status: Mapped[PaymentStatus] = Column(
        _enum_column_type(PaymentStatus, "payment_status"), nullable=False
    )
    amount_cents: Mapped[int] = Column(Integer, nullable=False)
    reference: Mapped[str] = Column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    failure_reason: Mapped[Optional[str]] = Column(String(200))

    order: Mapped[Order] = relationship("Order", back_populates="payments")

    def __repr__(self) -> str:
        return f"<Payment {self.reference} {self.kind.value} {self.status.value}>"


class Shipment(Base):
    """A parcel handed to a carrier for an order."""

    __tablename__ = "shipments"

    id: Mapped[int] = Column(Integer, primary_key=True)
    order_id: Mapped[int] = Column(
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    carrier: Mapped[str] = Column(String(60), nullable=False)
    tracking_number: Mapped[str] = Column(String(64), nullable=False, index=True)
    status: Mapped[ShipmentStatus] = Column(
        _enum_column_type(ShipmentStatus, "shipment_status"), nullable=False
    )
    shipped_at: Mapped[Optional[datetime]] = Column(UtcDateTime)
    estimated_delivery_date: Mapped[Optional[date]] = Column(Date)
    delivered_at: Mapped[Optional[datetime]] = Column(UtcDateTime)

    order: Mapped[Order] = relationship("Order", back_populates="shipments")

    def is_late(self, today: date) -> bool:
        """Whether the parcel is overdue: not delivered and past its estimated date.

        Args:
            today: The date to judge against (in the shop's time zone).
        """
        return (
            self.delivered_at is None
            and self.estimated_delivery_date is not None
            and self.estimated_delivery_date < today
        )

    def __repr__(self) -> str:
        return f"<Shipment {self.carrier} {self.tracking_number} {self.status.value}>"


class LoyaltyAccount(Base):
    """A customer's loyalty points."""

    __tablename__ = "loyalty_accounts"
    __table_args__ = (
        CheckConstraint("points_balance >= 0", name="balance_not_negative"),
        CheckConstraint(
            "points_expiring >= 0 AND points_expiring <= points_balance",
            name="expiring_within_balance",
        ),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    customer_id: Mapped[int] = Column(
        Integer,
        ForeignKey("customers.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    )
    points_balance: Mapped[int] = Column(Integer, nullable=False, default=0)
    points_expiring: Mapped[int] = Column(Integer, nullable=False, default=0)
    points_expiry_date: Mapped[Optional[date]] = Column(Date)

    customer: Mapped[Customer] = relationship("Customer", back_populates="loyalty_account")

    def __repr__(self) -> str:
        return f"<LoyaltyAccount customer={self.customer_id} points={self.points_balance}>"


class FaqFeedback(Base):
    """Whether an FAQ answer helped, as rated by a customer.

    A conversation has at most one rating per article: rating the same article
    again replaces the earlier verdict (see
    :func:`bot.db.repositories.knowledge_feedback.record_feedback`).
    """

    __tablename__ = "faq_feedback"
    # The unique constraint's leading column indexes look-ups by conversation.
    __table_args__ = (UniqueConstraint("conversation_id", "article_id"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False)
    article_id: Mapped[str] = Column(String(100), nullable=False, index=True)
    question: Mapped[str] = Column(Text, nullable=False, default="")
    helpful: Mapped[bool] = Column(Boolean(), nullable=False)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        verdict = "helpful" if self.helpful else "unhelpful"
        return f"<FaqFeedback {self.article_id} {verdict} conversation={self.conversation_id}>"


class UnansweredQuestion(Base):
    """A customer question the assistant could not answer well: a to-do for staff."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    question: Mapped[str] = Column(Text, nullable=False)
    reason: Mapped[UnansweredReason] = Column(
        _enum_column_type(UnansweredReason, "unanswered_reason"), nullable=False
    )
    # The article marked unhelpful, or the top suggestion offered.
    article_id: Mapped[Optional[str]] = Column(String(100))
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<UnansweredQuestion {self.id} {self.reason.value if self.reason else None}>"


class OutboxMessage(Base):
    """An e-mail written by the assistant, waiting to be delivered.

    The development code sender stops here; a mail relay would read the rows
    and deliver them.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = Column(Integer, primary_key=True)
    recipient: Mapped[str] = Column(String(254), nullable=False)
    subject: Mapped[str] = Column(String(200), nullable=False)
    body: Mapped[str] = Column(Text, nullable=False)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} to={self.recipient}>"


class VerificationChallenge(Base):
    """A one-time code sent to prove that a conversation's customer owns an order.

    Only an HMAC of the code is stored (``code_hash``, hex). ``customer_id`` is
    ``None`` for a decoy: when the order number and e-mail address did not
    match, a challenge whose code nobody received is stored all the same, so
    that the conversation cannot tell the difference. The newest challenge of
    a conversation is its current one; ``consumed_at`` is set once it verified
    the customer or ended in a lockout.
    """

    __tablename__ = "verification_challenges"
    __table_args__ = (CheckConstraint("failed_attempts >= 0", name="failed_attempts_not_negative"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    customer_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = Column(String(64), nullable=False)
    expires_at: Mapped[datetime] = Column(UtcDateTime, nullable=False)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    consumed_at: Mapped[Optional[datetime]] = Column(UtcDateTime)
    failed_attempts: Mapped[int] = Column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        state = "consumed" if self.consumed_at else "open"
        return f"<VerificationChallenge {self.id} conversation={self.conversation_id} {state}>"


class VerificationLockout(Base):
    """A conversation barred from identity checks after too many wrong codes.

    One row per conversation: a later lockout moves ``locked_at`` and
    ``locked_until`` forward. The lock is over once ``locked_until`` has passed.
    """

    __tablename__ = "verification_lockouts"

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    locked_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    locked_until: Mapped[datetime] = Column(UtcDateTime, nullable=False)

    def __repr__(self) -> str:
        return f"<VerificationLockout {self.conversation_id} until={self.locked_until}>"


class ChannelLink(Base):
    """A messaging-app user who proved, by order number, email and code, to be a customer.

    Later conversations from the same user on the same channel start verified.
    The link goes with the customer (``ON DELETE CASCADE``).
    """

    __tablename__ = "channel_links"
    __table_args__ = (UniqueConstraint("channel", "external_user_id"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    channel: Mapped[str] = Column(String(64), nullable=False)
    external_user_id: Mapped[str] = Column(String(255), nullable=False)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    linked_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<ChannelLink {self.channel}:{self.external_user_id} -> {self.customer_id}>"


class AuditEntry(Base):
    """One change of one field, and the conversation that made it.

    Values are stored as text; ``None`` means the field had (or got) no value.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_entity_entity_id", "entity", "entity_id"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    entity: Mapped[str] = Column(String(40), nullable=False)
    entity_id: Mapped[str] = Column(String(64), nullable=False)
    field: Mapped[str] = Column(String(64), nullable=False)
    old_value: Mapped[Optional[str]] = Column(Text)
    new_value: Mapped[Optional[str]] = Column(Text)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.entity}:{self.entity_id}.{self.field}>"


class ReturnStatus(str, enum.Enum):
    """Where a return (RMA) is.

    ``requested``: created, label sent, parcel not yet with us;
    ``received``: the parcel reached the warehouse and is being checked;
    ``refunded``: the money went back; ``rejected``: the return was refused.
    """

    REQUESTED = "requested"
    RECEIVED = "received"
    REFUNDED = "refunded"
    REJECTED = "rejected"


OPEN_RETURN_STATUSES = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED)


class ReturnRequest(Base):
    """A return authorisation (RMA) for some lines of one order."""

    __tablename__ = "returns"
    __table_args__ = (CheckConstraint("refund_cents >= 0", name="refund_not_negative"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    rma: Mapped[str] = Column(String(16), nullable=False, unique=True, index=True)
    order_id: Mapped[int] = Column(
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status: Mapped[ReturnStatus] = Column(
        _enum_column_type(ReturnStatus, "return_status"),
        nullable=False,
        default=ReturnStatus.REQUESTED,
    )
    reason: Mapped[str] = Column(Text, nullable=False)
    refund_cents: Mapped[int] = Column(Integer, nullable=False, default=0)
    conversation_id: Mapped[Optional[str]] = Column(String(255))
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    received_at: Mapped[Optional[datetime]] = Column(UtcDateTime)
    refunded_at: Mapped[Optional[datetime]] = Column(UtcDateTime)

    order: Mapped[Order] = relationship("Order")
    lines: Mapped[List[ReturnLine]] = relationship(
        "ReturnLine",
        back_populates="return_request",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ReturnLine.id",
    )

    @property
    def is_open(self) -> bool:
        """Whether the return is still in progress."""
        return self.status in OPEN_RETURN_STATUSES

    def __repr__(self) -> str:
        return f"<ReturnRequest {self.rma} {self.status.value if self.status else None}>"


class ReturnLine(Base):
    """One order line, in some quantity, in a return."""

    __tablename__ = "return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        UniqueConstraint("return_id", "order_line_id"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    return_id: Mapped[int] = Column(
        Integer, ForeignKey("returns.id", ondelete="CASCADE"), nullable=False
    )
    order_line_id: Mapped[int] = Column(
        Integer, ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False, index=True
    )
    quantity: Mapped[int] = Column(Integer, nullable=False, default=1)

    return_request: Mapped[ReturnRequest] = relationship("ReturnRequest", back_populates="lines")
    order_line: Mapped[OrderLine] = relationship("OrderLine")


class CaseKind(str, enum.Enum):
    """What a support case is about."""

    DAMAGED_ITEM = "damaged_item"
    WRONG_ITEM = "wrong_item"
    MISSING_PARTS = "missing_parts"
    DOUBLE_CHARGE = "double_charge"


class CaseRemedy(str, enum.Enum):
    """What the customer chose to put a problem right."""

    REPLACEMENT = "replacement"
    REFUND = "refund"


class CaseStatus(str, enum.Enum):
    """Where a support case is."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


OPEN_CASE_STATUSES = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS)


class SupportCase(Base):
    """A problem with an order that staff put right: a broken item, a double charge.

    ``escalate`` flags a case that a person should look at first (a valuable
    item, or the customer's second problem within a short time); the reason
    is in ``escalation_reason``.
    """

    __tablename__ = "support_cases"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        Index("ix_support_cases_customer_id_created_at", "customer_id", "created_at"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(16), nullable=False, unique=True, index=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False
    )
    order_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("orders.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("order_lines.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[CaseKind] = Column(_enum_column_type(CaseKind, "case_kind"), nullable=False)
    remedy: Mapped[Optional[CaseRemedy]] = Column(_enum_column_type(CaseRemedy, "case_remedy"))
    status: Mapped[CaseStatus] = Column(
        _enum_column_type(CaseStatus, "case_status"), nullable=False, default=CaseStatus.OPEN
    )
    description: Mapped[str] = Column(Text, nullable=False, default="")
    amount_cents: Mapped[int] = Column(Integer, nullable=False, default=0)
    escalate: Mapped[bool] = Column(Boolean(), nullable=False, default=False)
    escalation_reason: Mapped[Optional[str]] = Column(String(200))
    conversation_id: Mapped[Optional[str]] = Column(String(255))
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)

    order: Mapped[Optional[Order]] = relationship("Order")
    order_line: Mapped[Optional[OrderLine]] = relationship("OrderLine")

    @property
    def is_open(self) -> bool:
        """Whether staff still have to act on the case."""
        return self.status in OPEN_CASE_STATUSES

    def __repr__(self) -> str:
        return f"<SupportCase {self.reference} {self.kind.value if self.kind else None}>"


class PrivacyRequestKind(str, enum.Enum):
    """What a customer asked for under data-protection law."""

    EXPORT = "export"
    ERASURE = "erasure"


class PrivacyRequestStatus(str, enum.Enum):
    """Where staff are with a privacy request."""

    PENDING_REVIEW = "pending_review"
    COMPLETED = "completed"
    REJECTED = "rejected"


class PrivacyRequest(Base):
    """A verified customer's request for a copy of their data or its erasure.

    For an export, ``export_path`` names the JSON file written for staff to
    review before it is sent; ``due_on`` is the legal deadline.
    """

    __tablename__ = "privacy_requests"

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(16), nullable=False, unique=True, index=True)
    customer_id: Mapped[int] = Column(
        Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[PrivacyRequestKind] = Column(
        _enum_column_type(PrivacyRequestKind, "privacy_request_kind"), nullable=False
    )
    status: Mapped[PrivacyRequestStatus] = Column(
        _enum_column_type(PrivacyRequestStatus, "privacy_request_status"),
        nullable=False,
        default=PrivacyRequestStatus.PENDING_REVIEW,
    )
    export_path: Mapped[Optional[str]] = Column(String(500))
    conversation_id: Mapped[Optional[str]] = Column(String(255))
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    due_on: Mapped[date] = Column(Date, nullable=False)

    def __repr__(self) -> str:
        return f"<PrivacyRequest {self.reference} {self.kind.value if self.kind else None}>"


class SentimentLabel(str, enum.Enum):
    """How a message sounds."""

    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Conversation(Base):
    """One conversation with the assistant, as the support team follows it.

    Kept up to date from Rasa's event broker: message counts, the rolling
    ``mood`` (an exponentially weighted mean of the customer's sentiment
    scores, -1..1) and the streaks that trigger follow-ups and escalation.
    """

    __tablename__ = "conversations"
    __table_args__ = (CheckConstraint("mood >= -1 AND mood <= 1", name="mood_in_range"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    channel: Mapped[Optional[str]] = Column(String(64))
    customer_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    started_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow, index=True)
    last_message_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    customer_messages: Mapped[int] = Column(Integer, nullable=False, default=0)
    fallback_messages: Mapped[int] = Column(Integer, nullable=False, default=0)
    mood: Mapped[float] = Column(Float, nullable=False, default=0.0)
    last_label: Mapped[Optional[SentimentLabel]] = Column(
        _enum_column_type(SentimentLabel, "sentiment_label")
    )
    negative_streak: Mapped[int] = Column(Integer, nullable=False, default=0)
    human_involved: Mapped[bool] = Column(Boolean(), nullable=False, default=False)

    def __repr__(self) -> str:
        return f"<Conversation {self.conversation_id}>"


class MessageSentiment(Base):
    """The sentiment of one customer message, with its text redacted of personal data.

    ``message_id`` is Rasa's id of the user message, so replaying the event
    broker never logs a message twice.
    """

    __tablename__ = "message_sentiments"
    __table_args__ = (
        UniqueConstraint("conversation_id", "message_id"),
        CheckConstraint("score >= -1 AND score <= 1", name="score_in_range"),
        Index("ix_message_sentiments_created_at", "created_at"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False)
    message_id: Mapped[str] = Column(String(64), nullable=False)
    channel: Mapped[Optional[str]] = Column(String(64))
    intent: Mapped[Optional[str]] = Column(String(100))
    customer_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    score: Mapped[float] = Column(Float, nullable=False)
    label: Mapped[SentimentLabel] = Column(
        _enum_column_type(SentimentLabel, "sentiment_label"), nullable=False
    )
    text_redacted: Mapped[str] = Column(Text, nullable=False)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)


class AgentRole(str, enum.Enum):
    """What an agent may do: ``admin`` also manages agents and sees every metric."""

    AGENT = "agent"
    ADMIN = "admin"


class Agent(Base):
    """A member of the support team who works the handoff queue."""

    __tablename__ = "agents"

    id: Mapped[int] = Column(Integer, primary_key=True)
    name: Mapped[str] = Column(String(80), nullable=False, unique=True)
    password_hash: Mapped[str] = Column(String(255), nullable=False)
    role: Mapped[AgentRole] = Column(
        _enum_column_type(AgentRole, "agent_role"), nullable=False, default=AgentRole.AGENT
    )
    active: Mapped[bool] = Column(Boolean(), nullable=False, default=True)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)

    def __repr__(self) -> str:
        return f"<Agent {self.name} {self.role.value if self.role else None}>"


class FollowUpStatus(str, enum.Enum):
    """Where the team is with a follow-up."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class FollowUp(Base):
    """A conversation that a person should look at again: one item per conversation.

    ``priority`` is higher for more urgent items (worse sentiment, a higher
    customer tier, a more valuable order).
    """

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_status_priority", "status", "priority"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    customer_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = Column(String(200), nullable=False)
    priority: Mapped[int] = Column(Integer, nullable=False, default=0)
    status: Mapped[FollowUpStatus] = Column(
        _enum_column_type(FollowUpStatus, "follow_up_status"),
        nullable=False,
        default=FollowUpStatus.OPEN,
    )
    assignee_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str] = Column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = Column(
        UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    assignee: Mapped[Optional[Agent]] = relationship("Agent")


class HandoffStatus(str, enum.Enum):
    """Where a handoff ticket is in the queue."""

    WAITING = "waiting"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


class HandoffTicket(Base):
    """A conversation handed to the support team, with everything an agent needs.

    ``context`` holds the context packet as JSON: customer profile and recent
    orders, the redacted transcript, the sentiment timeline, the last intents
    and what the assistant did not understand.
    """

    __tablename__ = "handoff_tickets"
    __table_args__ = (Index("ix_handoff_tickets_status_created_at", "status", "created_at"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, index=True)
    channel: Mapped[Optional[str]] = Column(String(64))
    customer_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    reason: Mapped[str] = Column(String(200), nullable=False)
    status: Mapped[HandoffStatus] = Column(
        _enum_column_type(HandoffStatus, "handoff_status"),
        nullable=False,
        default=HandoffStatus.WAITING,
    )
    context: Mapped[str] = Column(Text, nullable=False, default="{}")
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)
    claimed_at: Mapped[Optional[datetime]] = Column(UtcDateTime)
    claimed_by_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    resolved_at: Mapped[Optional[datetime]] = Column(UtcDateTime)

    claimed_by: Mapped[Optional[Agent]] = relationship("Agent")
    messages: Mapped[List[HandoffMessage]] = relationship(
        "HandoffMessage",
        back_populates="ticket",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="HandoffMessage.id",
    )

    def __repr__(self) -> str:
        return f"<HandoffTicket {self.id} {self.status.value if self.status else None}>"


class HandoffSender(str, enum.Enum):
    """Who wrote a message while a conversation was with the team."""

    CUSTOMER = "customer"
    AGENT = "agent"


class HandoffMessage(Base):
    """A message exchanged while a conversation is with a person.

    ``source_id`` identifies the broker event or API request it came from,
    so that a replay never shows a message twice.
    """

    __tablename__ = "handoff_messages"

    id: Mapped[int] = Column(Integer, primary_key=True)
    ticket_id: Mapped[int] = Column(
        Integer, ForeignKey("handoff_tickets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    sender: Mapped[HandoffSender] = Column(
        _enum_column_type(HandoffSender, "handoff_sender"), nullable=False
    )
    agent_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("agents.id", ondelete="SET NULL")
    )
    text: Mapped[str] = Column(Text, nullable=False)
    source_id: Mapped[str] = Column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow)

    ticket: Mapped[HandoffTicket] = relationship("HandoffTicket", back_populates="messages")


class SatisfactionRating(Base):
    """A customer's CSAT (1-5) and optional NPS (0-10) for a conversation."""

    __tablename__ = "satisfaction_ratings"
    __table_args__ = (
        CheckConstraint("csat >= 1 AND csat <= 5", name="csat_in_range"),
        CheckConstraint("nps IS NULL OR (nps >= 0 AND nps <= 10)", name="nps_in_range"),
    )

    id: Mapped[int] = Column(Integer, primary_key=True)
    conversation_id: Mapped[str] = Column(String(255), nullable=False, unique=True)
    csat: Mapped[int] = Column(Integer, nullable=False)
    nps: Mapped[Optional[int]] = Column(Integer)
    human_involved: Mapped[bool] = Column(Boolean(), nullable=False, default=False)
    agent_id: Mapped[Optional[int]] = Column(
        Integer, ForeignKey("agents.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = Column(UtcDateTime, nullable=False, default=utcnow, index=True)


class BrokerCursor(Base):
    """How far a consumer of Rasa's event broker has read, so it resumes where it stopped."""

    __tablename__ = "broker_cursors"

    id: Mapped[int] = Column(Integer, primary_key=True)
    consumer: Mapped[str] = Column(String(64), nullable=False, unique=True)
    position: Mapped[int] = Column(Integer, nullable=False, default=0)
    updated_at: Mapped[datetime] = Column(
        UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

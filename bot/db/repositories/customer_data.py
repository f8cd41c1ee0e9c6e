"""A customer's rows across the application database: finding, deleting and anonymising them.

Erasure keeps what the law requires (orders with their lines, payments,
shipments and returns, for accounting) but strips them of personal data;
everything else about the customer is deleted. The customer's row stays,
anonymised, because kept orders and the erasure request point to it.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Collection, Dict, List, Sequence, Set, Tuple

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.db.models import (
    Address,
    AuditEntry,
    ChannelLink,
    Conversation,
    Customer,
    FollowUp,
    HandoffTicket,
    LoyaltyAccount,
    MessageSentiment,
    Order,
    OutboxMessage,
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestStatus,
    ReturnRequest,
    SupportCase,
    VerificationChallenge,
    utcnow,
)
from bot.db.repositories.conversation_data import batches
from bot.db.repositories.customer_activity import VERIFICATION_ENTITY, VERIFICATION_FIELD

ERASED_NAME = "Erased customer"
ERASED_TEXT = "erased"

# Entities of the audit trail that name one of the customer's records by its
# number or reference (written by bot.orders, bot.db.repositories.cases and
# bot.privacy.requests).
ORDER_ENTITY = "order"
RETURN_ENTITY = "return"
CASE_ENTITY = "case"
PRIVACY_REQUEST_ENTITY = "privacy_request"


def erased_email(customer_id: int) -> str:
    """The placeholder address of an erased customer: unique, and never deliverable."""
    return f"erased-{customer_id}@erased.invalid"


@dataclass(frozen=True)
class CustomerRecords:
    """What identifies a customer's records elsewhere: the audit trail, exports.

    Attributes:
        email: The customer's address, as outbox messages are addressed.
        order_numbers: Numbers of the customer's orders.
        return_rmas: RMA ids of the customer's returns.
        case_references: References of the customer's support cases.
        privacy_requests: The customer's privacy requests.
    """

    email: str
    order_numbers: Tuple[str, ...]
    return_rmas: Tuple[str, ...]
    case_references: Tuple[str, ...]
    privacy_requests: Tuple[PrivacyRequest, ...]

    def audit_entities(self) -> Dict[str, Tuple[str, ...]]:
        """The audit trail's entity ids of these records, per entity."""
        return {
            ORDER_ENTITY: self.order_numbers,
            RETURN_ENTITY: self.return_rmas,
            CASE_ENTITY: self.case_references,
            PRIVACY_REQUEST_ENTITY: tuple(request.reference for request in self.privacy_requests),
        }


def records_of(session: Session, customer: Customer) -> CustomerRecords:
    """Collects the numbers and references of the customer's records.

    Args:
        session: Open database session.
        customer: The customer.
    """

    def column(query: Any) -> Tuple[str, ...]:
        return tuple(session.execute(query).scalars())

    return CustomerRecords(
        email=customer.email,
        order_numbers=column(select(Order.number).where(Order.customer_id == customer.id)),
        return_rmas=column(
            select(ReturnRequest.rma).where(ReturnRequest.customer_id == customer.id)
        ),
        case_references=column(
            select(SupportCase.reference).where(SupportCase.customer_id == customer.id)
        ),
        privacy_requests=tuple(
            session.execute(
                select(PrivacyRequest).where(PrivacyRequest.customer_id == customer.id)
            ).scalars()
        ),
    )


def conversations_of_customer(
    session: Session, customer_id: int, records: CustomerRecords
) -> Set[str]:
    """Returns every conversation the application database ties to the customer.

    A conversation is the customer's when it was linked to them, logged their
    messages, was handed to a person or followed up on their behalf, checked
    their identity, came from a messaging-app user linked to them, or created
    or changed one of their records.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
        records: What :func:`records_of` returned.
    """
    queries: List[Any] = [
        select(model.conversation_id).where(model.customer_id == customer_id)
        for model in (
            Conversation,
            MessageSentiment,
            FollowUp,
            HandoffTicket,
            VerificationChallenge,
            PrivacyRequest,
            ReturnRequest,
            SupportCase,
        )
    ]
    # A linked messaging-app user's id is the sender id of their conversations.
    queries.append(
        select(ChannelLink.external_user_id).where(ChannelLink.customer_id == customer_id)
    )
    queries.append(
        select(AuditEntry.entity_id).where(
            AuditEntry.entity == VERIFICATION_ENTITY,
            AuditEntry.field == VERIFICATION_FIELD,
            AuditEntry.new_value == str(customer_id),
        )
    )
    for entity, entity_ids in records.audit_entities().items():
        for batch in batches(entity_ids):
            queries.append(
                select(AuditEntry.conversation_id).where(
                    AuditEntry.entity == entity, AuditEntry.entity_id.in_(batch)
                )
            )
    found: Set[str] = set()
    for query in queries:
        found.update(value for value in session.execute(query).scalars() if value)
    return found


def link_conversations(
    session: Session, customer_id: int, conversation_ids: Collection[str]
) -> None:
    """Makes sure each conversation has a row that points to the customer.

    The rows say which conversations still have to be removed from the stores
    outside this database, should that be interrupted.

    Args:
        session: Open database session.
        customer_id: Primary key of the customer.
        conversation_ids: Rasa sender ids.
    """
    moment = utcnow()
    for batch in batches(conversation_ids):
        session.execute(
            update(Conversation)
            .where(Conversation.conversation_id.in_(batch))
            .values(customer_id=customer_id)
            .execution_options(synchronize_session=False)
        )
        existing = set(
            session.execute(
                select(Conversation.conversation_id).where(Conversation.conversation_id.in_(batch))
            ).scalars()
        )
        session.add_all(
            Conversation(
                conversation_id=conversation_id,
                customer_id=customer_id,
                started_at=moment,
                last_message_at=moment,
                customer_messages=0,
                fallback_messages=0,
                mood=0.0,
                negative_streak=0,
                human_involved=False,
            )
            for conversation_id in batch
            if conversation_id not in existing
        )
    session.flush()


def linked_conversations(session: Session, customer_id: int) -> Set[str]:
    """Returns the conversations whose row points to the customer."""
    query = select(Conversation.conversation_id).where(Conversation.customer_id == customer_id)
    return set(session.execute(query).scalars())


def _affected(session: Session, statement: Any) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def delete_audit_about(session: Session, records: CustomerRecords) -> int:
    """Deletes the audit rows about the customer's orders, returns, cases and requests.

    They hold old and new values such as delivery addresses.

    Returns:
        How many rows were deleted.
    """
    total = 0
    for entity, entity_ids in records.audit_entities().items():
        for batch in batches(entity_ids):
            total += _affected(
                session,
                delete(AuditEntry).where(
                    AuditEntry.entity == entity, AuditEntry.entity_id.in_(batch)
                ),
            )
    return total


# The rows that belong to the customer alone and are deleted outright, by
# their customer_id. A new table with a customer_id column is added here.
CUSTOMER_RECORDS: Sequence[Any] = (
    ChannelLink,
    LoyaltyAccount,
    SupportCase,
    VerificationChallenge,
    MessageSentiment,
    FollowUp,
)


def delete_customer_records(session: Session, customer: Customer) -> Dict[str, int]:
    """Deletes what the customer alone owns: records, export requests, e-mails, addresses.

    Addresses that a kept order was shipped to stay, for
    :func:`anonymise_customer` to strip.

    Args:
        session: Open database session.
        customer: The customer.

    Returns:
        Rows deleted per table.
    """
    counts = {
        model.__tablename__: _affected(
            session, delete(model).where(model.customer_id == customer.id)
        )
        for model in CUSTOMER_RECORDS
    }
    counts[PrivacyRequest.__tablename__] = _affected(
        session,
        delete(PrivacyRequest).where(
            PrivacyRequest.customer_id == customer.id,
            PrivacyRequest.kind != PrivacyRequestKind.ERASURE,
        ),
    )
    counts[OutboxMessage.__tablename__] = _affected(
        session,
        delete(OutboxMessage).where(func.lower(OutboxMessage.recipient) == customer.email.lower()),
    )
    shipped_to = select(Order.shipping_address_id).where(Order.customer_id == customer.id)
    counts[Address.__tablename__] = _affected(
        session,
        delete(Address).where(Address.customer_id == customer.id, Address.id.not_in(shipped_to)),
    )
    session.expire_all()
    return counts


def anonymise_customer(session: Session, customer: Customer) -> Dict[str, int]:
    """Strips personal data from what is kept: the customer, delivery addresses, returns.

    Orders keep their numbers, dates, status, amounts and lines; the
    addresses they were shipped to keep only the country (for tax). Returns
    keep their status and refund, not the customer's reason. An erasure
    request keeps its reference and dates, not the conversation or a file.

    Args:
        session: Open database session.
        customer: The customer.

    Returns:
        Rows anonymised per table.
    """
    counts = {
        Address.__tablename__: _affected(
            session,
            update(Address)
            .where(Address.customer_id == customer.id)
            .values(
                recipient_name=ERASED_NAME,
                line1=ERASED_TEXT,
                line2=None,
                city=ERASED_TEXT,
                region=None,
                postcode=ERASED_TEXT,
                is_default=False,
            ),
        ),
        ReturnRequest.__tablename__: _affected(
            session,
            update(ReturnRequest)
            .where(ReturnRequest.customer_id == customer.id)
            .values(reason="", conversation_id=None),
        ),
        PrivacyRequest.__tablename__: _affected(
            session,
            update(PrivacyRequest)
            .where(PrivacyRequest.customer_id == customer.id)
            .values(conversation_id=None, export_path=None),
        ),
        Customer.__tablename__: _affected(
            session,
            update(Customer)
            .where(Customer.id == customer.id)
            .values(name=ERASED_NAME, email=erased_email(customer.id), phone=None),
        ),
    }
    session.expire_all()
    return counts


def count_orders(session: Session, customer_id: int) -> int:
    """Counts the customer's orders."""
    query = select(func.count()).select_from(Order).where(Order.customer_id == customer_id)
    return int(session.execute(query).scalar_one())


def complete_erasure_requests(session: Session, customer_id: int) -> int:
    """Marks the customer's pending erasure requests completed.

    Returns:
        How many requests were completed.
    """
    return _affected(
        session,
        update(PrivacyRequest)
        .where(
            PrivacyRequest.customer_id == customer_id,
            PrivacyRequest.kind == PrivacyRequestKind.ERASURE,
            PrivacyRequest.status == PrivacyRequestStatus.PENDING_REVIEW,
        )
        .values(status=PrivacyRequestStatus.COMPLETED),
    )

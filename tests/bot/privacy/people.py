"""Customers with data in every store, built through the project's own repositories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Tuple

from bot.db.engine import session_scope
from bot.db.models import (
    Address,
    CaseKind,
    CaseRemedy,
    HandoffSender,
    LoyaltyAccount,
    ReturnLine,
    ReturnRequest,
    SentimentLabel,
    SupportCase,
)
from bot.db.repositories.audit import record_change
from bot.db.repositories.channel_links import link_user
from bot.db.repositories.conversations import (
    add_message_sentiment,
    get_or_create_conversation,
    set_conversation_customer,
)
from bot.db.repositories.customer_activity import VERIFICATION_ENTITY, VERIFICATION_FIELD
from bot.db.repositories.follow_ups import raise_follow_up
from bot.db.repositories.handoffs import add_message, create_ticket
from bot.db.repositories.knowledge_feedback import record_feedback, record_unanswered
from bot.db.repositories.outbox import add_outbox_message
from bot.db.repositories.ratings import record_csat
from bot.db.repositories.verification import add_challenge, lock_conversation
from bot.identity.links import AUDIT_ENTITY as LINK_AUDIT_ENTITY
from bot.identity.links import WHATSAPP_PREFIX
from bot.knowledge.policies import load_policies
from bot.orders import address_change, cancellation
from bot.privacy.requests import privacy_policy, request_erasure, request_export
from tests.support.shop_factory import ShopFactory
from tests.support.stores import Stores

NOW = datetime(2024, 6, 1, 10, 0, tzinfo=timezone.utc)
TODAY = NOW.date()


@dataclass(frozen=True)
class Person:
    """Who a test customer is, and where their data went.

    Attributes:
        customer_id: Primary key of the customer.
        needles: Every personal value of theirs: name, email, phone, addresses.
        conversations: Their conversations (Rasa sender ids).
        order_numbers: Their orders.
        order_totals: Each order's total in cents, by number.
        events: Events stored per store (tracker, broker).
        export_file: Name of their export file under ``var/exports/``.
    """

    customer_id: int
    needles: Tuple[str, ...]
    conversations: Tuple[str, ...]
    order_numbers: Tuple[str, ...]
    order_totals: Dict[str, int]
    events: int
    export_file: str


def conversation_events(text: str, customer_id: Any, at: datetime) -> List[Dict[str, Any]]:
    start = at.timestamp()
    events: List[Dict[str, Any]] = [
        {"event": "action", "timestamp": start, "name": "action_session_start"},
        {
            "event": "user",
            "timestamp": start + 1,
            "text": text,
            "parse_data": {"intent": {"name": "order_status", "confidence": 0.9}},
        },
    ]
    if customer_id is not None:
        events.append(
            {"event": "slot", "timestamp": start + 2, "name": "customer_id", "value": customer_id}
        )
    events.append({"event": "bot", "timestamp": start + 3, "text": "Thanks, let me check."})
    return events


def build_person(
    stores: Stores,
    *,
    key: str,
    name: str,
    email: str,
    phone: str,
    street: str,
    town: str,
    postcode: str,
    order_base: int,
) -> Person:
    """A customer with records in every table and store that can hold their data.

    ``<key>-verified`` is verified by code and has everything; ``<key>-token``
    exists only in Rasa's stores, linked by the ``customer_id`` slot;
    ``<key>-pending`` only got a code that was never typed in; their WhatsApp
    number is linked to them.
    """
    verified, token, pending = f"{key}-verified", f"{key}-token", f"{key}-pending"
    whatsapp = f"{WHATSAPP_PREFIX}{phone.replace(' ', '')}"
    policy = privacy_policy(load_policies())
    with session_scope(stores.app) as session:
        factory = ShopFactory(session)
        # Each person's products get their own SKUs.
        factory._counter = order_base
        customer = factory.customer(email=email, name=name)
        customer.phone = phone
        home = customer.addresses[0]
        home.line1, home.city, home.postcode, home.country = street, town, postcode, "GB"
        customer.addresses.append(
            Address(
                recipient_name=name,
                line1=f"Flat 2, {street}",
                city=town,
                postcode=postcode,
                country="GB",
            )
        )
        customer.loyalty_account = LoyaltyAccount(points_balance=1200, points_expiring=0)
        session.flush()
        first = factory.order(customer, f"ORD-{order_base + 1}", quantities=(2, 1))
        second = factory.order(customer, f"ORD-{order_base + 2}")
        cid = customer.id

        conversation = get_or_create_conversation(session, verified, channel="rest", now=NOW)
        set_conversation_customer(session, conversation, cid)
        add_message_sentiment(
            session,
            conversation_id=verified,
            message_id=f"{key}-m1",
            score=-0.7,
            label=SentimentLabel.NEGATIVE,
            text_redacted=f"This is {name}, my parcel never reached {street}",
            customer_id=cid,
            created_at=NOW,
        )
        raise_follow_up(session, verified, "negative message", 40, customer_id=cid, now=NOW)
        ticket = create_ticket(
            session,
            verified,
            "asked for a person",
            {"customer": {"name": name, "email": email, "phone": phone}, "address": street},
            channel="rest",
            customer_id=cid,
            now=NOW,
        )
        add_message(session, ticket, HandoffSender.CUSTOMER, f"Send it to {postcode}", f"{key}:c1")
        add_message(session, ticket, HandoffSender.AGENT, f"Will do, {name}", f"{key}:a1")
        record_csat(session, verified, 4, now=NOW)
        add_challenge(session, verified, cid, "a" * 64, NOW, NOW + timedelta(minutes=10))
        add_challenge(session, pending, cid, "b" * 64, NOW, NOW + timedelta(minutes=10))
        lock_conversation(session, verified, NOW, NOW + timedelta(minutes=15))
        record_feedback(session, verified, "returns_policy", f"can {name} return it?", False)
        record_unanswered(session, verified, f"deliver to {town}?", "fallback")
        link_user(session, "twilio", whatsapp, cid, now=NOW)
        record_change(session, whatsapp, LINK_AUDIT_ENTITY, "twilio", "customer_id", None, str(cid))
        add_outbox_message(session, email, "Your code", f"Hello {name}, your code is 123456")
        record_change(
            session, verified, VERIFICATION_ENTITY, verified, VERIFICATION_FIELD, None, str(cid)
        )
        record_change(
            session,
            verified,
            address_change.AUDIT_ENTITY,
            first.number,
            address_change.AUDIT_FIELD,
            f"{street}, {town}, {postcode}, GB",
            f"Flat 2, {street}, {town}, {postcode}, GB",
        )
        record_change(
            session,
            verified,
            cancellation.AUDIT_ENTITY,
            second.number,
            "status",
            "paid",
            "cancelled",
        )
        session.add(
            ReturnRequest(
                rma=f"RMA-{order_base + 1}",
                order=first,
                customer_id=cid,
                reason=f"{name} says it is too small",
                refund_cents=1500,
                conversation_id=verified,
                created_at=NOW,
                lines=[ReturnLine(order_line=first.lines[1], quantity=1)],
            )
        )
        session.add(
            SupportCase(
                reference=f"CASE-{order_base + 1}",
                customer_id=cid,
                order_id=second.id,
                kind=CaseKind.DAMAGED_ITEM,
                remedy=CaseRemedy.REFUND,
                description=f"arrived cracked at {street}",
                amount_cents=1500,
                conversation_id=verified,
                created_at=NOW,
            )
        )
        session.flush()
        export = request_export(
            session, cid, verified, policy, "EUR", stores.settings.var_dir, TODAY, now=NOW
        )
        request_erasure(session, cid, verified, policy, TODAY, now=NOW)
        totals = {first.number: first.total_cents, second.number: second.total_cents}
        assert export.export_path is not None
        export_name = export.export_path.name

    events = {
        verified: conversation_events(f"I'm {name}, {email}", cid, NOW),
        token: conversation_events(f"call me on {phone}", str(cid), NOW),
        pending: conversation_events(f"my email is {email}", None, NOW),
        whatsapp: conversation_events("where is my parcel?", None, NOW),
    }
    for sender_id, stored in events.items():
        stores.add_events(sender_id, stored)
    return Person(
        customer_id=cid,
        needles=(name, email, phone, street, town, postcode),
        conversations=(pending, token, verified, whatsapp),
        order_numbers=tuple(sorted(totals)),
        order_totals=totals,
        events=sum(len(stored) for stored in events.values()),
        export_file=export_name,
    )


def build_jane(stores: Stores) -> Person:
    """The customer to be erased."""
    return build_person(
        stores,
        key="jane",
        name="Jane Erasable",
        email="jane.erasable@example.com",
        phone="+44 7700 900123",
        street="17 Wisteria Lane",
        town="Lowestoft",
        postcode="NR32 1AB",
        order_base=300000,
    )


def build_olga(stores: Stores) -> Person:
    """Another customer, whose data must stay."""
    return build_person(
        stores,
        key="olga",
        name="Olga Keeping",
        email="olga.keeping@example.com",
        phone="+44 7700 900456",
        street="9 Harbour View",
        town="Whitstable",
        postcode="CT5 1AA",
        order_base=400000,
    )


def build_anonymous(stores: Stores, conversation_id: str = "anonymous-visitor") -> None:
    """A conversation of nobody in particular, which must stay."""
    with session_scope(stores.app) as session:
        get_or_create_conversation(session, conversation_id, channel="rest", now=NOW)
        record_feedback(session, conversation_id, "shipping_times", "how long is shipping", True)
    stores.add_events(conversation_id, conversation_events("how long is shipping?", None, NOW))

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Set

import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.exc import OperationalError

from bot.db.engine import session_scope
from bot.db.errors import CustomerNotFoundError
from bot.db.models import (
    Address,
    AuditEntry,
    Conversation,
    Customer,
    Order,
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestStatus,
    ReturnRequest,
)
from bot.db.repositories.tracker_events import TRACKER_EVENTS
from bot.events.source import BROKER_EVENTS
from bot.privacy import erasure
from bot.privacy.erasure import ErasureIncompleteError, erase_customer
from tests.bot.privacy.people import (
    NOW,
    Person,
    build_anonymous,
    build_jane,
    build_olga,
    conversation_events,
)
from tests.support.stores import Stores, find_traces


@pytest.fixture
def people(stores: Stores) -> Dict[str, Person]:
    people = {"jane": build_jane(stores), "olga": build_olga(stores)}
    build_anonymous(stores)
    return people


def _orders(stores: Stores, customer_id: int) -> List[Dict[str, Any]]:
    with session_scope(stores.app) as session:
        orders = session.execute(
            select(Order).where(Order.customer_id == customer_id).order_by(Order.number)
        ).scalars()
        return [
            {
                "number": order.number,
                "status": order.status.value,
                "placed_at": order.placed_at,
                "total": order.total_cents,
                "lines": [
                    (line.product_id, line.quantity, line.unit_price_cents) for line in order.lines
                ],
                "payments": [payment.amount_cents for payment in order.payments],
                "country": order.shipping_address.country,
            }
            for order in orders
        ]


def _tables_with_rows_of(stores: Stores, customer_id: int) -> Set[str]:
    """Every table, found in the database itself, with a row whose customer_id is the customer."""
    metadata = MetaData()
    metadata.reflect(stores.app)
    found = set()
    with stores.app.connect() as connection:
        for table in metadata.sorted_tables:
            if "customer_id" in table.c:
                query = select(table.c.customer_id).where(table.c.customer_id == customer_id)
                if connection.execute(query.limit(1)).first() is not None:
                    found.add(table.name)
    return found


def _snapshot(stores: Stores, person: Person) -> Dict[str, Any]:
    senders = stores.event_senders()
    return {
        "traces": find_traces(stores, person.needles),
        "tracker": sorted(s for s in senders["tracker"] if s in person.conversations),
        "broker": sorted(s for s in senders["broker"] if s in person.conversations),
        "orders": _orders(stores, person.customer_id),
        "export": (stores.exports_dir / person.export_file).read_bytes(),
    }


def test_the_scan_sees_every_store_before_erasure(
    stores: Stores, people: Dict[str, Person]
) -> None:
    traces = find_traces(stores, people["jane"].needles)
    places = {trace.split(":")[0] for trace in traces}

    for expected in (
        "app.customers.name",
        "app.customers.email",
        "app.customers.phone",
        "app.addresses.line1",
        "app.message_sentiments.text_redacted",
        "app.handoff_tickets.context",
        "app.handoff_messages.text",
        "app.faq_feedback.question",
        "app.unanswered_questions.question",
        "app.outbox_messages.recipient",
        "app.audit_entries.old_value",
        "app.returns.reason",
        "app.support_cases.description",
        "tracker.events.data",
        "broker.events.data",
    ):
        assert expected in places, f"{expected} not seen in {sorted(places)}"
    assert any(trace.startswith("file PRIV-") for trace in traces)
    linked = {trace.split(":")[0] for trace in find_traces(stores, people["jane"].conversations)}
    assert {
        "app.satisfaction_ratings.conversation_id",
        "app.verification_lockouts.conversation_id",
        "app.verification_challenges.conversation_id",
        "app.audit_entries.conversation_id",
        "app.channel_links.external_user_id",
    } <= linked


def test_erasure_leaves_no_personal_data_anywhere(
    stores: Stores, people: Dict[str, Person]
) -> None:
    jane = people["jane"]

    report = erase_customer(stores.settings, jane.customer_id)

    assert find_traces(stores, jane.needles) == []
    # Nothing refers to her conversations any more: no rating, lockout or audit row.
    assert find_traces(stores, jane.conversations) == []
    assert set(report.conversations) == set(jane.conversations)
    assert report.tracker_events == jane.events
    assert report.broker_events == jane.events
    senders = stores.event_senders()
    assert not set(senders["tracker"]) & set(jane.conversations)
    assert not set(senders["broker"]) & set(jane.conversations)
    assert not (stores.exports_dir / jane.export_file).exists()
    assert [path.name for path in report.export_files] == [jane.export_file]
    assert _tables_with_rows_of(stores, jane.customer_id) == {
        "addresses",
        "orders",
        "privacy_requests",
        "returns",
    }
    with session_scope(stores.app) as session:
        for model in (Conversation, AuditEntry):
            left = session.execute(
                select(model.conversation_id).where(model.conversation_id.in_(jane.conversations))
            ).all()
            assert left == [], model.__tablename__


def test_orders_stay_with_their_amounts_but_without_personal_data(
    stores: Stores, people: Dict[str, Person]
) -> None:
    jane = people["jane"]
    before = _orders(stores, jane.customer_id)

    report = erase_customer(stores.settings, jane.customer_id)

    assert _orders(stores, jane.customer_id) == before
    assert [order["number"] for order in before] == list(jane.order_numbers)
    assert {order["number"]: order["total"] for order in before} == jane.order_totals
    assert report.orders_kept == 2
    with session_scope(stores.app) as session:
        customer = session.get(Customer, jane.customer_id)
        assert (customer.name, customer.phone) == ("Erased customer", None)
        assert customer.email == f"erased-{jane.customer_id}@erased.invalid"
        addresses = (
            session.execute(select(Address).where(Address.customer_id == jane.customer_id))
            .scalars()
            .all()
        )
        # Only the address the orders went to is kept, with nothing but its country.
        assert [(a.recipient_name, a.line1, a.country) for a in addresses] == [
            ("Erased customer", "erased", "GB")
        ]
        returns = (
            session.execute(
                select(ReturnRequest).where(ReturnRequest.customer_id == jane.customer_id)
            )
            .scalars()
            .all()
        )
        assert [(r.refund_cents, r.reason, r.conversation_id) for r in returns] == [
            (1500, "", None)
        ]


def test_another_customers_data_is_untouched(stores: Stores, people: Dict[str, Person]) -> None:
    olga = people["olga"]
    before = _snapshot(stores, olga)

    erase_customer(stores.settings, people["jane"].customer_id)

    assert _snapshot(stores, olga) == before
    assert "anonymous-visitor" in stores.event_senders()["tracker"]
    with session_scope(stores.app) as session:
        assert session.execute(
            select(Conversation.id).where(Conversation.conversation_id == "anonymous-visitor")
        ).one()


def test_the_erasure_request_is_completed_and_the_erasure_audited(
    stores: Stores, people: Dict[str, Person]
) -> None:
    jane = people["jane"]

    report = erase_customer(stores.settings, jane.customer_id)

    assert report.requests_completed == 1
    with session_scope(stores.app) as session:
        requests = (
            session.execute(
                select(PrivacyRequest).where(PrivacyRequest.customer_id == jane.customer_id)
            )
            .scalars()
            .all()
        )
        assert [(r.kind, r.status, r.conversation_id, r.export_path) for r in requests] == [
            (PrivacyRequestKind.ERASURE, PrivacyRequestStatus.COMPLETED, None, None)
        ]
        audit = (
            session.execute(select(AuditEntry).where(AuditEntry.entity == "customer"))
            .scalars()
            .all()
        )
        assert [(a.entity_id, a.field, a.old_value, a.new_value) for a in audit] == [
            (str(jane.customer_id), "personal_data", None, "erased")
        ]


def test_a_dry_run_changes_nothing_and_predicts_the_erasure(
    stores: Stores, people: Dict[str, Person]
) -> None:
    jane = people["jane"]
    before = _snapshot(stores, jane)

    plan = erase_customer(stores.settings, jane.customer_id, dry_run=True)

    assert plan.dry_run
    assert _snapshot(stores, jane) == before
    report = erase_customer(stores.settings, jane.customer_id)
    assert (plan.conversations, plan.tracker_events, plan.broker_events) == (
        report.conversations,
        report.tracker_events,
        report.broker_events,
    )
    assert plan.deleted == report.deleted
    assert plan.anonymised == report.anonymised
    assert plan.export_files == report.export_files
    assert report.deleted["handoff_messages"] == 2
    assert report.deleted["message_sentiments"] == 1


def test_conversations_only_one_store_remembers_are_erased_too(
    stores: Stores, people: Dict[str, Person]
) -> None:
    jane = people["jane"]
    stores.add_events(
        "jane-tracker-only",
        conversation_events(f"post it to {jane.needles[3]}", jane.customer_id, NOW),
        broker=False,
    )
    stores.add_events(
        "jane-broker-only",
        conversation_events(f"my number is {jane.needles[2]}", jane.customer_id, NOW),
        tracker=False,
    )

    report = erase_customer(stores.settings, jane.customer_id)

    assert {"jane-tracker-only", "jane-broker-only"} <= set(report.conversations)
    assert find_traces(stores, jane.needles) == []


def test_a_rabbitmq_broker_keeps_no_copy_to_erase(
    stores: Stores, people: Dict[str, Person]
) -> None:
    jane = people["jane"]
    settings = replace(stores.settings, event_broker_url="amqp://guest:guest@127.0.0.1:5672/")

    report = erase_customer(settings, jane.customer_id)

    assert report.broker_events == 0
    assert report.tracker_events == jane.events
    assert not set(stores.event_senders()["tracker"]) & set(jane.conversations)


def test_an_unknown_customer_changes_nothing(stores: Stores, people: Dict[str, Person]) -> None:
    jane = people["jane"]
    before = _snapshot(stores, jane)

    with pytest.raises(CustomerNotFoundError):
        erase_customer(stores.settings, 999_999)

    assert _snapshot(stores, jane) == before


def test_running_again_finishes_an_interrupted_erasure(
    stores: Stores, people: Dict[str, Person], monkeypatch: pytest.MonkeyPatch
) -> None:
    jane = people["jane"]
    real_delete = erasure.delete_events

    def tracker_down(session: Any, table: Any, ids: Any) -> int:
        if table is TRACKER_EVENTS:
            raise OperationalError("DELETE FROM events", {}, Exception("connection lost"))
        return real_delete(session, table, ids)

    monkeypatch.setattr(erasure, "delete_events", tracker_down)
    with pytest.raises(ErasureIncompleteError) as raised:
        erase_customer(stores.settings, jane.customer_id)
    assert raised.value.store == "tracker store"
    assert set(stores.event_senders()["tracker"]) & set(jane.conversations)
    with session_scope(stores.app) as session:
        request = session.execute(
            select(PrivacyRequest.status).where(PrivacyRequest.customer_id == jane.customer_id)
        ).scalar_one()
        assert request is PrivacyRequestStatus.PENDING_REVIEW

    monkeypatch.setattr(erasure, "delete_events", real_delete)
    report = erase_customer(stores.settings, jane.customer_id)

    assert find_traces(stores, jane.needles) == []
    assert find_traces(stores, jane.conversations) == []
    assert report.tracker_events == jane.events
    assert set(report.conversations) == set(jane.conversations)
    assert report.requests_completed == 1


def test_erasing_twice_is_harmless(stores: Stores, people: Dict[str, Person]) -> None:
    jane = people["jane"]
    erase_customer(stores.settings, jane.customer_id)
    olga_before = _snapshot(stores, people["olga"])

    again = erase_customer(stores.settings, jane.customer_id)

    assert again.conversations == ()
    assert (again.tracker_events, again.broker_events, again.requests_completed) == (0, 0, 0)
    assert sum(again.deleted.values()) == 0
    assert _snapshot(stores, people["olga"]) == olga_before


def _shape(table: Any) -> set:
    return {(c.name, type(c.type).__name__, c.nullable, c.primary_key) for c in table.c}


def test_the_event_tables_are_declared_as_rasa_creates_them() -> None:
    from rasa.core.brokers.sql import SQLEventBroker
    from rasa.core.tracker_store import SQLTrackerStore

    assert _shape(TRACKER_EVENTS) == _shape(SQLTrackerStore.SQLEvent.__table__)
    assert _shape(BROKER_EVENTS) == _shape(SQLEventBroker.SQLBrokerEvent.__table__)

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.migrations import (
    ALEMBIC_DIR,
    current_revision,
    downgrade,
    head_revision,
    next_revision_id,
    upgrade,
)
from bot.db.models import Base
from tests.support.database import database_url_of

SHOP_TABLES = {
    "customers",
    "addresses",
    "products",
    "orders",
    "order_lines",
    "payments",
    "shipments",
    "loyalty_accounts",
}
FEEDBACK_TABLES = {"faq_feedback", "unanswered_questions"}
IDENTITY_TABLES = {
    "outbox_messages",
    "verification_challenges",
    "verification_lockouts",
    "audit_entries",
}


def test_migrations_create_every_table(db_engine: Engine) -> None:
    tables = set(inspect(db_engine).get_table_names())
    assert SHOP_TABLES.issubset(tables)
    assert FEEDBACK_TABLES.issubset(tables)
    assert IDENTITY_TABLES.issubset(tables)
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_database_is_at_the_newest_revision(db_engine: Engine) -> None:
    assert current_revision(database_url_of(db_engine)) == head_revision() == "0006"


def test_migrations_match_the_models(db_engine: Engine) -> None:
    with db_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_lookups_are_indexed_and_unique(db_engine: Engine) -> None:
    inspector = inspect(db_engine)
    orders = {index["name"]: index for index in inspector.get_indexes("orders")}
    customers = {index["name"]: index for index in inspector.get_indexes("customers")}
    assert orders["ix_orders_number"]["column_names"] == ["number"]
    assert orders["ix_orders_number"]["unique"]
    assert customers["ix_customers_email"]["column_names"] == ["email"]
    assert customers["ix_customers_email"]["unique"]


def test_foreign_keys_are_real(db_engine: Engine) -> None:
    inspector = inspect(db_engine)
    referred = {
        (table, fk["referred_table"])
        for table in SHOP_TABLES
        for fk in inspector.get_foreign_keys(table)
    }
    assert referred == {
        ("addresses", "customers"),
        ("orders", "customers"),
        ("orders", "addresses"),
        ("order_lines", "orders"),
        ("order_lines", "products"),
        ("payments", "orders"),
        ("shipments", "orders"),
        ("loyalty_accounts", "customers"),
    }


def test_enum_check_constraint_rejects_unknown_values(db_session: Session) -> None:
    insert = text(
        "INSERT INTO customers (name, email, tier, created_at) "
        "VALUES (:name, :email, :tier, :created_at)"
    )
    values = {"name": "A", "email": "a@example.com", "created_at": "2024-01-01 00:00:00"}
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(insert, {**values, "tier": "platinum"})
    db_session.execute(insert, {**values, "tier": "gold"})


def test_email_must_be_stored_lower_case(db_session: Session) -> None:
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(
            text(
                "INSERT INTO customers (name, email, tier, created_at) "
                "VALUES ('A', 'Upper@Example.com', 'gold', '2024-01-01 00:00:00')"
            )
        )


def test_downgrade_to_base_and_upgrade_again(db_engine: Engine) -> None:
    url = database_url_of(db_engine)
    downgrade(url, "base")
    try:
        all_tables = SHOP_TABLES | FEEDBACK_TABLES | IDENTITY_TABLES
        assert all_tables.isdisjoint(inspect(db_engine).get_table_names())
        assert current_revision(url) is None
    finally:
        upgrade(url)
    assert SHOP_TABLES.issubset(inspect(db_engine).get_table_names())
    assert current_revision(url) == head_revision()


def test_revision_files_are_numbered() -> None:
    files = sorted(path.name for path in (ALEMBIC_DIR / "versions").glob("*.py"))
    assert files[0] == "0001_shop_schema.py"
    assert all(name[:4].isdigit() and name[4] == "_" for name in files)
    assert int(next_revision_id()) == int(head_revision()) + 1


def test_downgrade_of_the_feedback_tables_keeps_the_shop(db_engine: Engine) -> None:
    url = database_url_of(db_engine)
    downgrade(url, "0001")
    try:
        tables = set(inspect(db_engine).get_table_names())
        assert FEEDBACK_TABLES.isdisjoint(tables)
        assert SHOP_TABLES.issubset(tables)
        assert current_revision(url) == "0001"
    finally:
        upgrade(url)
    assert FEEDBACK_TABLES.issubset(inspect(db_engine).get_table_names())


def test_feedback_lookups_are_indexed(db_engine: Engine) -> None:
    inspector = inspect(db_engine)
    feedback = {
        index["name"]: index["column_names"] for index in inspector.get_indexes("faq_feedback")
    }
    unique = {
        uq["name"]: uq["column_names"] for uq in inspector.get_unique_constraints("faq_feedback")
    }
    todo = {
        index["name"]: index["column_names"]
        for index in inspector.get_indexes("unanswered_questions")
    }
    assert feedback["ix_faq_feedback_article_id"] == ["article_id"]
    # The unique constraint's index serves look-ups by conversation.
    assert unique["uq_faq_feedback_conversation_id_article_id"] == ["conversation_id", "article_id"]
    assert todo["ix_unanswered_questions_conversation_id"] == ["conversation_id"]
    assert todo["ix_unanswered_questions_created_at"] == ["created_at"]


def test_downgrade_of_the_identity_tables_keeps_the_rest(db_engine: Engine) -> None:
    url = database_url_of(db_engine)
    downgrade(url, "0002")
    try:
        tables = set(inspect(db_engine).get_table_names())
        assert IDENTITY_TABLES.isdisjoint(tables)
        assert (SHOP_TABLES | FEEDBACK_TABLES).issubset(tables)
        assert current_revision(url) == "0002"
    finally:
        upgrade(url)
    assert IDENTITY_TABLES.issubset(inspect(db_engine).get_table_names())


def test_identity_lookups_are_indexed(db_engine: Engine) -> None:
    inspector = inspect(db_engine)

    def indexes(table: str) -> dict:
        return {index["name"]: index["column_names"] for index in inspector.get_indexes(table)}

    challenges = indexes("verification_challenges")
    assert challenges["ix_verification_challenges_conversation_id"] == ["conversation_id"]
    assert challenges["ix_verification_challenges_customer_id"] == ["customer_id"]
    lockouts = {
        uq["name"]: uq["column_names"]
        for uq in inspector.get_unique_constraints("verification_lockouts")
    }
    assert lockouts["uq_verification_lockouts_conversation_id"] == ["conversation_id"]
    audit = indexes("audit_entries")
    assert audit["ix_audit_entries_conversation_id"] == ["conversation_id"]
    assert audit["ix_audit_entries_entity_entity_id"] == ["entity", "entity_id"]
    assert audit["ix_audit_entries_created_at"] == ["created_at"]
    assert indexes("outbox_messages")["ix_outbox_messages_created_at"] == ["created_at"]
    [challenge_fk] = inspector.get_foreign_keys("verification_challenges")
    assert (challenge_fk["referred_table"], challenge_fk["constrained_columns"]) == (
        "customers",
        ["customer_id"],
    )


ORDER_ISSUE_TABLES = {"returns", "return_lines", "support_cases", "privacy_requests"}


def test_downgrade_of_the_order_issue_tables_keeps_the_rest(db_engine: Engine) -> None:
    url = database_url_of(db_engine)
    downgrade(url, "0003")
    try:
        tables = set(inspect(db_engine).get_table_names())
        assert ORDER_ISSUE_TABLES.isdisjoint(tables)
        assert (SHOP_TABLES | FEEDBACK_TABLES | IDENTITY_TABLES).issubset(tables)
    finally:
        upgrade(url)
    assert ORDER_ISSUE_TABLES.issubset(inspect(db_engine).get_table_names())


def test_returns_and_cases_are_found_by_reference_and_order(db_engine: Engine) -> None:
    inspector = inspect(db_engine)

    def indexes(table: str) -> dict:
        return {
            index["name"]: (index["column_names"], index["unique"])
            for index in inspector.get_indexes(table)
        }

    returns = indexes("returns")
    assert returns["ix_returns_rma"] == (["rma"], True)
    assert returns["ix_returns_order_id"][0] == ["order_id"]
    cases = indexes("support_cases")
    assert cases["ix_support_cases_reference"] == (["reference"], True)
    assert cases["ix_support_cases_customer_id_created_at"][0] == ["customer_id", "created_at"]
    assert indexes("privacy_requests")["ix_privacy_requests_customer_id"][0] == ["customer_id"]


SUPPORT_TEAM_TABLES = {
    "conversations",
    "message_sentiments",
    "agents",
    "follow_ups",
    "handoff_tickets",
    "handoff_messages",
    "satisfaction_ratings",
    "broker_cursors",
}


def test_downgrade_of_the_support_team_tables_keeps_the_rest(db_engine: Engine) -> None:
    url = database_url_of(db_engine)
    downgrade(url, "0004")
    try:
        tables = set(inspect(db_engine).get_table_names())
        assert SUPPORT_TEAM_TABLES.isdisjoint(tables)
        assert ORDER_ISSUE_TABLES.issubset(tables)
    finally:
        upgrade(url)
    assert SUPPORT_TEAM_TABLES.issubset(inspect(db_engine).get_table_names())


def test_a_message_is_logged_once_and_a_claim_is_indexed(db_engine: Engine) -> None:
    inspector = inspect(db_engine)
    unique = {
        uq["name"]: uq["column_names"]
        for uq in inspector.get_unique_constraints("message_sentiments")
    }
    assert unique["uq_message_sentiments_conversation_id_message_id"] == [
        "conversation_id",
        "message_id",
    ]
    tickets = {
        index["name"]: index["column_names"] for index in inspector.get_indexes("handoff_tickets")
    }
    assert tickets["ix_handoff_tickets_status_created_at"] == ["status", "created_at"]

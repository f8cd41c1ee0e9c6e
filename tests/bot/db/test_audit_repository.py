from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import AuditEntry
from bot.db.repositories.audit import changes_of, latest_change, record_change

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def test_a_change_is_recorded(db_session: Session) -> None:
    entry = record_change(
        db_session, "conv-1", "order", "ORD-100003", "status", "paid", "cancelled", now=NOW
    )
    db_session.expire_all()
    stored = db_session.get(AuditEntry, entry.id)
    assert stored is not None
    assert (
        stored.conversation_id,
        stored.entity,
        stored.entity_id,
        stored.field,
        stored.old_value,
        stored.new_value,
        stored.created_at,
    ) == ("conv-1", "order", "ORD-100003", "status", "paid", "cancelled", NOW)


def test_values_may_be_missing(db_session: Session) -> None:
    entry = record_change(db_session, "conv-1", "order", "ORD-1", "note", None, None, now=NOW)
    db_session.expire_all()
    stored = db_session.get(AuditEntry, entry.id)
    assert stored is not None and (stored.old_value, stored.new_value) == (None, None)


def test_the_time_defaults_to_now(db_session: Session) -> None:
    before = datetime.now(timezone.utc)
    entry = record_change(db_session, "conv-1", "order", "ORD-1", "status", "a", "b")
    assert before <= entry.created_at <= datetime.now(timezone.utc)


def test_changes_of_an_entity_come_oldest_first(db_session: Session) -> None:
    record_change(db_session, "c", "order", "ORD-1", "status", "paid", "shipped", now=NOW)
    record_change(db_session, "c", "order", "ORD-2", "status", "paid", "cancelled", now=NOW)
    record_change(
        db_session, "c", "order", "ORD-1", "status", "shipped", "delivered", now=NOW - timedelta(1)
    )
    record_change(db_session, "c", "customer", "ORD-1", "email", "a", "b", now=NOW)
    changes = changes_of(db_session, "order", "ORD-1")
    assert [(c.old_value, c.new_value) for c in changes] == [
        ("shipped", "delivered"),
        ("paid", "shipped"),
    ]


def test_latest_change_of_a_field(db_session: Session) -> None:
    assert latest_change(db_session, "conversation", "c", "verified_customer_id") is None
    record_change(db_session, "c", "conversation", "c", "verified_customer_id", None, "1", NOW)
    record_change(
        db_session, "c", "conversation", "c", "verified_customer_id", "1", "2", NOW + timedelta(1)
    )
    record_change(db_session, "c", "conversation", "c", "other", None, "x", NOW + timedelta(2))
    latest = latest_change(db_session, "conversation", "c", "verified_customer_id")
    assert latest is not None and latest.new_value == "2"


@pytest.mark.parametrize("blank", ["conversation_id", "entity", "entity_id", "field"])
def test_what_identifies_a_change_is_required(db_session: Session, blank: str) -> None:
    values = {"conversation_id": "c", "entity": "order", "entity_id": "ORD-1", "field": "status"}
    values[blank] = " "
    with pytest.raises(ValueError, match=blank):
        record_change(db_session, old="a", new="b", **values)
    assert db_session.execute(select(AuditEntry)).first() is None


def test_values_are_stored_as_text(db_session: Session) -> None:
    hostile = "'); DELETE FROM audit_entries; --"
    record_change(db_session, "c", "order", hostile, "status", hostile, "<script>", now=NOW)
    [entry] = changes_of(db_session, "order", hostile)
    assert (entry.entity_id, entry.old_value, entry.new_value) == (hostile, hostile, "<script>")

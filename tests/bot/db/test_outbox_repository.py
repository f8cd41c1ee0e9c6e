from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import Session

from bot.db.repositories.outbox import add_outbox_message, list_outbox_messages

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


def test_messages_are_queued_and_listed_newest_first(db_session: Session) -> None:
    add_outbox_message(db_session, "a@example.com", "First", "one", now=NOW)
    add_outbox_message(db_session, "b@example.com", "Second", "two", now=NOW + timedelta(1))
    add_outbox_message(db_session, "a@example.com", "Third", "three", now=NOW + timedelta(2))
    db_session.expire_all()
    assert [m.subject for m in list_outbox_messages(db_session)] == ["Third", "Second", "First"]
    to_a = list_outbox_messages(db_session, recipient="a@example.com")
    assert [(m.subject, m.body, m.created_at) for m in to_a] == [
        ("Third", "three", NOW + timedelta(2)),
        ("First", "one", NOW),
    ]
    assert len(list_outbox_messages(db_session, limit=1)) == 1


def test_a_message_needs_a_recipient(db_session: Session) -> None:
    with pytest.raises(ValueError):
        add_outbox_message(db_session, "  ", "Subject", "Body")
    with pytest.raises(ValueError):
        list_outbox_messages(db_session, limit=0)

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import Agent, AgentRole, AuditEntry, SatisfactionRating
from bot.db.repositories.handoffs import claim_ticket, create_ticket, resolve_ticket
from bot.db.repositories.ratings import (
    InvalidRatingError,
    NoRatingYetError,
    get_rating,
    latest_resolved_ticket,
    record_csat,
    record_nps,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def agent(session: Session, name: str) -> Agent:
    row = Agent(name=name, password_hash="x", role=AgentRole.AGENT)
    session.add(row)
    session.flush()
    return row


def handed_off(session: Session, conversation_id: str, agent_id: int, resolve: bool = True):
    ticket = create_ticket(session, conversation_id, "customer asked for a person", {}, now=NOW)
    assert claim_ticket(session, ticket.id, agent_id, NOW + timedelta(minutes=2))
    if resolve:
        assert resolve_ticket(session, ticket.id, NOW + timedelta(minutes=9))
    session.expire_all()
    return ticket


def audit_rows(session: Session, conversation_id: str):
    rows = session.execute(
        select(AuditEntry)
        .where(AuditEntry.conversation_id == conversation_id)
        .order_by(AuditEntry.id)
    ).scalars()
    return [(row.entity, row.field, row.old_value, row.new_value) for row in rows]


def test_a_bot_only_conversation_is_rated_without_a_person(db_session: Session):
    rating = record_csat(db_session, "bot-only", 4, now=NOW)
    db_session.expire_all()
    stored = get_rating(db_session, "bot-only")
    assert (stored.csat, stored.nps, stored.human_involved, stored.agent_id) == (
        4,
        None,
        False,
        None,
    )
    assert stored.id == rating.id
    assert audit_rows(db_session, "bot-only") == [("satisfaction_rating", "csat", None, "4")]


def test_a_rating_after_a_handoff_names_the_agent_who_resolved_it(db_session: Session):
    first, second = agent(db_session, "Aoife"), agent(db_session, "Brian")
    handed_off(db_session, "with-person", first.id)
    handed_off(db_session, "with-person", second.id)
    assert latest_resolved_ticket(db_session, "with-person").claimed_by_id == second.id
    rating = record_csat(db_session, "with-person", 5, now=NOW)
    assert (rating.human_involved, rating.agent_id) == (True, second.id)


def test_a_ticket_still_open_does_not_count_as_resolved(db_session: Session):
    person = agent(db_session, "Ciara")
    handed_off(db_session, "still-open", person.id, resolve=False)
    assert latest_resolved_ticket(db_session, "still-open") is None
    assert record_csat(db_session, "still-open", 3).human_involved is False


def test_a_second_rating_replaces_the_first_and_is_audited(db_session: Session):
    record_csat(db_session, "twice", 2, now=NOW)
    person = agent(db_session, "Dara")
    handed_off(db_session, "twice", person.id)
    record_csat(db_session, "twice", 5, now=NOW)
    record_csat(db_session, "twice", 5, now=NOW)
    rows = (
        db_session.execute(
            select(SatisfactionRating).where(SatisfactionRating.conversation_id == "twice")
        )
        .scalars()
        .all()
    )
    assert [(r.csat, r.human_involved, r.agent_id) for r in rows] == [(5, True, person.id)]
    assert audit_rows(db_session, "twice") == [
        ("satisfaction_rating", "csat", None, "2"),
        ("satisfaction_rating", "csat", "2", "5"),
    ]


def test_nps_joins_the_csat_rating(db_session: Session):
    record_csat(db_session, "nps", 4, now=NOW)
    record_nps(db_session, "nps", 0, now=NOW)
    db_session.expire_all()
    assert get_rating(db_session, "nps").nps == 0
    record_nps(db_session, "nps", 9, now=NOW)
    assert get_rating(db_session, "nps").nps == 9
    assert audit_rows(db_session, "nps")[1:] == [
        ("satisfaction_rating", "nps", None, "0"),
        ("satisfaction_rating", "nps", "0", "9"),
    ]


def test_nps_without_csat_is_refused(db_session: Session):
    with pytest.raises(NoRatingYetError):
        record_nps(db_session, "no-csat", 8)
    assert get_rating(db_session, "no-csat") is None


@pytest.mark.parametrize("score", [0, 6, -1, "4", 4.0, True, None])
def test_csat_outside_one_to_five_is_refused(db_session: Session, score):
    with pytest.raises(InvalidRatingError):
        record_csat(db_session, "bad-csat", score)
    assert get_rating(db_session, "bad-csat") is None


@pytest.mark.parametrize("score", [-1, 11, "7", False])
def test_nps_outside_zero_to_ten_is_refused(db_session: Session, score):
    record_csat(db_session, "bad-nps", 3)
    with pytest.raises(InvalidRatingError):
        record_nps(db_session, "bad-nps", score)
    assert get_rating(db_session, "bad-nps").nps is None

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterator, List

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db.engine import make_session_factory, session_scope
from bot.db.models import Agent, AgentRole, HandoffSender, HandoffStatus, HandoffTicket
from bot.db.repositories.handoffs import (
    add_message,
    claim_ticket,
    create_ticket,
    get_ticket,
    list_tickets,
    messages_since,
    open_ticket_of_conversation,
    queue_position,
    resolve_ticket,
)
from bot.db.seed import reset_shop_data

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)
CONTEXT = {"customer": None, "reason": "customer asked for a person", "transcript": []}


def agent(session: Session, name: str) -> Agent:
    row = Agent(name=name, password_hash="scrypt$x", role=AgentRole.AGENT, active=True)
    session.add(row)
    session.flush()
    return row


def ticket(session: Session, conversation_id: str, minutes: int = 0) -> HandoffTicket:
    return create_ticket(
        session,
        conversation_id,
        "customer asked for a person",
        CONTEXT,
        channel="rest",
        now=T0 + timedelta(minutes=minutes),
    )


def test_create_ticket_stores_the_context_and_reuses_an_open_ticket(db_session: Session) -> None:
    first = ticket(db_session, "conv-a")
    assert first.status == HandoffStatus.WAITING
    assert json.loads(first.context) == CONTEXT
    assert (first.channel, first.created_at) == ("rest", T0)
    again = create_ticket(db_session, "conv-a", "strongly negative message", {}, now=T0)
    assert again.id == first.id
    assert again.reason == "customer asked for a person"
    assert open_ticket_of_conversation(db_session, "conv-a").id == first.id
    assert get_ticket(db_session, first.id) is first
    assert get_ticket(db_session, first.id + 1000) is None


def test_a_resolved_conversation_gets_a_new_ticket(db_session: Session) -> None:
    first = ticket(db_session, "conv-b")
    assert resolve_ticket(db_session, first.id, T0)
    assert open_ticket_of_conversation(db_session, "conv-b") is None
    second = ticket(db_session, "conv-b", minutes=10)
    assert second.id != first.id


def test_list_and_queue_position_follow_arrival_order(db_session: Session) -> None:
    late = ticket(db_session, "conv-late", minutes=9)
    early = ticket(db_session, "conv-early", minutes=1)
    middle = ticket(db_session, "conv-middle", minutes=5)
    same_time = ticket(db_session, "conv-same", minutes=5)
    assert [t.id for t in list_tickets(db_session)] == [early.id, middle.id, same_time.id, late.id]
    assert [queue_position(db_session, t) for t in (early, middle, same_time, late)] == [1, 2, 3, 4]
    sam = agent(db_session, "Sam")
    assert claim_ticket(db_session, early.id, sam.id, T0)
    db_session.expire_all()
    assert [queue_position(db_session, t) for t in (middle, same_time, late)] == [1, 2, 3]
    assert [t.id for t in list_tickets(db_session, HandoffStatus.CLAIMED)] == [early.id]
    assert [t.id for t in list_tickets(db_session, HandoffStatus.WAITING)] == [
        middle.id,
        same_time.id,
        late.id,
    ]


def test_a_ticket_is_claimed_once(db_session: Session) -> None:
    waiting = ticket(db_session, "conv-c")
    sam, priya = agent(db_session, "Sam"), agent(db_session, "Priya")
    assert claim_ticket(db_session, waiting.id, sam.id, T0 + timedelta(minutes=3))
    assert not claim_ticket(db_session, waiting.id, priya.id, T0 + timedelta(minutes=4))
    db_session.expire_all()
    claimed = get_ticket(db_session, waiting.id)
    assert claimed.status == HandoffStatus.CLAIMED
    assert claimed.claimed_by_id == sam.id
    assert claimed.claimed_at == T0 + timedelta(minutes=3)
    assert not claim_ticket(db_session, 987654, sam.id)


def test_resolve_closes_an_open_ticket_once(db_session: Session) -> None:
    claimed = ticket(db_session, "conv-d")
    sam = agent(db_session, "Sam")
    claim_ticket(db_session, claimed.id, sam.id, T0)
    assert resolve_ticket(db_session, claimed.id, T0 + timedelta(minutes=8))
    assert not resolve_ticket(db_session, claimed.id)
    db_session.expire_all()
    resolved = get_ticket(db_session, claimed.id)
    assert resolved.status == HandoffStatus.RESOLVED
    assert resolved.resolved_at == T0 + timedelta(minutes=8)
    assert not claim_ticket(db_session, claimed.id, sam.id)


def test_messages_are_recorded_once_per_source_and_read_after_an_id(db_session: Session) -> None:
    current = ticket(db_session, "conv-e")
    sam = agent(db_session, "Sam")
    first = add_message(db_session, current, HandoffSender.CUSTOMER, "Hello?", "evt-1", now=T0)
    assert first is not None
    assert add_message(db_session, current, HandoffSender.CUSTOMER, "Hello?", "evt-1") is None
    second = add_message(
        db_session, current, HandoffSender.AGENT, "Hi, Sam here", "agent:1", agent_id=sam.id
    )
    assert [(m.sender, m.text) for m in messages_since(db_session, current.id)] == [
        (HandoffSender.CUSTOMER, "Hello?"),
        (HandoffSender.AGENT, "Hi, Sam here"),
    ]
    assert [m.id for m in messages_since(db_session, current.id, first.id)] == [second.id]
    assert second.agent_id == sam.id
    other = ticket(db_session, "conv-f")
    assert messages_since(db_session, other.id) == []


@pytest.fixture
def committed(db_engine: Engine) -> Iterator[Engine]:
    """The real database, for work that must be committed; emptied afterwards."""
    try:
        yield db_engine
    finally:
        with session_scope(db_engine) as session:
            reset_shop_data(session)


def test_concurrent_claims_from_two_connections_have_exactly_one_winner(
    committed: Engine,
) -> None:
    with session_scope(committed) as session:
        ids = {name: agent(session, name).id for name in ("Sam", "Priya")}
        ticket_id = ticket(session, "conv-concurrent").id
    factory = make_session_factory(committed)
    barrier = threading.Barrier(2)
    results: Dict[str, bool] = {}
    errors: List[BaseException] = []

    def claim_as(name: str) -> None:
        session = factory()
        try:
            barrier.wait(timeout=10)
            won = claim_ticket(session, ticket_id, ids[name])
            # Hold the transaction open so that the other claim truly overlaps it.
            time.sleep(0.3)
            session.commit()
            results[name] = won
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            session.close()

    threads = [threading.Thread(target=claim_as, args=(name,)) for name in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results.values()) == [False, True]
    winner = next(name for name, won in results.items() if won)
    with session_scope(committed) as session:
        stored = get_ticket(session, ticket_id)
        assert stored.status == HandoffStatus.CLAIMED
        assert stored.claimed_by_id == ids[winner]

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from bot.db.models import Agent, AgentRole, FollowUpStatus
from bot.db.repositories.follow_ups import (
    get_follow_up,
    list_follow_ups,
    raise_follow_up,
    update_follow_up,
)
from tests.support.shop_factory import ShopFactory

T0 = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)


def agent(session: Session, name: str = "Sam") -> Agent:
    row = Agent(name=name, password_hash="scrypt$x", role=AgentRole.AGENT, active=True)
    session.add(row)
    session.flush()
    return row


def test_raising_creates_an_open_item(db_session: Session, factory: ShopFactory) -> None:
    customer = factory.customer()
    item = raise_follow_up(db_session, "conv-1", "complaint", 30, customer_id=customer.id, now=T0)
    assert (item.status, item.reason, item.priority) == (FollowUpStatus.OPEN, "complaint", 30)
    assert (item.customer_id, item.notes, item.created_at, item.updated_at) == (
        customer.id,
        "",
        T0,
        T0,
    )
    assert get_follow_up(db_session, item.id) is item
    assert get_follow_up(db_session, item.id + 100) is None


def test_raising_again_joins_reasons_and_only_raises_priority(db_session: Session) -> None:
    first = raise_follow_up(db_session, "conv-2", "complaint", 50, now=T0)
    later = T0 + timedelta(minutes=5)
    again = raise_follow_up(db_session, "conv-2", "two negative messages in a row", 20, now=later)
    assert again.id == first.id
    assert again.reason == "complaint; two negative messages in a row"
    assert again.priority == 50
    assert again.updated_at == later
    raise_follow_up(db_session, "conv-2", "complaint", 70)
    assert again.reason == "complaint; two negative messages in a row"
    assert again.priority == 70


def test_raising_keeps_assignee_and_notes_and_reopens_a_done_item(db_session: Session) -> None:
    sam = agent(db_session)
    item = raise_follow_up(db_session, "conv-3", "complaint", 10, now=T0)
    update_follow_up(db_session, item, status=FollowUpStatus.DONE, assignee_id=sam.id, notes="ok")
    raise_follow_up(db_session, "conv-3", "damaged item flagged", 10)
    assert item.status == FollowUpStatus.OPEN
    assert (item.assignee_id, item.notes) == (sam.id, "ok")


def test_list_is_most_urgent_first_and_filters_by_status(db_session: Session) -> None:
    low = raise_follow_up(db_session, "conv-low", "complaint", 5, now=T0)
    high = raise_follow_up(db_session, "conv-high", "complaint", 90, now=T0)
    newer = raise_follow_up(db_session, "conv-newer", "complaint", 5, now=T0 + timedelta(hours=1))
    assert [i.id for i in list_follow_ups(db_session)] == [high.id, newer.id, low.id]
    update_follow_up(db_session, high, status=FollowUpStatus.IN_PROGRESS)
    assert [i.id for i in list_follow_ups(db_session, FollowUpStatus.IN_PROGRESS)] == [high.id]
    assert [i.id for i in list_follow_ups(db_session, FollowUpStatus.OPEN)] == [newer.id, low.id]


def test_update_changes_only_what_is_given(db_session: Session) -> None:
    sam = agent(db_session)
    item = raise_follow_up(db_session, "conv-4", "complaint", 10, now=T0)
    later = T0 + timedelta(minutes=1)
    update_follow_up(db_session, item, assignee_id=sam.id, notes="Refund sent", now=later)
    assert (item.status, item.assignee_id, item.notes, item.updated_at) == (
        FollowUpStatus.OPEN,
        sam.id,
        "Refund sent",
        later,
    )
    update_follow_up(db_session, item, status=FollowUpStatus.DONE)
    assert (item.status, item.assignee_id, item.notes) == (
        FollowUpStatus.DONE,
        sam.id,
        "Refund sent",
    )
    update_follow_up(db_session, item, clear_assignee=True)
    assert item.assignee_id is None

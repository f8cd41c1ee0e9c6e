from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import VerificationChallenge, VerificationLockout
from bot.db.repositories.verification import (
    active_lockout,
    add_challenge,
    current_challenge,
    lock_conversation,
)
from tests.support.shop_factory import ShopFactory

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
HASH = "0" * 64


def challenge(
    session: Session, conversation: str, customer_id: Optional[int], at: datetime
) -> VerificationChallenge:
    return add_challenge(
        session, conversation, customer_id, HASH, created_at=at, expires_at=at + timedelta(1)
    )


def test_the_newest_challenge_is_current(db_session: Session, factory: ShopFactory) -> None:
    customer = factory.customer()
    assert current_challenge(db_session, "c") is None
    challenge(db_session, "c", customer.id, NOW)
    newest = challenge(db_session, "c", None, NOW + timedelta(minutes=1))
    challenge(db_session, "other", customer.id, NOW + timedelta(minutes=2))
    db_session.expire_all()
    current = current_challenge(db_session, "c", for_update=True)
    assert current is not None and current.id == newest.id
    assert (current.customer_id, current.failed_attempts, current.consumed_at) == (None, 0, None)
    assert current.expires_at == NOW + timedelta(days=1, minutes=1)


def test_failed_attempts_cannot_go_negative(db_session: Session) -> None:
    row = challenge(db_session, "c", None, NOW)
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(
            text("UPDATE verification_challenges SET failed_attempts = -1 WHERE id = :id"),
            {"id": row.id},
        )


def test_challenges_go_with_their_customer(db_session: Session, factory: ShopFactory) -> None:
    customer = factory.customer()
    challenge(db_session, "c", customer.id, NOW)
    db_session.execute(text("DELETE FROM addresses WHERE customer_id = :id"), {"id": customer.id})
    db_session.execute(text("DELETE FROM customers WHERE id = :id"), {"id": customer.id})
    db_session.expire_all()
    assert db_session.execute(select(VerificationChallenge)).first() is None


def test_a_lockout_holds_until_its_end(db_session: Session) -> None:
    assert active_lockout(db_session, "c", NOW) is None
    lock_conversation(db_session, "c", NOW, NOW + timedelta(minutes=15))
    db_session.expire_all()
    lockout = active_lockout(db_session, "c", NOW + timedelta(minutes=14, seconds=59))
    assert lockout is not None and lockout.locked_until == NOW + timedelta(minutes=15)
    assert active_lockout(db_session, "c", NOW + timedelta(minutes=15)) is None
    assert active_lockout(db_session, "other", NOW) is None


def test_a_new_lockout_replaces_the_old_one(db_session: Session) -> None:
    lock_conversation(db_session, "c", NOW, NOW + timedelta(minutes=15))
    later = NOW + timedelta(hours=1)
    lock_conversation(db_session, "c", later, later + timedelta(minutes=15))
    rows = db_session.execute(select(VerificationLockout)).scalars().all()
    assert [(r.conversation_id, r.locked_at, r.locked_until) for r in rows] == [
        ("c", later, later + timedelta(minutes=15))
    ]


def test_one_lockout_row_per_conversation(db_session: Session) -> None:
    lock_conversation(db_session, "c", NOW, NOW + timedelta(minutes=15))
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(VerificationLockout(conversation_id="c", locked_at=NOW, locked_until=NOW))

"""Storing one-time verification codes (as hashes) and conversation lockouts.

The rules (how long a code lives, how many wrong codes lock a conversation)
are in :mod:`bot.identity.codes`; this module only reads and writes rows.
Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import VerificationChallenge, VerificationLockout


def add_challenge(
    session: Session,
    conversation_id: str,
    customer_id: Optional[int],
    code_hash: str,
    created_at: datetime,
    expires_at: datetime,
    failed_attempts: int = 0,
) -> VerificationChallenge:
    """Stores a new challenge, which becomes the conversation's current one.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id) being verified.
        customer_id: The customer the code was sent to; ``None`` for a decoy
            whose code nobody received.
        code_hash: Hex HMAC of the code; never the code itself.
        created_at: When the code was made, timezone-aware.
        expires_at: When the code stops working, timezone-aware.
        failed_attempts: Wrong codes already counted against the conversation.

    Returns:
        The new row, flushed.
    """
    challenge = VerificationChallenge(
        conversation_id=conversation_id,
        customer_id=customer_id,
        code_hash=code_hash,
        created_at=created_at,
        expires_at=expires_at,
        failed_attempts=failed_attempts,
    )
    session.add(challenge)
    session.flush()
    return challenge


def current_challenge(
    session: Session, conversation_id: str, for_update: bool = False
) -> Optional[VerificationChallenge]:
    """Returns the conversation's newest challenge (the last one added), or ``None``.

    The challenge is returned whether or not it has been consumed.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id).
        for_update: Lock the row until the transaction ends (``SELECT ... FOR
            UPDATE`` on PostgreSQL; SQLite locks the whole database on write),
            so that concurrent checks count every wrong code.
    """
    query = (
        select(VerificationChallenge)
        .where(VerificationChallenge.conversation_id == conversation_id)
        # Insertion order, which injected or skewed clocks cannot reorder.
        .order_by(VerificationChallenge.id.desc())
        .limit(1)
    )
    if for_update:
        query = query.with_for_update()
    challenge: Optional[VerificationChallenge] = session.execute(query).scalars().first()
    return challenge


def _find_lockout(session: Session, conversation_id: str) -> Optional[VerificationLockout]:
    lockout: Optional[VerificationLockout] = session.execute(
        select(VerificationLockout).where(VerificationLockout.conversation_id == conversation_id)
    ).scalar_one_or_none()
    return lockout


def active_lockout(
    session: Session, conversation_id: str, now: datetime
) -> Optional[VerificationLockout]:
    """Returns the conversation's lockout if it is still in force at ``now``.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id).
        now: The moment to judge, timezone-aware.
    """
    lockout = _find_lockout(session, conversation_id)
    if lockout is None or lockout.locked_until <= now:
        return None
    return lockout


def lock_conversation(
    session: Session, conversation_id: str, locked_at: datetime, locked_until: datetime
) -> VerificationLockout:
    """Bars a conversation from identity checks until ``locked_until``.

    An earlier lockout of the conversation is replaced. A row inserted by a
    concurrent transaction in the meantime is updated the same way (the insert
    runs in a SAVEPOINT).

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id).
        locked_at: When the lock starts, timezone-aware.
        locked_until: When it ends, timezone-aware.

    Returns:
        The stored row, flushed.
    """
    lockout = _find_lockout(session, conversation_id)
    if lockout is None:
        new = VerificationLockout(
            conversation_id=conversation_id, locked_at=locked_at, locked_until=locked_until
        )
        try:
            with session.begin_nested():
                session.add(new)
            return new
        except IntegrityError:
            lockout = _find_lockout(session, conversation_id)
            if lockout is None:
                raise
    lockout.locked_at = locked_at
    lockout.locked_until = locked_until
    session.flush()
    return lockout

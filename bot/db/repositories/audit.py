"""The audit trail: which conversation changed which field, from what to what.

Functions take an open :class:`~sqlalchemy.orm.Session` and never commit: the
caller owns the transaction, so an audit row is written if and only if the
change it describes is.
"""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import AuditEntry, utcnow


def _require_text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def record_change(
    session: Session,
    conversation_id: str,
    entity: str,
    entity_id: str,
    field: str,
    old: Optional[str],
    new: Optional[str],
    now: Optional[datetime] = None,
) -> AuditEntry:
    """Writes one audit row for a changed field.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id) that made the change.
        entity: Kind of thing changed, e.g. ``"order"`` or ``"conversation"``.
        entity_id: Which one, e.g. an order number.
        field: The field changed, e.g. ``"status"``.
        old: The value before, as text; ``None`` when it had none.
        new: The value after, as text; ``None`` when it was cleared.
        now: When the change happened, timezone-aware; the current time by default.

    Returns:
        The new row, flushed.

    Raises:
        ValueError: When ``conversation_id``, ``entity``, ``entity_id`` or
            ``field`` is empty.
    """
    entry = AuditEntry(
        conversation_id=_require_text(conversation_id, "conversation_id"),
        entity=_require_text(entity, "entity"),
        entity_id=_require_text(entity_id, "entity_id"),
        field=_require_text(field, "field"),
        old_value=old,
        new_value=new,
        created_at=now or utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


def changes_of(session: Session, entity: str, entity_id: str) -> List[AuditEntry]:
    """Returns every recorded change of one entity, oldest first.

    Args:
        session: Open database session.
        entity: Kind of thing, e.g. ``"order"``.
        entity_id: Which one.
    """
    entries = session.execute(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.created_at, AuditEntry.id)
    ).scalars()
    return list(entries)


def latest_change(
    session: Session, entity: str, entity_id: str, field: str
) -> Optional[AuditEntry]:
    """Returns the most recent recorded change of one field, or ``None``.

    Args:
        session: Open database session.
        entity: Kind of thing, e.g. ``"conversation"``.
        entity_id: Which one.
        field: The field.
    """
    entry: Optional[AuditEntry] = (
        session.execute(
            select(AuditEntry)
            .where(
                AuditEntry.entity == entity,
                AuditEntry.entity_id == entity_id,
                AuditEntry.field == field,
            )
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .limit(1)
        )
        .scalars()
        .first()
    )
    return entry

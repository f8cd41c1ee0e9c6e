"""Read-only looks into Rasa's SQL tracker store, for tests of what it kept.

Rasa's ``SQLTrackerStore`` writes one row per event into ``events``
(``rasa/core/tracker_store.py``, ``SQLEvent``): ``id`` grows with every
insert, ``type_name`` is ``user``, ``bot``, ``action``, ``slot``, …, and
``data`` holds the event as JSON. These helpers open a fresh read-only
connection per call, so they never hold a lock or a pooled connection that a
fault test would cut.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool


@dataclass(frozen=True)
class StoredEvent:
    """One row of the tracker store's ``events`` table.

    Attributes:
        id: The row id; the order Rasa stored the events in.
        type_name: ``user``, ``bot``, ``action``, ``slot``, …
        action_name: The action of an ``action`` event.
        text: The text of a ``user`` or ``bot`` event.
        data: The whole event.
    """

    id: int
    type_name: str
    action_name: Optional[str]
    text: Optional[str]
    data: Dict[str, Any]


def _rows(url: str, query: str, params: Dict[str, Any]) -> Sequence[Any]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection = connection.execution_options(postgresql_readonly=True)
            return list(connection.execute(text(query), params))
    finally:
        engine.dispose()


def conversation_events(url: str, sender_id: str) -> List[StoredEvent]:
    """Every stored event of one conversation, in the order Rasa stored them.

    Args:
        url: The tracker store's SQLAlchemy URL (``TRACKER_STORE_URL``).
        sender_id: The conversation id.
    """
    rows = _rows(
        url,
        "SELECT id, type_name, action_name, data FROM events "
        "WHERE sender_id = :sender ORDER BY id",
        {"sender": sender_id},
    )
    events = []
    for row in rows:
        data = json.loads(row.data) if row.data else {}
        events.append(StoredEvent(row.id, row.type_name, row.action_name, data.get("text"), data))
    return events


def user_texts(url: str, sender_id: str) -> List[str]:
    """The texts of the conversation's ``user`` events, in stored order."""
    return [
        event.text or ""
        for event in conversation_events(url, sender_id)
        if event.type_name == "user"
    ]


def user_texts_by_sender(url: str, sender_prefix: str) -> Dict[str, List[str]]:
    """The ``user`` texts of every conversation whose id starts with ``sender_prefix``."""
    escaped = sender_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = _rows(
        url,
        "SELECT sender_id, data FROM events "
        "WHERE type_name = 'user' AND sender_id LIKE :prefix ESCAPE '\\' ORDER BY id",
        {"prefix": f"{escaped}%"},
    )
    texts: Dict[str, List[str]] = {}
    for row in rows:
        data = json.loads(row.data) if row.data else {}
        texts.setdefault(row.sender_id, []).append(str(data.get("text") or ""))
    return texts


def table_counts(url: str, tables: Sequence[str]) -> Dict[str, int]:
    """How many rows each of ``tables`` has, read in one snapshot.

    Args:
        url: Any SQLAlchemy URL (the application database, for instance).
        tables: Table names; they come from the test, never from input.
    """
    query = " UNION ALL ".join(
        f"SELECT '{table}' AS name, count(*) AS rows FROM {table}" for table in tables
    )
    return {row.name: int(row.rows) for row in _rows(url, query, {})}

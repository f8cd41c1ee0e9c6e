"""The current time, or a given one, always timezone-aware."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional


def resolve_now(now: Optional[datetime]) -> datetime:
    """Returns ``now``, or the current UTC time when it is ``None``.

    Args:
        now: A moment injected by the caller (tests, replays), or ``None``.

    Raises:
        ValueError: When ``now`` is a naive datetime, whose zone is unknown.
    """
    if now is None:
        return datetime.now(timezone.utc)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"now must be timezone-aware, got {now!r}")
    return now

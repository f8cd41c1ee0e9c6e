"""Named errors of customer identification."""

from __future__ import annotations

from datetime import datetime


class IdentityError(Exception):
    """Base class of every error raised by :mod:`bot.identity`."""


class VerificationLockedError(IdentityError):
    """The conversation gave too many wrong codes and may not try again yet."""

    def __init__(self, locked_until: datetime) -> None:
        super().__init__(f"Verification is locked until {locked_until.isoformat()}")
        self.locked_until = locked_until

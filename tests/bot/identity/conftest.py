"""Identity fixtures: a sender that records the codes instead of e-mailing them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

import pytest
from sqlalchemy.orm import Session

SECRET = "test-secret-for-identity-checks"


@dataclass(frozen=True)
class SentCode:
    email: str
    code: str
    conversation_id: str


@dataclass
class RecordingSender:
    """A code sender that keeps what it was asked to send."""

    sent: List[SentCode] = field(default_factory=list)

    def send(self, session: Session, email: str, code: str, conversation_id: str) -> None:
        self.sent.append(SentCode(email, code, conversation_id))


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()

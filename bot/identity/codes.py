"""Verifying a customer with an order number, an e-mail address and a one-time code.

1. :func:`start_verification` takes the order number and e-mail address the
   person typed. When they belong together, a :data:`CODE_LENGTH`-digit code
   is sent to that address. When they do not (wrong address, unknown order),
   nothing is sent, yet everything the conversation can observe is the same:
   the same :class:`VerificationStarted`, and later the same answers from
   :func:`check_code`, because a decoy challenge whose code nobody received is
   stored in place of the real one.
2. :func:`check_code` compares what the person typed with the conversation's
   newest code. A code works once and for :data:`CODE_TTL`. After
   :data:`MAX_FAILED_ATTEMPTS` wrong codes in a row the conversation is locked
   out of verification for :data:`LOCKOUT_DURATION`; during the lock even the
   right code does not verify. Asking for a new code does not reset the count
   of wrong codes; only a successful verification or a lockout does.

Codes are stored only as an HMAC-SHA256, keyed by the secret the caller
passes (e.g. ``Settings.customer_token_secret``) and bound to the
conversation. A successful verification writes an audit row (entity
:data:`AUDIT_ENTITY`, field :data:`AUDIT_FIELD`). Functions take an open
session and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Optional

from sqlalchemy.orm import Session

from bot.db.models import Order
from bot.db.repositories.audit import latest_change, record_change
from bot.db.repositories.customer_activity import VERIFICATION_ENTITY, VERIFICATION_FIELD
from bot.db.repositories.orders import find_order_for_owner
from bot.db.repositories.verification import (
    active_lockout,
    add_challenge,
    current_challenge,
    lock_conversation,
)
from bot.identity.clock import resolve_now
from bot.identity.errors import VerificationLockedError

if TYPE_CHECKING:
    from bot.identity.senders import CodeSender

CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=10)
MAX_FAILED_ATTEMPTS = 3
LOCKOUT_DURATION = timedelta(minutes=15)

AUDIT_ENTITY = VERIFICATION_ENTITY
AUDIT_FIELD = VERIFICATION_FIELD

_MAX_CONVERSATION_ID_LENGTH = 255
# Longest address customers.email can hold, with room for surrounding whitespace.
_MAX_EMAIL_INPUT_LENGTH = 320
# Longer input is certainly wrong; it is still counted, but not hashed in full.
_MAX_CODE_INPUT_LENGTH = 64
# Keeps these hashes apart from anything else made with the same secret.
_HASH_CONTEXT = b"shop-support/verification-code/v1"


@dataclass(frozen=True)
class VerificationStarted:
    """What the conversation learns from asking for a code: only when it would expire.

    The value is the same whether or not the order number and e-mail address
    matched, and holds neither the address nor the customer's name.

    Attributes:
        expires_at: When a code sent now stops working.
    """

    expires_at: datetime


class CodeCheckStatus(str, enum.Enum):
    """The outcome of checking a code."""

    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    LOCKED = "locked"
    NO_CHALLENGE = "no_challenge"


@dataclass(frozen=True)
class CodeCheck:
    """The result of :func:`check_code`.

    Attributes:
        status: What happened.
        customer_id: The verified customer; only with ``VERIFIED``.
        attempts_left: Wrong codes left before the lockout; only with ``WRONG``.
        locked_until: When the conversation may try again; only with ``LOCKED``.
    """

    status: CodeCheckStatus
    customer_id: Optional[int] = None
    attempts_left: Optional[int] = None
    locked_until: Optional[datetime] = None

    @property
    def verified(self) -> bool:
        """Whether the code proved who the customer is."""
        return self.status is CodeCheckStatus.VERIFIED


def generate_code() -> str:
    """Returns a random :data:`CODE_LENGTH`-digit code from a CSPRNG, e.g. ``"048213"``."""
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def normalize_code(text: object) -> str:
    """Returns a typed code without whitespace and hyphens: ``"123 456"`` gives ``"123456"``.

    Args:
        text: What the person typed; anything that is not a string gives ``""``.
    """
    if not isinstance(text, str):
        return ""
    return "".join(text[:_MAX_CODE_INPUT_LENGTH].split()).replace("-", "")


def hash_code(code: str, conversation_id: str, secret: str) -> str:
    """Returns the stored form of a code: a hex HMAC-SHA256 bound to the conversation.

    Args:
        code: The code, normalized.
        conversation_id: The conversation the code belongs to.
        secret: Key of the HMAC.
    """
    message = b"\x00".join((_HASH_CONTEXT, conversation_id.encode("utf-8"), code.encode("utf-8")))
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _require_conversation_id(conversation_id: str) -> None:
    if (
        not isinstance(conversation_id, str)
        or not conversation_id.strip()
        or len(conversation_id) > _MAX_CONVERSATION_ID_LENGTH
        or "\x00" in conversation_id
    ):
        raise ValueError(
            f"conversation_id must be a non-empty string of at most "
            f"{_MAX_CONVERSATION_ID_LENGTH} characters without NUL, got {conversation_id!r}"
        )


def _find_order(session: Session, order_number: object, email: object) -> Optional[Order]:
    """Returns the order if the typed number and address belong together.

    Text that cannot be an order number or an address matches nothing.
    """
    if not isinstance(order_number, str) or not isinstance(email, str):
        return None
    # PostgreSQL refuses NUL in text parameters; no order number or address has one.
    if len(email) > _MAX_EMAIL_INPUT_LENGTH or "\x00" in email or "\x00" in order_number:
        return None
    return find_order_for_owner(session, order_number, email)


def _require_secret(secret: str) -> None:
    if not isinstance(secret, str) or not secret:
        raise ValueError("the code secret must be a non-empty string")


def start_verification(
    session: Session,
    conversation_id: str,
    order_number: str,
    email: str,
    *,
    sender: CodeSender,
    secret: str,
    now: Optional[datetime] = None,
) -> VerificationStarted:
    """Sends a one-time code to the order's e-mail address, if the address is the order's.

    Whether the pair matched is never revealed (see the module docstring).
    The new code replaces any earlier one of the conversation; wrong codes
    given for the earlier one still count.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id) to verify.
        order_number: The order number as typed, in any form
            :func:`bot.db.repositories.orders.normalize_order_number` accepts.
        email: The e-mail address as typed.
        sender: Delivers the code; called only when the pair matched.
        secret: Key of the code's HMAC; :func:`check_code` needs the same.
        now: The current time, timezone-aware; the real time by default.

    Returns:
        When the code expires; the same for a matching and a non-matching pair.

    Raises:
        VerificationLockedError: When the conversation is locked out; no code
            is made or sent.
        ValueError: When ``conversation_id`` or ``secret`` is empty, or ``now``
            is naive.
    """
    moment = resolve_now(now)
    _require_conversation_id(conversation_id)
    _require_secret(secret)
    lockout = active_lockout(session, conversation_id, moment)
    if lockout is not None:
        raise VerificationLockedError(lockout.locked_until)

    order = _find_order(session, order_number, email)
    previous = current_challenge(session, conversation_id, for_update=True)
    carried = previous.failed_attempts if previous and previous.consumed_at is None else 0
    code = generate_code()
    expires_at = moment + CODE_TTL
    add_challenge(
        session,
        conversation_id,
        customer_id=order.customer_id if order is not None else None,
        code_hash=hash_code(code, conversation_id, secret),
        created_at=moment,
        expires_at=expires_at,
        failed_attempts=carried,
    )
    if order is not None:
        sender.send(session, order.customer.email, code, conversation_id)
    return VerificationStarted(expires_at=expires_at)


def _record_verification(
    session: Session, conversation_id: str, customer_id: int, now: datetime
) -> None:
    previous = latest_change(session, AUDIT_ENTITY, conversation_id, AUDIT_FIELD)
    record_change(
        session,
        conversation_id,
        AUDIT_ENTITY,
        conversation_id,
        AUDIT_FIELD,
        previous.new_value if previous is not None else None,
        str(customer_id),
        now=now,
    )


def check_code(
    session: Session,
    conversation_id: str,
    code: object,
    now: Optional[datetime] = None,
    *,
    secret: str,
) -> CodeCheck:
    """Checks a typed code against the conversation's newest one.

    In order: a locked conversation gets ``LOCKED`` whatever it typed; without
    an unused code it gets ``NO_CHALLENGE``; a code older than
    :data:`CODE_TTL` gives ``EXPIRED``. Otherwise the right code gives
    ``VERIFIED`` (the code is used up and an audit row written) and a wrong
    one ``WRONG``, or ``LOCKED`` when it was the :data:`MAX_FAILED_ATTEMPTS`-th
    wrong code in a row. Expired, missing and locked codes do not count as wrong.

    Args:
        session: Open database session.
        conversation_id: The conversation (Rasa sender id).
        code: What the person typed; spaces and hyphens are ignored.
        now: The current time, timezone-aware; the real time by default.
        secret: Key of the code's HMAC, as given to :func:`start_verification`.

    Returns:
        The outcome.

    Raises:
        ValueError: When ``conversation_id`` or ``secret`` is empty, or ``now``
            is naive.
    """
    moment = resolve_now(now)
    _require_conversation_id(conversation_id)
    _require_secret(secret)
    lockout = active_lockout(session, conversation_id, moment)
    if lockout is not None:
        return CodeCheck(CodeCheckStatus.LOCKED, locked_until=lockout.locked_until)
    challenge = current_challenge(session, conversation_id, for_update=True)
    if challenge is None or challenge.consumed_at is not None:
        return CodeCheck(CodeCheckStatus.NO_CHALLENGE)
    if moment >= challenge.expires_at:
        return CodeCheck(CodeCheckStatus.EXPIRED)

    typed_hash = hash_code(normalize_code(code), conversation_id, secret)
    matches = hmac.compare_digest(typed_hash, challenge.code_hash)
    if matches and challenge.customer_id is not None:
        challenge.consumed_at = moment
        _record_verification(session, conversation_id, challenge.customer_id, moment)
        return CodeCheck(CodeCheckStatus.VERIFIED, customer_id=challenge.customer_id)

    challenge.failed_attempts += 1
    if challenge.failed_attempts >= MAX_FAILED_ATTEMPTS:
        challenge.consumed_at = moment
        lockout = lock_conversation(session, conversation_id, moment, moment + LOCKOUT_DURATION)
        return CodeCheck(CodeCheckStatus.LOCKED, locked_until=lockout.locked_until)
    session.flush()
    return CodeCheck(
        CodeCheckStatus.WRONG, attempts_left=MAX_FAILED_ATTEMPTS - challenge.failed_attempts
    )

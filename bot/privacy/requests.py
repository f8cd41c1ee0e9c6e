"""Privacy requests of verified customers: a copy of their data, or its erasure.

Nothing is deleted here: an erasure request is recorded for the privacy team,
who carry it out. An export request writes the customer's data to a file that
staff review before they send it. Each customer has at most one pending
request of each kind; asking again returns the one already on file.

The numbers come from the ``privacy`` section of ``knowledge/policies.yml``,
the same values the FAQ articles quote.
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Optional

from sqlalchemy.orm import Session

from bot.db.engine import get_engine, session_scope
from bot.db.errors import CustomerNotFoundError
from bot.db.models import PrivacyRequest, PrivacyRequestKind, PrivacyRequestStatus, utcnow
from bot.db.references import random_reference
from bot.db.repositories.audit import record_change
from bot.db.repositories.customers import get_loyalty_account
from bot.db.repositories.privacy import (
    add_privacy_request,
    find_pending_request,
    lock_customer,
    reference_taken,
)
from bot.knowledge.paths import KNOWLEDGE_DIR, policies_path
from bot.knowledge.policies import Policies, load_policies
from bot.knowledge.validation import KnowledgeError
from bot.privacy.export import build_export, export_file, write_export

# Values of the ``privacy_kind`` slot.
KIND_EXPORT = "export"
KIND_ERASURE = "erasure"
KIND_INFO = "info"
PRIVACY_KINDS = (KIND_EXPORT, KIND_ERASURE, KIND_INFO)

REFERENCE_PREFIX = "PRIV-"
REFERENCE_DIGITS = 6
_REFERENCE_ATTEMPTS = 50

AUDIT_ENTITY = "privacy_request"
AUDIT_FIELD = "status"

_EXPORT_WORDS = re.compile(
    r"\b(?:"
    r"cop(?:y|ies)|export\w*|download\w*|portab\w*|zip|file"
    r"|what (?:personal |kind of |sort of )?(?:data|info\w*|details)"
    r"|see (?:the |my |what |all )?(?:personal )?(?:data|info\w*)"
    r"|access (?:to )?(?:all )?(?:my |the )?(?:personal )?(?:data|info\w*)"
    r"|(?:subject )?access request|everything you (?:know|have|hold)|data report"
    r")\b",
    re.IGNORECASE,
)
_ERASURE_WORDS = re.compile(
    r"\b(?:"
    r"delet\w*|eras\w*|forget|forgotten|wipe\w*|purge\w*|get rid of"
    r"|remov\w*\b.{0,30}\b(?:data|details|info\w*|name|records?|account)"
    r")\b",
    re.IGNORECASE,
)
_OTHER_WORDS = re.compile(
    r"\b(?:info|information|something else|other|neither|question|correct\w*|rectif\w*)\b",
    re.IGNORECASE,
)


class NoFreeReferenceError(RuntimeError):
    """No unused privacy request reference was found after many tries."""


@dataclass(frozen=True)
class PrivacyPolicy:
    """How the shop answers privacy requests.

    Attributes:
        email: The privacy team's email address.
        request_response_days: Days within which a request is answered.
        account_deletion_days: Days within which a closed account is deleted.
        order_records_years: Years orders and invoices are kept for tax law.
    """

    email: str
    request_response_days: int
    account_deletion_days: int
    order_records_years: int

    def due_on(self, today: date) -> date:
        """Returns the date by which a request made ``today`` must be answered."""
        return today + timedelta(days=self.request_response_days)


def policy_integer(policies: Policies, section: str, key: str) -> int:
    """Returns a whole number of at least 1 from a section of ``policies.yml``.

    Args:
        policies: The shop policies.
        section: Top-level section, e.g. ``privacy``.
        key: Key inside it, e.g. ``request_response_days``.

    Raises:
        KnowledgeError: When the value is missing or not a positive whole number.
    """
    values = policies.values.get(section)
    value = values.get(key) if isinstance(values, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise KnowledgeError(
            policies_path(KNOWLEDGE_DIR),
            f"{section}.{key} must be a whole number of at least 1, got {value!r}",
        )
    return value


def privacy_policy(policies: Policies) -> PrivacyPolicy:
    """Reads the ``privacy`` section of the shop policies.

    Args:
        policies: The shop policies.

    Raises:
        KnowledgeError: When a value is missing or invalid.
    """
    section = policies.values.get("privacy")
    email = section.get("email") if isinstance(section, dict) else None
    if not isinstance(email, str) or "@" not in email:
        raise KnowledgeError(
            policies_path(KNOWLEDGE_DIR), f"privacy.email must be an email address, got {email!r}"
        )
    return PrivacyPolicy(
        email=email.strip(),
        request_response_days=policy_integer(policies, "privacy", "request_response_days"),
        account_deletion_days=policy_integer(policies, "privacy", "account_deletion_days"),
        order_records_years=policy_integer(policies, "privacy", "order_records_years"),
    )


def classify_request(text: str) -> Optional[str]:
    """Tells from the customer's own words whether they want a copy of their data or its erasure.

    Args:
        text: The message, e.g. ``"please send me a copy of my data"``.

    Returns:
        :data:`KIND_EXPORT` or :data:`KIND_ERASURE`; ``None`` when the message
        names neither, or both, so that the customer is asked.
    """
    text = text or ""
    export = bool(_EXPORT_WORDS.search(text))
    erasure = bool(_ERASURE_WORDS.search(text))
    if export == erasure:
        return None
    return KIND_EXPORT if export else KIND_ERASURE


def classify_answer(value: object) -> Optional[str]:
    """Reads the answer to "a copy, erasure or something else?".

    Args:
        value: A button's value (``export``, ``erasure``, ``info``) or typed text.

    Returns:
        One of :data:`PRIVACY_KINDS`, or ``None`` when the answer is unclear.
    """
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in PRIVACY_KINDS:
        return text
    return classify_request(text) or (KIND_INFO if _OTHER_WORDS.search(text) else None)


@dataclass(frozen=True)
class PrivacyOutcome:
    """A privacy request on file for a customer.

    Attributes:
        kind: Export or erasure.
        reference: The reference to quote, e.g. ``PRIV-123456``.
        due_on: The date by which the privacy team answers.
        created: ``True`` when made now; ``False`` when it was already pending.
        export_path: For an export, the file written for staff.
    """

    kind: PrivacyRequestKind
    reference: str
    due_on: date
    created: bool
    export_path: Optional[Path] = None


def _outcome(request: PrivacyRequest, created: bool) -> PrivacyOutcome:
    return PrivacyOutcome(
        request.kind,
        request.reference,
        request.due_on,
        created,
        Path(request.export_path) if request.export_path else None,
    )


def new_reference(session: Session, randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """Returns an unused reference: ``PRIV-`` and six random digits.

    Args:
        session: Open database session.
        randbelow: Source of random numbers; :func:`secrets.randbelow` by default.

    Raises:
        NoFreeReferenceError: When every reference tried was taken.
    """
    return random_reference(
        REFERENCE_PREFIX,
        functools.partial(reference_taken, session),
        NoFreeReferenceError,
        _REFERENCE_ATTEMPTS,
        randbelow,
        REFERENCE_DIGITS,
    )


def pending_request(
    session: Session, customer_id: int, kind: PrivacyRequestKind
) -> Optional[PrivacyOutcome]:
    """Returns the customer's pending request of ``kind``, if they have one.

    Args:
        session: Open database session.
        customer_id: The verified customer.
        kind: Export or erasure.
    """
    request = find_pending_request(session, customer_id, kind)
    return _outcome(request, created=False) if request is not None else None


def _record(
    session: Session,
    reference: str,
    customer_id: int,
    kind: PrivacyRequestKind,
    conversation_id: str,
    policy: PrivacyPolicy,
    today: date,
    now: datetime,
    path: Optional[Path] = None,
) -> PrivacyRequest:
    request = add_privacy_request(
        session,
        reference,
        customer_id,
        kind,
        policy.due_on(today),
        conversation_id,
        export_path=str(path) if path is not None else None,
        now=now,
    )
    record_change(
        session,
        conversation_id,
        AUDIT_ENTITY,
        reference,
        AUDIT_FIELD,
        None,
        PrivacyRequestStatus.PENDING_REVIEW.value,
        now=now,
    )
    return request


def request_erasure(
    session: Session,
    customer_id: int,
    conversation_id: str,
    policy: PrivacyPolicy,
    today: date,
    now: Optional[datetime] = None,
) -> PrivacyOutcome:
    """Records the customer's request to erase their data, for the privacy team.

    Nothing is deleted now. When an erasure request is already pending, that
    one is returned and nothing is added.

    Args:
        session: Open database session; the request commits with it.
        customer_id: The verified customer.
        conversation_id: The conversation that asked, for the audit trail.
        policy: The privacy policy (the deadline).
        today: The current date in the shop's time zone.
        now: When the request is made; the current time by default.

    Raises:
        CustomerNotFoundError: When there is no such customer.
    """
    if lock_customer(session, customer_id) is None:
        raise CustomerNotFoundError(customer_id)
    existing = pending_request(session, customer_id, PrivacyRequestKind.ERASURE)
    if existing is not None:
        return existing
    request = _record(
        session,
        new_reference(session),
        customer_id,
        PrivacyRequestKind.ERASURE,
        conversation_id,
        policy,
        today,
        now or utcnow(),
    )
    return _outcome(request, created=True)


def request_export(
    session: Session,
    customer_id: int,
    conversation_id: str,
    policy: PrivacyPolicy,
    shop_currency: str,
    var_dir: Path,
    today: date,
    now: Optional[datetime] = None,
) -> PrivacyOutcome:
    """Records a request for a copy of the customer's data and writes the file for staff.

    The file (``<var_dir>/exports/<reference>.json``, mode 600) includes this
    request. When an export request is already pending, that one is returned
    and nothing is written.

    Args:
        session: Open database session; the request commits with it.
        customer_id: The verified customer.
        conversation_id: The conversation that asked, for the audit trail.
        policy: The privacy policy (the deadline).
        shop_currency: Currency of amounts not tied to an order.
        var_dir: The assistant's directory for local state.
        today: The current date in the shop's time zone.
        now: When the request is made; the current time by default.

    Raises:
        CustomerNotFoundError: When there is no such customer.
        OSError: When the file cannot be written; the caller then rolls back.
    """
    if lock_customer(session, customer_id) is None:
        raise CustomerNotFoundError(customer_id)
    existing = pending_request(session, customer_id, PrivacyRequestKind.EXPORT)
    if existing is not None:
        return existing
    moment = now or utcnow()
    reference = new_reference(session)
    path = export_file(var_dir, reference)
    request = _record(
        session,
        reference,
        customer_id,
        PrivacyRequestKind.EXPORT,
        conversation_id,
        policy,
        today,
        moment,
        path,
    )
    write_export(build_export(session, customer_id, reference, shop_currency, moment), path)
    return _outcome(request, created=True)


def pending_request_for_customer(
    database_url: str, customer_id: int, kind: PrivacyRequestKind
) -> Optional[PrivacyOutcome]:
    """Returns the verified customer's pending request of ``kind``, if any.

    Args:
        database_url: The application database.
        customer_id: The verified customer.
        kind: Export or erasure.
    """
    with session_scope(get_engine(database_url)) as session:
        return pending_request(session, customer_id, kind)


def erasure_for_customer(
    database_url: str, customer_id: int, conversation_id: str, today: date
) -> PrivacyOutcome:
    """Records an erasure request for the verified customer, in its own transaction.

    Args:
        database_url: The application database.
        customer_id: The verified customer.
        conversation_id: The conversation, for the audit trail.
        today: The current date in the shop's time zone.

    Raises:
        CustomerNotFoundError: When there is no such customer.
    """
    policy = privacy_policy(load_policies())
    with session_scope(get_engine(database_url)) as session:
        return request_erasure(session, customer_id, conversation_id, policy, today)


def export_for_customer(
    database_url: str, var_dir: Path, customer_id: int, conversation_id: str, today: date
) -> PrivacyOutcome:
    """Records an export request for the verified customer and writes the file.

    If the transaction fails after the file was written, the file is removed,
    so a file on disk always has its request in the database.

    Args:
        database_url: The application database.
        var_dir: The assistant's directory for local state.
        customer_id: The verified customer.
        conversation_id: The conversation, for the audit trail.
        today: The current date in the shop's time zone.

    Raises:
        CustomerNotFoundError: When there is no such customer.
        OSError: When the file cannot be written.
    """
    policies = load_policies()
    policy = privacy_policy(policies)
    written: Optional[Path] = None
    try:
        with session_scope(get_engine(database_url)) as session:
            outcome = request_export(
                session, customer_id, conversation_id, policy, policies.currency, var_dir, today
            )
            written = outcome.export_path if outcome.created else None
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    return outcome


def loyalty_points_for_customer(database_url: str, customer_id: int) -> Optional[int]:
    """Returns the verified customer's loyalty points balance, or ``None`` without an account.

    Args:
        database_url: The application database.
        customer_id: The verified customer.
    """
    with session_scope(get_engine(database_url)) as session:
        account = get_loyalty_account(session, customer_id)
        return account.points_balance if account is not None else None

"""Identity checks as a conversation needs them, each in its own transaction.

The actions call these functions; the rules themselves live in
:mod:`bot.identity.codes` and :mod:`bot.identity.tokens`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping, Optional

from bot.db.engine import get_engine, session_scope
from bot.db.models import Customer
from bot.identity.codes import CodeCheck, check_code, start_verification
from bot.identity.errors import VerificationLockedError
from bot.identity.history import first_name_of
from bot.identity.senders import CodeSender, OutboxCodeSender
from bot.identity.tokens import customer_id_from_metadata
from bot.settings import Settings


def customer_from_metadata(
    metadata: Optional[Mapping[str, Any]], settings: Settings
) -> Optional[int]:
    """Returns the customer proven by the website's signed token, if any.

    Args:
        metadata: The metadata of the customer's latest message.
        settings: The assistant's settings (holds the shared secret).

    Returns:
        The verified customer id, or ``None`` for a missing, forged or expired token.
    """
    return customer_id_from_metadata(metadata, settings.customer_token_secret)


def send_code(
    settings: Settings,
    conversation_id: str,
    order_number: str,
    email: str,
    sender: Optional[CodeSender] = None,
) -> Optional[datetime]:
    """Sends a one-time code when the order number and email belong together.

    The caller cannot tell whether a code went out: the same happens for an
    unknown order and for a wrong email.

    Args:
        settings: The assistant's settings.
        conversation_id: The conversation (Rasa sender id).
        order_number: The order number the customer gave.
        email: The email address the customer gave.
        sender: Delivers the code; the outbox by default.

    Returns:
        ``None`` when the request was accepted, or the end of the lockout
        when the conversation may not try again yet.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        try:
            start_verification(
                session,
                conversation_id,
                order_number,
                email,
                sender=sender or OutboxCodeSender(),
                secret=settings.customer_token_secret,
            )
        except VerificationLockedError as locked:
            return locked.locked_until
    return None


def confirm_code(settings: Settings, conversation_id: str, code: str) -> CodeCheck:
    """Checks the code the customer typed.

    Args:
        settings: The assistant's settings.
        conversation_id: The conversation (Rasa sender id).
        code: What the customer typed.

    Returns:
        The outcome: verified (with the customer id), wrong, expired, locked,
        or no code requested.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        return check_code(
            session, conversation_id, code, secret=settings.customer_token_secret
        )


def customer_first_name(settings: Settings, customer_id: int) -> Optional[str]:
    """Returns the verified customer's first name, to address them by it.

    Args:
        settings: The assistant's settings.
        customer_id: The verified customer.

    Returns:
        The first name, or ``None`` when the customer no longer exists.
    """
    with session_scope(get_engine(settings.database_url)) as session:
        customer = session.get(Customer, customer_id)
        return first_name_of(customer.name) if customer is not None else None

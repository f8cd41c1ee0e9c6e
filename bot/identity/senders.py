"""How one-time codes reach the customer's inbox.

:func:`bot.identity.codes.start_verification` hands each code to a
:class:`CodeSender`. The default, :class:`OutboxCodeSender`, queues the e-mail
in the ``outbox_messages`` table for a mail relay and logs it; a production
deployment can pass any object with the same ``send`` method instead.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy.orm import Session

from bot.db.repositories.outbox import add_outbox_message
from bot.identity.codes import CODE_TTL

logger = logging.getLogger(__name__)

CODE_EMAIL_SUBJECT = "Your verification code"


class CodeSender(Protocol):
    """Delivers a one-time code to an e-mail address."""

    def send(self, session: Session, email: str, code: str, conversation_id: str) -> None:
        """Sends ``code`` to ``email``.

        Args:
            session: Open database session of the caller's transaction, for
                senders that queue rather than send.
            email: The address on the order, as stored.
            code: The one-time code, in plain text.
            conversation_id: The conversation that asked for the code.
        """


def code_email_body(code: str) -> str:
    """The text of the e-mail that carries a one-time code.

    Args:
        code: The one-time code.
    """
    minutes = int(CODE_TTL.total_seconds() // 60)
    return (
        f"Your verification code is {code}.\n\n"
        f"Type it in the chat with our assistant to continue. It works once, "
        f"for the next {minutes} minutes.\n\n"
        "If you did not ask for a code, you can ignore this e-mail: without the "
        "code nobody can see your orders. Never share it with anyone."
    )


class OutboxCodeSender:
    """Queues the code's e-mail in the outbox and logs that it was sent.

    Meant for development and demos: the INFO log line includes the code
    itself, so a developer can verify without a mail server. Do not use it
    where logs are kept or shared; pass a sender that only talks to the mail
    service instead.
    """

    def send(self, session: Session, email: str, code: str, conversation_id: str) -> None:
        """Writes the e-mail to ``outbox_messages`` and logs it.

        Args:
            session: Open database session; the e-mail is queued in its transaction.
            email: The address on the order.
            code: The one-time code.
            conversation_id: The conversation that asked for the code.
        """
        add_outbox_message(session, email, CODE_EMAIL_SUBJECT, code_email_body(code))
        logger.info(
            "Verification code %s sent to %s for conversation %s", code, email, conversation_id
        )

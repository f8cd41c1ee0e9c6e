"""Signed conversation ids: the session tokens of the website chat.

The socket.io channel (:mod:`bot.channels.socketio`) issues a session token
``<conversation id>.<signature>`` to every new chat: a random 32-hex-digit
conversation id and an HMAC-SHA256 over it. The website sends it back to
resume its conversation, and the bot service accepts it as proof of which
conversation's history a browser may read. This module needs only the
standard library, so the bot service checks tokens without loading Rasa.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Optional

# Derives the conversation-id key from AGENT_SESSION_KEY; changing it invalidates every id.
CONVERSATION_KEY_LABEL = b"bot.channels.socketio: signed conversation ids, v1"

_CONVERSATION_ID = re.compile(r"[0-9a-f]{32}", re.ASCII)
# A session token is 32 hex digits, a dot and 43 base64url characters.
_MAX_SESSION_TOKEN_LENGTH = 128


def conversation_key(agent_session_key: str) -> bytes:
    """Derives the key that signs conversation ids.

    Args:
        agent_session_key: ``Settings.agent_session_key``.

    Returns:
        HMAC-SHA256 of :data:`CONVERSATION_KEY_LABEL` under that key.

    Raises:
        ValueError: When the key is empty.
    """
    if not agent_session_key:
        raise ValueError("the agent session key must not be empty")
    return hmac.new(
        agent_session_key.encode("utf-8"), CONVERSATION_KEY_LABEL, hashlib.sha256
    ).digest()


@dataclass(frozen=True)
class IssuedConversation:
    """A conversation id and the token that proves the client was given it.

    Attributes:
        conversation_id: The Rasa sender id; also the socket.io room.
        session_token: ``<conversation_id>.<signature>``, sent to the client.
    """

    conversation_id: str
    session_token: str


class ConversationSigner:
    """Issues conversation ids and checks the session tokens clients send back."""

    def __init__(self, key: bytes) -> None:
        """Creates a signer.

        Args:
            key: The secret HMAC key, see :func:`conversation_key`.

        Raises:
            ValueError: When the key is empty.
        """
        if not key:
            raise ValueError("the signing key must not be empty")
        self._key = key

    def _signature(self, conversation_id: str) -> str:
        digest = hmac.new(self._key, conversation_id.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def issue(self) -> IssuedConversation:
        """Starts a new conversation with a random id.

        Returns:
            The id and its session token.
        """
        conversation_id = secrets.token_hex(16)
        token = f"{conversation_id}.{self._signature(conversation_id)}"
        return IssuedConversation(conversation_id, token)

    def verify(self, session_token: object) -> Optional[IssuedConversation]:
        """Checks a session token a client sent back.

        Args:
            session_token: Whatever the client sent as ``session_id``.

        Returns:
            The conversation, or ``None`` for anything this server did not issue.
        """
        if not isinstance(session_token, str) or len(session_token) > _MAX_SESSION_TOKEN_LENGTH:
            return None
        conversation_id, dot, signature = session_token.partition(".")
        if not dot or not _CONVERSATION_ID.fullmatch(conversation_id):
            return None
        if not hmac.compare_digest(signature, self._signature(conversation_id)):
            return None
        return IssuedConversation(conversation_id, session_token)

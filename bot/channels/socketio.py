"""A socket.io channel whose conversation ids are issued and signed by the server.

Rasa's built-in ``socketio`` channel takes the ``session_id`` a client sends as
the conversation id, so anyone who knows or guesses an id can join that
conversation and write into it. :class:`SecureSocketIOInput` keeps the same
events and wire format (``session_request`` / ``session_confirm``,
``user_uttered`` / ``bot_uttered``) but trusts nothing the client says:

* **Signed conversation ids.** On ``session_request`` the server issues a
  session token ``<conversation id>.<signature>``: a random 32-hex-digit
  conversation id and an HMAC-SHA256 over it. A client resumes its
  conversation by sending that token back as ``session_id``; a bare id or a
  forged signature gets a brand-new conversation. The HMAC key is derived
  from ``Settings.agent_session_key`` with the fixed label
  :data:`CONVERSATION_KEY_LABEL`, so it is never the raw key of another
  purpose; rotating ``AGENT_SESSION_KEY`` starts new conversations for every
  client (and signs agents out of the console).
* **Server-side binding.** The conversation id is bound to the socket (sid)
  when the session is confirmed, and the socket joins the room named after it.
  ``user_uttered`` is accepted only from a socket with a confirmed session and
  always goes to the bound conversation; any ``session_id`` in the message
  payload is ignored.
* **Verified identity only.** A ``customer_token`` (the website's signed JWT,
  see :mod:`bot.identity.tokens`) sent with ``session_request`` binds the
  socket to that customer while the token is valid; a forged or expired token
  leaves it anonymous. Messages reach Rasa with the metadata
  ``{"customer_token": <verified token>}`` or ``{}``; whatever metadata the
  client sends is dropped. The token is checked again on every message, so
  an expired token stops counting; the website renews it by sending another
  ``session_request`` with the same session token and a fresh customer token.
* **Limits.** Messages longer than ``max_message_length`` characters and
  messages beyond ``rate_limit_messages`` per ``rate_limit_seconds`` on one
  connection get a polite ``bot_uttered`` reply and are not processed.
  Allowed browser origins are ``cors_allowed_origins``: by default the
  server's own origin and ``localhost`` / ``127.0.0.1`` on any port.
* **Several replicas.** With ``redis_url`` the server uses
  ``socketio.AsyncRedisManager``: a reply emitted on one replica (for example
  an agent's message through Rasa's HTTP API with ``output_channel=latest``)
  reaches the customer's socket on another.

Replies are emitted to the room named after the conversation id, which is
the Rasa sender id, so every socket of that conversation (and only those)
receives them.

``credentials.yml``::

    bot.channels.socketio.SecureSocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      max_message_length: 2000
      rate_limit_messages: 10
      rate_limit_seconds: 10
      # cors_allowed_origins: ["https://shop.example"]
      # redis_url: redis://localhost:6379/2
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Deque, Dict, List, Mapping, Optional, Union
from urllib.parse import urlsplit

import rasa.core.channels.channel
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from bot.channels.session_tokens import CONVERSATION_KEY_LABEL as CONVERSATION_KEY_LABEL
from bot.channels.session_tokens import ConversationSigner, conversation_key
from bot.channels.session_tokens import IssuedConversation as IssuedConversation
from bot.identity.tokens import METADATA_KEY, verify_customer_token
from bot.settings import Settings, get_settings

logger = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_LENGTH = 2000
DEFAULT_RATE_LIMIT_MESSAGES = 10
DEFAULT_RATE_LIMIT_SECONDS = 10.0

MESSAGE_TOO_LONG = (
    "Sorry, that message is too long for me to read. Please keep it under "
    "{limit:,} characters, or send it in a few shorter parts."
)
TOO_MANY_MESSAGES = (
    "You're sending messages a little faster than I can read them. "
    "Please wait a few seconds and try again."
)
NOT_CONNECTED = "Sorry, this chat isn't connected yet. Please reload the page and try again."
NOT_TEXT = "Sorry, I can only read text messages. Please type your question."

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
# Metadata of bot messages that reaches the website: who wrote an agent's reply.
MESSAGE_MARKS = ("agent",)

OriginsSetting = Union[str, List[str], Callable[..., bool]]


class ChannelConfigError(ValueError):
    """A credentials parameter of the socket.io channel has an unusable value."""


class RateLimiter:
    """Counts messages per connection in a sliding window."""

    def __init__(
        self, limit: int, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Creates a limiter.

        Args:
            limit: Messages allowed per window, at least 1.
            period: Length of the window in seconds, positive.
            clock: Monotonic seconds; injectable for tests.

        Raises:
            ValueError: When ``limit`` or ``period`` is not positive.
        """
        if limit < 1:
            raise ValueError(f"the rate limit must be at least 1 message, got {limit}")
        if period <= 0:
            raise ValueError(f"the rate limit window must be positive, got {period}")
        self._limit = limit
        self._period = period
        self._clock = clock
        self._recent: Dict[str, Deque[float]] = {}

    def allow(self, connection: str) -> bool:
        """Records a message and says whether it is within the limit.

        Refused messages are not counted, so a client that waits gets through.

        Args:
            connection: The socket id.

        Returns:
            ``True`` when the message may be processed.
        """
        now = self._clock()
        recent = self._recent.setdefault(connection, deque())
        while recent and now - recent[0] >= self._period:
            recent.popleft()
        if len(recent) >= self._limit:
            return False
        recent.append(now)
        return True

    def forget(self, connection: str) -> None:
        """Drops the history of a connection that has gone.

        Args:
            connection: The socket id.
        """
        self._recent.pop(connection, None)


def is_local_or_same_origin(origin: Optional[str], environ: Mapping[str, Any]) -> bool:
    """The default origin check: the server's own origin or a localhost page.

    Args:
        origin: The ``Origin`` header of the request.
        environ: The request's WSGI-style environment from python-engineio.

    Returns:
        ``True`` when a browser page at ``origin`` may connect.
    """
    if not origin:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https"):
        return False
    if parts.hostname in _LOCAL_HOSTS:
        return True
    host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST")
    return bool(host) and parts.netloc == str(host).split(",")[0].strip()


@dataclass
class _Connection:
    """What the server knows about one confirmed socket."""

    conversation_id: str
    customer_token: Optional[str]


class SecureSocketIOOutput(SocketIOOutput):
    """Sends replies to the room of a conversation, in the channel's namespace."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str, namespace: Optional[str]) -> None:
        """Creates the output channel.

        Args:
            sio: The channel's server.
            bot_message_evt: Event name of bot messages.
            namespace: The socket.io namespace, ``None`` for the default one.
        """
        super().__init__(sio, bot_message_evt)
        self.namespace = namespace

    async def _send_message(self, socket_id: str, response: Any) -> None:
        await self.sio.emit(
            self.bot_message_evt, response, room=socket_id, namespace=self.namespace
        )

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        """Sends a text, one bot message per paragraph, as Rasa's channel does.

        Rasa's channel drops the metadata of bot messages; this one keeps the
        keys in :data:`MESSAGE_MARKS` as ``"metadata"``, so the website can show
        an agent's reply (``{"agent": name}``) as the agent's.

        Args:
            recipient_id: The conversation id.
            text: The message.
            **kwargs: The rest of the bot message: its data and metadata.
        """
        marks = {key: kwargs[key] for key in MESSAGE_MARKS if isinstance(kwargs.get(key), str)}
        for part in text.strip().split("\n\n"):
            message: Dict[str, Any] = {"text": part}
            if marks:
                message["metadata"] = marks
            await self._send_message(recipient_id, message)

    async def send_custom_json(
        self, recipient_id: str, json_message: Dict[str, Any], **kwargs: Any
    ) -> None:
        """Sends a custom payload as the body of a bot message.

        Unlike Rasa's channel, the payload cannot choose the room: it always
        goes to the conversation it belongs to.

        Args:
            recipient_id: The conversation id.
            json_message: The payload.
            **kwargs: Ignored.
        """
        await self._send_message(recipient_id, json_message)


class SecureSocketIOInput(SocketIOInput):
    """Rasa's socket.io channel with server-issued, signed conversation ids.

    Its name stays ``socketio``: the webhook path, the ``input_channel`` of
    the tracker and ``output_channel=latest`` work as with Rasa's channel.
    """

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Creates the channel from its section in ``credentials.yml``.

        Args:
            credentials: The parameters; every one is optional.

        Returns:
            The channel.

        Raises:
            ChannelConfigError: When a parameter has an unusable value.
        """
        credentials = credentials or {}
        return cls(
            user_message_evt=credentials.get("user_message_evt", "user_uttered"),
            bot_message_evt=credentials.get("bot_message_evt", "bot_uttered"),
            namespace=credentials.get("namespace"),
            socketio_path=credentials.get("socketio_path", "/socket.io"),
            jwt_key=credentials.get("jwt_key"),
            jwt_method=credentials.get("jwt_method", "HS256"),
            max_message_length=_whole(
                credentials, "max_message_length", DEFAULT_MAX_MESSAGE_LENGTH
            ),
            rate_limit_messages=_whole(
                credentials, "rate_limit_messages", DEFAULT_RATE_LIMIT_MESSAGES
            ),
            rate_limit_seconds=_seconds(
                credentials, "rate_limit_seconds", DEFAULT_RATE_LIMIT_SECONDS
            ),
            cors_allowed_origins=_origins(credentials.get("cors_allowed_origins")),
            redis_url=credentials.get("redis_url") or None,
        )

    def __init__(
        self,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        namespace: Optional[str] = None,
        session_persistence: bool = True,
        socketio_path: Optional[str] = "/socket.io",
        jwt_key: Optional[str] = None,
        jwt_method: Optional[str] = "HS256",
        metadata_key: Optional[str] = "metadata",
        *,
        max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH,
        rate_limit_messages: int = DEFAULT_RATE_LIMIT_MESSAGES,
        rate_limit_seconds: float = DEFAULT_RATE_LIMIT_SECONDS,
        cors_allowed_origins: Optional[OriginsSetting] = None,
        redis_url: Optional[str] = None,
        settings: Optional[Settings] = None,
    ) -> None:
        """Creates the channel; nothing is read or connected until :meth:`blueprint`.

        Args:
            user_message_evt: Event name of customer messages.
            bot_message_evt: Event name of bot messages.
            namespace: The socket.io namespace, ``None`` for the default one.
            session_persistence: Ignored: sessions always persist by signed id.
            socketio_path: Path the socket.io server is attached at.
            jwt_key: If set, connections must carry ``auth.token`` signed with it
                (as in Rasa's channel).
            jwt_method: Algorithm of ``jwt_key``.
            metadata_key: Ignored: client metadata is always dropped.
            max_message_length: Longest message text processed, in characters.
            rate_limit_messages: Messages allowed per connection and window.
            rate_limit_seconds: Length of the rate-limit window in seconds.
            cors_allowed_origins: Origins allowed to connect: ``"*"``, one origin,
                a list, or a check ``(origin, environ) -> bool``; by default
                :func:`is_local_or_same_origin`.
            redis_url: ``redis://`` URL of a Redis shared by every replica, or
                ``None`` for a single process.
            settings: The assistant's settings; :func:`get_settings` by default.

        Raises:
            ChannelConfigError: When a limit is not positive.
        """
        super().__init__(
            user_message_evt,
            bot_message_evt,
            namespace,
            True,
            socketio_path,
            jwt_key,
            jwt_method,
            metadata_key,
        )
        if max_message_length < 1:
            raise ChannelConfigError(
                f"max_message_length must be at least 1, got {max_message_length}"
            )
        try:
            self.rate_limiter = RateLimiter(rate_limit_messages, rate_limit_seconds)
        except ValueError as error:
            raise ChannelConfigError(str(error)) from None
        self.max_message_length = max_message_length
        self.cors_allowed_origins: OriginsSetting = (
            cors_allowed_origins if cors_allowed_origins is not None else is_local_or_same_origin
        )
        self.redis_url = redis_url
        self._settings = settings
        self._connections: Dict[str, _Connection] = {}

    def _settings_or_default(self) -> Settings:
        return self._settings if self._settings is not None else get_settings()

    def _server(self) -> AsyncServer:
        manager = AsyncRedisManager(self.redis_url) if self.redis_url else None
        return AsyncServer(
            async_mode="sanic",
            client_manager=manager,
            cors_allowed_origins=self.cors_allowed_origins,
        )

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Creates the output channel that Rasa's HTTP API uses.

        Returns:
            An output that emits to the conversation's room, or ``None``
            before the server exists.
        """
        if self.sio is None:
            return super().get_output_channel()
        return SecureSocketIOOutput(self.sio, self.bot_message_evt, self.namespace)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Builds the socket.io server and its Sanic blueprint.

        Args:
            on_new_message: Rasa's handler of customer messages.

        Returns:
            The blueprint; registering it attaches the socket.io server.
        """
        settings = self._settings_or_default()
        signer = ConversationSigner(conversation_key(settings.agent_session_key))
        token_secret = settings.customer_token_secret
        sio = self._server()
        self.sio = sio
        namespace = self.namespace
        output = SecureSocketIOOutput(sio, self.bot_message_evt, namespace)
        webhook = SocketBlueprint(sio, self.socketio_path, "secure_socketio_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: Dict, auth: Optional[Dict]) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(
                token
                and rasa.core.channels.channel.decode_bearer_token(
                    token, self.jwt_key, self.jwt_algorithm
                )
            )

        @sio.on("disconnect", namespace=namespace)
        async def disconnect(sid: str, *_: Any) -> None:
            self._connections.pop(sid, None)
            self.rate_limiter.forget(sid)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            conversation = signer.verify(data.get("session_id")) or signer.issue()
            customer_token = data.get(METADATA_KEY)
            if verify_customer_token(customer_token, token_secret) is None:
                customer_token = None
            previous = self._connections.get(sid)
            if previous and previous.conversation_id != conversation.conversation_id:
                await sio.leave_room(sid, previous.conversation_id, namespace=namespace)
            await sio.enter_room(sid, conversation.conversation_id, namespace=namespace)
            self._connections[sid] = _Connection(conversation.conversation_id, customer_token)
            await sio.emit(
                "session_confirm", conversation.session_token, room=sid, namespace=namespace
            )
            logger.debug(
                "Socket %s joined conversation %s (%s).",
                sid,
                conversation.conversation_id,
                "signed-in customer" if customer_token else "anonymous",
            )

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: Any) -> None:
            connection = self._connections.get(sid)
            if connection is None:
                await output.send_text_message(sid, NOT_CONNECTED)
                return
            if not self.rate_limiter.allow(sid):
                await output.send_text_message(sid, TOO_MANY_MESSAGES)
                return
            text = data.get("message") if isinstance(data, dict) else None
            if not isinstance(text, str):
                await output.send_text_message(sid, NOT_TEXT)
                return
            if len(text) > self.max_message_length:
                await output.send_text_message(
                    sid, MESSAGE_TOO_LONG.format(limit=self.max_message_length)
                )
                return
            metadata: Dict[str, Any] = {}
            token = connection.customer_token
            if token is not None and verify_customer_token(token, token_secret) is not None:
                metadata[METADATA_KEY] = token
            await on_new_message(
                UserMessage(
                    text,
                    output,
                    connection.conversation_id,
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )

        return webhook


def _whole(credentials: Mapping[str, Any], name: str, default: int) -> int:
    value = credentials.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChannelConfigError(f"{name} must be a whole number, got {value!r}")
    return value


def _seconds(credentials: Mapping[str, Any], name: str, default: float) -> float:
    value = credentials.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ChannelConfigError(f"{name} must be a number of seconds, got {value!r}")
    return float(value)


def _origins(value: Any) -> Optional[OriginsSetting]:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(origin, str) for origin in value):
        return list(value)
    raise ChannelConfigError(
        f"cors_allowed_origins must be an origin, a list of origins or '*', got {value!r}"
    )

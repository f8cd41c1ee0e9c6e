"""The two ways a simulated customer talks to the assistant: REST and socket.io.

Both clients send one customer message and return the bot messages of that
turn, or raise :class:`TurnError` for an HTTP error, a dropped connection or
a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Dict, List, Optional, Protocol

import aiohttp
import socketio

from bot.bench.scenarios import Expect, Reply

REST_PATH = "/webhooks/rest/webhook"
SOCKETIO_PATH = "/socket.io"
DEFAULT_TURN_TIMEOUT = 30.0
# HTTP long-polling: python-engineio's websocket transport needs a newer aiohttp
# (ClientWSTimeout, 3.10+) than the one Rasa 3.6 pins (3.9).
TRANSPORTS = ("polling",)


class TurnError(Exception):
    """A customer message got no usable answer (HTTP error, disconnect, timeout)."""


class Conversation(Protocol):
    """One customer's open conversation on one channel."""

    async def send(self, text: str, expect: Expect) -> List[Reply]:
        """Sends a message and returns the bot messages of the turn."""
        ...

    async def close(self) -> None:
        """Ends the conversation's connection, if it has one."""
        ...


class RestConversation:
    """A conversation over Rasa's REST channel; one HTTP request per turn."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_url: str,
        sender: str,
        timeout: float = DEFAULT_TURN_TIMEOUT,
    ) -> None:
        """Creates the conversation.

        Args:
            http: The shared HTTP session.
            base_url: The Rasa server (or the load balancer), e.g. ``http://127.0.0.1:5005``.
            sender: A fresh sender id.
            timeout: Seconds to wait for the reply.
        """
        self._http = http
        self._url = base_url.rstrip("/") + REST_PATH
        self._sender = sender
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, text: str, expect: Expect) -> List[Reply]:
        """Posts the message and returns the replies in the response.

        Raises:
            TurnError: On an HTTP error status, a body that is not a JSON list,
                a connection error or a timeout.
        """
        body = {"sender": self._sender, "message": text}
        try:
            async with self._http.post(self._url, json=body, timeout=self._timeout) as response:
                if response.status != 200:
                    raise TurnError(f"HTTP {response.status}")
                payload = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise TurnError(f"{type(error).__name__}: {error}") from None
        if not isinstance(payload, list):
            raise TurnError(f"reply is not a JSON list: {str(payload)[:80]!r}")
        return [Reply.from_payload(item) for item in payload]

    async def close(self) -> None:
        """Nothing to close: REST has no connection per conversation."""


class SocketIOConversation:
    """A conversation over the socket.io channel; one connection per customer.

    On connecting it sends ``session_request`` and waits for ``session_confirm``
    with the server-issued session token, which every ``user_uttered`` carries
    (Rasa's own channel uses it as the conversation id; ours ignores it and uses
    the id bound to the socket). A turn ends when the bot message that the
    turn's expectation names as final arrives.
    """

    def __init__(
        self,
        base_url: str,
        timeout: float = DEFAULT_TURN_TIMEOUT,
        http: Optional[aiohttp.ClientSession] = None,
    ) -> None:
        """Creates the conversation; :meth:`open` connects it.

        Args:
            base_url: The Rasa server (or the load balancer).
            timeout: Seconds to wait for a connection or for a turn's final message.
            http: The customer's HTTP session (the caller closes it); a session
                of its own when omitted.
        """
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        # engine.io's own HTTP timeout is 5 s; under load a reply can take longer.
        self._client = socketio.AsyncClient(
            reconnection=False, request_timeout=timeout, http_session=http
        )
        self._messages: asyncio.Queue[Reply] = asyncio.Queue()
        self._confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._session_token: Optional[str] = None
        self._client.on("bot_uttered", self._on_bot_uttered)
        self._client.on("session_confirm", self._on_session_confirm)
        self._client.on("disconnect", self._on_disconnect)

    async def _on_bot_uttered(self, data: Any) -> None:
        self._messages.put_nowait(Reply.from_payload(data))

    async def _on_session_confirm(self, data: Any) -> None:
        if not self._confirmed.done():
            token = data.get("session_id") if isinstance(data, dict) else data
            self._confirmed.set_result(str(token))

    async def _on_disconnect(self, *_: Any) -> None:
        if not self._confirmed.done():
            error = TurnError("disconnected before the session was confirmed")
            self._confirmed.set_exception(error)

    async def open(self) -> None:
        """Connects and asks for a session.

        Raises:
            TurnError: When the connection or the session confirmation fails.
        """
        try:
            await asyncio.wait_for(
                self._client.connect(
                    self._base_url,
                    socketio_path=SOCKETIO_PATH,
                    transports=list(TRANSPORTS),
                    wait_timeout=self._timeout,
                ),
                self._timeout,
            )
            await self._client.emit("session_request", {"session_id": None})
            self._session_token = await asyncio.wait_for(self._confirmed, self._timeout)
        except (socketio.exceptions.SocketIOError, aiohttp.ClientError, OSError) as error:
            raise TurnError(f"socket.io connection failed: {error}") from None
        except asyncio.TimeoutError:
            raise TurnError("socket.io session was not confirmed in time") from None

    async def send(self, text: str, expect: Expect) -> List[Reply]:
        """Emits the message and collects bot messages until the turn's final one.

        Raises:
            TurnError: When the connection drops or the final message does not
                come within the timeout.
        """
        if not self._client.connected:
            raise TurnError("socket.io connection is closed")
        body: Dict[str, Any] = {"message": text, "session_id": self._session_token}
        await self._client.emit("user_uttered", body)
        replies: List[Reply] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [reply.text[:60] for reply in replies]
                raise TurnError(f"no final message {expect.final!r} in time; got {seen}")
            try:
                reply = await asyncio.wait_for(self._messages.get(), remaining)
            except asyncio.TimeoutError:
                continue
            replies.append(reply)
            if expect.ends_turn(reply):
                return replies

    async def close(self) -> None:
        """Disconnects without waiting for the pending long-poll request to return.

        The close packet reaches the server at once; waiting for the poll would
        keep the customer idle for up to the polling timeout.
        """
        with contextlib.suppress(Exception):
            await self._client.eio.disconnect(abort=True)

"""Telegram through Rasa's connector, with authenticated webhooks on the server's event loop.

Rasa 3.6's ``TelegramInput`` has three defects that this subclass fixes:

* **Event loop.** It builds its aiogram ``Bot`` and sets the webhook with
  ``asyncio.run()`` while ``rasa run`` registers the channels, so the Bot's
  aiohttp session belongs to a loop that is closed before the server starts:
  every webhook then fails with "Event loop is closed". Here the webhook is set
  when the server starts, on the server's loop, and the output channel (one
  per event loop) creates its session on the loop that uses it. Rasa's HTTP
  API asks the input channel for an output channel when an agent replies with
  ``output_channel=latest``; that works too, without registering the webhook
  again.
* **Authenticity.** Telegram proves a webhook call by echoing the
  ``secret_token`` given to ``setWebhook`` in the ``X-Telegram-Bot-Api-Secret-Token``
  header. The webhook is registered with ``secret_token``, and a request whose
  header does not match (compared in constant time) is refused with 403
  before its body is read.
* **Malformed updates.** A body that is not a Telegram ``Update`` (not JSON,
  not an object, no ``update_id``, a message without a chat) gets 400 instead
  of a 500 from deep inside the handler.

Rasa's unauthenticated ``GET/POST /webhooks/telegram/set_webhook`` route, which
would register the webhook again without the secret, is not offered; the bot's
username (``verify``) is checked once at start-up rather than with a ``getMe``
call per message.

``credentials.yml``::

    bot.channels.telegram.TelegramInput:
      access_token: "123456789:AA…"      # from @BotFather
      verify: shop_support_bot          # the bot's username
      webhook_url: https://shop.example/webhooks/telegram/webhook
      secret_token: "…"                 # 1-256 of A-Z a-z 0-9 _ -
      # api_url: http://127.0.0.1:8081  # a self-hosted Bot API server
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from aiogram.bot.api import TelegramAPIServer
from aiogram.types import Message, Update
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from rasa.core.channels.telegram import TelegramOutput as RasaTelegramOutput
from rasa.shared.constants import INTENT_MESSAGE_PREFIX
from rasa.shared.core.constants import USER_INTENT_RESTART
from rasa.shared.exceptions import InvalidConfigException, RasaException
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramOutput(RasaTelegramOutput):
    """Rasa's Telegram output channel, optionally talking to a self-hosted Bot API server."""

    def __init__(self, access_token: Optional[str], api_url: Optional[str] = None) -> None:
        """Creates the aiogram Bot; its HTTP session is made on first use, on that loop.

        Args:
            access_token: The bot's token from @BotFather.
            api_url: Base URL of the Bot API server; Telegram's own when ``None``.
        """
        super().__init__(access_token)
        if api_url:
            self.server = TelegramAPIServer.from_base(api_url)


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _parse_update(body: bytes) -> Optional[Update]:
    """The Telegram ``Update`` in a webhook body, or ``None`` when it is not one."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
        return None
    try:
        return Update(**payload)
    except (TypeError, ValueError, AttributeError):
        return None


def _chat_id(message: Optional[Message]) -> Optional[int]:
    chat = getattr(message, "chat", None)
    chat_id = getattr(chat, "id", None)
    return chat_id if isinstance(chat_id, int) else None


class TelegramInput(RasaTelegramInput):
    """Telegram input channel (webhook ``/webhooks/telegram/webhook``)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Builds the channel from its ``credentials.yml`` section."""
        if not credentials:
            cls.raise_missing_credentials_exception()
        assert credentials is not None
        return cls(
            credentials.get("access_token"),
            credentials.get("verify"),
            credentials.get("webhook_url"),
            secret_token=credentials.get("secret_token"),
            api_url=credentials.get("api_url"),
        )

    def __init__(
        self,
        access_token: Optional[str],
        verify: Optional[str],
        webhook_url: Optional[str],
        secret_token: Optional[str] = None,
        api_url: Optional[str] = None,
        debug_mode: bool = True,
    ) -> None:
        """Creates the channel.

        Args:
            access_token: The bot's token from @BotFather.
            verify: The bot's username, checked against Telegram at start-up.
            webhook_url: The public HTTPS URL of ``/webhooks/telegram/webhook``.
            secret_token: Sent to ``setWebhook``; Telegram echoes it in every call.
            api_url: Base URL of the Bot API server; Telegram's own when ``None``.
            debug_mode: Re-raise errors of the message handler (a 500 to Telegram,
                which then retries the update).

        Raises:
            InvalidConfigException: Without a secret token, since anyone could
                then post updates in any user's name.
        """
        super().__init__(access_token, verify, webhook_url, debug_mode)
        if not secret_token:
            raise InvalidConfigException(
                "The Telegram channel needs a `secret_token` (TELEGRAM_SECRET_TOKEN) so that "
                "webhook calls can be told apart from forged ones."
            )
        self.secret_token = secret_token
        self.api_url = api_url
        self._output: Optional[TelegramOutput] = None
        self._output_loop: Optional[asyncio.AbstractEventLoop] = None

    def get_output_channel(self) -> TelegramOutput:
        """The output channel for the running event loop; the webhook is not touched."""
        loop = _running_loop()
        if self._output is None or self._output_loop is not loop:
            self._output = TelegramOutput(self.access_token, self.api_url)
            self._output_loop = loop
        return self._output

    async def register_webhook(self) -> None:
        """Checks the bot's username and registers the webhook with the secret token.

        Raises:
            InvalidConfigException: The token belongs to a bot with another username.
            RasaException: Telegram refused the webhook.
        """
        output = self.get_output_channel()
        try:
            me = await output.get_me()
            if me.username != self.verify:
                raise InvalidConfigException(
                    f"The Telegram token belongs to @{me.username}, not @{self.verify}: "
                    f"check TELEGRAM_VERIFY and TELEGRAM_ACCESS_TOKEN."
                )
            await output.request(
                "setWebhook", {"url": self.webhook_url, "secret_token": self.secret_token}
            )
        except TelegramAPIError as error:
            raise RasaException(f"Failed to set the Telegram webhook: {error}") from error
        logger.info("Telegram webhook set to %s", self.webhook_url)

    async def close(self) -> None:
        """Closes the output channel's HTTP session."""
        if self._output is not None and self._output_loop is _running_loop():
            await self._output.session.close()
        self._output = None

    def _is_authentic(self, request: Request) -> bool:
        supplied = request.headers.get(SECRET_TOKEN_HEADER, "")
        return hmac.compare_digest(supplied.encode(), self.secret_token.encode())

    def _text_and_chat(self, update: Update) -> Optional[Tuple[str, Optional[int]]]:
        """The customer's text and chat, as Rasa's connector reads them.

        Returns:
            ``None`` for an update the assistant does not answer (a sticker, a
            member joining, a button under an inline-mode message); the chat id
            is ``None`` when a message has no chat, which Telegram never sends.
        """
        if self._is_button(update):
            query = update.callback_query
            if not isinstance(query.message, Message):
                return None
            return str(query.data or ""), _chat_id(query.message)
        edited = self._is_edited_message(update)
        message = update.edited_message if edited else update.message
        if message is None:
            return None
        if not isinstance(message, Message):
            return "", None
        if isinstance(message.text, str):
            text = message.text if edited else message.text.replace("/bot", "")
            return text, _chat_id(message)
        if not edited and self._is_location(message):
            location = message.location
            return f'{{"lng":{location.longitude}, "lat":{location.latitude}}}', _chat_id(message)
        return None

    async def _deliver(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        chat_id: int,
        metadata: Optional[Dict[str, Any]],
    ) -> None:
        output = self.get_output_channel()
        texts = [text]
        if text == INTENT_MESSAGE_PREFIX + USER_INTENT_RESTART:
            texts.append("/start")
        for each in texts:
            await on_new_message(
                UserMessage(each, output, chat_id, input_channel=self.name(), metadata=metadata)
            )

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The webhook routes; the webhook is registered when the server starts."""
        telegram_webhook = Blueprint("telegram_webhook", __name__)

        @telegram_webhook.listener("before_server_start")
        async def register(_: Sanic, __: asyncio.AbstractEventLoop) -> None:
            await self.register_webhook()

        @telegram_webhook.listener("after_server_stop")
        async def close(_: Sanic, __: asyncio.AbstractEventLoop) -> None:
            await self.close()

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def message(request: Request) -> HTTPResponse:
            if not self._is_authentic(request):
                logger.warning("Refused a Telegram webhook call without the secret token")
                return response.text("forbidden", status=403)
            update = _parse_update(request.body)
            if update is None:
                return response.text("not a Telegram update", status=400)
            received = self._text_and_chat(update)
            if received is None:
                return response.text("success")
            text, chat_id = received
            if chat_id is None:
                return response.text("the update names no chat", status=400)
            try:
                await self._deliver(on_new_message, text, chat_id, self.get_metadata(request))
            except Exception:
                logger.exception("Exception when trying to handle a Telegram message")
                if self.debug_mode:
                    raise
            return response.text("success")

        return telegram_webhook

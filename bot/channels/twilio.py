"""SMS and WhatsApp through Twilio: Rasa's connector, refusing forged and malformed webhooks.

Rasa 3.6's ``TwilioInput`` does not check Twilio's ``X-Twilio-Signature``, so
anyone who knows the webhook URL can write in any phone number's name, and a
message without ``From`` or ``Body`` gets a 204 (or a 500) instead of being
refused. This subclass checks each webhook before Rasa's handler sees it:

* the signature, with Twilio's own ``RequestValidator`` over the URL Twilio
  called and the form fields; a missing or wrong signature gets 403;
* the message: a sender (``From``) and a text (``Body``) or a location
  (``Latitude`` and ``Longitude``); anything else gets 400.

Twilio signs the public URL it was configured with. Behind a reverse proxy
the URL the server sees differs (``http://`` and an internal host), so
``webhook_url`` names the public one; without it the request's own URL is used.

``credentials.yml``::

    bot.channels.twilio.TwilioInput:
      account_sid: AC…
      auth_token: …
      twilio_number: "+15005550006"     # or whatsapp:+14155238886
      # webhook_url: https://shop.example/webhooks/twilio/webhook
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.twilio import TwilioInput as RasaTwilioInput
from sanic import Blueprint, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
FORM = "application/x-www-form-urlencoded"


def _signed_fields(request: Request) -> RequestParameters:
    """The form fields as Twilio signed them, blank ones included.

    Sanic's ``request.form`` drops blank fields, which Twilio sends (``ToCity=``)
    and signs.
    """
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM:
        return RequestParameters()
    return RequestParameters(
        parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    )


class TwilioInput(RasaTwilioInput):
    """Twilio input channel (webhook ``/webhooks/twilio/webhook``)."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> InputChannel:
        """Builds the channel from its ``credentials.yml`` section."""
        if not credentials:
            cls.raise_missing_credentials_exception()
        assert credentials is not None
        return cls(
            credentials.get("account_sid"),
            credentials.get("auth_token"),
            credentials.get("twilio_number"),
            webhook_url=credentials.get("webhook_url"),
        )

    def __init__(
        self,
        account_sid: Optional[str],
        auth_token: Optional[str],
        twilio_number: Optional[str],
        webhook_url: Optional[str] = None,
        debug_mode: bool = True,
    ) -> None:
        """Creates the channel.

        Args:
            account_sid: The Twilio account.
            auth_token: The account's auth token, which also signs the webhooks.
            twilio_number: The number (``+…``) or WhatsApp sender (``whatsapp:+…``)
                replies come from.
            webhook_url: The public URL Twilio posts to; the request's URL when ``None``.
            debug_mode: Re-raise errors of the message handler.
        """
        super().__init__(account_sid, auth_token, twilio_number, debug_mode)
        self.webhook_url = webhook_url
        self._validator = RequestValidator(auth_token or "")

    def _signed_url(self, request: Request) -> str:
        if not self.webhook_url:
            return str(request.url)
        query = request.query_string
        return f"{self.webhook_url}?{query}" if query else self.webhook_url

    def is_signed_by_twilio(self, request: Request) -> bool:
        """Checks ``X-Twilio-Signature`` against the URL and the form fields.

        Args:
            request: The webhook request.

        Returns:
            Whether Twilio, holding the auth token, signed exactly this request.
        """
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not signature:
            return False
        return bool(
            self._validator.validate(self._signed_url(request), _signed_fields(request), signature)
        )

    @staticmethod
    def is_message(request: Request) -> bool:
        """Whether the form is a message Rasa's handler can take: a sender and a text or place."""
        form = request.form
        if not form.get("From"):
            return False
        has_location = bool(form.get("Latitude") and form.get("Longitude"))
        return form.get("Body") is not None or has_location

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's routes, behind the signature and payload checks."""
        twilio_webhook = super().blueprint(on_new_message)

        async def refuse_forged_or_malformed(request: Request) -> Optional[HTTPResponse]:
            if request.method != "POST" or not request.path.endswith("/webhook"):
                return None
            if not self.is_signed_by_twilio(request):
                logger.warning("Refused a Twilio webhook call with a missing or wrong signature")
                return response.text("forbidden", status=403)
            if not self.is_message(request):
                return response.text("not a Twilio message", status=400)
            return None

        twilio_webhook.middleware(refuse_forged_or_malformed, "request")
        return twilio_webhook

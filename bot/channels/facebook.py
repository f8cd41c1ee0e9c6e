"""Facebook Messenger through Rasa's connector, refusing forged and malformed webhooks.

Rasa 3.6's ``FacebookInput`` answers a webhook with a wrong ``X-Hub-Signature``
with 200 "not validated", so Meta and anyone probing the URL see success, and
it compares signatures in non-constant time. Its handler also stops after the
first message of a batch (Meta delivers several events in one call) and fails
with a 500 on a body without ``entry``. This subclass keeps Rasa's message
handling (``Messenger``: texts, quick replies, postbacks, attachments) and:

* checks ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the app
  secret), or ``X-Hub-Signature`` (HMAC-SHA1) when only that is sent, in
  constant time; a missing or wrong signature gets 403 and nothing is read;
* refuses a body that is not a Messenger ``page`` event (``entry`` a list of
  objects with ``messaging`` lists of events with a sender) with 400;
* hands every event of a batch to the assistant, in order;
* answers the subscription check (``GET …/webhook``) with 403 for a wrong
  verify token.

``credentials.yml``::

    bot.channels.facebook.FacebookInput:
      verify: …               # the verify token you chose
      secret: …               # the app secret
      page-access-token: …
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.facebook import FacebookInput as RasaFacebookInput
from rasa.core.channels.facebook import Messenger
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

_SIGNATURE_HEADERS = (("X-Hub-Signature-256", "sha256"), ("X-Hub-Signature", "sha1"))


def _events(payload: Any) -> Optional[List[Dict[str, Any]]]:
    """The messaging events of a Messenger webhook body, or ``None`` when it is not one."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        return None
    events: List[Dict[str, Any]] = []
    for entry in payload["entry"]:
        messaging = entry.get("messaging") if isinstance(entry, dict) else None
        if not isinstance(messaging, list):
            return None
        for event in messaging:
            sender = event.get("sender") if isinstance(event, dict) else None
            if not isinstance(sender, dict) or not sender.get("id"):
                return None
            events.append(event)
    return events


class FacebookInput(RasaFacebookInput):
    """Facebook Messenger input channel (webhook ``/webhooks/facebook/webhook``)."""

    @staticmethod
    def is_signed(app_secret: str, body: bytes, headers: Any) -> bool:
        """Checks Meta's signature of the raw body.

        Args:
            app_secret: The app secret, which signs every webhook.
            body: The raw request body.
            headers: The request headers.

        Returns:
            Whether the SHA-256 signature (or, when Meta sends only that, the
            SHA-1 one) matches.
        """
        for header, algorithm in _SIGNATURE_HEADERS:
            supplied = headers.get(header)
            if supplied is None:
                continue
            expected = hmac.new(app_secret.encode(), body, getattr(hashlib, algorithm))
            return hmac.compare_digest(str(supplied), f"{algorithm}={expected.hexdigest()}")
        return False

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The subscription check and the webhook."""
        fb_webhook = Blueprint("fb_webhook", __name__)

        @fb_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @fb_webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            token = str(request.args.get("hub.verify_token") or "")
            if not hmac.compare_digest(token.encode(), str(self.fb_verify).encode()):
                logger.warning("Refused a Messenger subscription check with a wrong verify token")
                return response.text("failure, invalid token", status=403)
            return response.text(str(request.args.get("hub.challenge") or ""))

        @fb_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.is_signed(self.fb_secret, request.body, request.headers):
                logger.warning("Refused a Messenger webhook call with a missing or wrong signature")
                return response.text("not validated", status=403)
            try:
                events = _events(json.loads(request.body))
            except (UnicodeDecodeError, ValueError):
                events = None
            if events is None:
                return response.text("not a Messenger event", status=400)
            messenger = Messenger(self.fb_access_token, on_new_message)
            metadata = self.get_metadata(request)
            for event in events:
                messenger.last_message = event
                if event.get("message"):
                    await messenger.message(event, metadata)
                elif event.get("postback"):
                    await messenger.postback(event, metadata)
            return response.text("success")

        return fb_webhook

"""Slack through Rasa's connector, refusing forged and malformed events before Rasa reads them.

Rasa 3.6's ``SlackInput`` checks Slack's signature (HMAC-SHA256 over
``v0:<timestamp>:<body>`` with the signing secret, at most five minutes old)
but answers a forged call with 400, and a correctly signed body of the wrong
shape (a JSON list, a form without ``payload``, a message event without a
user) with a 500 or as a message from an empty sender. This subclass runs
Rasa's own signature check first and answers 403, then refuses such bodies
with 400; everything else is Rasa's handler.

``credentials.yml``::

    bot.channels.slack.SlackInput:
      slack_token: xoxb-…
      slack_signing_secret: …
      # slack_channel: C0123456
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.slack import SlackInput as RasaSlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def _is_event(body: bytes) -> bool:
    """Whether a JSON body is an Events API call Rasa's handler can read."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return False
    if not isinstance(payload, dict):
        return False
    event = payload.get("event", {})
    if not isinstance(event, dict):
        return False
    if event.get("type") in ("message", "app_mention") and event.get("text"):
        user = event.get("user")
        return bool(event.get("bot_id") or (isinstance(user, str) and user))
    return True


def _is_interaction(request: Request) -> bool:
    """Whether a form body carries an interactive ``payload`` Rasa's handler can read."""
    raw = request.form.get("payload")
    if not raw:
        return False
    try:
        payload = json.loads(raw)
    except ValueError:
        return False
    return isinstance(payload, dict)


class SlackInput(RasaSlackInput):
    """Slack input channel (webhook ``/webhooks/slack/webhook``)."""

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """Rasa's routes, behind the signature and payload checks."""
        slack_webhook = super().blueprint(on_new_message)

        async def refuse_forged_or_malformed(request: Request) -> Optional[HTTPResponse]:
            if not request.path.endswith("/webhook"):
                return None
            if not self.is_request_from_slack_authentic(request):
                logger.warning("Refused a Slack webhook call with a missing or wrong signature")
                return response.text("forbidden", status=403)
            content_type = request.headers.get("content-type")
            if content_type == JSON and not _is_event(request.body):
                return response.text("not a Slack event", status=400)
            if content_type == FORM and not _is_interaction(request):
                return response.text("not a Slack interaction", status=400)
            return None

        slack_webhook.middleware(refuse_forged_or_malformed, "request")
        return slack_webhook

"""A thin client for the Rasa server's HTTP API.

The bot service uses it to put agent replies and the hand-back into a
conversation. Rasa runs with ``--jwt-secret``; every request carries a
short-lived HS256 token with the ``admin`` role, which Rasa's API accepts.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence
from urllib.parse import quote

import aiohttp
import jwt

SERVICE_USERNAME = "bot-service"
TOKEN_LIFETIME_SECONDS = 300
DEFAULT_TIMEOUT_SECONDS = 10.0


class RasaUnavailableError(Exception):
    """The Rasa server could not be reached or did not accept the request."""


def service_token(secret: str, now: Optional[float] = None) -> str:
    """Makes the JWT that authorises the service with Rasa's HTTP API.

    Args:
        secret: ``settings.rasa_jwt_secret``.
        now: Current Unix time; ``time.time()`` by default.

    Returns:
        An HS256 token with payload ``{"user": {"username": "bot-service", "role": "admin"}}``
        and a five-minute expiry.
    """
    issued = int(now if now is not None else time.time())
    payload = {
        "user": {"username": SERVICE_USERNAME, "role": "admin"},
        "iat": issued,
        "exp": issued + TOKEN_LIFETIME_SECONDS,
    }
    return str(jwt.encode(payload, secret, algorithm="HS256"))


class RasaClient:
    """Calls the Rasa HTTP API through a shared :class:`aiohttp.ClientSession`.

    Args:
        base_url: E.g. ``settings.rasa_url``.
        jwt_secret: ``settings.rasa_jwt_secret``.
        http: The session to send requests with; the caller closes it.
        timeout_seconds: Limit for each request.
    """

    def __init__(
        self,
        base_url: str,
        jwt_secret: str,
        http: aiohttp.ClientSession,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._secret = jwt_secret
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    def _url(self, conversation_id: str, suffix: str) -> str:
        return f"{self._base_url}/conversations/{quote(conversation_id, safe='')}/{suffix}"

    def _headers(self) -> Dict[str, str]:
        return {"Authorization": f"Bearer {service_token(self._secret)}"}

    async def append_events(
        self,
        conversation_id: str,
        events: Sequence[Mapping[str, Any]],
        output_channel: str = "latest",
        execute_side_effects: bool = True,
    ) -> Dict[str, Any]:
        """Appends events to a conversation, e.g. a ``bot`` message or ``resume``.

        With ``execute_side_effects`` Rasa also sends the bot messages to the
        customer through ``output_channel`` (``latest``: the channel they last wrote on).

        Args:
            conversation_id: The conversation (Rasa sender id).
            events: Events in Rasa's JSON form.
            output_channel: Channel for the side effects.
            execute_side_effects: Whether Rasa sends the messages and runs the
                side effects of the events.

        Returns:
            The conversation's tracker as Rasa returns it.

        Raises:
            RasaUnavailableError: When Rasa cannot be reached or answers with an error.
        """
        params = {
            "output_channel": output_channel,
            "execute_side_effects": "true" if execute_side_effects else "false",
        }
        return await self._request(
            "POST",
            self._url(conversation_id, "tracker/events"),
            params=params,
            json=list(events),
        )

    async def get_tracker(self, conversation_id: str) -> Dict[str, Any]:
        """Returns a conversation's tracker.

        Raises:
            RasaUnavailableError: When Rasa cannot be reached or answers with an error.
        """
        return await self._request("GET", self._url(conversation_id, "tracker"))

    async def _request(
        self,
        method: str,
        url: str,
        *,
        params: Optional[Mapping[str, str]] = None,
        json: Optional[List[Mapping[str, Any]]] = None,
    ) -> Dict[str, Any]:
        try:
            async with self._http.request(
                method,
                url,
                params=params,
                json=json,
                headers=self._headers(),
                timeout=self._timeout,
            ) as response:
                if response.status >= 400:
                    detail = (await response.text())[:300]
                    raise RasaUnavailableError(
                        f"Rasa answered {method} {url} with HTTP {response.status}: {detail}"
                    )
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise RasaUnavailableError(f"Rasa request {method} {url} failed: {error!r}") from error
        return body if isinstance(body, dict) else {"result": body}

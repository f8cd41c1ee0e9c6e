"""The website chat widget: its script, and the history of a chat for a signed session.

The widget is bundled from ``bot/service/widget/`` into ``build/widget/`` by
``make widget``. A chat's history comes from the conversation's tracker in
Rasa, and only for a session token that the socket.io channel issued: the
token is checked with the channel's own :class:`ConversationSigner`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from aiohttp import web

from bot.channels.session_tokens import ConversationSigner, conversation_key
from bot.rasa_api import RasaUnavailableError
from bot.service.views.common import RASA, SETTINGS, RequestError, json_object, json_response
from bot.settings import PROJECT_ROOT

WIDGET_DIR = PROJECT_ROOT / "build" / "widget"
WIDGET_FILES = {"widget.js": "text/javascript", "widget.js.map": "application/json"}
# Shops embed the script on every page: browsers may reuse it for five minutes, then revalidate.
WIDGET_CACHE_CONTROL = "public, max-age=300"
NOT_BUILT = (
    "The chat widget has not been built on this server yet. Run `make widget` "
    "(it needs Node.js and npm), then reload the page."
)
MAX_HISTORY_MESSAGES = 200


class InvalidChatSessionError(RequestError):
    """The session token was not issued by this assistant (HTTP 403)."""

    def __init__(self) -> None:
        super().__init__(
            "This chat session isn't valid here. Please reload the page to start a new chat."
        )


class HistoryUnavailableError(RequestError):
    """Rasa could not give the conversation's history just now (HTTP 503)."""

    def __init__(self) -> None:
        super().__init__(
            "The earlier messages of this chat can't be loaded just now. "
            "Please try again in a moment."
        )


@lru_cache(maxsize=4)
def _signer(agent_session_key: str) -> ConversationSigner:
    return ConversationSigner(conversation_key(agent_session_key))


async def widget_file(request: web.Request) -> web.StreamResponse:
    """``GET /widget.js`` (and its source map): the bundle, or 503 until it is built."""
    name = request.path.rsplit("/", 1)[-1]
    path: Path = WIDGET_DIR / name
    if not path.is_file():
        return web.Response(
            status=503,
            text=NOT_BUILT,
            content_type="text/plain",
            headers={"Cache-Control": "no-store", "Retry-After": "60"},
        )
    return web.FileResponse(
        path,
        headers={
            "Content-Type": f"{WIDGET_FILES[name]}; charset=utf-8",
            "Cache-Control": WIDGET_CACHE_CONTROL,
        },
    )


async def chat_history(request: web.Request) -> web.Response:
    """``POST /widget/history`` with ``{"session": "<session token>"}``: the visible messages.

    Raises:
        InvalidRequestError: When the body is not a JSON object.
        InvalidChatSessionError: When the token was not issued by this assistant.
        HistoryUnavailableError: When Rasa cannot be asked.
    """
    body = await json_object(request)
    conversation = _signer(request.app[SETTINGS].agent_session_key).verify(body.get("session"))
    if conversation is None:
        raise InvalidChatSessionError()
    try:
        tracker = await request.app[RASA].get_tracker(conversation.conversation_id)
    except RasaUnavailableError as error:
        raise HistoryUnavailableError() from error
    events = tracker.get("events")
    messages = visible_messages(events if isinstance(events, list) else [])
    return json_response({"messages": messages[-MAX_HISTORY_MESSAGES:]})


async def chat_history_preflight(request: web.Request) -> web.Response:
    """``OPTIONS /widget/history``: lets a shop's pages on other origins ask for history."""
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )


def visible_messages(events: Sequence[Any]) -> List[Dict[str, Any]]:
    """Turns tracker events into the messages the customer saw, as the channel sent them.

    Each bot message is split into paragraphs and followed by its image, the
    way the socket.io channel delivers it, so the widget renders history and
    live messages alike. A button the customer tapped shows as its title.

    Args:
        events: The tracker's events in Rasa's JSON form.

    Returns:
        ``{"sender": "customer", "text": ...}`` for the customer's messages and
        ``bot_uttered`` payloads with ``"sender": "bot"`` for the assistant's and agents'.
    """
    messages: List[Dict[str, Any]] = []
    offered: List[Dict[str, str]] = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        if event.get("event") == "user":
            text = event.get("text")
            if isinstance(text, str) and text.strip():
                messages.append({"sender": "customer", "text": _tapped_title(text, offered)})
        elif event.get("event") == "bot":
            sent, buttons = _bot_messages(event)
            messages.extend(sent)
            if buttons:
                offered = buttons
    return messages


def _tapped_title(text: str, offered: Sequence[Mapping[str, str]]) -> str:
    for button in offered:
        if button["payload"] == text:
            return button["title"]
    return text


def _bot_messages(event: Mapping[str, Any]) -> tuple[List[Dict[str, Any]], List[Dict[str, str]]]:
    data = _mapping(event.get("data"))
    metadata = _mapping(event.get("metadata"))
    buttons = _buttons(data.get("quick_replies") or data.get("buttons"))
    agent = metadata.get("agent")
    marks = {"agent": agent} if isinstance(agent, str) and agent else {}
    messages: List[Dict[str, Any]] = []
    text = event.get("text")
    if isinstance(text, str) and text.strip():
        for part in text.strip().split("\n\n"):
            message: Dict[str, Any] = {"sender": "bot", "text": part}
            if marks:
                message["metadata"] = marks
            messages.append(message)
        if buttons:
            messages[-1]["quick_replies"] = buttons
    image = _image_of(data)
    if image is not None:
        messages.append(
            {"sender": "bot", "attachment": {"type": "image", "payload": {"src": image}}}
        )
    return messages, buttons


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _buttons(raw: Any) -> List[Dict[str, str]]:
    if not isinstance(raw, list):
        return []
    return [
        {"content_type": "text", "title": button["title"], "payload": button["payload"]}
        for button in raw
        if isinstance(button, Mapping)
        and isinstance(button.get("title"), str)
        and isinstance(button.get("payload"), str)
    ]


def _image_of(data: Mapping[str, Any]) -> Optional[str]:
    image = data.get("image")
    if isinstance(image, str) and image:
        return image
    attachment = data.get("attachment")
    if isinstance(attachment, Mapping) and attachment.get("type") == "image":
        payload = attachment.get("payload")
        source = payload.get("src") if isinstance(payload, Mapping) else None
        return source if isinstance(source, str) and source else None
    return None

"""What the website widget relies on from the socket.io channel, beyond tests/…/test_socketio.py.

An agent's reply reaches the customer's socket marked with the agent's name,
so the widget can show it as a person's; nothing else in a bot message's
metadata leaks to the browser.
"""

from __future__ import annotations

from typing import Any, Dict

from rasa.shared.core.events import BotUttered

from bot.settings import Settings
from tests.bot.channels.test_socketio import (  # noqa: F401  (fixtures)
    chat,
    conversation_of,
    serve,
    settings,
    several_sanic_apps,
)


async def _deliver(output: Any, conversation_id: str, event: BotUttered) -> None:
    # What Rasa's processor does for each bot event appended through the HTTP API.
    await output.send_response(conversation_id, event.message())


async def test_an_agents_reply_reaches_the_browser_marked_with_the_agents_name(
    settings: Settings,  # noqa: F811
) -> None:
    async with serve(settings) as running, chat(running.url) as customer:
        conversation_id = conversation_of(await customer.start())
        output = running.channel.get_output_channel()
        assert output is not None

        await _deliver(
            output,
            conversation_id,
            BotUttered("Hi, Sam here.\n\nLet me look.", metadata={"agent": "Sam"}),
        )
        await _deliver(
            output,
            conversation_id,
            BotUttered(
                "Which order?",
                data={"buttons": [{"title": "ORD-100001", "payload": "/inform"}]},
                metadata={"utter_action": "utter_ask_order", "agent": "Sam"},
            ),
        )
        await _deliver(
            output,
            conversation_id,
            BotUttered("All sorted.", metadata={"utter_action": "utter_done", "secret": "x"}),
        )
        replies = [await customer.reply() for _ in range(4)]

    marked: Dict[str, Any] = {"agent": "Sam"}
    assert replies == [
        {"text": "Hi, Sam here.", "metadata": marked},
        {"text": "Let me look.", "metadata": marked},
        {
            "text": "Which order?",
            "quick_replies": [
                {"content_type": "text", "title": "ORD-100001", "payload": "/inform"}
            ],
        },
        {"text": "All sorted."},
    ]

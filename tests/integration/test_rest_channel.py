"""The assistant end to end over Rasa's REST channel, with the real model."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import requests

from tests.integration.conftest import RunningAssistant

pytestmark = [pytest.mark.model, pytest.mark.server]


def new_sender() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def test_greeting_gets_a_welcome_that_says_what_the_assistant_does(assistant: RunningAssistant):
    replies = " ".join(assistant.texts(new_sender(), "hello there"))
    assert "order" in replies.lower()


def test_help_lists_what_the_assistant_can_do_with_buttons(assistant: RunningAssistant):
    replies = assistant.say(new_sender(), "what can you do?")
    assert any(reply.get("buttons") for reply in replies)
    assert "Track an order" in replies[0]["text"]


def knowledge_answers() -> list:
    import json

    from bot.settings import PROJECT_ROOT

    index = json.loads((PROJECT_ROOT / "build" / "knowledge" / "index.json").read_text())
    return [article["answer"] for article in index["articles"]]


def test_faq_is_answered_from_the_knowledge_base_and_asks_for_feedback(
    assistant: RunningAssistant,
):
    replies = assistant.say(new_sender(), "how long do I have to send something back?")
    assert any(replies[0]["text"] in answer for answer in knowledge_answers())
    assert replies[-1]["text"] == "Did that answer your question?"
    assert [button["payload"] for button in replies[-1]["buttons"]] == ["/affirm", "/deny"]


def test_picked_suggestion_is_answered_and_feedback_is_stored(assistant: RunningAssistant):
    import sqlalchemy

    sender = new_sender()
    replies = assistant.say(sender, '/faq_choose{"faq_article": "shipping_costs"}')
    assert any(replies[0]["text"] in answer for answer in knowledge_answers())
    assert "glad" in " ".join(assistant.texts(sender, "/affirm")).lower()
    engine = sqlalchemy.create_engine(assistant.settings.database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sqlalchemy.text(
                "SELECT article_id, helpful FROM faq_feedback WHERE conversation_id = :sender"
            ),
            {"sender": sender},
        ).all()
    engine.dispose()
    assert [(row[0], bool(row[1])) for row in rows] == [("shipping_costs", True)]


def test_order_status_is_told_only_after_the_emailed_code(assistant: RunningAssistant):
    sender = new_sender()
    assert "order number" in " ".join(assistant.texts(sender, "where is my order?")).lower()
    assert "email" in " ".join(assistant.texts(sender, "ORD-100001")).lower()
    before = assistant.emailed_codes("jane.doe@example.com")
    reply = " ".join(assistant.texts(sender, "Jane.Doe@example.com"))
    assert "code" in reply and "ORD-100001" not in reply
    codes = assistant.emailed_codes("jane.doe@example.com")
    assert len(codes) == len(before) + 1
    reply = " ".join(assistant.texts(sender, codes[0]))
    assert "Jane" in reply and "ORD-100001" in reply


def test_wrong_email_and_unknown_order_get_the_same_answer(assistant: RunningAssistant):
    wrong_email, unknown_order = new_sender(), new_sender()
    assistant.texts(wrong_email, "where is my order ORD-100001")
    assistant.texts(unknown_order, "where is my order ORD-999999")
    reply_wrong = assistant.texts(wrong_email, "someone.else@example.com")
    reply_unknown = assistant.texts(unknown_order, "jane.doe@example.com")
    assert reply_wrong == reply_unknown
    assert "ORD-100001" not in " ".join(reply_wrong)
    assert "Jane" not in " ".join(reply_wrong)
    assert assistant.texts(wrong_email, "123456") == assistant.texts(unknown_order, "123456")


def test_signed_website_token_skips_the_code_and_a_forged_one_does_not(
    assistant: RunningAssistant,
):
    from datetime import timedelta

    from bot.db.engine import get_engine, session_scope
    from bot.db.models import Customer
    from bot.identity.tokens import issue_customer_token

    with session_scope(get_engine(assistant.settings.database_url)) as session:
        jane = session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar()
    secret = assistant.settings.customer_token_secret
    signed = {"customer_token": issue_customer_token(jane, secret, timedelta(minutes=10))}
    sender = new_sender()
    assistant.texts(sender, "where is my order?", signed)
    reply = " ".join(assistant.texts(sender, "ORD-100001", signed))
    assert "ORD-100001" in reply

    forged = {"customer_token": issue_customer_token(jane, "guess", timedelta(minutes=10))}
    sender = new_sender()
    assistant.texts(sender, "where is my order?", forged)
    reply = " ".join(assistant.texts(sender, "ORD-100001", forged))
    assert "ORD-100001" not in reply and "email" in reply.lower()


def test_stop_leaves_the_order_check(assistant: RunningAssistant):
    sender = new_sender()
    assistant.texts(sender, "track my order")
    reply = " ".join(assistant.texts(sender, "stop"))
    assert "stopped" in reply.lower() or "leave that" in reply.lower()
    # The next message is understood on its own, not taken as an order number.
    assert assistant.texts(sender, "thanks")


def test_out_of_scope_gets_a_polite_reply_saying_what_is_possible(assistant: RunningAssistant):
    reply = " ".join(assistant.texts(new_sender(), "what's the weather like in Paris tomorrow?"))
    assert "order" in reply.lower()


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "🙂🙂🙂",
        "x" * 10_000,
        "Wo ist meine Bestellung? Ich warte schon seit Tagen.",
        "¿Dónde está mi pedido?",
    ],
    ids=["empty", "whitespace", "emoji", "10k-chars", "german", "spanish"],
)
def test_bad_input_gets_a_reply_and_the_conversation_goes_on(
    assistant: RunningAssistant, message: str
):
    sender = new_sender()
    replies = assistant.texts(sender, message)
    assert replies and all(text.strip() for text in replies)
    # Nothing is blocked or lost afterwards.
    assert "order" in " ".join(assistant.texts(sender, "hi")).lower()


def test_invalid_json_is_refused_with_400(assistant: RunningAssistant):
    response = requests.post(
        f"{assistant.url}/webhooks/rest/webhook",
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 400


def test_http_api_requires_a_signed_token(assistant: RunningAssistant):
    sender = new_sender()
    assistant.texts(sender, "hello")
    url = f"{assistant.url}/conversations/{sender}/tracker"
    assert requests.get(url, timeout=30).status_code == 401
    forged = requests.get(url, headers={"Authorization": "Bearer not-a-jwt"}, timeout=30)
    assert forged.status_code == 401
    allowed = requests.get(
        url, headers={"Authorization": f"Bearer {assistant.admin_token()}"}, timeout=30
    )
    assert allowed.status_code == 200


def command_lines() -> list:
    lines = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            lines.append(cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue  # the process ended while the list was read
    return lines


def test_the_jwt_secret_is_not_on_any_command_line(assistant: RunningAssistant):
    rasa_server = "bot.runtime.rasa_entry run --model"
    port = f"--port {assistant.settings.rasa_port} "
    lines = command_lines()

    assert [line for line in lines if rasa_server in line and port in line]
    assert not [line for line in lines if assistant.settings.rasa_jwt_secret in line]


def test_conversations_are_stored_in_the_sql_tracker_store(assistant: RunningAssistant):
    import sqlalchemy

    sender = new_sender()
    assistant.texts(sender, "hello")
    engine = sqlalchemy.create_engine(assistant.settings.tracker_store_url)
    with engine.connect() as connection:
        count = connection.execute(
            sqlalchemy.text("SELECT count(*) FROM events WHERE sender_id = :sender"),
            {"sender": sender},
        ).scalar()
    engine.dispose()
    assert count and count > 0

"""Which messaging-app users are remembered, and the staff commands to see and forget them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Iterator, List

import pytest

from bot.cli import links as links_cli
from bot.db.engine import get_engine, session_scope
from bot.db.models import AuditEntry, Customer
from bot.identity import links
from bot.settings import Settings, get_settings, load_settings


@pytest.mark.parametrize(
    ("channel", "sender", "app"),
    [
        ("telegram", "1111111", "Telegram"),
        ("twilio", "whatsapp:+447700900123", "WhatsApp"),
        ("facebook", "USER_PSID", "Messenger"),
        ("slack", "U2147483697", "Slack"),
        ("twilio", "+447700900123", None),
        ("rest", "1111111", None),
        ("socketio", "0f3c2a9d4b5e6f708192a3b4c5d6e7f8", None),
        ("callback", "1111111", None),
        (None, "1111111", None),
    ],
)
def test_only_messaging_app_users_can_be_remembered(channel, sender, app) -> None:
    assert links.app_name(channel, sender) == app


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A demo shop in a database of its own, which the commands use."""
    from bot.db.bootstrap import prepare_database

    settings = load_settings({"BOT_VAR_DIR": str(tmp_path)})
    prepare_database(settings.database_url)
    monkeypatch.setenv("BOT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def customer_id(settings: Settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return int(session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar())


def run(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot")
    subparsers = parser.add_subparsers(dest="command")
    links_cli.register(subparsers)
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_a_website_conversation_is_not_remembered(shop: Settings) -> None:
    jane = customer_id(shop)

    assert links.remember_channel_user(shop, "rest", "browser-session", jane) is None
    assert links.remember_channel_user(shop, "twilio", "+447700900123", jane) is None

    assert links.linked_customer(shop, "rest", "browser-session") is None
    assert links.linked_customer(shop, "twilio", "+447700900123") is None


def test_staff_list_and_forget_a_link(shop: Settings, capsys: pytest.CaptureFixture) -> None:
    jane = customer_id(shop)
    assert links.remember_channel_user(shop, "telegram", "1111111", jane) == "Telegram"
    assert links.remember_channel_user(shop, "twilio", "whatsapp:+447700900123", jane)

    assert run(["links", "list", "--customer", str(jane)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in listed] == [
        ["telegram", "1111111"],
        ["twilio", "whatsapp:+447700900123"],
    ]

    assert run(["links", "forget", "telegram", "1111111"]) == 0
    assert "Forgot telegram user 1111111" in capsys.readouterr().out
    assert links.linked_customer(shop, "telegram", "1111111") is None
    assert links.linked_customer(shop, "twilio", "whatsapp:+447700900123") == jane

    assert run(["links", "forget", "telegram", "1111111"]) == 1
    assert "was not linked" in capsys.readouterr().out
    with session_scope(get_engine(shop.database_url)) as session:
        trail = [
            (entry.conversation_id, entry.old_value, entry.new_value)
            for entry in session.query(AuditEntry)
            .filter_by(entity="channel_link", entity_id="telegram")
            .order_by(AuditEntry.id)
        ]
    assert trail == [("1111111", None, str(jane)), ("1111111", str(jane), None)]


def test_a_customer_without_links_is_said_to_have_none(
    shop: Settings, capsys: pytest.CaptureFixture
) -> None:
    assert run(["links", "list", "--customer", str(customer_id(shop))]) == 0
    assert "not remembered on any messaging app" in capsys.readouterr().out

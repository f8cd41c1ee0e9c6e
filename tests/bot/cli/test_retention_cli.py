from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import List

import pytest

from bot.cli import build_parser
from bot.cli import retention as retention_cli
from bot.db.engine import session_scope
from bot.db.repositories.conversations import get_or_create_conversation
from tests.bot.privacy.people import conversation_events
from tests.support.stores import Stores

LONG_AGO = datetime.now(timezone.utc) - timedelta(days=800)


def run(argv: List[str]) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


@pytest.fixture
def old_conversation(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> Stores:
    monkeypatch.setattr("bot.settings.get_settings", lambda: stores.settings)
    with session_scope(stores.app) as session:
        get_or_create_conversation(session, "long-ago", now=LONG_AGO)
    stores.add_events("long-ago", conversation_events("hello", None, LONG_AGO))
    return stores


def test_the_command_is_registered() -> None:
    args = build_parser().parse_args(["retention", "run", "--days", "30"])

    assert args.handler is retention_cli.run_command
    assert args.days == 30
    assert build_parser().parse_args(["retention", "run"]).days is None


def test_days_must_be_a_whole_number(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["retention", "run", "--days", "a year"])

    assert raised.value.code == 2
    assert "whole number of days" in capsys.readouterr().err


def test_off_by_default_with_a_message(
    old_conversation: Stores, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["retention", "run"]) == 0

    assert "Retention is off, so nothing was deleted" in capsys.readouterr().out
    assert old_conversation.event_senders()["tracker"] == ["long-ago"] * 3


def test_days_on_the_command_line(
    old_conversation: Stores, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["retention", "run", "--days", "365"]) == 0

    out = capsys.readouterr().out
    assert "Deleted 1 conversation(s) with no activity since" in out
    assert "(365 days)" in out
    assert "tracker store events: 3" in out
    assert "event broker rows: 3" in out
    assert "conversations: 1" in out
    assert old_conversation.event_senders() == {"tracker": [], "broker": []}


def test_days_from_the_setting(
    old_conversation: Stores, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = replace(old_conversation.settings, retention_days=1000)
    monkeypatch.setattr("bot.settings.get_settings", lambda: settings)

    assert run(["retention", "run"]) == 0

    assert "Deleted 0 conversation(s)" in capsys.readouterr().out
    assert old_conversation.event_senders()["tracker"] == ["long-ago"] * 3

from __future__ import annotations

import argparse
from datetime import date
from typing import Iterator, List

import pytest
from sqlalchemy.engine import Engine

from bot.cli import db as db_cli
from bot.db.engine import dispose_engines, session_scope
from bot.db.migrations import head_revision
from bot.db.seed import DEMO_CUSTOMER_EMAIL, count_customers, reset_shop_data
from tests.support.database import database_url_of


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot")
    subparsers = parser.add_subparsers(dest="command")
    subparsers.required = True
    db_cli.register(subparsers)
    return parser


def run(argv: List[str]) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


@pytest.fixture
def cli_database(db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """Points the commands at the test database and empties it afterwards."""
    monkeypatch.setattr(db_cli, "_database_url", lambda: database_url_of(db_engine))
    try:
        yield db_engine
    finally:
        dispose_engines()
        with session_scope(db_engine) as session:
            reset_shop_data(session)


def test_commands_are_registered() -> None:
    parser = build_parser()
    assert parser.parse_args(["db", "upgrade"]).handler is db_cli.upgrade_command
    assert parser.parse_args(["db", "upgrade"]).revision == "head"
    assert parser.parse_args(["db", "current"]).handler is db_cli.current_command
    seed = parser.parse_args(["seed-demo", "--reset", "--today", "2024-06-01"])
    assert seed.handler is db_cli.seed_demo_command
    assert seed.reset is True
    assert seed.today == date(2024, 6, 1)
    defaults = parser.parse_args(["seed-demo"])
    assert (defaults.reset, defaults.today) == (False, None)


def test_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["seed-demo", "--today", "01/06/2024"])
    assert raised.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_db_upgrade_and_current_print_the_revision(
    cli_database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["db", "upgrade"]) == 0
    head = head_revision()
    assert f"revision {head}" in capsys.readouterr().out
    assert run(["db", "current"]) == 0
    assert f"revision {head} (newest)" in capsys.readouterr().out


def test_seed_demo_refuses_a_seeded_database_unless_reset(
    cli_database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["seed-demo", "--today", "2024-06-01"]) == 0
    out = capsys.readouterr().out
    assert DEMO_CUSTOMER_EMAIL in out
    assert "2024-06-01" in out

    assert run(["seed-demo"]) == 1
    err = capsys.readouterr().err
    assert "already has 72 customer(s)" in err
    assert "--reset" in err

    assert run(["seed-demo", "--reset", "--today", "2024-06-02"]) == 0
    with session_scope(cli_database) as session:
        assert count_customers(session) == 72

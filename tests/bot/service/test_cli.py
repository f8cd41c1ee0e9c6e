from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.cli import agents as agents_cli
from bot.cli import build_parser
from bot.cli import serve as serve_cli
from bot.db.engine import dispose_engines, session_scope
from bot.db.models import AgentRole
from bot.db.repositories.agents import find_agent_by_name
from bot.db.seed import reset_shop_data
from bot.runtime.processes import service_spec
from bot.service.passwords import verify_password
from bot.settings import Settings
from tests.support.database import database_url_of


@pytest.fixture
def cli_database(db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setattr(agents_cli, "_database_url", lambda: database_url_of(db_engine))
    try:
        yield db_engine
    finally:
        dispose_engines()
        with session_scope(db_engine) as session:
            reset_shop_data(session)


def run(argv: list) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


def test_commands_are_registered() -> None:
    parser = build_parser()
    create = parser.parse_args(["agents", "create", "--name", "Ada", "--password", "p" * 8])
    assert create.handler is agents_cli.create_command
    assert create.role == "agent"
    assert parser.parse_args(["agents", "list"]).handler is agents_cli.list_command
    assert parser.parse_args(["serve"]).handler is serve_cli.serve_command


def test_create_stores_a_hashed_password_and_list_shows_the_agent(
    cli_database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["agents", "create", "--name", "Ada", "--password", "s3cret-pass", "--role", "admin"]
    assert run(argv) == 0
    assert "Created admin 'Ada'" in capsys.readouterr().out
    with session_scope(cli_database) as session:
        ada = find_agent_by_name(session, "Ada")
        assert ada.role == AgentRole.ADMIN
        assert "s3cret-pass" not in ada.password_hash
        assert verify_password("s3cret-pass", ada.password_hash)
    assert run(["agents", "list"]) == 0
    out = capsys.readouterr().out
    assert "Ada" in out and "admin" in out and "yes" in out


def test_create_refuses_a_taken_name_and_a_short_password(
    cli_database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["agents", "create", "--name", "Sam", "--password", "long-enough"]) == 0
    assert run(["agents", "create", "--name", "sam", "--password", "long-enough"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert run(["agents", "create", "--name", "Priya", "--password", "short"]) == 1
    assert "at least 8 characters" in capsys.readouterr().err


def test_list_without_agents_says_how_to_add_one(
    cli_database: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["agents", "list"]) == 0
    assert "python -m bot agents create" in capsys.readouterr().out


def test_make_run_starts_the_service_on_its_port(settings: Settings) -> None:
    spec = service_spec(settings)
    assert spec.command[1:] == ["-m", "bot", "serve"]
    assert spec.port == settings.service_port == 8080

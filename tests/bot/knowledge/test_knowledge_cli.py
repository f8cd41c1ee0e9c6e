"""``python -m bot knowledge build|check``."""

from __future__ import annotations

import argparse

import pytest

from bot.cli import knowledge as knowledge_cli
from bot.knowledge.paths import INDEX_PATH, KNOWLEDGE_DIR, TRAINING_DATA_PATH


@pytest.fixture
def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot")
    knowledge_cli.register(parser.add_subparsers(dest="command"))
    return parser


def run(parser: argparse.ArgumentParser, *argv: str) -> int:
    args = parser.parse_args(list(argv))
    return int(args.handler(args))


def test_defaults_point_at_the_project(parser):
    args = parser.parse_args(["knowledge", "build"])
    assert (args.knowledge_dir, args.output, args.index_output) == (
        KNOWLEDGE_DIR,
        TRAINING_DATA_PATH,
        INDEX_PATH,
    )
    assert parser.parse_args(["knowledge", "check"]).knowledge_dir == KNOWLEDGE_DIR


def test_a_subcommand_is_required(parser, capsys):
    with pytest.raises(SystemExit):
        parser.parse_args(["knowledge"])


def test_build_writes_outputs(parser, knowledge_dir, outputs, capsys):
    training_data, index = outputs
    code = run(
        parser,
        "knowledge",
        "build",
        "--knowledge-dir", str(knowledge_dir),
        "--output", str(training_data),
        "--index-output", str(index),
    )  # fmt: skip
    assert code == 0
    assert training_data.exists() and index.exists()
    assert "3 articles, 2 topics, 15 questions" in capsys.readouterr().out


def test_build_fails_with_messages_and_writes_nothing(parser, knowledge_dir, outputs, capsys):
    training_data, index = outputs
    article = knowledge_dir / "articles" / "shipping.md"
    article.write_text(article.read_text().replace("title: A title?\n", ""))
    code = run(
        parser,
        "knowledge",
        "build",
        "--knowledge-dir", str(knowledge_dir),
        "--output", str(training_data),
        "--index-output", str(index),
    )  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "shipping.md: missing title" in err
    assert "nothing was built" in err
    assert not training_data.exists() and not index.exists()


def test_check_passes_and_fails(parser, knowledge_dir, capsys):
    assert run(parser, "knowledge", "check", "--knowledge-dir", str(knowledge_dir)) == 0
    assert "Knowledge base is valid" in capsys.readouterr().out
    (knowledge_dir / "topics.yml").unlink()
    assert run(parser, "knowledge", "check", "--knowledge-dir", str(knowledge_dir)) == 1
    assert "topics.yml: file is missing" in capsys.readouterr().err

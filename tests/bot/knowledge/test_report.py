"""``python -m bot knowledge report``: helpfulness ranking and to-do list."""

from __future__ import annotations

import argparse
import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from sqlalchemy.orm import Session

from bot.cli import knowledge as knowledge_cli
from bot.db.engine import dispose_engines, get_engine, session_scope
from bot.db.errors import DatabaseNotMigratedError
from bot.db.migrations import upgrade
from bot.db.models import utcnow
from bot.db.repositories.knowledge_feedback import record_feedback, record_unanswered
from bot.knowledge.index import KnowledgeIndexError
from bot.knowledge.paths import INDEX_PATH, REPORT_CSV_PATH
from bot.knowledge.report import ArticleRating, generate_report
from bot.knowledge.report_output import CSV_COLUMNS, render_report, write_report_csv
from bot.settings import PROJECT_ROOT

NOW = datetime(2024, 6, 30, 12, 0, tzinfo=timezone.utc)
TITLES = {
    "gift_cards_buy": "How do I buy a gift card?",
    "returns_policy": "What is your returns policy?",
    "shipping": "How does shipping work?",
    "shipping_costs": "How much does shipping cost?",
    "warranty": "What warranty do your products have?",
}


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A migrated SQLite database in a temporary file."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade(url)
    try:
        yield url
    finally:
        dispose_engines()


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    path = tmp_path / "index.json"
    articles = [{"id": id_, "title": title} for id_, title in TITLES.items()]
    path.write_text(json.dumps({"articles": articles}), encoding="utf-8")
    return path


Writer = Callable[[Callable[[Session], Any]], None]


@pytest.fixture
def write(database_url: str) -> Writer:
    def run(work: Callable[[Session], Any]) -> None:
        with session_scope(get_engine(database_url)) as session:
            work(session)

    return run


def votes(session: Session, article_id: str, helpful: int, unhelpful: int) -> None:
    for n in range(helpful + unhelpful):
        record_feedback(session, f"{article_id}-{n}", article_id, "q", n < helpful, NOW)


def fake_feedback(session: Session) -> None:
    votes(session, "shipping_costs", helpful=3, unhelpful=1)
    votes(session, "returns_policy", helpful=1, unhelpful=1)
    votes(session, "gift_cards_buy", helpful=2, unhelpful=0)
    votes(session, "retired_article", helpful=0, unhelpful=2)


def fake_questions(session: Session) -> None:
    def ask(days_ago: float, question: str, reason: str, article: Any = None) -> None:
        asked = NOW - timedelta(days=days_ago)
        record_unanswered(session, f"c-{question}", question, reason, article, asked)

    ask(0.5, "do you sell lamps in green", "fallback")
    ask(2, "vouchers", "low_confidence", "gift_cards_buy")
    ask(6, "what does delivery to Spain cost", "unhelpful", "shipping_costs")
    ask(8, "can I pay in bitcoin", "fallback")
    ask(45, "an old question", "unhelpful", "warranty")


@pytest.fixture
def filled(write: Writer, database_url: str) -> str:
    write(fake_feedback)
    write(fake_questions)
    return database_url


def test_articles_are_ranked_by_helpfulness_then_the_unrated(filled: str, index_path: Path) -> None:
    report = generate_report(filled, 30, index_path, now=NOW)
    assert report.rated == (
        ArticleRating("gift_cards_buy", "How do I buy a gift card?", 2, 0),
        ArticleRating("shipping_costs", "How much does shipping cost?", 3, 1),
        ArticleRating("returns_policy", "What is your returns policy?", 1, 1),
        ArticleRating("retired_article", "retired_article", 0, 2),
    )
    assert [rating.percent_helpful for rating in report.rated] == [100.0, 75.0, 50.0, 0.0]
    assert report.unrated == (
        ArticleRating("shipping", "How does shipping work?"),
        ArticleRating("warranty", "What warranty do your products have?"),
    )
    assert report.unrated[0].percent_helpful is None


def test_todo_holds_the_last_n_days_newest_first(filled: str, index_path: Path) -> None:
    report = generate_report(filled, 7, index_path, now=NOW)
    assert report.since == NOW - timedelta(days=7)
    assert [(item.reason, item.question, item.article_id) for item in report.todo] == [
        ("fallback", "do you sell lamps in green", None),
        ("low_confidence", "vouchers", "gift_cards_buy"),
        ("unhelpful", "what does delivery to Spain cost", "shipping_costs"),
    ]
    assert report.todo[1].article_title == "How do I buy a gift card?"
    assert report.todo[0].asked_at == NOW - timedelta(hours=12)
    month = generate_report(filled, 30, index_path, now=NOW)
    assert [item.question for item in month.todo][-1] == "can I pay in bitcoin"
    assert len(generate_report(filled, 60, index_path, now=NOW).todo) == 5


def test_without_an_index_articles_are_shown_by_id(filled: str, tmp_path: Path) -> None:
    report = generate_report(filled, 30, tmp_path / "missing.json", now=NOW)
    assert not report.index_found
    assert report.unrated == ()
    assert report.rated[0] == ArticleRating("gift_cards_buy", "gift_cards_buy", 2, 0)
    assert "knowledge build" in render_report(report)


def test_an_unreadable_index_is_an_error(filled: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(KnowledgeIndexError):
        generate_report(filled, 30, broken, now=NOW)


def test_an_empty_database_gives_an_empty_report(database_url: str, index_path: Path) -> None:
    report = generate_report(database_url, 30, index_path, now=NOW)
    assert (report.rated, report.todo) == ((), ())
    assert len(report.unrated) == len(TITLES)
    text = render_report(report)
    assert "No answer has been rated yet." in text
    assert "Nothing to do." in text


def test_days_must_be_positive(database_url: str, index_path: Path) -> None:
    with pytest.raises(ValueError, match="days"):
        generate_report(database_url, 0, index_path, now=NOW)


def test_an_unmigrated_database_is_a_named_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(DatabaseNotMigratedError, match="python -m bot db upgrade"):
        generate_report(url, 30, now=NOW)
    upgrade(url, "0001")
    with pytest.raises(DatabaseNotMigratedError, match="at revision 0001"):
        generate_report(url, 30, now=NOW)


def test_text_report_lists_both_parts(filled: str, index_path: Path) -> None:
    text = render_report(generate_report(filled, 7, index_path, now=NOW))
    ranking, todo = text.split("To do:")
    lines = ranking.splitlines()
    first = next(line for line in lines if line.strip().startswith("1 "))
    assert first.split(None, 4) == [
        "1",
        "2",
        "0",
        "100%",
        "How do I buy a gift card? (gift_cards_buy)",
    ]
    assert ranking.index("(shipping_costs)") < ranking.index("(returns_policy)")
    never = ranking[ranking.index("Never rated (2 articles)") :]
    assert "How does shipping work? (shipping)" in never
    assert "questions of the last 7 days" in todo
    todo_lines = [line.split(None, 4) for line in todo.splitlines()[1:]]
    assert todo_lines == [
        ["2024-06-30", "00:00", "fallback", "-", "do you sell lamps in green"],
        ["2024-06-28", "12:00", "low_confidence", "gift_cards_buy", "vouchers"],
        ["2024-06-24", "12:00", "unhelpful", "shipping_costs", "what does delivery to Spain cost"],
    ]


def read_csv(path: Path) -> List[Dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        return list(reader)


def test_csv_holds_both_sections(filled: str, index_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "out" / "report.csv"
    write_report_csv(generate_report(filled, 7, index_path, now=NOW), path)
    rows = read_csv(path)
    assert [row["section"] for row in rows] == ["helpfulness"] * 6 + ["todo"] * 3
    assert [row["article_id"] for row in rows[:6]] == [
        "gift_cards_buy",
        "shipping_costs",
        "returns_policy",
        "retired_article",
        "shipping",
        "warranty",
    ]
    assert rows[1] == {
        "section": "helpfulness",
        "article_id": "shipping_costs",
        "title": "How much does shipping cost?",
        "helpful": "3",
        "unhelpful": "1",
        "percent_helpful": "75.0",
        "date": "",
        "reason": "",
        "question": "",
    }
    assert (rows[4]["helpful"], rows[4]["unhelpful"], rows[4]["percent_helpful"]) == ("0", "0", "")
    assert rows[7] == {
        "section": "todo",
        "article_id": "gift_cards_buy",
        "title": "How do I buy a gift card?",
        "helpful": "",
        "unhelpful": "",
        "percent_helpful": "",
        "date": "2024-06-28T12:00:00+00:00",
        "reason": "low_confidence",
        "question": "vouchers",
    }
    assert (rows[6]["article_id"], rows[6]["title"]) == ("", "")


def test_customer_text_is_safe_in_csv_and_terminal(
    write: Writer, database_url: str, tmp_path: Path
) -> None:
    question = '=HYPERLINK("http://evil.example")\n\x1b[31mred'
    write(lambda session: record_unanswered(session, "c", question, "fallback", now=NOW))
    report = generate_report(database_url, 7, tmp_path / "none.json", now=NOW)
    path = tmp_path / "report.csv"
    write_report_csv(report, path)
    [row] = read_csv(path)
    assert row["question"] == "'" + question
    line = render_report(report).splitlines()[-1]
    assert line.endswith('=HYPERLINK("http://evil.example") [31mred')
    assert "\x1b" not in line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot")
    knowledge_cli.register(parser.add_subparsers(dest="command"))
    return parser


def run(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return int(args.handler(args))


def test_report_defaults() -> None:
    args = build_parser().parse_args(["knowledge", "report"])
    assert (args.days, args.csv, args.index) == (30, REPORT_CSV_PATH, INDEX_PATH)
    assert REPORT_CSV_PATH == PROJECT_ROOT / "results" / "knowledge_report.csv"
    assert args.handler is knowledge_cli.run_report


@pytest.mark.parametrize("days", ["0", "-3", "week"])
def test_days_must_be_a_positive_number(days: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["knowledge", "report", "--days", days])
    assert "--days" in capsys.readouterr().err


def test_report_command_prints_and_writes_the_csv(
    write: Writer,
    database_url: str,
    index_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(knowledge_cli, "_database_url", lambda: database_url)
    now = utcnow()

    def fill(session: Session) -> None:
        record_feedback(session, "c1", "shipping_costs", "postage?", True, now)
        record_unanswered(session, "c2", "recent question", "fallback", now=now - timedelta(days=2))
        record_unanswered(session, "c3", "older question", "fallback", now=now - timedelta(days=9))

    write(fill)
    csv_path = tmp_path / "results" / "report.csv"
    code = run(
        "knowledge", "report", "--days", "7", "--csv", str(csv_path), "--index", str(index_path)
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "How much does shipping cost? (shipping_costs)" in out
    assert "recent question" in out
    assert "older question" not in out
    assert out.rstrip().endswith(f"Report written to {csv_path}")
    rows = read_csv(csv_path)
    assert [(row["section"], row["question"]) for row in rows if row["section"] == "todo"] == [
        ("todo", "recent question")
    ]


def test_report_command_on_an_unmigrated_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(knowledge_cli, "_database_url", lambda: f"sqlite:///{tmp_path / 'x.db'}")
    csv_path = tmp_path / "report.csv"
    assert run("knowledge", "report", "--csv", str(csv_path)) == 1
    assert "Run 'python -m bot db upgrade'" in capsys.readouterr().err
    assert not csv_path.exists()

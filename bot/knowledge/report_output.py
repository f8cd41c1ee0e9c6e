"""Printing the knowledge report and writing it as one CSV file.

The CSV holds both parts of the report, told apart by its ``section`` column:
``helpfulness`` rows (rated articles best first, then those nobody rated) and
``todo`` rows (questions, newest first). Text that customers typed is written
so that spreadsheet programs show it and never run it as a formula.
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from pathlib import Path
from typing import Dict, Iterator, List, Optional

from bot.knowledge.report import ArticleRating, KnowledgeReport, TodoItem

CSV_COLUMNS = (
    "section",
    "article_id",
    "title",
    "helpful",
    "unhelpful",
    "percent_helpful",
    "date",
    "reason",
    "question",
)
HELPFULNESS_SECTION = "helpfulness"
TODO_SECTION = "todo"
# Longer questions are cut short on the terminal; the CSV has them in full.
MAX_QUESTION_CHARS = 200

# Spreadsheets treat cells starting with these as formulas (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_WHITESPACE = re.compile(r"\s+")


def _one_line(text: str) -> str:
    """Customer text for the terminal: one line, no control characters, not too long."""
    printable = "".join(
        " " if unicodedata.category(char).startswith("C") else char for char in text
    )
    line = _WHITESPACE.sub(" ", printable).strip()
    return line if len(line) <= MAX_QUESTION_CHARS else line[: MAX_QUESTION_CHARS - 1] + "…"


def _percent(rating: ArticleRating) -> str:
    percent = rating.percent_helpful
    return "-" if percent is None else f"{percent:.0f}%"


def _article_label(article_id: Optional[str], title: Optional[str]) -> str:
    if not article_id:
        return "-"
    label = article_id if not title or title == article_id else f"{title} ({article_id})"
    return _one_line(label)


def _helpfulness_lines(report: KnowledgeReport) -> Iterator[str]:
    yield "Articles ranked by helpfulness (all ratings)"
    if report.rated:
        yield f"  {'#':>3}  {'helpful':>7}  {'unhelpful':>9}  {'% helpful':>9}  article"
        for rank, rating in enumerate(report.rated, start=1):
            yield (
                f"  {rank:>3}  {rating.helpful:>7}  {rating.unhelpful:>9}  "
                f"{_percent(rating):>9}  {_article_label(rating.article_id, rating.title)}"
            )
    else:
        yield "  No answer has been rated yet."
    if not report.index_found:
        yield "  (No compiled index: run 'python -m bot knowledge build' to list unrated articles.)"
    elif report.unrated:
        yield ""
        yield f"Never rated ({len(report.unrated)} articles)"
        for rating in report.unrated:
            yield f"  - {_article_label(rating.article_id, rating.title)}"


def _todo_lines(report: KnowledgeReport) -> Iterator[str]:
    yield (
        f"To do: questions of the last {report.days} days that fell back or were marked "
        f"unhelpful (since {report.since:%Y-%m-%d %H:%M} UTC)"
    )
    if not report.todo:
        yield "  Nothing to do."
        return
    reason_width = max(len(item.reason) for item in report.todo)
    articles = [_article_label(item.article_id, None) for item in report.todo]
    article_width = max(len(article) for article in articles)
    for item, article in zip(report.todo, articles):
        question = _one_line(item.question) or "(no text)"
        yield (
            f"  {item.asked_at:%Y-%m-%d %H:%M}  {item.reason:<{reason_width}}  "
            f"{article:<{article_width}}  {question}"
        )


def render_report(report: KnowledgeReport) -> str:
    """Returns the report as text for the terminal.

    Args:
        report: The report to show.
    """
    lines = [*_helpfulness_lines(report), "", *_todo_lines(report)]
    return "\n".join(lines) + "\n"


def _cell(text: Optional[str]) -> str:
    """Returns text for a CSV cell that spreadsheets will not evaluate."""
    if not text:
        return ""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _rating_row(rating: ArticleRating) -> Dict[str, str]:
    percent = rating.percent_helpful
    return {
        "section": HELPFULNESS_SECTION,
        "article_id": _cell(rating.article_id),
        "title": _cell(rating.title),
        "helpful": str(rating.helpful),
        "unhelpful": str(rating.unhelpful),
        "percent_helpful": "" if percent is None else f"{percent:.1f}",
    }


def _todo_row(item: TodoItem) -> Dict[str, str]:
    return {
        "section": TODO_SECTION,
        "article_id": _cell(item.article_id),
        "title": _cell(item.article_title),
        "date": item.asked_at.replace(microsecond=0).isoformat(),
        "reason": item.reason,
        "question": _cell(item.question),
    }


def report_rows(report: KnowledgeReport) -> List[Dict[str, str]]:
    """Returns the CSV rows of a report: helpfulness first, then the to-do list.

    Args:
        report: The report to write.
    """
    ratings = [*report.rated, *report.unrated]
    return [*map(_rating_row, ratings), *map(_todo_row, report.todo)]


def write_report_csv(report: KnowledgeReport, path: Path) -> None:
    """Writes the report as one CSV file with a ``section`` column, UTF-8.

    The file is replaced atomically; missing directories are created.

    Args:
        report: The report to write.
        path: Where to write it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, restval="")
        writer.writeheader()
        writer.writerows(report_rows(report))
    os.replace(temporary, path)

"""The support team's knowledge report: which answers help, and what to do next.

The report has two parts:

* every article ranked by the share of customers its answer helped, followed
  by the articles nobody has rated yet;
* the to-do list: the questions of the last N days that the assistant did not
  understand, only answered with suggestions, or whose answer was marked
  unhelpful, newest first.

Ratings and questions come from the database
(:mod:`bot.db.repositories.knowledge_feedback`); article titles, and the list
of articles that could have been rated, from the compiled index. Without an
index, articles are shown by id. :mod:`bot.knowledge.report_output` prints
the report and writes it as CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from sqlalchemy.orm import Session

from bot.db.engine import get_engine, session_scope
from bot.db.migrations import require_newest_revision
from bot.db.models import utcnow
from bot.db.repositories.knowledge_feedback import article_helpfulness, unanswered_since
from bot.knowledge.index import read_index
from bot.knowledge.paths import INDEX_PATH


@dataclass(frozen=True)
class ArticleRating:
    """How customers rated one article.

    Attributes:
        article_id: Article id.
        title: Article title, or the id when the index does not know it.
        helpful: Conversations that found the answer helpful.
        unhelpful: Conversations that did not.
    """

    article_id: str
    title: str
    helpful: int = 0
    unhelpful: int = 0

    @property
    def votes(self) -> int:
        """Number of ratings."""
        return self.helpful + self.unhelpful

    @property
    def percent_helpful(self) -> Optional[float]:
        """Share of helpful ratings in percent, or ``None`` when never rated."""
        return 100.0 * self.helpful / self.votes if self.votes else None


@dataclass(frozen=True)
class TodoItem:
    """A question the team should look at.

    Attributes:
        asked_at: When it was asked (UTC).
        reason: ``fallback``, ``low_confidence`` or ``unhelpful``.
        question: What the customer wrote.
        article_id: The article marked unhelpful or suggested first, if any.
        article_title: That article's title (its id when the index does not
            know it), if any.
    """

    asked_at: datetime
    reason: str
    question: str
    article_id: Optional[str] = None
    article_title: Optional[str] = None


@dataclass(frozen=True)
class KnowledgeReport:
    """The report, ready to print or write.

    Attributes:
        days: Length of the to-do period in days.
        since: Start of the to-do period (UTC).
        rated: Rated articles, most helpful first.
        unrated: Articles of the index nobody rated, in index order.
        todo: Questions of the period, newest first.
        index_found: Whether the compiled index was there; without it,
            ``unrated`` is empty and titles are ids.
    """

    days: int
    since: datetime
    rated: Tuple[ArticleRating, ...]
    unrated: Tuple[ArticleRating, ...]
    todo: Tuple[TodoItem, ...]
    index_found: bool = True


def article_titles(index_path: Path) -> Optional[Dict[str, str]]:
    """Returns article id → title from the compiled index, in index order.

    Args:
        index_path: The ``index.json`` file.

    Returns:
        The titles, or ``None`` when there is no index file.

    Raises:
        KnowledgeIndexError: When the file exists but cannot be read.
    """
    if not index_path.is_file():
        return None
    return {article.id: article.title for article in read_index(index_path)}


def build_report(
    session: Session,
    titles: Optional[Mapping[str, str]],
    days: int,
    now: datetime,
) -> KnowledgeReport:
    """Builds the report from the database.

    Args:
        session: Open database session; only read.
        titles: Article id → title of every article, e.g. from
            :func:`article_titles`; ``None`` when unknown.
        days: Length of the to-do period in days.
        now: End of the to-do period, timezone-aware.

    Raises:
        ValueError: When ``days`` is not positive.
    """
    if days < 1:
        raise ValueError(f"days must be positive, got {days}")
    known = titles or {}
    rated = tuple(
        ArticleRating(
            rating.article_id,
            known.get(rating.article_id, rating.article_id),
            rating.helpful,
            rating.unhelpful,
        )
        for rating in article_helpfulness(session)
    )
    rated_ids = {rating.article_id for rating in rated}
    unrated = tuple(
        ArticleRating(article_id, title)
        for article_id, title in known.items()
        if article_id not in rated_ids
    )
    since = now - timedelta(days=days)
    todo = tuple(
        TodoItem(
            asked_at=row.created_at,
            reason=row.reason.value,
            question=row.question,
            article_id=row.article_id,
            article_title=known.get(row.article_id, row.article_id) if row.article_id else None,
        )
        for row in unanswered_since(session, since)
    )
    return KnowledgeReport(days, since, rated, unrated, todo, index_found=titles is not None)


def generate_report(
    database_url: str,
    days: int,
    index_path: Optional[Path] = None,
    now: Optional[datetime] = None,
) -> KnowledgeReport:
    """Builds the report from a database and the compiled index.

    Args:
        database_url: The application database, e.g. ``get_settings().database_url``.
        days: Length of the to-do period in days.
        index_path: The compiled index; ``build/knowledge/index.json`` by default.
        now: End of the to-do period, timezone-aware; the current time by default.

    Raises:
        DatabaseNotMigratedError: When the database lacks migrations.
        KnowledgeIndexError: When the index exists but cannot be read.
        ValueError: When ``days`` is not positive.
    """
    require_newest_revision(database_url)
    titles = article_titles(index_path or INDEX_PATH)
    with session_scope(get_engine(database_url)) as session:
        return build_report(session, titles, days, now or utcnow())

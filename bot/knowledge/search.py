"""Search fallback: the FAQ articles closest to a question, ranked by BM25.

When the ResponseSelector is unsure, or the message was not understood, the
assistant offers the best matches from this search ("Did you mean…?").
Scoring is Okapi BM25 from ``rank_bm25`` over each article's title,
questions, tags and answer. BM25 has no field weights, so the fields are
weighted by repetition: the title counts :data:`TITLE_WEIGHT` times, each
question and tag :data:`QUESTION_WEIGHT` and :data:`TAG_WEIGHT` times, and
the answer, which is long and says much besides the topic, once.

Note how ``rank_bm25`` treats common terms: a term found in more than half of
the articles would get a negative IDF, so it is raised to a small positive
floor instead; one found in exactly half gets an IDF of zero and adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import List, Optional, Sequence

from rank_bm25 import BM25Okapi

from bot.knowledge.index import IndexedArticle, KnowledgeIndexError, read_index
from bot.knowledge.paths import INDEX_PATH
from bot.knowledge.tokens import tokenize

TITLE_WEIGHT = 3
QUESTION_WEIGHT = 2
TAG_WEIGHT = 2
ANSWER_WEIGHT = 1
DEFAULT_LIMIT = 3


@dataclass(frozen=True)
class SearchHit:
    """An article that matches a query.

    Attributes:
        article_id: Article id, e.g. ``shipping_costs``.
        title: The article's title, as shown to customers.
        score: BM25 score; higher is closer. Only comparable within one search.
    """

    article_id: str
    title: str
    score: float


def article_terms(article: IndexedArticle) -> List[str]:
    """Returns the terms BM25 indexes for an article, fields weighted by repetition.

    Args:
        article: An article of the compiled index.
    """
    terms = tokenize(article.title) * TITLE_WEIGHT
    for question in article.questions:
        terms += tokenize(question) * QUESTION_WEIGHT
    for tag in article.tags:
        terms += tokenize(tag) * TAG_WEIGHT
    terms += tokenize(article.answer) * ANSWER_WEIGHT
    return terms


class ArticleSearch:
    """BM25 search over a fixed set of articles."""

    def __init__(self, articles: Sequence[IndexedArticle]) -> None:
        """Indexes the articles.

        Args:
            articles: The articles to search, e.g. from
                :func:`bot.knowledge.index.read_index`.
        """
        self._articles = tuple(articles)
        corpus = [article_terms(article) for article in self._articles]
        # BM25Okapi divides by the corpus size and the average document length.
        self._bm25: Optional[BM25Okapi] = BM25Okapi(corpus) if any(corpus) else None

    def __len__(self) -> int:
        return len(self._articles)

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> List[SearchHit]:
        """Returns the articles that match ``query``, best first.

        Only articles with a positive score are returned; equal scores are
        ordered by article id.

        Args:
            query: What the customer wrote.
            limit: Maximum number of hits.

        Raises:
            ValueError: When ``limit`` is not positive.
        """
        if limit < 1:
            raise ValueError(f"limit must be positive, got {limit}")
        terms = tokenize(query)
        if self._bm25 is None or not terms:
            return []
        scores = self._bm25.get_scores(terms)
        hits = [
            SearchHit(article.id, article.title, float(score))
            for article, score in zip(self._articles, scores)
            if score > 0
        ]
        hits.sort(key=lambda hit: (-hit.score, hit.article_id))
        return hits[:limit]


@lru_cache(maxsize=4)
def _load_cached(path: Path, modified_ns: int, size: int) -> ArticleSearch:
    # The file's modification time and size are part of the key, so a rebuilt
    # index is read again.
    return ArticleSearch(read_index(path))


def load_article_search(index_path: Optional[Path] = None) -> ArticleSearch:
    """Returns the search over the compiled index, read once per version of the file.

    Args:
        index_path: The ``index.json`` to search; ``build/knowledge/index.json``
            by default.

    Raises:
        KnowledgeIndexError: When the index is missing or cannot be read.
    """
    path = Path(index_path or INDEX_PATH).resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise KnowledgeIndexError(
            path, "not found; run 'python -m bot knowledge build' first"
        ) from None
    return _load_cached(path, stat.st_mtime_ns, stat.st_size)


def clear_article_search_cache() -> None:
    """Forgets every loaded search, so the next call reads the index again."""
    _load_cached.cache_clear()

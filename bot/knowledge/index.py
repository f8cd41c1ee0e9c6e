"""Reading the compiled search index, ``build/knowledge/index.json``.

The index is written by ``python -m bot knowledge build`` (see
:func:`bot.knowledge.outputs.render_index`); this module reads it back for the
search fallback and the feedback report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Tuple


class KnowledgeIndexError(Exception):
    """The compiled index is missing or cannot be read."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class IndexedArticle:
    """One article as the index holds it.

    Attributes:
        id: Article id, e.g. ``shipping_costs``.
        title: The question the article answers, as shown to customers.
        topic: The article's topic.
        questions: Ways customers ask the question.
        answer: The answer with every placeholder filled in.
        tags: Keywords for search.
    """

    id: str
    title: str
    topic: str
    questions: Tuple[str, ...]
    answer: str
    tags: Tuple[str, ...]


def _strings(entry: Dict[str, Any], key: str) -> Tuple[str, ...]:
    values = entry.get(key) or []
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ValueError(f"{key} must be a list of strings")
    return tuple(values)


def _article(entry: Any) -> IndexedArticle:
    if not isinstance(entry, dict):
        raise ValueError("every article must be an object")
    article_id = entry.get("id")
    if not isinstance(article_id, str) or not article_id:
        raise ValueError("every article needs an id")
    return IndexedArticle(
        id=article_id,
        title=str(entry.get("title") or article_id),
        topic=str(entry.get("topic") or ""),
        questions=_strings(entry, "questions"),
        answer=str(entry.get("answer") or ""),
        tags=_strings(entry, "tags"),
    )


def read_index(path: Path) -> Tuple[IndexedArticle, ...]:
    """Reads the articles of a compiled index, in file order.

    Args:
        path: The ``index.json`` file.

    Returns:
        The articles.

    Raises:
        KnowledgeIndexError: When the file is missing, is not JSON or does not
            have the expected shape.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeIndexError(
            path, "not found; run 'python -m bot knowledge build' first"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KnowledgeIndexError(path, f"cannot be read: {error}") from None
    entries = data.get("articles") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise KnowledgeIndexError(path, 'expected {"articles": [...]}')
    try:
        return tuple(_article(entry) for entry in entries)
    except ValueError as error:
        raise KnowledgeIndexError(path, str(error)) from None

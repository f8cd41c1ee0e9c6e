"""Compiling ``knowledge/`` into Rasa training data and a search index."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Mapping, Optional, Tuple

from bot.knowledge.articles import Article, find_article_files, read_article
from bot.knowledge.outputs import CompiledArticle, render_index, render_training_data
from bot.knowledge.paths import articles_dir, policies_path, topics_path
from bot.knowledge.policies import read_policies
from bot.knowledge.templating import render
from bot.knowledge.topics import load_topics
from bot.knowledge.validation import KnowledgeError, KnowledgeValidationError, validate_articles


@dataclass(frozen=True)
class CompiledKnowledge:
    """A validated knowledge base, ready to write out.

    Attributes:
        topics: Allowed topic name → description.
        articles: The compiled articles, sorted by id.
    """

    topics: Mapping[str, str]
    articles: Tuple[CompiledArticle, ...]

    @property
    def question_count(self) -> int:
        """Total number of question phrasings."""
        return sum(len(compiled.article.questions) for compiled in self.articles)

    @property
    def topics_used(self) -> Tuple[str, ...]:
        """Topics that have at least one article, sorted."""
        return tuple(sorted({compiled.article.topic for compiled in self.articles}))


def _load_articles(directory: Path) -> Tuple[List[Article], List[KnowledgeError]]:
    files = find_article_files(directory) if directory.is_dir() else []
    if not files:
        return [], [KnowledgeError(directory, "no articles found (expected <id>.md files)")]
    articles: List[Article] = []
    errors: List[KnowledgeError] = []
    for path in files:
        try:
            articles.append(read_article(path))
        except KnowledgeError as error:
            errors.append(error)
    return articles, errors


def compile_knowledge(knowledge_dir: Path) -> CompiledKnowledge:
    """Reads, validates and compiles a knowledge directory.

    Args:
        knowledge_dir: Directory with ``topics.yml``, ``policies.yml`` and ``articles/``.

    Returns:
        The compiled knowledge base.

    Raises:
        KnowledgeValidationError: With every problem found, sorted by file.
    """
    errors: List[KnowledgeError] = []
    topics: Optional[Mapping[str, str]] = None
    policy_values: Optional[Mapping[str, Any]] = None
    try:
        topics = load_topics(topics_path(knowledge_dir))
    except KnowledgeError as error:
        errors.append(error)
    try:
        policy_values = read_policies(policies_path(knowledge_dir)).values
    except KnowledgeError as error:
        errors.append(error)
    articles, article_errors = _load_articles(articles_dir(knowledge_dir))
    errors.extend(article_errors)
    errors.extend(validate_articles(articles, topics, policy_values))
    if errors or topics is None or policy_values is None:
        raise KnowledgeValidationError(sorted(errors, key=lambda error: str(error.path)))
    compiled = [
        CompiledArticle(article, render(article.body, policy_values)) for article in articles
    ]
    return CompiledKnowledge(
        topics=topics,
        articles=tuple(sorted(compiled, key=lambda item: item.article.id)),
    )


def _write_if_changed(path: Path, text: str) -> None:
    """Writes a file atomically, leaving it untouched when the content is the same.

    Untouched files keep their modification time, so ``make`` does not retrain
    when nothing changed.
    """
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def build(knowledge_dir: Path, training_data_path: Path, index_path: Path) -> CompiledKnowledge:
    """Compiles a knowledge directory and writes the training data and index.

    Nothing is written unless the whole knowledge base is valid.

    Args:
        knowledge_dir: Directory with ``topics.yml``, ``policies.yml`` and ``articles/``.
        training_data_path: Where to write the Rasa YAML (intents and responses).
        index_path: Where to write the JSON search index.

    Returns:
        The compiled knowledge base.

    Raises:
        KnowledgeValidationError: With every problem found; no file is written.
    """
    compiled = compile_knowledge(knowledge_dir)
    training_data = render_training_data(compiled.articles)
    index = render_index(compiled.articles)
    _write_if_changed(training_data_path, training_data)
    _write_if_changed(index_path, index)
    return compiled

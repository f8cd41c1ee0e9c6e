"""Rules that the knowledge base as a whole must follow.

Problems inside a single file (malformed front matter, missing title, …) are
found while parsing that file. The checks here need several files at once:
duplicate ids and questions, topics known to ``topics.yml``, placeholders
that resolve in ``policies.yml``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from bot.knowledge.templating import TemplateError, render

if TYPE_CHECKING:
    from bot.knowledge.articles import Article

# Fewer phrasings than this give the retrieval model too little to learn from.
MIN_QUESTIONS = 5


class KnowledgeError(Exception):
    """One problem in one file of the knowledge base.

    Attributes:
        path: The file with the problem.
        problem: What is wrong, worded for the support staff who edit the file.
    """

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem

    def describe(self, relative_to: Optional[Path] = None) -> str:
        """Returns ``path: problem``, with the path shortened when possible.

        Args:
            relative_to: Directory to show the path relative to, when it is inside it.
        """
        path = self.path
        if relative_to is not None:
            with contextlib.suppress(ValueError):
                path = self.path.resolve().relative_to(relative_to.resolve())
        return f"{path}: {self.problem}"


class KnowledgeValidationError(Exception):
    """The knowledge base has problems; nothing may be built from it.

    Attributes:
        errors: Every problem found, in file order.
    """

    def __init__(self, errors: Sequence[KnowledgeError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors: Tuple[KnowledgeError, ...] = tuple(errors)


def normalize_question(question: str) -> str:
    """Returns the form of a question used to detect duplicates.

    Case and whitespace differences do not make two phrasings different.
    """
    return " ".join(question.split()).casefold()


def check_duplicate_ids(articles: Sequence[Article]) -> List[KnowledgeError]:
    """Finds articles that reuse an id already taken by an earlier article."""
    errors: List[KnowledgeError] = []
    first: Dict[str, Article] = {}
    for article in articles:
        if article.id in first:
            errors.append(
                KnowledgeError(
                    article.path,
                    f"duplicate id {article.id!r}: {first[article.id].path} already uses it",
                )
            )
        else:
            first[article.id] = article
    return errors


def check_topics(articles: Sequence[Article], topics: Mapping[str, str]) -> List[KnowledgeError]:
    """Finds articles whose topic is not in ``topics.yml`` or whose id does not match it."""
    errors: List[KnowledgeError] = []
    for article in articles:
        if article.topic not in topics:
            errors.append(
                KnowledgeError(
                    article.path,
                    f"unknown topic {article.topic!r}: add it to topics.yml or use one of "
                    f"{', '.join(sorted(topics))}",
                )
            )
        if article.id != article.topic and not article.id.startswith(article.topic + "_"):
            errors.append(
                KnowledgeError(
                    article.path,
                    f"id {article.id!r} must be the topic {article.topic!r} or start with "
                    f"{article.topic + '_'!r}",
                )
            )
    return errors


def check_question_counts(articles: Sequence[Article]) -> List[KnowledgeError]:
    """Finds articles with fewer than :data:`MIN_QUESTIONS` question phrasings."""
    return [
        KnowledgeError(
            article.path,
            f"too few questions: {len(article.questions)} given, at least {MIN_QUESTIONS} needed",
        )
        for article in articles
        if len(article.questions) < MIN_QUESTIONS
    ]


def check_duplicate_questions(articles: Sequence[Article]) -> List[KnowledgeError]:
    """Finds phrasings used twice, within one article or across two.

    A phrasing that belongs to two articles is contradictory training data:
    the assistant cannot learn which answer it should get.
    """
    errors: List[KnowledgeError] = []
    owners: Dict[str, Article] = {}
    for article in articles:
        for question in article.questions:
            key = normalize_question(question)
            owner = owners.get(key)
            if owner is None:
                owners[key] = article
            elif owner is article:
                errors.append(
                    KnowledgeError(article.path, f"question {question!r} is listed twice")
                )
            else:
                errors.append(
                    KnowledgeError(
                        article.path,
                        f"question {question!r} is also a question of article {owner.id!r} "
                        f"({owner.path}); each phrasing may belong to one article only",
                    )
                )
    return errors


def check_placeholders(
    articles: Sequence[Article], policies: Mapping[str, Any]
) -> List[KnowledgeError]:
    """Finds answers whose placeholders do not resolve in the policies."""
    errors: List[KnowledgeError] = []
    for article in articles:
        try:
            render(article.body, policies)
        except TemplateError as error:
            errors.extend(KnowledgeError(article.path, problem) for problem in error.problems)
    return errors


def validate_articles(
    articles: Sequence[Article],
    topics: Optional[Mapping[str, str]],
    policies: Optional[Mapping[str, Any]],
) -> List[KnowledgeError]:
    """Runs every check that spans several files.

    Args:
        articles: The parsed articles, in file order.
        topics: Allowed topics, or ``None`` when ``topics.yml`` could not be read
            (its own error is reported separately, topic checks are skipped).
        policies: The raw policy values, or ``None`` when ``policies.yml`` could
            not be read (placeholder checks are skipped).

    Returns:
        Every problem found; empty when the articles are valid.
    """
    checks: List[Iterable[KnowledgeError]] = [
        check_duplicate_ids(articles),
        check_question_counts(articles),
        check_duplicate_questions(articles),
    ]
    if topics is not None:
        checks.append(check_topics(articles, topics))
    if policies is not None:
        checks.append(check_placeholders(articles, policies))
    return [error for errors in checks for error in errors]

"""FAQ articles: one Markdown file each, with YAML front matter.

An article file looks like this::

    ---
    id: shipping_international
    title: Do you ship outside Ireland?
    topic: shipping
    questions:
      - Do you deliver abroad?
    tags: [shipping, international]
    last_reviewed: 2026-11-01
    ---
    Yes! We ship to …

Everything after the closing ``---`` is the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, List, Mapping, Tuple

from bot.knowledge.validation import KnowledgeError
from bot.knowledge.yaml_io import parse_yaml

REQUIRED_FIELDS = ("id", "title", "topic", "questions", "last_reviewed")
OPTIONAL_FIELDS = ("tags",)

_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
# Rasa reads [text](entity) and [text]{...} in examples as entity annotations.
_RESERVED_IN_QUESTIONS = "[]{}"
_DELIMITER = "---"


@dataclass(frozen=True)
class Article:
    """One FAQ article.

    Attributes:
        id: Unique id; the retrieval intent is ``faq/<id>``.
        title: The question the article answers, as shown to customers.
        topic: One of the topics in ``topics.yml``.
        questions: Ways customers ask the question (training examples),
            whitespace-normalized.
        tags: Keywords for search.
        last_reviewed: When staff last checked that the answer is correct.
        body: The answer as written, placeholders not yet filled in, without
            leading/trailing blank lines or trailing spaces.
        path: The file the article was read from.
    """

    id: str
    title: str
    topic: str
    questions: Tuple[str, ...]
    tags: Tuple[str, ...]
    last_reviewed: date
    body: str
    path: Path


def split_front_matter(text: str, path: Path) -> Tuple[str, str]:
    """Splits an article file into its front matter and its answer.

    Args:
        text: The whole file.
        path: The file, for error messages.

    Returns:
        The front matter YAML and the answer text.

    Raises:
        KnowledgeError: When the file does not start with a ``---`` line or the
            front matter is never closed.
    """
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    if lines[0].strip() != _DELIMITER:
        raise KnowledgeError(
            path, "malformed front matter: the file must start with a line containing only '---'"
        )
    for index in range(1, len(lines)):
        if lines[index].strip() == _DELIMITER:
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :])
    raise KnowledgeError(
        path, "malformed front matter: no closing '---' line between the fields and the answer"
    )


def _text_field(meta: Mapping[str, Any], name: str, path: Path) -> str:
    value = meta.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise KnowledgeError(path, f"missing {name}: add a '{name}:' line to the front matter")
    if not isinstance(value, str):
        raise KnowledgeError(path, f"{name} must be text, got {value!r}")
    return " ".join(value.split())


def _questions(meta: Mapping[str, Any], path: Path) -> Tuple[str, ...]:
    value = meta.get("questions")
    if not isinstance(value, list) or not value:
        raise KnowledgeError(path, "missing questions: add a 'questions:' list of phrasings")
    questions: List[str] = []
    for number, question in enumerate(value, start=1):
        if not isinstance(question, str) or not question.strip():
            raise KnowledgeError(
                path,
                f"question {number} is not text ({question!r}); put it in quotes if it "
                "contains ': ', starts with a special character or is yes/no/on/off",
            )
        if any(char in question for char in _RESERVED_IN_QUESTIONS):
            raise KnowledgeError(
                path,
                f"question {number} ({question!r}) contains [ ] {{ or }}, which Rasa reads as "
                "entity markup; rephrase it",
            )
        questions.append(" ".join(question.split()))
    return tuple(questions)


def _tags(meta: Mapping[str, Any], path: Path) -> Tuple[str, ...]:
    value = meta.get("tags", [])
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(tag, str) and tag.strip() for tag in value
    ):
        raise KnowledgeError(path, "tags must be a list of words, e.g. [shipping, costs]")
    return tuple(tag.strip() for tag in value)


def _last_reviewed(meta: Mapping[str, Any], path: Path) -> date:
    value = meta.get("last_reviewed")
    if value is None or value == "":
        raise KnowledgeError(
            path, "missing last_reviewed: add the date you checked the answer, e.g. 2026-11-01"
        )
    text = str(value).strip()
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise KnowledgeError(
            path, f"invalid last_reviewed {text!r}: write a real date as YYYY-MM-DD"
        ) from None


def parse_article(text: str, path: Path) -> Article:
    """Parses the text of an article file.

    Args:
        text: The whole file.
        path: The file, for error messages and the id check.

    Returns:
        The article.

    Raises:
        KnowledgeError: On the first problem found in the file.
    """
    front_matter, body = split_front_matter(text, path)
    meta = parse_yaml(front_matter, path, first_line=2)
    if not isinstance(meta, dict):
        raise KnowledgeError(
            path, "malformed front matter: expected 'field: value' lines between the '---' lines"
        )
    unknown = sorted(str(key) for key in meta if key not in REQUIRED_FIELDS + OPTIONAL_FIELDS)
    if unknown:
        raise KnowledgeError(
            path,
            f"unknown field(s) {', '.join(unknown)} in front matter; allowed: "
            f"{', '.join(REQUIRED_FIELDS + OPTIONAL_FIELDS)}",
        )
    article_id = _text_field(meta, "id", path)
    if not _ID.match(article_id):
        raise KnowledgeError(
            path, f"id {article_id!r} may only use lower-case letters, digits and '_'"
        )
    if path.stem != article_id:
        raise KnowledgeError(path, f"file name must match the id: rename it to {article_id}.md")
    title = _text_field(meta, "title", path)
    topic = _text_field(meta, "topic", path)
    questions = _questions(meta, path)
    tags = _tags(meta, path)
    last_reviewed = _last_reviewed(meta, path)
    # Trailing spaces are invisible in the editor and would only make the output unstable.
    answer = "\n".join(line.rstrip() for line in body.strip().split("\n"))
    if not answer:
        raise KnowledgeError(path, "missing answer: write it below the closing '---' line")
    return Article(
        id=article_id,
        title=title,
        topic=topic,
        questions=questions,
        tags=tags,
        last_reviewed=last_reviewed,
        body=answer,
        path=path,
    )


def read_article(path: Path) -> Article:
    """Reads and parses one article file.

    Raises:
        KnowledgeError: When the file cannot be read or has a problem.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeError(path, f"cannot read file: {error}") from None
    return parse_article(text, path)


def find_article_files(directory: Path) -> List[Path]:
    """Lists the article files under a directory, subfolders included, in a stable order.

    Hidden files and folders (editor backups, lock files) are skipped.
    """
    files = [
        path
        for path in directory.rglob("*.md")
        if not any(part.startswith(".") for part in path.relative_to(directory).parts)
    ]
    return sorted(files, key=lambda path: path.relative_to(directory).as_posix())

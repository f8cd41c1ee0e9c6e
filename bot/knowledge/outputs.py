"""The files built from the knowledge base: Rasa training data and a search index.

Both are byte-for-byte reproducible: articles sorted by id, fixed formatting,
no timestamps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

import yaml

from bot.knowledge.articles import Article

HEADER = (
    "# Generated from knowledge/ by `python -m bot knowledge build`. Do not edit:\n"
    "# change the articles or policies in knowledge/ and rebuild.\n"
)
RASA_FORMAT_VERSION = "3.1"
RETRIEVAL_INTENT = "faq"


@dataclass(frozen=True)
class CompiledArticle:
    """An article with its answer ready to send.

    Attributes:
        article: The article as written.
        answer: The answer with every placeholder filled in.
    """

    article: Article
    answer: str

    @property
    def intent(self) -> str:
        """The retrieval intent, ``faq/<id>``."""
        return f"{RETRIEVAL_INTENT}/{self.article.id}"

    @property
    def response(self) -> str:
        """The response name, ``utter_faq/<id>``."""
        return f"utter_{self.intent}"


def _quoted(text: str) -> str:
    # A JSON string is a valid double-quoted YAML scalar.
    return json.dumps(text, ensure_ascii=False)


def _block(text: str, indent: str) -> List[str]:
    return [indent + line if line else "" for line in text.split("\n")]


def _expected_training_data(articles: Sequence[CompiledArticle]) -> Dict[str, Any]:
    return {
        "version": RASA_FORMAT_VERSION,
        "nlu": [
            {
                "intent": compiled.intent,
                "examples": "".join(f"- {question}\n" for question in compiled.article.questions),
            }
            for compiled in articles
        ],
        "responses": {
            compiled.response: [
                {
                    "text": compiled.answer,
                    "metadata": {"title": compiled.article.title, "topic": compiled.article.topic},
                }
            ]
            for compiled in articles
        },
    }


def render_training_data(articles: Sequence[CompiledArticle]) -> str:
    """Renders the Rasa training data file: retrieval-intent examples and responses.

    Args:
        articles: The compiled articles, sorted by id.

    Returns:
        The YAML text.

    Raises:
        RuntimeError: When the text would not read back as the intended data
            (a formatting bug, never a content problem).
    """
    lines = [HEADER.rstrip("\n"), f'version: "{RASA_FORMAT_VERSION}"', "", "nlu:"]
    for compiled in articles:
        lines.append(f"- intent: {compiled.intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {question}" for question in compiled.article.questions)
    lines.extend(["", "responses:"])
    for compiled in articles:
        lines.append(f"  {compiled.response}:")
        lines.append("  - text: |-")
        lines.extend(_block(compiled.answer, "      "))
        lines.append("    metadata:")
        lines.append(f"      title: {_quoted(compiled.article.title)}")
        lines.append(f"      topic: {compiled.article.topic}")
    text = "\n".join(lines) + "\n"
    if yaml.safe_load(text) != _expected_training_data(articles):
        raise RuntimeError("generated training data does not read back as written")
    return text


def index_entries(articles: Sequence[CompiledArticle]) -> List[Dict[str, Any]]:
    """Returns the search index entries, one per article."""
    return [
        {
            "id": compiled.article.id,
            "title": compiled.article.title,
            "topic": compiled.article.topic,
            "questions": list(compiled.article.questions),
            "answer": compiled.answer,
            "tags": list(compiled.article.tags),
            "last_reviewed": compiled.article.last_reviewed.isoformat(),
        }
        for compiled in articles
    ]


def render_index(articles: Sequence[CompiledArticle]) -> str:
    """Renders the JSON search index used by the search fallback.

    Args:
        articles: The compiled articles, sorted by id.

    Returns:
        The JSON text: ``{"articles": [{id, title, topic, questions, answer,
        tags, last_reviewed}, …]}``.
    """
    return json.dumps({"articles": index_entries(articles)}, ensure_ascii=False, indent=2) + "\n"

"""The project's own knowledge base: valid, complete, and its hold-out set sound."""

from __future__ import annotations

import csv
import re
from collections import Counter
from typing import List, Tuple

import pytest

from bot.knowledge.compiler import CompiledKnowledge, compile_knowledge
from bot.knowledge.outputs import render_training_data
from bot.knowledge.paths import KNOWLEDGE_DIR, TRAINING_DATA_PATH
from bot.knowledge.topics import load_topics
from bot.knowledge.validation import normalize_question
from bot.settings import PROJECT_ROOT

HOLDOUT_PATH = PROJECT_ROOT / "tests" / "data" / "faq_holdout.csv"

REQUIRED_TOPICS = {
    "shipping",
    "returns_policy",
    "payment_methods",
    "contact_hours",
    "loyalty_program",
    "privacy_policy",
    "warranty",
    "how_to_order",
    "gift_cards",
    "order_changes",
    "account_help",
}
GENERAL_ARTICLES = {
    "shipping",
    "returns_policy",
    "payment_methods",
    "contact_hours",
    "loyalty_program",
    "privacy_policy",
    "warranty",
    "how_to_order",
}
MIN_QUESTIONS_SPECIFIC = 8
MIN_QUESTIONS_GENERAL = 15
_LINK = re.compile(r"\]\(([^)]*)\)")


@pytest.fixture(scope="module")
def knowledge() -> CompiledKnowledge:
    return compile_knowledge(KNOWLEDGE_DIR)


@pytest.fixture(scope="module")
def holdout() -> List[Tuple[str, str]]:
    with HOLDOUT_PATH.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        assert next(reader) == ["text", "intent"]
        return [(text, intent) for text, intent in reader]


def test_size(knowledge):
    assert len(knowledge.articles) >= 30
    assert len(knowledge.topics_used) >= 10


def test_required_topics_and_general_articles(knowledge):
    assert set(load_topics(KNOWLEDGE_DIR / "topics.yml")) >= REQUIRED_TOPICS
    assert set(knowledge.topics_used) >= REQUIRED_TOPICS
    assert {item.article.id for item in knowledge.articles} >= GENERAL_ARTICLES


def test_every_article_has_enough_phrasings(knowledge):
    for item in knowledge.articles:
        minimum = (
            MIN_QUESTIONS_GENERAL if item.article.id in GENERAL_ARTICLES else MIN_QUESTIONS_SPECIFIC
        )
        assert len(item.article.questions) >= minimum, item.article.id


def test_answers_link_only_to_the_shops_own_pages(knowledge):
    for item in knowledge.articles:
        for target in _LINK.findall(item.answer):
            assert target.startswith("/"), (item.article.id, target)


def test_generated_training_data_is_up_to_date(knowledge):
    if not TRAINING_DATA_PATH.exists():
        pytest.skip("not built yet; run `python -m bot knowledge build`")
    assert TRAINING_DATA_PATH.read_text(encoding="utf-8") == render_training_data(
        knowledge.articles
    ), "knowledge/ changed since the last build: run `python -m bot knowledge build`"


def test_holdout_covers_every_article(knowledge, holdout):
    ids = {item.article.id for item in knowledge.articles}
    counts = Counter(intent for _, intent in holdout)
    assert len(holdout) >= 70
    assert {intent for intent in counts if intent.removeprefix("faq/") not in ids} == set()
    assert {f"faq/{article_id}" for article_id in ids} <= set(counts)
    for article_id in GENERAL_ARTICLES:
        assert counts[f"faq/{article_id}"] >= 3, article_id


def test_holdout_is_not_copied_from_training_phrasings(knowledge, holdout):
    phrasings = {
        normalize_question(question)
        for item in knowledge.articles
        for question in item.article.questions
    }
    copied = [text for text, _ in holdout if normalize_question(text) in phrasings]
    assert copied == []
    assert len({normalize_question(text) for text, _ in holdout}) == len(holdout)

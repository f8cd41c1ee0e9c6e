"""BM25 search fallback over the compiled index."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from bot.knowledge.index import IndexedArticle, KnowledgeIndexError, read_index
from bot.knowledge.paths import INDEX_PATH
from bot.knowledge.search import (
    ArticleSearch,
    SearchHit,
    article_terms,
    clear_article_search_cache,
    load_article_search,
)
from bot.knowledge.tokens import normalize_term, tokenize

ARTICLES: List[Dict[str, Any]] = [
    {
        "id": "gift_cards_balance",
        "title": "How do I check my gift card balance?",
        "topic": "gift_cards",
        "questions": ["how much is left on my gift card", "gift card balance"],
        "answer": "Enter the card number on the balance page.",
        "tags": ["gift cards", "balance"],
        "last_reviewed": "2026-11-01",
    },
    {
        "id": "gift_cards_buy",
        "title": "How do I buy a gift card?",
        "topic": "gift_cards",
        "questions": ["can I buy a voucher", "where can I get a gift card"],
        "answer": "Gift cards are sold on the gift card page.",
        "tags": ["gift cards", "vouchers"],
        "last_reviewed": "2026-11-01",
    },
    {
        "id": "returns_policy",
        "title": "What is your returns policy?",
        "topic": "returns_policy",
        "questions": ["can I send things back", "how do returns work"],
        "answer": "Return items within 30 days of delivery for a full refund.",
        "tags": ["returns", "refunds"],
        "last_reviewed": "2026-11-01",
    },
    {
        "id": "shipping_costs",
        "title": "How much does shipping cost?",
        "topic": "shipping",
        "questions": ["what do you charge for delivery", "postage price"],
        "answer": "Delivery costs €4.95, free over €50.",
        "tags": ["shipping", "postage"],
        "last_reviewed": "2026-11-01",
    },
    {
        "id": "warranty",
        "title": "What warranty do your products have?",
        "topic": "warranty",
        "questions": ["is there a guarantee", "my lamp is faulty"],
        "answer": "Every product has a two-year warranty.",
        "tags": ["warranty", "faults"],
        "last_reviewed": "2026-11-01",
    },
]


def write_index(path: Path, articles: List[Dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"articles": articles}), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    clear_article_search_cache()
    yield
    clear_article_search_cache()


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    return write_index(tmp_path / "index.json", ARTICLES)


@pytest.fixture
def search(index_path: Path) -> ArticleSearch:
    return load_article_search(index_path)


def ids(hits: List[SearchHit]) -> List[str]:
    return [hit.article_id for hit in hits]


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("How do I check my Gift-Card balance?", ["check", "gift", "card", "balanc"]),
        ("vouchers voucher", ["voucher", "voucher"]),
        ("shipping shipped ships", ["ship", "ship", "ship"]),
        ("deliveries delivery delivered", ["deliver", "deliver", "deliver"]),
        ("expire expiry expired", ["expir", "expir", "expir"]),
        ("cookies cookie", ["cook", "cook"]),
        ("address addresses status business", ["address", "address", "status", "business"]),
        ("I can't find it, it's not there", ["find"]),
        ("order ORD-104233 in 2024", ["order", "ord", "104233", "2024"]),
        ("Café crème", ["café", "crèm"]),
        ("", []),
    ],
)
def test_tokenize(text: str, terms: List[str]) -> None:
    assert tokenize(text) == terms


def test_short_words_and_numbers_are_not_normalised() -> None:
    assert [normalize_term(word) for word in ("bus", "add", "used", "4x4s")] == [
        "bus",
        "add",
        "used",
        "4x4s",
    ]


def test_fields_are_weighted_by_repetition() -> None:
    article = IndexedArticle(
        id="a",
        title="Title",
        topic="t",
        questions=("question",),
        answer="answer",
        tags=("tag",),
    )
    terms = article_terms(article)
    assert [terms.count(term) for term in ("titl", "question", "tag", "answer")] == [3, 2, 2, 1]


def test_best_match_comes_first(search: ArticleSearch) -> None:
    hits = search.search("what is my gift card balance")
    assert ids(hits)[0] == "gift_cards_balance"
    assert hits[0].title == "How do I check my gift card balance?"
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("gift vouchers", "gift_cards_buy"),
        ("how much is postage", "shipping_costs"),
        ("I want to send my order back", "returns_policy"),
        ("the lamp I bought is faulty", "warranty"),
    ],
)
def test_questions_find_their_article(search: ArticleSearch, query: str, expected: str) -> None:
    assert ids(search.search(query))[0] == expected


def test_only_positive_scores_up_to_the_limit(search: ArticleSearch) -> None:
    hits = search.search("gift card voucher refund postage warranty", limit=10)
    assert len(hits) == 5
    assert all(hit.score > 0 for hit in hits)
    assert len(search.search("gift card voucher refund postage warranty")) == 3
    assert ids(search.search("refund", limit=1)) == ["returns_policy"]


@pytest.mark.parametrize("query", ["qwzx", "qwzx vbnm", "", "   ", "how do I", "?!"])
def test_nonsense_and_stop_words_find_nothing(search: ArticleSearch, query: str) -> None:
    assert search.search(query) == []


def test_equal_scores_are_ordered_by_id(tmp_path: Path) -> None:
    twins = [
        {**ARTICLES[3], "id": "shipping_b"},
        {**ARTICLES[3], "id": "shipping_a"},
        *ARTICLES[:3],
    ]
    hits = load_article_search(write_index(tmp_path / "twins.json", twins)).search("postage")
    assert ids(hits)[:2] == ["shipping_a", "shipping_b"]
    assert hits[0].score == hits[1].score


def test_limit_must_be_positive(search: ArticleSearch) -> None:
    with pytest.raises(ValueError, match="limit"):
        search.search("gift card", limit=0)


def test_an_empty_index_finds_nothing(tmp_path: Path) -> None:
    search = load_article_search(write_index(tmp_path / "empty.json", []))
    assert len(search) == 0
    assert search.search("gift card") == []


def test_search_is_cached_until_the_index_changes(index_path: Path) -> None:
    first = load_article_search(index_path)
    assert load_article_search(index_path) is first
    write_index(index_path, ARTICLES[:2])
    stat = index_path.stat()
    os.utime(index_path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    second = load_article_search(index_path)
    assert second is not first
    assert len(second) == 2


def test_missing_index_is_a_named_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeIndexError, match="knowledge build"):
        load_article_search(tmp_path / "missing.json")


@pytest.mark.parametrize(
    "content",
    ["not json", '{"pages": []}', '{"articles": [{"title": "no id"}]}', '{"articles": [1]}'],
)
def test_unreadable_index_is_a_named_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "index.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(KnowledgeIndexError):
        read_index(path)


needs_built_index = pytest.mark.skipif(
    not INDEX_PATH.is_file(), reason="no built index (python -m bot knowledge build)"
)


@needs_built_index
def test_default_index_is_the_built_one() -> None:
    assert load_article_search() is load_article_search(INDEX_PATH)
    assert len(load_article_search()) == len(read_index(INDEX_PATH))


@needs_built_index
@pytest.mark.parametrize(
    ("query", "prefix"),
    [
        ("gift voucher balance", "gift_cards"),
        ("how much does delivery cost to France", "shipping"),
        ("how long do I have to send something back", "returns_policy"),
    ],
)
def test_built_index_ranks_an_article_of_the_topic_first(query: str, prefix: str) -> None:
    if not any(article.id.startswith(prefix) for article in read_index(INDEX_PATH)):
        pytest.skip(f"the built index has no {prefix} article")
    hits = load_article_search().search(query)
    assert hits and hits[0].article_id.startswith(prefix)


@needs_built_index
def test_built_index_finds_nothing_for_nonsense() -> None:
    assert load_article_search().search("qwzx") == []

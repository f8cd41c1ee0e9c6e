from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from rasa.core.processor import MessageProcessor

from bot.runtime import parse_cache
from bot.runtime.parse_cache import ParseCache, is_cacheable

MODEL = "model-a"


class CountingParser:
    """Stands in for Rasa's NLU graph run: counts calls and returns a fresh result."""

    def __init__(self) -> None:
        self.calls: List[str] = []

    def for_text(self, text: str, message_id: str = "m-1") -> Callable[[], Dict[str, Any]]:
        def parse() -> Dict[str, Any]:
            self.calls.append(text)
            return {
                "text": text,
                "intent": {"name": "greet", "confidence": 0.98},
                "entities": [],
                "message_id": message_id,
                "metadata": {"channel": "first"},
            }

        return parse


def ask(cache: ParseCache, parser: CountingParser, text: str, message_id: str, model=MODEL):
    metadata = {"message": message_id}
    return cache.parse(
        parser.for_text(text, message_id),
        model,
        text,
        True,
        {"message_id": message_id, "metadata": metadata},
    )


def test_a_repeated_text_is_parsed_once_and_keeps_each_messages_own_id_and_metadata():
    cache, parser = ParseCache(), CountingParser()

    first = ask(cache, parser, "hello", "m-1")
    second = ask(cache, parser, "hello", "m-2")

    assert parser.calls == ["hello"]
    assert second["intent"] == first["intent"]
    assert (second["message_id"], second["metadata"]) == ("m-2", {"message": "m-2"})
    assert (cache.hits, cache.misses) == (1, 1)


def test_changing_a_returned_parse_does_not_change_the_next_one():
    cache, parser = ParseCache(), CountingParser()
    ask(cache, parser, "thanks", "m-1")["intent"]["name"] = "changed by a caller"

    assert ask(cache, parser, "thanks", "m-2")["intent"]["name"] == "greet"


def parse_twice(text: str) -> List[str]:
    cache, parser = ParseCache(), CountingParser()
    ask(cache, parser, text, "m-1")
    ask(cache, parser, text, "m-2")
    return parser.calls


@pytest.mark.parametrize(
    "text", ["my order is ORD-123456", "jane.doe@example.com", "482913", "hello" + " and" * 40]
)
def test_texts_with_personal_data_or_long_texts_are_never_kept(text):
    assert parse_twice(text) == [text, text]


def test_digits_at_signs_and_empty_texts_are_not_cacheable():
    assert is_cacheable("yes please")
    assert not is_cacheable("ORD-100234")
    assert not is_cacheable("me@example.com")
    assert not is_cacheable("")
    assert not is_cacheable(None)


def test_another_model_parses_again():
    cache, parser = ParseCache(), CountingParser()
    ask(cache, parser, "hello", "m-1", model="model-a")
    ask(cache, parser, "hello", "m-2", model="model-b")

    assert parser.calls == ["hello", "hello"]


def test_the_least_recently_used_text_is_dropped_when_full():
    cache, parser = ParseCache(max_entries=2), CountingParser()
    for text in ("hello", "yes", "hello", "thanks", "hello", "yes"):
        ask(cache, parser, text, "m")

    assert parser.calls == ["hello", "yes", "thanks", "yes"]
    assert len(cache) == 2


@pytest.fixture
def restored_processor() -> Iterator[None]:
    original = MessageProcessor._parse_message_with_graph
    yield
    MessageProcessor._parse_message_with_graph = original  # type: ignore[method-assign]


@pytest.mark.model
def test_rasas_own_parse_goes_through_the_cache(trained_model: Path, restored_processor):
    from rasa.core.agent import Agent

    cache = parse_cache.install(ParseCache())
    agent = Agent.load(str(trained_model))

    async def parse(text: str) -> Dict[str, Any]:
        return await agent.parse_message(text)

    first = asyncio.run(parse("hi there, good morning"))
    second = asyncio.run(parse("hi there, good morning"))
    asyncio.run(parse("where is ORD-100234"))

    assert first["intent"] == second["intent"]
    assert first["intent"]["name"] == "greet"
    assert (cache.hits, cache.misses, len(cache)) == (1, 1, 1)


def test_installing_twice_wraps_rasas_parse_once(restored_processor):
    original = MessageProcessor._parse_message_with_graph
    parse_cache.install()
    parse_cache.install()

    assert MessageProcessor._parse_message_with_graph.__wrapped__ is original  # type: ignore[attr-defined]

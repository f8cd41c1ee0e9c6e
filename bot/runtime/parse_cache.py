"""A per-process cache of the NLU parse of frequent messages ("hi", "yes", button payloads).

The NLU pipeline gives the same result for the same text, whatever the conversation:
intents, entities, response selection and sentiment depend on the text alone. Short
messages such as greetings, "yes", "thanks" and button payloads make up a large share
of a support assistant's traffic, and each parse costs about 25 ms of CPU
(``make bench --profile``), so repeating texts are parsed once per process.

Only the per-message fields (``message_id``, ``metadata``) differ between two messages
with the same text; they are taken from the message at hand. The key includes the
model's id, so a newly loaded model never answers from the old model's parses.

Texts with a digit or an ``@`` (order numbers, one-time codes, emails, phone numbers)
and long texts are never cached, so customers' personal data is not kept in memory
beyond their own turn.
"""

from __future__ import annotations

import copy
import re
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional, Tuple

MAX_ENTRIES = 4096
MAX_TEXT_LENGTH = 120
_PERSONAL_DATA = re.compile(r"[0-9@]")
_PER_MESSAGE_KEYS = ("message_id", "metadata")

ParseFunction = Callable[[Any, Any, Any, bool], Dict[str, Any]]


def is_cacheable(text: Optional[str]) -> bool:
    """Tells whether the parse of ``text`` may be kept: short, without digits or ``@``."""
    if not text:
        return False
    return len(text) <= MAX_TEXT_LENGTH and not _PERSONAL_DATA.search(text)


class ParseCache:
    """Least-recently-used parse results, keyed by text.

    Args:
        max_entries: How many texts to keep.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._results: OrderedDict[Tuple[str, str, bool], Dict[str, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._results)

    def parse(
        self,
        parse: Callable[[], Dict[str, Any]],
        model_id: str,
        text: Optional[str],
        only_output_properties: bool,
        per_message: Dict[str, Any],
    ) -> Dict[str, Any]:
        """Returns the cached parse of ``text``, or runs ``parse`` and keeps its result.

        Args:
            parse: Parses the message (Rasa's own NLU graph run).
            model_id: The id of the model that parses.
            text: The message's text.
            only_output_properties: Rasa's flag, part of the key.
            per_message: ``message_id`` and ``metadata`` of the message at hand.

        Returns:
            A parse result the caller may change freely.
        """
        if not is_cacheable(text):
            return parse()
        assert text is not None
        key = (model_id, text, only_output_properties)
        cached = self._results.get(key)
        if cached is None:
            self.misses += 1
            result = parse()
            self._results[key] = copy.deepcopy(result)
            if len(self._results) > self._max_entries:
                self._results.popitem(last=False)
            return result
        self.hits += 1
        self._results.move_to_end(key)
        result = copy.deepcopy(cached)
        for name in _PER_MESSAGE_KEYS:
            if name in result:
                result[name] = copy.deepcopy(per_message.get(name))
        return result


def install(cache: Optional[ParseCache] = None) -> ParseCache:
    """Routes Rasa's NLU parse (``MessageProcessor``) through a cache.

    Args:
        cache: The cache to use; a new one by default.

    Returns:
        The cache in use.
    """
    from rasa.core.processor import MessageProcessor

    in_use = cache or ParseCache()
    original: ParseFunction = getattr(
        MessageProcessor._parse_message_with_graph, "__wrapped__", None
    ) or MessageProcessor._parse_message_with_graph

    def parse_message_with_graph(
        self: Any, message: Any, tracker: Any, only_output_properties: bool = True
    ) -> Dict[str, Any]:
        return in_use.parse(
            lambda: original(self, message, tracker, only_output_properties),
            str(self.model_metadata.model_id),
            message.text,
            only_output_properties,
            {"message_id": message.message_id, "metadata": message.metadata},
        )

    parse_message_with_graph.__wrapped__ = original  # type: ignore[attr-defined]
    MessageProcessor._parse_message_with_graph = parse_message_with_graph  # type: ignore[method-assign]
    return in_use

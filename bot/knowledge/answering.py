"""Deciding how to answer a knowledge-base question, and what to say around it.

The ResponseSelector picks the article. When it is not confident enough, the
assistant offers the closest articles found by the search fallback instead of
guessing ("Did you mean…?").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

FAQ_INTENT = "faq"
# Below this ResponseSelector confidence the assistant offers suggestions.
MIN_ARTICLE_CONFIDENCE = 0.5
MAX_SUGGESTIONS = 3

FEEDBACK_QUESTION = "Did that answer your question?"
FEEDBACK_THANKS = "Great, glad that helped! Is there anything else I can do for you?"
FEEDBACK_SORRY = (
    "Sorry that didn't help. I've passed your question on to our support team so we can "
    "improve the answer. You can try asking in other words, or ask to talk to a person."
)
SUGGESTIONS_INTRO = "I'm not completely sure what you mean. Did you mean one of these?"
NOT_UNDERSTOOD = (
    "Sorry, I didn't quite understand that. Could you rephrase it? I can track an order, or "
    "answer questions about shipping, returns, payments, gift cards, loyalty points and your "
    "account."
)

_ORDINALS = {
    "first": 0,
    "1": 0,
    "1st": 0,
    "one": 0,
    "top": 0,
    "second": 1,
    "2": 1,
    "2nd": 1,
    "two": 1,
    "middle": 1,
    "third": 2,
    "3": 2,
    "3rd": 2,
    "three": 2,
    "last": -1,
}


@dataclass(frozen=True)
class ArticleChoice:
    """The article the ResponseSelector chose for a message.

    Attributes:
        article_id: Article id, e.g. ``shipping_costs``.
        confidence: The ResponseSelector's confidence in it.
    """

    article_id: str
    confidence: float

    @property
    def response_name(self) -> str:
        """The domain response holding the article's answer."""
        return f"utter_{FAQ_INTENT}/{self.article_id}"

    @property
    def is_confident(self) -> bool:
        """Whether the choice is good enough to answer without asking."""
        return self.confidence >= MIN_ARTICLE_CONFIDENCE


def article_choice(parse_data: Mapping[str, Any]) -> Optional[ArticleChoice]:
    """Reads the ResponseSelector's choice from a message's parse data.

    Args:
        parse_data: ``tracker.latest_message`` as the action server sees it.

    Returns:
        The chosen article, or ``None`` when the message has no FAQ choice.
    """
    selector = (parse_data.get("response_selector") or {}).get(FAQ_INTENT) or {}
    response = selector.get("response") or {}
    key = response.get("intent_response_key") or ""
    prefix = f"{FAQ_INTENT}/"
    if not key.startswith(prefix):
        return None
    return ArticleChoice(key[len(prefix) :], float(response.get("confidence") or 0.0))


def pick_suggestion(text: str, suggestions: Sequence[str]) -> Optional[str]:
    """Resolves "the second one" against the articles offered last.

    Args:
        text: What the customer wrote.
        suggestions: Article ids offered, in the order shown.

    Returns:
        The article id meant, or ``None``.
    """
    if not suggestions:
        return None
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in _ORDINALS:
            index = _ORDINALS[word]
            # The first position named counts, even when it is beyond the offer.
            return suggestions[index] if -len(suggestions) <= index < len(suggestions) else None
    return None

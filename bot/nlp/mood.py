"""A conversation's rolling mood: an exponentially weighted mean of its scores.

Each new message moves the mood ``MOOD_WEIGHT`` of the way towards its score,
so the last few messages dominate: one angry message in a calm conversation
shows at once (0 → -0.36 for a -0.9 message), and an apology that lands brings
the mood back within two or three friendly replies. A new conversation starts
at 0 (neutral).
"""

from __future__ import annotations

from typing import Sequence

MOOD_WEIGHT = 0.4
NEUTRAL_MOOD = 0.0


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, value))


def next_mood(previous: float, score: float) -> float:
    """Folds one message's score into the conversation's mood.

    Args:
        previous: The mood before the message, -1..1.
        score: The message's sentiment score, -1..1.

    Returns:
        ``previous + MOOD_WEIGHT * (score - previous)``, clipped to -1..1.
    """
    return _clip(previous + MOOD_WEIGHT * (_clip(score) - previous))


def mood_of(scores: Sequence[float]) -> float:
    """Computes the mood after a series of messages, starting from neutral.

    Args:
        scores: The messages' scores, oldest first.

    Returns:
        The mood, -1..1; 0 when there are no scores.
    """
    mood = NEUTRAL_MOOD
    for score in scores:
        mood = next_mood(mood, score)
    return mood

"""The conversation's rolling mood."""

from __future__ import annotations

import pytest

from bot.nlp.mood import MOOD_WEIGHT, mood_of, next_mood


def test_weight() -> None:
    assert MOOD_WEIGHT == 0.4


def test_a_message_moves_the_mood_part_of_the_way() -> None:
    assert next_mood(0.0, -0.9) == pytest.approx(-0.36)
    assert next_mood(-0.36, -0.9) == pytest.approx(-0.576)
    assert next_mood(-0.5, 0.5) == pytest.approx(-0.1)


def test_a_steady_score_leaves_the_mood_alone() -> None:
    assert next_mood(0.3, 0.3) == pytest.approx(0.3)


def test_mood_stays_within_minus_one_and_one() -> None:
    assert next_mood(-1.0, -1.0) == -1.0
    assert next_mood(1.0, 1.0) == 1.0
    assert next_mood(0.9, 5.0) <= 1.0
    assert next_mood(-0.9, -5.0) >= -1.0


def test_mood_of_no_messages_is_neutral() -> None:
    assert mood_of([]) == 0.0


def test_mood_of_folds_from_neutral() -> None:
    scores = [-0.9, -0.6, 0.4]
    expected = next_mood(next_mood(next_mood(0.0, -0.9), -0.6), 0.4)
    assert mood_of(scores) == pytest.approx(expected)
    assert mood_of([-0.9]) == pytest.approx(-0.36)


def test_recent_messages_count_most() -> None:
    assert mood_of([0.8, 0.8, -0.8]) < mood_of([-0.8, 0.8, 0.8])
    # Three friendly replies outweigh two angry messages before them.
    assert mood_of([-0.8, -0.8, 0.8, 0.8, 0.8]) > 0

"""The sentiment scorer: VADER plus the support-domain rules."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.nlp.sentiment import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    SentimentScore,
    label_for,
    score_text,
    sentiment_from_parse_data,
    vader_baseline,
)


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (-1.0, NEGATIVE),
        (-0.25, NEGATIVE),
        (-0.2499, NEUTRAL),
        (0.0, NEUTRAL),
        (0.2499, NEUTRAL),
        (0.25, POSITIVE),
        (1.0, POSITIVE),
    ],
)
def test_label_thresholds(score: float, label: str) -> None:
    assert label_for(score) == label


@pytest.mark.parametrize(
    "text",
    [
        "where is my order",
        "where is my order ORD-104233?",
        "I want to return this",
        "I'd like to return the blue jumper",
        "can i cancel my order please",
        "I need help with a refund",
        "how many loyalty points do I have",
        "yes",
        "ok",
        "Can you update my address to 14 Main Street? Thanks",
    ],
)
def test_polite_support_requests_stay_neutral(text: str) -> None:
    assert score_text(text).label == NEUTRAL


@pytest.mark.parametrize(
    "text",
    [
        "thanks so much!",
        "thank you, that's perfect",
        "cheers 👍",
        "brilliant, all sorted",
        "well done, that was quick",
        "no complaints at all",
        "will definitely order again",
        "5 stars from me",
    ],
)
def test_thanks_and_praise_are_positive(text: str) -> None:
    assert score_text(text).label == POSITIVE


@pytest.mark.parametrize(
    "text",
    [
        "still waiting for my parcel",
        "still not here",
        "my parcel never arrived",
        "this is the third time I ask",
        "I've asked 3 times",
        "nobody has answered my emails",
        "fed up of this",
        "it doesn't work",
    ],
)
def test_support_complaints_are_negative_where_vader_sees_nothing(text: str) -> None:
    assert vader_baseline(text).label == NEUTRAL
    assert score_text(text).label == NEGATIVE


@pytest.mark.parametrize(
    "text",
    [
        "the vase arrived broken",
        "box was damaged",
        "total waste of money",
        "useless",
        "this is ridiculous",
        "delivery was late again",
    ],
)
def test_damage_and_strong_words_are_negative(text: str) -> None:
    assert score_text(text).label == NEGATIVE


def test_domain_words_weigh_more_than_in_plain_vader() -> None:
    for text in ("useless", "this is ridiculous", "total waste of money"):
        assert score_text(text).score < vader_baseline(text).score


def test_negation() -> None:
    assert score_text("not happy").label == NEGATIVE
    assert score_text("not helpful").label == NEGATIVE
    assert score_text("not bad").label == POSITIVE
    assert score_text("happy").label == POSITIVE


def test_shouting_makes_a_question_negative() -> None:
    assert score_text("where is my parcel").label == NEUTRAL
    assert score_text("WHERE IS MY PARCEL").label == NEGATIVE


def test_shouting_does_not_turn_thanks_negative() -> None:
    assert score_text("THANK YOU SO MUCH").label == POSITIVE


def test_a_shouted_phrase_weighs_more() -> None:
    assert score_text("late AGAIN").score < score_text("late again").score


def test_repeated_question_marks_show_impatience() -> None:
    assert score_text("where is my order?").label == NEUTRAL
    assert score_text("where is my order???").label == NEGATIVE
    assert score_text("hello?? anyone there??").label == NEGATIVE


def test_exclamation_marks_amplify() -> None:
    assert score_text("this is ridiculous!!!").score < score_text("this is ridiculous").score
    assert score_text("thanks!!!").score > score_text("thanks").score


def test_praise_next_to_a_complaint_reads_as_irony() -> None:
    sarcastic = "Great, another delay. Just great."
    assert vader_baseline(sarcastic).label == POSITIVE
    assert score_text(sarcastic).score < 0
    assert vader_baseline("Oh wonderful, the wrong size AGAIN 🙄").label == POSITIVE
    assert score_text("Oh wonderful, the wrong size AGAIN 🙄").label == NEGATIVE
    assert score_text("thanks for nothing").label == NEGATIVE


def test_courtesy_is_politeness_in_a_question_but_praise_on_its_own() -> None:
    assert score_text("Could you send the label again? Thanks").label == NEUTRAL
    assert score_text("Thanks!").label == POSITIVE


def test_curly_apostrophes_match_like_straight_ones() -> None:
    assert score_text("it doesn\N{RIGHT SINGLE QUOTATION MARK}t work") == score_text(
        "it doesn't work"
    )


@pytest.mark.parametrize("text", ["", "   "])
def test_blank_text_is_neutral(text: str) -> None:
    assert score_text(text) == SentimentScore(score=0.0, label=NEUTRAL)


@pytest.mark.parametrize(
    "text",
    [
        "THIS IS THE WORST, MOST USELESS, RIDICULOUS SHOP EVER!!! STILL WAITING!!! NEVER AGAIN",
        "thank you thank you thank you, brilliant, amazing, perfect, love it!!! 😍😍",
    ],
)
def test_scores_stay_within_minus_one_and_one(text: str) -> None:
    assert -1.0 <= score_text(text).score <= 1.0


def test_vader_baseline_is_plain_vader_with_standard_thresholds() -> None:
    # "want" carries a little valence in VADER's lexicon: compound 0.0772.
    assert vader_baseline("I want to return this") == SentimentScore(0.0772, POSITIVE)
    assert vader_baseline("where is my order") == SentimentScore(0.0, NEUTRAL)
    assert vader_baseline("not happy").label == NEGATIVE


def test_nothing_is_loaded_at_import() -> None:
    code = (
        "import sys, bot.nlp.sentiment, bot.nlp.redaction, bot.nlp.mood;"
        "print('vaderSentiment.vaderSentiment' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_sentiment_from_parse_data() -> None:
    parse_data = {"text": "x", "sentiment": {"score": -0.6, "label": "negative"}}
    assert sentiment_from_parse_data(parse_data) == SentimentScore(-0.6, NEGATIVE)
    assert sentiment_from_parse_data({"sentiment": {"score": 3, "label": "?"}}) == (
        SentimentScore(1.0, POSITIVE)
    )
    assert sentiment_from_parse_data({"text": "/greet"}) is None
    assert sentiment_from_parse_data({"sentiment": None}) is None
    assert sentiment_from_parse_data({"sentiment": {"score": "bad"}}) is None

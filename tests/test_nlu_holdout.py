"""Understanding of messages the model never saw in training.

The hold-out files in tests/data/ are written for evaluation only: nothing in
them is, or paraphrases, a training example.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

import pytest

from bot.evaluation.dataset import Example, load_examples
from bot.evaluation.metrics import evaluate
from bot.evaluation.parser import Prediction, RasaNluParser

pytestmark = pytest.mark.model

DATA = Path(__file__).parent / "data"
MIN_IN_SCOPE_ACCURACY = 0.90
MIN_OUT_OF_SCOPE_RECALL = 0.90
MIN_FAQ_ARTICLE_ACCURACY = 0.90


@pytest.fixture(scope="module")
def parser(trained_model: Path) -> RasaNluParser:
    return RasaNluParser(trained_model)


def predictions_for(parser: RasaNluParser, name: str) -> Tuple[List[Example], List[Prediction]]:
    examples = load_examples(DATA / name)
    return examples, parser.parse([example.text for example in examples])


def test_intents_of_unseen_messages_are_recognised(parser: RasaNluParser):
    examples, predictions = predictions_for(parser, "nlu_holdout.csv")
    result = evaluate(examples, predictions)
    mistakes = [
        f"{row.example.text!r}: expected {row.example.intent}, got {row.prediction.intent}"
        for row in result.scored
        if not row.correct
    ]
    assert result.in_scope_accuracy.value >= MIN_IN_SCOPE_ACCURACY, "\n".join(mistakes)
    assert result.out_of_scope_recall.value >= MIN_OUT_OF_SCOPE_RECALL, "\n".join(mistakes)


def test_unseen_faq_questions_pick_the_right_article(parser: RasaNluParser):
    examples, predictions = predictions_for(parser, "faq_holdout.csv")
    assert len(examples) >= 60
    wrong = [
        f"{example.text!r}: expected {example.intent}, "
        f"got {prediction.intent} {prediction.response_key}"
        for example, prediction in zip(examples, predictions)
        if not (prediction.intent == "faq" and prediction.response_key == example.intent)
    ]
    accuracy = 1 - len(wrong) / len(examples)
    assert accuracy >= MIN_FAQ_ARTICLE_ACCURACY, "\n".join(wrong)

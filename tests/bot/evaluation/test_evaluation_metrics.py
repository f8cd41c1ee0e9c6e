from __future__ import annotations

from typing import List, Tuple

import pytest

from bot.evaluation.dataset import Example
from bot.evaluation.metrics import (
    OTHER_LABEL,
    confusion_matrix,
    evaluate,
    is_rejection,
    matches_topic,
    predicted_label,
    score_example,
)
from bot.evaluation.parser import Prediction

Row = Tuple[str, str, str, Prediction]
Sample = Tuple[List[Example], List[Prediction]]


@pytest.fixture
def sample(sample_rows: List[Row]) -> Sample:
    examples = [Example(text, intent, strength) for text, intent, strength, _ in sample_rows]
    return examples, [prediction for *_, prediction in sample_rows]


@pytest.mark.parametrize(
    ("key", "expected", "matches"),
    [
        ("faq/shipping", "faq/shipping", True),
        ("faq/shipping_costs", "faq/shipping", True),
        ("faq/shipping_costs_eu", "faq/shipping", True),
        ("faq/shippingcosts", "faq/shipping", False),
        ("faq/shipping_costs", "faq/ship", False),
        ("faq/returns_policy", "faq/shipping", False),
        (None, "faq/shipping", False),
        ("faq/shipping_costs", "order_status", False),
    ],
)
def test_matches_topic(key: str, expected: str, matches: bool) -> None:
    assert matches_topic(key, expected) is matches


def test_faq_article_of_the_expected_topic_is_correct() -> None:
    row = score_example(
        Example("how much is postage", "faq/shipping", "strong"),
        Prediction("faq", 0.9, "faq/shipping_costs"),
    )
    assert row.correct
    assert row.label == "faq/shipping"


def test_faq_article_of_another_topic_is_labelled_with_its_full_key() -> None:
    row = score_example(
        Example("how much is postage", "faq/shipping", "strong"),
        Prediction("faq", 0.9, "faq/returns_policy"),
    )
    assert not row.correct
    assert row.label == "faq/returns_policy"


def test_faq_topic_needs_the_faq_intent_not_just_a_selector_key() -> None:
    # The selector runs on every message; its key only counts when faq wins.
    row = score_example(
        Example("how much is postage", "faq/shipping", "strong"),
        Prediction("order_status", 0.7, "faq/shipping_costs"),
    )
    assert not row.correct
    assert row.label == "order_status"


def test_faq_without_selector_output_is_wrong_for_a_topic() -> None:
    row = score_example(
        Example("how much is postage", "faq/shipping", "strong"), Prediction("faq", 0.9)
    )
    assert not row.correct
    assert row.label == "faq"


def test_plain_faq_expectation_accepts_any_article() -> None:
    row = score_example(
        Example("a question", "faq", "strong"), Prediction("faq", 0.9, "faq/returns_policy")
    )
    assert row.correct


@pytest.mark.parametrize("intent", ["nlu_fallback", "out_of_scope"])
def test_fallback_and_out_of_scope_are_rejections(intent: str) -> None:
    prediction = Prediction(intent, 0.3)
    assert is_rejection(prediction)
    assert predicted_label("order_status", prediction) == "out_of_scope"
    row = score_example(Example("sing me a song", "out_of_scope", "none"), prediction)
    assert row.correct


def test_strength_none_expects_a_rejection_whatever_the_intent() -> None:
    row = score_example(Example("hello there", "greet", "none"), Prediction("greet", 0.9))
    assert not row.correct
    assert row.expected_label == "out_of_scope"


def test_out_of_scope_intent_is_out_of_scope_whatever_the_strength() -> None:
    example = Example("sing me a song", "out_of_scope", "strong")
    assert score_example(example, Prediction("nlu_fallback", 0.3)).correct
    assert not score_example(example, Prediction("greet", 0.9)).correct


def test_headline_figures(sample: Sample) -> None:
    evaluation = evaluate(*sample)
    assert (evaluation.in_scope_accuracy.hits, evaluation.in_scope_accuracy.total) == (3, 6)
    assert evaluation.in_scope_accuracy.value == pytest.approx(0.5)
    assert (evaluation.out_of_scope_recall.hits, evaluation.out_of_scope_recall.total) == (2, 3)
    # Only the fallback on "cancel it please" rejects an in-scope row.
    assert (evaluation.false_rejection.hits, evaluation.false_rejection.total) == (1, 6)


def test_accuracy_by_strength(sample: Sample) -> None:
    by_strength = evaluate(*sample).by_strength
    assert list(by_strength) == ["strong", "soft", "optional", "none"]
    assert [(rate.hits, rate.total) for rate in by_strength.values()] == [
        (2, 4),
        (0, 1),
        (1, 1),
        (2, 3),
    ]


def test_per_intent_scores_sorted_by_recall(sample: Sample) -> None:
    scores = {score.intent: score for score in evaluate(*sample).per_intent}
    assert [score.intent for score in evaluate(*sample).per_intent] == [
        "cancel_order",
        "faq/payment_methods",
        "order_status",
        "bot_challenge",
        "faq/shipping",
    ]
    order_status = scores["order_status"]
    assert order_status.support == 2
    assert order_status.recall == pytest.approx(0.5)
    assert order_status.precision == pytest.approx(1.0)
    # "book me a table for two" is out of scope but got order_status.
    assert order_status.false_accepts == 1
    assert scores["faq/shipping"].recall == pytest.approx(1.0)
    assert scores["faq/payment_methods"].precision == 0.0
    assert "out_of_scope" not in scores


def test_precision_counts_faq_articles_by_topic() -> None:
    examples = [
        Example("postage price", "faq/shipping", "strong"),
        Example("return window", "faq/returns_policy", "strong"),
    ]
    predictions = [
        Prediction("faq", 0.9, "faq/shipping_costs"),
        Prediction("faq", 0.9, "faq/shipping_costs"),
    ]
    scores = {score.intent: score for score in evaluate(examples, predictions).per_intent}
    assert scores["faq/shipping"].precision == pytest.approx(1.0)
    assert scores["faq/returns_policy"].recall == 0.0


def test_confusions_most_frequent_first_with_examples() -> None:
    examples = [Example(f"where is my order {n}", "order_status", "strong") for n in range(5)]
    examples += [Example("stop the order", "cancel_order", "strong")]
    predictions = [Prediction("cancel_order", 0.8)] * 5 + [Prediction("nlu_fallback", 0.2)]
    confusions = evaluate(examples, predictions, examples_per_confusion=2).confusions
    assert [(c.expected, c.predicted, c.count) for c in confusions] == [
        ("order_status", "cancel_order", 5),
        ("cancel_order", "out_of_scope", 1),
    ]
    assert confusions[0].examples == ("where is my order 0", "where is my order 1")


def test_confusions_keep_the_50_most_frequent() -> None:
    examples = [Example(f"text {n}", f"intent_{n}", "strong") for n in range(60)]
    predictions = [Prediction("greet", 0.9)] * 60
    assert len(evaluate(examples, predictions).confusions) == 50


def test_only_out_of_scope_rows() -> None:
    evaluation = evaluate(
        [Example("sing me a song", "out_of_scope", "none")], [Prediction("greet", 0.9)]
    )
    assert evaluation.in_scope_accuracy.value is None
    assert evaluation.false_rejection.value is None
    assert evaluation.out_of_scope_recall.value == 0.0
    assert evaluation.per_intent == []


def test_prediction_count_must_match() -> None:
    with pytest.raises(ValueError, match="1 predictions for 2 rows"):
        evaluate(
            [Example("a", "greet", "strong"), Example("b", "greet", "strong")],
            [Prediction("greet", 1.0)],
        )


def test_confusion_matrix_is_normalised_by_row(sample: Sample) -> None:
    matrix = confusion_matrix(evaluate(*sample).scored)
    assert matrix.rows[-1] == "out_of_scope"
    assert matrix.columns[: len(matrix.rows)] == matrix.rows
    for values, support in zip(matrix.values, matrix.support):
        assert sum(values) == pytest.approx(1.0)
        assert support > 0
    order_status = matrix.rows.index("order_status")
    assert matrix.values[order_status][matrix.columns.index("order_status")] == 0.5
    assert matrix.values[order_status][matrix.columns.index("faq/shipping_times")] == 0.5


def test_confusion_matrix_merges_rare_extra_labels() -> None:
    examples = [Example(f"text {n}", "greet", "strong") for n in range(4)]
    predictions = [
        Prediction("faq", 0.5, "faq/a_1"),
        Prediction("faq", 0.5, "faq/a_1"),
        Prediction("faq", 0.5, "faq/b_1"),
        Prediction("thank", 0.5),
    ]
    matrix = confusion_matrix(evaluate(examples, predictions).scored, max_extra_columns=1)
    assert matrix.columns == ("greet", "faq/a_1", OTHER_LABEL)
    assert matrix.values == ((0.0, 0.5, 0.5),)

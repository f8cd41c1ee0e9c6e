"""Scoring predictions against an evaluation set: pure functions, no I/O.

Rules:

* An in-scope row (strength ``strong``, ``soft`` or ``optional``) is correct when
  the top intent equals the expected intent. For an expected ``faq/<topic>`` the
  top intent must be ``faq`` and the response selector's key ``faq/<topic>`` or
  ``faq/<topic>_…`` (article ids start with their topic).
* An out-of-scope row (strength ``none``, or expected ``out_of_scope``) is
  correct when the model rejects it: ``out_of_scope`` or ``nlu_fallback``.
* A false rejection is an in-scope row the model rejects.

Each row also gets a predicted *label* to compare with its expected label in
per-intent tables and confusions: a rejection is labelled ``out_of_scope``; an
FAQ answer is labelled with the expected ``faq/<topic>`` when it matches, else
with the selector's full key; anything else with the top intent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from bot.evaluation.dataset import OUT_OF_SCOPE_INTENT, STRENGTHS, Example
from bot.evaluation.parser import Prediction

FALLBACK_INTENT = "nlu_fallback"
REJECTION_INTENTS = frozenset({OUT_OF_SCOPE_INTENT, FALLBACK_INTENT})
RETRIEVAL_SEPARATOR = "/"
TOPIC_SEPARATOR = "_"
OTHER_LABEL = "(other)"


@dataclass(frozen=True)
class Rate:
    """A share of rows: ``hits`` out of ``total``."""

    hits: int
    total: int

    @property
    def value(self) -> Optional[float]:
        """The share between 0 and 1, or ``None`` when there are no rows."""
        return self.hits / self.total if self.total else None


@dataclass(frozen=True)
class ScoredExample:
    """One row with its prediction and verdict.

    Attributes:
        example: The labelled row.
        prediction: What the model made of it.
        expected_label: ``out_of_scope`` for an out-of-scope row, else its intent.
        label: The predicted label (see the module docstring).
        correct: Whether the prediction counts as correct.
    """

    example: Example
    prediction: Prediction
    expected_label: str
    label: str
    correct: bool

    @property
    def rejected(self) -> bool:
        """Whether the model rejected the message as out of scope."""
        return is_rejection(self.prediction)


@dataclass(frozen=True)
class IntentScore:
    """Precision and recall of one expected intent over the in-scope rows.

    Attributes:
        intent: The expected intent (``faq/<topic>`` for an FAQ topic).
        precision: Share of in-scope rows labelled ``intent`` that expect it.
        recall: Share of in-scope rows expecting ``intent`` labelled with it.
        f1: Harmonic mean of precision and recall.
        support: Number of in-scope rows expecting ``intent``.
        false_accepts: Number of out-of-scope rows labelled ``intent``.
    """

    intent: str
    precision: float
    recall: float
    f1: float
    support: int
    false_accepts: int


@dataclass(frozen=True)
class Confusion:
    """A frequent mistake: rows expecting one label that got another.

    Attributes:
        expected: The expected label.
        predicted: The predicted label.
        count: How many rows made this mistake.
        examples: A few of their texts, in file order.
    """

    expected: str
    predicted: str
    count: int
    examples: Tuple[str, ...]


@dataclass(frozen=True)
class ConfusionMatrix:
    """Row-normalised confusion matrix: expected labels by predicted labels.

    Attributes:
        rows: Expected labels, one per row.
        columns: Predicted labels: the row labels in the same order, then other
            predicted labels by frequency, the rarest merged into ``(other)``.
        values: ``values[i][j]`` is the share of rows expecting ``rows[i]``
            that got ``columns[j]``.
        support: Number of rows expecting each row label.
    """

    rows: Tuple[str, ...]
    columns: Tuple[str, ...]
    values: Tuple[Tuple[float, ...], ...]
    support: Tuple[int, ...]


@dataclass(frozen=True)
class Evaluation:
    """Every figure computed for one evaluation set.

    Attributes:
        scored: Every row with its verdict, in file order.
        in_scope_accuracy: Correct in-scope rows out of all in-scope rows.
        out_of_scope_recall: Rejected out-of-scope rows out of all of them.
        false_rejection: Rejected in-scope rows out of all in-scope rows.
        by_strength: Correct rows out of all rows, for each strength present.
        per_intent: Scores per expected in-scope intent, lowest recall first.
        confusions: The most frequent mistakes, most frequent first.
    """

    scored: Tuple[ScoredExample, ...]
    in_scope_accuracy: Rate
    out_of_scope_recall: Rate
    false_rejection: Rate
    by_strength: Dict[str, Rate] = field(default_factory=dict)
    per_intent: List[IntentScore] = field(default_factory=list)
    confusions: List[Confusion] = field(default_factory=list)


def is_rejection(prediction: Prediction) -> bool:
    """Whether a prediction rejects the message as out of scope.

    Args:
        prediction: The model's prediction.

    Returns:
        ``True`` for ``out_of_scope`` and ``nlu_fallback``.
    """
    return prediction.intent in REJECTION_INTENTS


def matches_topic(response_key: Optional[str], expected: str) -> bool:
    """Whether a response selector's key answers an expected retrieval intent.

    Args:
        response_key: The selector's key, e.g. ``faq/shipping_costs``.
        expected: The expected ``faq/<topic>``.

    Returns:
        ``True`` when the key is the topic itself or one of its articles
        (``faq/<topic>_…``).
    """
    if not response_key or RETRIEVAL_SEPARATOR not in expected:
        return False
    return response_key == expected or response_key.startswith(expected + TOPIC_SEPARATOR)


def predicted_label(expected: str, prediction: Prediction) -> str:
    """Labels a prediction for comparison with an expected label.

    Args:
        expected: The row's expected label.
        prediction: The model's prediction.

    Returns:
        ``out_of_scope`` for a rejection; ``expected`` when the top intent is
        ``expected`` or an FAQ answer matches its topic; the selector's full key
        for any other FAQ answer; the top intent otherwise.
    """
    if is_rejection(prediction):
        return OUT_OF_SCOPE_INTENT
    if prediction.intent == expected:
        return expected
    key = prediction.response_key
    if key and key.startswith(prediction.intent + RETRIEVAL_SEPARATOR):
        return expected if matches_topic(key, expected) else key
    return prediction.intent


def score_example(example: Example, prediction: Prediction) -> ScoredExample:
    """Labels one prediction and decides whether it is correct.

    Args:
        example: The labelled row.
        prediction: The model's prediction for its text.

    Returns:
        The row with its verdict.
    """
    expected = OUT_OF_SCOPE_INTENT if example.expects_out_of_scope else example.intent
    label = predicted_label(expected, prediction)
    return ScoredExample(
        example=example,
        prediction=prediction,
        expected_label=expected,
        label=label,
        correct=label == expected,
    )


def evaluate(
    examples: Sequence[Example],
    predictions: Sequence[Prediction],
    max_confusions: int = 50,
    examples_per_confusion: int = 3,
) -> Evaluation:
    """Scores a model's predictions for an evaluation set.

    Args:
        examples: The labelled rows.
        predictions: One prediction per row, in the same order.
        max_confusions: How many of the most frequent mistakes to keep.
        examples_per_confusion: How many texts to keep for each mistake.

    Returns:
        The figures for the set.

    Raises:
        ValueError: When there are not as many predictions as rows.
    """
    if len(examples) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(examples)} rows")
    scored = tuple(map(score_example, examples, predictions))
    in_scope = [row for row in scored if not row.example.expects_out_of_scope]
    out_of_scope = [row for row in scored if row.example.expects_out_of_scope]
    return Evaluation(
        scored=scored,
        in_scope_accuracy=Rate(sum(row.correct for row in in_scope), len(in_scope)),
        out_of_scope_recall=Rate(sum(row.correct for row in out_of_scope), len(out_of_scope)),
        false_rejection=Rate(sum(row.rejected for row in in_scope), len(in_scope)),
        by_strength=accuracy_by_strength(scored),
        per_intent=per_intent_scores(scored),
        confusions=top_confusions(scored, max_confusions, examples_per_confusion),
    )


def accuracy_by_strength(scored: Sequence[ScoredExample]) -> Dict[str, Rate]:
    """Computes the share of correct rows for each strength.

    Args:
        scored: Scored rows.

    Returns:
        A rate per strength present, in the order of ``STRENGTHS``.
    """
    totals = Counter(row.example.strength for row in scored)
    hits = Counter(row.example.strength for row in scored if row.correct)
    return {
        strength: Rate(hits[strength], totals[strength])
        for strength in STRENGTHS
        if totals[strength]
    }


def per_intent_scores(scored: Sequence[ScoredExample]) -> List[IntentScore]:
    """Computes precision and recall per expected intent over in-scope rows.

    Args:
        scored: Scored rows; out-of-scope rows only count as false accepts.

    Returns:
        One score per expected in-scope intent, lowest recall first (then by
        name).
    """
    from sklearn.metrics import precision_recall_fscore_support

    in_scope = [row for row in scored if not row.example.expects_out_of_scope]
    if not in_scope:
        return []
    intents = sorted({row.expected_label for row in in_scope})
    precision, recall, f1, support = precision_recall_fscore_support(
        [row.expected_label for row in in_scope],
        [row.label for row in in_scope],
        labels=intents,
        zero_division=0,
    )
    false_accepts = Counter(row.label for row in scored if row.example.expects_out_of_scope)
    scores = [
        IntentScore(
            intent=intent,
            precision=float(precision[index]),
            recall=float(recall[index]),
            f1=float(f1[index]),
            support=int(support[index]),
            false_accepts=false_accepts[intent],
        )
        for index, intent in enumerate(intents)
    ]
    return sorted(scores, key=lambda score: (score.recall, score.intent))


def top_confusions(
    scored: Sequence[ScoredExample], limit: int = 50, examples_per_confusion: int = 3
) -> List[Confusion]:
    """Finds the most frequent mistakes.

    Args:
        scored: Scored rows.
        limit: How many mistakes to return.
        examples_per_confusion: How many texts to keep for each.

    Returns:
        The mistakes, most frequent first (ties by expected, then predicted label).
    """
    counts: Counter[Tuple[str, str]] = Counter()
    texts: Dict[Tuple[str, str], List[str]] = {}
    for row in scored:
        if row.correct:
            continue
        pair = (row.expected_label, row.label)
        counts[pair] += 1
        kept = texts.setdefault(pair, [])
        if len(kept) < examples_per_confusion:
            kept.append(row.example.text)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [
        Confusion(
            expected=expected,
            predicted=predicted,
            count=count,
            examples=tuple(texts[(expected, predicted)]),
        )
        for (expected, predicted), count in ranked
    ]


def confusion_matrix(
    scored: Sequence[ScoredExample], max_extra_columns: int = 15
) -> ConfusionMatrix:
    """Builds the row-normalised confusion matrix of every row.

    Args:
        scored: Scored rows.
        max_extra_columns: How many predicted labels that no row expects get a
            column of their own; the rarer ones share the ``(other)`` column.

    Returns:
        The matrix; ``out_of_scope`` is the last row when present.
    """
    rows = sorted(
        {row.expected_label for row in scored},
        key=lambda label: (label == OUT_OF_SCOPE_INTENT, label),
    )
    extra_counts = Counter(row.label for row in scored if row.label not in rows)
    ranked_extras = sorted(extra_counts.items(), key=lambda item: (-item[1], item[0]))
    extras = [label for label, _ in ranked_extras[:max_extra_columns]]
    columns = list(rows) + extras
    if len(ranked_extras) > max_extra_columns:
        columns.append(OTHER_LABEL)
    column_index = {label: index for index, label in enumerate(columns)}
    row_index = {label: index for index, label in enumerate(rows)}
    counts = [[0] * len(columns) for _ in rows]
    for row in scored:
        label = row.label if row.label in column_index else OTHER_LABEL
        counts[row_index[row.expected_label]][column_index[label]] += 1
    support = tuple(sum(line) for line in counts)
    values = tuple(
        tuple(count / total if total else 0.0 for count in line)
        for line, total in zip(counts, support)
    )
    return ConfusionMatrix(rows=tuple(rows), columns=tuple(columns), values=values, support=support)

"""Evaluation of the sentiment scorer against plain VADER on labelled messages.

The file is a CSV with the columns ``text`` and ``label`` (``negative``,
``neutral`` or ``positive``); other columns are ignored. Each scorer labels
every text; the report gives accuracy, macro-F1 (the unweighted mean of the
three labels' F1, so a scorer cannot do well by ignoring the rarest label) and
per-label precision and recall. ``python -m bot eval sentiment FILE.csv``
prints it and writes it as JSON.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from bot.evaluation.dataset import DatasetError
from bot.evaluation.report import percent
from bot.nlp.sentiment import LABELS, SentimentScore, score_text, vader_baseline

TEXT_COLUMN = "text"
LABEL_COLUMN = "label"
OURS = "ours"
VADER = "vader_baseline"
REPORT_NAME = "sentiment.json"

Scorer = Callable[[str], SentimentScore]
SCORERS: Tuple[Tuple[str, Scorer], ...] = ((VADER, vader_baseline), (OURS, score_text))


@dataclass(frozen=True)
class LabelledText:
    """One row of the file: a message and its expected label."""

    text: str
    label: str


@dataclass(frozen=True)
class LabelScore:
    """Precision, recall and F1 of one label.

    Attributes:
        label: The label.
        precision: Share of texts predicted ``label`` that expect it
            (``None`` when nothing was predicted ``label``).
        recall: Share of texts expecting ``label`` predicted as it
            (``None`` when no text expects it).
        f1: Harmonic mean of the two; 0 when either is 0 or undefined.
        support: Number of texts expecting ``label``.
    """

    label: str
    precision: Optional[float]
    recall: Optional[float]
    f1: float
    support: int


@dataclass(frozen=True)
class ScorerReport:
    """How one scorer did on the file.

    Attributes:
        scorer: ``vader_baseline`` or ``ours``.
        accuracy: Share of texts labelled as expected.
        macro_f1: Mean F1 over the three labels.
        labels: Per-label scores, in ``LABELS`` order.
        confusion: ``confusion[expected][predicted]`` counts.
        errors: The texts labelled wrongly with ``(text, expected, predicted, score)``.
    """

    scorer: str
    accuracy: float
    macro_f1: float
    labels: Tuple[LabelScore, ...]
    confusion: Dict[str, Dict[str, int]]
    errors: Tuple[Tuple[str, str, str, float], ...]


def load_labelled(path: Path) -> List[LabelledText]:
    """Reads a labelled sentiment file.

    Args:
        path: The CSV file.

    Returns:
        Its rows, in file order.

    Raises:
        DatasetError: The file is missing or empty, lacks a column, has a blank
            text or an unknown label.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in (TEXT_COLUMN, LABEL_COLUMN) if c not in (reader.fieldnames or [])]
            if missing:
                raise DatasetError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = []
            for line, row in enumerate(reader, start=2):
                text = (row[TEXT_COLUMN] or "").strip()
                label = (row[LABEL_COLUMN] or "").strip()
                if not text:
                    raise DatasetError(f"{path}:{line}: empty text")
                if label not in LABELS:
                    raise DatasetError(
                        f"{path}:{line}: label {label!r} is not one of {', '.join(LABELS)}"
                    )
                rows.append(LabelledText(text=text, label=label))
    except (OSError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: {error}") from error
    if not rows:
        raise DatasetError(f"{path}: no rows")
    return rows


def evaluate_scorer(name: str, scorer: Scorer, rows: Sequence[LabelledText]) -> ScorerReport:
    """Labels every row with a scorer and compares with the expected labels.

    Args:
        name: The scorer's name in the report.
        scorer: Text to ``SentimentScore``.
        rows: The labelled texts; at least one.

    Returns:
        The scorer's report.
    """
    confusion = {expected: {predicted: 0 for predicted in LABELS} for expected in LABELS}
    errors = []
    for row in rows:
        result = scorer(row.text)
        confusion[row.label][result.label] += 1
        if result.label != row.label:
            errors.append((row.text, row.label, result.label, result.score))
    correct = sum(confusion[label][label] for label in LABELS)
    labels = tuple(_label_score(label, confusion) for label in LABELS)
    return ScorerReport(
        scorer=name,
        accuracy=correct / len(rows),
        macro_f1=sum(score.f1 for score in labels) / len(labels),
        labels=labels,
        confusion=confusion,
        errors=tuple(errors),
    )


def _label_score(label: str, confusion: Dict[str, Dict[str, int]]) -> LabelScore:
    hits = confusion[label][label]
    predicted = sum(confusion[expected][label] for expected in LABELS)
    support = sum(confusion[label].values())
    precision = hits / predicted if predicted else None
    recall = hits / support if support else None
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
    return LabelScore(label, precision, recall, f1, support)


def evaluate_file(path: Path) -> List[ScorerReport]:
    """Evaluates plain VADER and our scorer on one file.

    Args:
        path: The labelled CSV file.

    Returns:
        The reports of ``vader_baseline`` and ``ours``, in that order.

    Raises:
        DatasetError: The file is malformed (see ``load_labelled``).
    """
    rows = load_labelled(path)
    return [evaluate_scorer(name, scorer, rows) for name, scorer in SCORERS]


def label_counts(rows: Sequence[LabelledText]) -> Dict[str, int]:
    """Counts the expected labels.

    Args:
        rows: The labelled texts.

    Returns:
        Number of rows per label, in ``LABELS`` order.
    """
    return {label: sum(1 for row in rows if row.label == label) for label in LABELS}


def format_report(path: Path, reports: Sequence[ScorerReport]) -> str:
    """Formats the reports for the terminal.

    Args:
        path: The evaluated file.
        reports: One report per scorer.

    Returns:
        Headline figures and a per-label table for each scorer.
    """
    lines = [f"{path}: {_messages(reports)} messages"]
    for report in reports:
        lines.append("")
        lines.append(
            f"{report.scorer}: accuracy {percent(report.accuracy)}, "
            f"macro-F1 {report.macro_f1:.3f}"
        )
        lines.append(f"  {'label':<10}{'precision':>10}{'recall':>10}{'F1':>8}{'n':>6}")
        for score in report.labels:
            lines.append(
                f"  {score.label:<10}{percent(score.precision):>10}{percent(score.recall):>10}"
                f"{score.f1:>8.3f}{score.support:>6}"
            )
    return "\n".join(lines)


def report_dict(path: Path, reports: Sequence[ScorerReport]) -> Dict[str, Any]:
    """The JSON form of the reports.

    Args:
        path: The evaluated file.
        reports: One report per scorer.

    Returns:
        ``{"file", "messages", "scorers": {name: {...}}}``.
    """
    return {
        "file": str(path),
        "messages": _messages(reports),
        "scorers": {
            report.scorer: {
                "accuracy": report.accuracy,
                "macro_f1": report.macro_f1,
                "labels": {
                    score.label: {
                        "precision": score.precision,
                        "recall": score.recall,
                        "f1": score.f1,
                        "support": score.support,
                    }
                    for score in report.labels
                },
                "confusion": report.confusion,
                "errors": [
                    {"text": text, "expected": expected, "predicted": predicted, "score": score}
                    for text, expected, predicted, score in report.errors
                ],
            }
            for report in reports
        },
    }


def _messages(reports: Sequence[ScorerReport]) -> int:
    return sum(score.support for score in reports[0].labels) if reports else 0


def write_report(path: Path, reports: Sequence[ScorerReport], out_path: Path) -> Path:
    """Writes the JSON report.

    Args:
        path: The evaluated file.
        reports: One report per scorer.
        out_path: Where to write; parent directories are created.

    Returns:
        ``out_path``.
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(
        json.dumps(report_dict(path, reports), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return out_path

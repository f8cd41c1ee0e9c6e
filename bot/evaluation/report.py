"""Presenting evaluation results: text summaries, JSON reports and confusion plots."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from bot.evaluation.metrics import ConfusionMatrix, Evaluation, Rate

_ANNOTATE_MAX_COLUMNS = 40


@dataclass(frozen=True)
class FileReport:
    """The evaluation of one file with what is needed to present it.

    Attributes:
        source: The evaluated CSV file.
        model_name: File name of the model that made the predictions.
        evaluation: The figures.
        seconds: Time spent parsing the file's texts.
    """

    source: Path
    model_name: str
    evaluation: Evaluation
    seconds: float

    @property
    def name(self) -> str:
        """The file's stem, which names its output files."""
        return self.source.stem

    @property
    def rows(self) -> int:
        """Number of evaluated rows."""
        return len(self.evaluation.scored)

    @property
    def ms_per_text(self) -> Optional[float]:
        """Mean parsing time per text in milliseconds."""
        return 1000 * self.seconds / self.rows if self.rows else None


def percent(value: Optional[float]) -> str:
    """Formats a share as a percentage, ``n/a`` when undefined.

    Args:
        value: A share between 0 and 1, or ``None``.

    Returns:
        E.g. ``81.3%``.
    """
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _rate(rate: Rate) -> str:
    return f"{percent(rate.value):>6}  ({rate.hits}/{rate.total})"


def format_summary(report: FileReport) -> str:
    """Formats the summary of one file: headline figures, then per-intent scores.

    Args:
        report: The file's evaluation.

    Returns:
        Printable text, one line per figure and per intent; intents with the
        lowest recall come first.
    """
    evaluation = report.evaluation
    latency = report.ms_per_text
    lines = [
        f"{report.source.name}: {report.rows} rows, model {report.model_name}"
        + ("" if latency is None else f", {latency:.1f} ms per text"),
        f"  in-scope accuracy    {_rate(evaluation.in_scope_accuracy)}",
        f"  out-of-scope recall  {_rate(evaluation.out_of_scope_recall)}",
        f"  false rejection      {_rate(evaluation.false_rejection)}",
    ]
    if evaluation.by_strength:
        strengths = "  ".join(
            f"{strength} {percent(rate.value)} ({rate.total})"
            for strength, rate in evaluation.by_strength.items()
        )
        lines.append(f"  by strength          {strengths}")
    if evaluation.per_intent:
        width = max(len("intent"), *(len(score.intent) for score in evaluation.per_intent))
        lines.append("")
        lines.append(f"  {'intent':<{width}}  support  precision  recall      f1  false accepts")
        for score in evaluation.per_intent:
            lines.append(
                f"  {score.intent:<{width}}  {score.support:>7}  {percent(score.precision):>9}"
                f"  {percent(score.recall):>6}  {percent(score.f1):>6}  {score.false_accepts:>13}"
            )
    return "\n".join(lines)


def format_combined(reports: Sequence[FileReport]) -> str:
    """Formats one line of headline figures per file.

    Args:
        reports: The evaluated files.

    Returns:
        Printable table.
    """
    width = max(len("file"), *(len(report.source.name) for report in reports))
    lines = [
        f"{'file':<{width}}   rows  in-scope acc  oos recall  false rej  ms/text",
    ]
    for report in reports:
        evaluation = report.evaluation
        latency = report.ms_per_text
        lines.append(
            f"{report.source.name:<{width}}  {report.rows:>5}"
            f"  {percent(evaluation.in_scope_accuracy.value):>12}"
            f"  {percent(evaluation.out_of_scope_recall.value):>10}"
            f"  {percent(evaluation.false_rejection.value):>9}"
            f"  {'n/a' if latency is None else f'{latency:.1f}':>7}"
        )
    return "\n".join(lines)


def _rate_dict(rate: Rate) -> Dict[str, Any]:
    return {"value": rate.value, "hits": rate.hits, "total": rate.total}


def report_dict(report: FileReport) -> Dict[str, Any]:
    """Builds the JSON-serialisable report of one file.

    Args:
        report: The file's evaluation.

    Returns:
        Headline figures, counts, per-strength and per-intent scores, the most
        frequent confusions with example texts, the model and the timing.
    """
    evaluation = report.evaluation
    scored = evaluation.scored
    in_scope = evaluation.in_scope_accuracy
    out_of_scope = evaluation.out_of_scope_recall
    predicted = Counter(row.prediction.intent for row in scored)
    return {
        "source": str(report.source),
        "model": report.model_name,
        "evaluated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "headline": {
            "in_scope_accuracy": in_scope.value,
            "out_of_scope_recall": out_of_scope.value,
            "false_rejection_rate": evaluation.false_rejection.value,
        },
        "counts": {
            "rows": len(scored),
            "in_scope": in_scope.total,
            "in_scope_correct": in_scope.hits,
            "out_of_scope": out_of_scope.total,
            "out_of_scope_rejected": out_of_scope.hits,
            "false_rejections": evaluation.false_rejection.hits,
            "by_strength": {
                strength: rate.total for strength, rate in evaluation.by_strength.items()
            },
            "predicted_intents": dict(predicted.most_common()),
        },
        "by_strength": {
            strength: _rate_dict(rate) for strength, rate in evaluation.by_strength.items()
        },
        "per_intent": [
            {
                "intent": score.intent,
                "precision": score.precision,
                "recall": score.recall,
                "f1": score.f1,
                "support": score.support,
                "false_accepts": score.false_accepts,
            }
            for score in evaluation.per_intent
        ],
        "confusions": [
            {
                "expected": confusion.expected,
                "predicted": confusion.predicted,
                "count": confusion.count,
                "examples": list(confusion.examples),
            }
            for confusion in evaluation.confusions
        ],
        "timing": {"seconds": round(report.seconds, 3), "ms_per_text": report.ms_per_text},
    }


def write_json(report: FileReport, path: Path) -> Path:
    """Writes the JSON report of one file.

    Args:
        report: The file's evaluation.
        path: Where to write it; parent directories are created.

    Returns:
        ``path``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path


def write_confusion_png(matrix: ConfusionMatrix, path: Path, title: str) -> Path:
    """Plots a row-normalised confusion matrix as a PNG image.

    Uses Matplotlib's Agg canvas directly, so no display and no global backend
    are involved.

    Args:
        matrix: The matrix to plot.
        path: Where to write the image; parent directories are created.
        title: Title above the plot.

    Returns:
        ``path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n_rows, n_columns = len(matrix.rows), len(matrix.columns)
    figure = Figure(figsize=(max(6.0, 2.5 + 0.42 * n_columns), max(4.0, 2.0 + 0.38 * n_rows)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    image = axes.imshow(
        matrix.values if n_rows else [[0.0]],
        cmap="Blues",
        vmin=0.0,
        vmax=1.0,
        aspect="auto",
        interpolation="nearest",
    )
    axes.set_xticks(range(n_columns))
    axes.set_xticklabels(matrix.columns, rotation=90, fontsize=8)
    axes.set_yticks(range(n_rows))
    axes.set_yticklabels(_row_labels(matrix), fontsize=8)
    axes.set_xlabel("predicted")
    axes.set_ylabel("expected (rows)")
    axes.set_title(title, fontsize=10)
    if n_columns <= _ANNOTATE_MAX_COLUMNS:
        for row, values in enumerate(matrix.values):
            for column, value in enumerate(values):
                if value >= 0.005:
                    axes.text(
                        column,
                        row,
                        f"{100 * value:.0f}",
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if value > 0.5 else "black",
                    )
    colorbar = figure.colorbar(image, ax=axes, fraction=0.04, pad=0.02)
    colorbar.set_label("share of the row")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    return path


def _row_labels(matrix: ConfusionMatrix) -> List[str]:
    return [f"{label} ({support})" for label, support in zip(matrix.rows, matrix.support)]

"""Evaluating several files in one go: parse, score, print and write reports."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, TextIO

from bot.evaluation.dataset import DatasetError, Example, load_examples
from bot.evaluation.metrics import confusion_matrix, evaluate
from bot.evaluation.parser import Parser
from bot.evaluation.report import (
    FileReport,
    format_combined,
    format_summary,
    write_confusion_png,
    write_json,
)

logger = logging.getLogger(__name__)

CSV_PATTERN = "*.csv"


@dataclass(frozen=True)
class Dataset:
    """A validated evaluation file.

    Attributes:
        path: The CSV file.
        examples: Its rows.
    """

    path: Path
    examples: List[Example]


def expand_inputs(paths: Sequence[Path]) -> List[Path]:
    """Replaces each directory by the CSV files it holds.

    Args:
        paths: Files and directories given on the command line.

    Returns:
        The files, directories' files sorted by name.

    Raises:
        DatasetError: When a directory holds no CSV file or two inputs share a
            stem (their reports would overwrite each other).
    """
    files: List[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob(CSV_PATTERN))
            if not found:
                raise DatasetError(f"{path}: no {CSV_PATTERN} files in this directory")
            files.extend(found)
        else:
            files.append(path)
    stems: Dict[str, Path] = {}
    for path in files:
        if path.stem in stems:
            raise DatasetError(
                f"{stems[path.stem]} and {path} would write the same reports "
                f"({path.stem}.json); rename one of them"
            )
        stems[path.stem] = path
    return files


def load_datasets(paths: Sequence[Path]) -> List[Dataset]:
    """Reads and validates every input before any model is loaded.

    Args:
        paths: Files and directories given on the command line.

    Returns:
        One dataset per file.

    Raises:
        DatasetError: When an input is missing or malformed.
    """
    return [Dataset(path, load_examples(path)) for path in expand_inputs(paths)]


def warm_up(parser: Parser, text: str) -> None:
    """Parses one text so that the timed runs exclude one-off costs.

    The first call loads the model and runs TensorFlow's graph tracing; neither
    belongs in the per-text latency.

    Args:
        parser: The model to evaluate.
        text: Any text.
    """
    started = time.perf_counter()
    parser.parse([text])
    logger.info("Model ready in %.1f s", time.perf_counter() - started)


def evaluate_dataset(dataset: Dataset, parser: Parser, model_name: str) -> FileReport:
    """Parses a dataset's texts and scores the predictions.

    Args:
        dataset: The validated file.
        parser: The model to evaluate.
        model_name: File name of the model, for the report.

    Returns:
        The file's evaluation and parsing time.
    """
    texts = [example.text for example in dataset.examples]
    logger.info("Parsing %d texts of %s", len(texts), dataset.path.name)
    started = time.perf_counter()
    predictions = parser.parse(texts)
    seconds = time.perf_counter() - started
    return FileReport(
        source=dataset.path,
        model_name=model_name,
        evaluation=evaluate(dataset.examples, predictions),
        seconds=seconds,
    )


def run_evaluation(
    datasets: Sequence[Dataset],
    parser: Parser,
    model_name: str,
    out_dir: Path,
    stream: Optional[TextIO] = None,
) -> List[FileReport]:
    """Evaluates each dataset, printing its summary and writing its reports.

    One text is parsed first, untimed, to load the model. For each file
    ``STEM.csv`` this writes ``out_dir/STEM.json`` and
    ``out_dir/STEM_confusion.png``. With several files, a table with one line
    per file follows the summaries.

    Args:
        datasets: The validated files.
        parser: The model to evaluate.
        model_name: File name of the model, for the reports.
        out_dir: Directory for the reports; created when missing.
        stream: Where to print; standard output when omitted.

    Returns:
        One report per dataset.
    """
    stream = stream or sys.stdout
    reports = []
    if datasets:
        warm_up(parser, datasets[0].examples[0].text)
    for dataset in datasets:
        report = evaluate_dataset(dataset, parser, model_name)
        reports.append(report)
        json_path = write_json(report, out_dir / f"{report.name}.json")
        png_path = write_confusion_png(
            confusion_matrix(report.evaluation.scored),
            out_dir / f"{report.name}_confusion.png",
            title=f"{dataset.path.name}: confusion normalised by row (model {model_name})",
        )
        print(format_summary(report), file=stream)
        print(f"  reports: {json_path}, {png_path}\n", file=stream)
    if len(reports) > 1:
        print(format_combined(reports), file=stream)
    return reports

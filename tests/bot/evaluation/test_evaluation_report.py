from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Callable, Sequence

import pytest

from bot.evaluation.dataset import DatasetError, Example
from bot.evaluation.metrics import confusion_matrix, evaluate
from bot.evaluation.parser import Prediction
from bot.evaluation.report import percent, write_confusion_png
from bot.evaluation.runner import Dataset, load_datasets, run_evaluation

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(datasets: Sequence[Dataset], parser: Any, out_dir: Path) -> str:
    stream = io.StringIO()
    run_evaluation(datasets, parser, "20250101-120000.tar.gz", out_dir, stream=stream)
    return stream.getvalue()


def test_writes_json_report(sample_csv: Path, fake_parser: Any, tmp_path: Path) -> None:
    out_dir = tmp_path / "results"
    run(load_datasets([sample_csv]), fake_parser, out_dir)
    report = json.loads((out_dir / "sample.json").read_text(encoding="utf-8"))
    assert report["model"] == "20250101-120000.tar.gz"
    assert report["source"] == str(sample_csv)
    assert report["headline"] == {
        "in_scope_accuracy": pytest.approx(0.5),
        "out_of_scope_recall": pytest.approx(2 / 3),
        "false_rejection_rate": pytest.approx(1 / 6),
    }
    counts = report["counts"]
    assert counts["rows"] == 9
    assert (counts["in_scope"], counts["in_scope_correct"]) == (6, 3)
    assert (counts["out_of_scope"], counts["out_of_scope_rejected"]) == (3, 2)
    assert counts["false_rejections"] == 1
    assert counts["by_strength"] == {"strong": 4, "soft": 1, "optional": 1, "none": 3}
    assert counts["predicted_intents"]["nlu_fallback"] == 2
    assert report["by_strength"]["soft"] == {"value": 0.0, "hits": 0, "total": 1}
    assert [row["intent"] for row in report["per_intent"]][:2] == [
        "cancel_order",
        "faq/payment_methods",
    ]
    assert set(report["per_intent"][0]) == {
        "intent",
        "precision",
        "recall",
        "f1",
        "support",
        "false_accepts",
    }
    assert {
        "expected": "out_of_scope",
        "predicted": "order_status",
        "count": 1,
        "examples": ["book me a table for two"],
    } in report["confusions"]
    assert report["timing"]["ms_per_text"] >= 0


def test_writes_confusion_png(sample_csv: Path, fake_parser: Any, tmp_path: Path) -> None:
    run(load_datasets([sample_csv]), fake_parser, tmp_path)
    image = (tmp_path / "sample_confusion.png").read_bytes()
    assert image.startswith(PNG_SIGNATURE)
    assert len(image) > 5_000


def test_png_with_many_labels(tmp_path: Path) -> None:
    examples = [Example(f"text {n}", f"some_fairly_long_intent_{n}", "strong") for n in range(60)]
    predictions = [Prediction("faq", 0.5, f"faq/article_{n % 30}") for n in range(60)]
    matrix = confusion_matrix(evaluate(examples, predictions).scored)
    path = write_confusion_png(matrix, tmp_path / "many" / "m_confusion.png", "many labels")
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_prints_summary(sample_csv: Path, fake_parser: Any, tmp_path: Path) -> None:
    output = run(load_datasets([sample_csv]), fake_parser, tmp_path)
    assert "sample.csv: 9 rows, model 20250101-120000.tar.gz" in output
    assert "in-scope accuracy     50.0%  (3/6)" in output
    assert "out-of-scope recall   66.7%  (2/3)" in output
    assert "false rejection       16.7%  (1/6)" in output
    assert "by strength          strong 50.0% (4)  soft 0.0% (1)" in output
    assert output.index("cancel_order") < output.index("bot_challenge")
    assert str(tmp_path / "sample.json") in output
    assert "ms/text" not in output  # no combined table for a single file


def test_several_files_get_a_combined_table(
    sample_csv: Path,
    write_csv: Callable[..., Path],
    fake_parser: Any,
    tmp_path: Path,
) -> None:
    other = write_csv(
        "other.csv", [("are you a robot", "bot_challenge")], header=("text", "intent")
    )
    output = run(load_datasets([sample_csv, other]), fake_parser, tmp_path / "out")
    table = output[output.index("file ") :]
    assert "sample.csv      9         50.0%       66.7%      16.7%" in table
    assert "other.csv       1        100.0%         n/a       0.0%" in table
    # One untimed warm-up call, then one call per file.
    assert [len(call) for call in fake_parser.calls] == [1, 9, 1]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "other.json",
        "other_confusion.png",
        "sample.json",
        "sample_confusion.png",
    ]


def test_directory_input_and_duplicate_stems(
    write_csv: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_csv("set.csv", [("hi", "greet")], header=("text", "intent"))
    assert [dataset.path for dataset in load_datasets([tmp_path])] == [path]
    with pytest.raises(DatasetError, match="would write the same reports"):
        load_datasets([tmp_path, path])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match=r"no \*\.csv files"):
        load_datasets([empty])


def test_percent() -> None:
    assert percent(None) == "n/a"
    assert percent(0.8134) == "81.3%"

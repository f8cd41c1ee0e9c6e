"""Evaluation of the sentiment scorer against plain VADER."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Callable, Dict, List

import pytest

import bot.settings
from bot.cli.evaluate import handle_sentiment, register
from bot.evaluation.dataset import DatasetError
from bot.evaluation.sentiment import (
    OURS,
    VADER,
    LabelledText,
    evaluate_file,
    evaluate_scorer,
    label_counts,
    load_labelled,
)
from bot.nlp.sentiment import SentimentScore

LABELLED_SET = Path(__file__).resolve().parents[2] / "data" / "sentiment_labelled.csv"

# Just below what the scorer reaches on the labelled set (accuracy 0.962,
# macro-F1 0.963), so that a regression fails.
ACCURACY_FLOOR = 0.95
MACRO_F1_FLOOR = 0.95


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_the_labelled_set_is_large_and_balanced() -> None:
    rows = load_labelled(LABELLED_SET)
    counts = label_counts(rows)
    assert len(rows) >= 180
    assert len({row.text for row in rows}) == len(rows)
    assert min(counts.values()) >= 0.3 * len(rows)


def test_ours_beats_vader_on_the_labelled_set() -> None:
    vader, ours = evaluate_file(LABELLED_SET)
    assert (vader.scorer, ours.scorer) == (VADER, OURS)
    assert ours.accuracy > vader.accuracy
    assert ours.macro_f1 > vader.macro_f1
    assert ours.accuracy >= ACCURACY_FLOOR
    assert ours.macro_f1 >= MACRO_F1_FLOOR


def fixed(labels: Dict[str, str]) -> Callable[[str], SentimentScore]:
    return lambda text: SentimentScore(0.0, labels[text])


def test_metrics() -> None:
    rows = [
        LabelledText("a", "negative"),
        LabelledText("b", "negative"),
        LabelledText("c", "neutral"),
        LabelledText("d", "positive"),
    ]
    scorer = fixed({"a": "negative", "b": "neutral", "c": "neutral", "d": "neutral"})
    report = evaluate_scorer("test", scorer, rows)
    assert report.accuracy == 0.5
    negative, neutral, positive = report.labels
    assert (negative.precision, negative.recall, negative.support) == (1.0, 0.5, 2)
    assert negative.f1 == pytest.approx(2 / 3)
    assert (neutral.precision, neutral.recall) == (pytest.approx(1 / 3), 1.0)
    assert neutral.f1 == pytest.approx(0.5)
    assert (positive.precision, positive.recall, positive.f1) == (None, 0.0, 0.0)
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.5 + 0.0) / 3)
    assert report.confusion["positive"] == {"negative": 0, "neutral": 1, "positive": 0}
    assert [error[0] for error in report.errors] == ["b", "d"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text,intent\nhello,greet\n", "missing column(s) label"),
        ("text,label\nhello,happy\n", "label 'happy' is not one of"),
        ('text,label\n" ",neutral\n', ":2: empty text"),
        ("text,label\n", "no rows"),
    ],
)
def test_malformed_files_are_rejected(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DatasetError, match=re.escape(message)):
        load_labelled(path)


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(DatasetError):
        load_labelled(tmp_path / "absent.csv")


def test_command_prints_both_scorers_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse_args(["eval", "sentiment", str(LABELLED_SET), "--out", str(tmp_path)])
    assert args.handler is handle_sentiment
    assert handle_sentiment(args) == 0
    printed = capsys.readouterr().out
    assert "vader_baseline: accuracy" in printed
    assert "ours: accuracy" in printed
    assert "macro-F1" in printed and "precision" in printed and "recall" in printed
    report = json.loads((tmp_path / "sentiment.json").read_text(encoding="utf-8"))
    vader, ours = evaluate_file(LABELLED_SET)
    assert report["messages"] == len(load_labelled(LABELLED_SET))
    assert report["scorers"][OURS]["accuracy"] == ours.accuracy
    assert report["scorers"][VADER]["macro_f1"] == vader.macro_f1
    assert set(report["scorers"][OURS]["labels"]) == {"negative", "neutral", "positive"}
    assert set(report["scorers"][OURS]["labels"]["negative"]) == {
        "precision",
        "recall",
        "f1",
        "support",
    }


def test_command_writes_to_results_eval_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bot.settings, "PROJECT_ROOT", tmp_path)
    assert handle_sentiment(parse_args(["eval", "sentiment", str(LABELLED_SET)])) == 0
    assert (tmp_path / "results" / "eval" / "sentiment.json").is_file()


def test_command_reports_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args(["eval", "sentiment", str(tmp_path / "absent.csv"), "--out", str(tmp_path)])
    assert handle_sentiment(args) == 2
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "sentiment.json").exists()

"""Fixtures for the evaluation tests: a fake parser and tiny CSV files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import pytest

from bot.evaluation.parser import Prediction

FALLBACK = Prediction("nlu_fallback", 0.2)


class FakeParser:
    """Answers from a fixed table; unknown texts fall back."""

    def __init__(self, answers: Dict[str, Prediction]) -> None:
        self.answers = answers
        self.calls: List[List[str]] = []

    def parse(self, texts: Sequence[str]) -> List[Prediction]:
        self.calls.append(list(texts))
        return [self.answers.get(text, FALLBACK) for text in texts]


# Rows written for these tests: text, intent, strength, and the fake model's answer.
ROWS = [
    ("where is parcel 1234", "order_status", "strong", Prediction("order_status", 0.97)),
    (
        "has my stuff shipped yet",
        "order_status",
        "soft",
        Prediction("faq", 0.61, "faq/shipping_times"),
    ),
    (
        "what does delivery cost",
        "faq/shipping",
        "strong",
        Prediction("faq", 0.9, "faq/shipping_costs"),
    ),
    (
        "can I pay with a voucher",
        "faq/payment_methods",
        "strong",
        Prediction("faq", 0.8, "faq/returns_policy"),
    ),
    ("cancel it please", "cancel_order", "strong", Prediction("nlu_fallback", 0.3)),
    ("are you a robot", "bot_challenge", "optional", Prediction("bot_challenge", 0.99)),
    ("what is the capital of peru", "out_of_scope", "none", Prediction("out_of_scope", 0.8)),
    ("play some jazz", "out_of_scope", "none", Prediction("nlu_fallback", 0.4)),
    ("book me a table for two", "out_of_scope", "none", Prediction("order_status", 0.7)),
]


@pytest.fixture
def sample_rows() -> List[Tuple[str, str, str, Prediction]]:
    return list(ROWS)


@pytest.fixture
def fake_parser() -> FakeParser:
    return FakeParser({text: prediction for text, _, _, prediction in ROWS})


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    def write(
        name: str,
        rows: Sequence[Sequence[str]],
        header: Optional[Sequence[str]] = ("text", "intent", "source_intent", "strength"),
    ) -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            if header is not None:
                writer.writerow(header)
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def sample_csv(write_csv: Callable[..., Path]) -> Path:
    return write_csv(
        "sample.csv", [(text, intent, "src_label", strength) for text, intent, strength, _ in ROWS]
    )

"""The hold-out sets stay unseen: no hold-out message is also a training example.

A copy in the training data would make the hold-out accuracy measure memory instead of
understanding, so every training example and every article question is compared with
every hold-out text, ignoring case, spacing and punctuation.
"""

from __future__ import annotations

import csv
import re
from typing import Dict, List, Set

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.knowledge.compiler import compile_knowledge
from bot.knowledge.paths import KNOWLEDGE_DIR, TRAINING_DATA_PATH
from bot.settings import PROJECT_ROOT

HOLDOUT_DIR = PROJECT_ROOT / "tests" / "data"
HOLDOUT_FILES = ("nlu_holdout.csv", "faq_holdout.csv")
NLU_DIR = PROJECT_ROOT / "data" / "nlu"


def comparable(text: str) -> str:
    """Returns the text without case, punctuation or repeated spaces."""
    without_punctuation = re.sub(r"[^\w\s]", "", text.casefold())
    return " ".join(without_punctuation.split())


def handwritten_training_texts() -> Set[str]:
    """Every example of data/nlu (but the generated FAQ file) and every article question."""
    texts: Set[str] = set()
    for path in sorted(NLU_DIR.glob("*.yml")):
        if path == TRAINING_DATA_PATH:
            continue
        texts.update(example.get("text") for example in load_data(str(path)).intent_examples)
    for compiled in compile_knowledge(KNOWLEDGE_DIR).articles:
        texts.update(compiled.article.questions)
    return {comparable(text) for text in texts if text}


@pytest.fixture(scope="module")
def training_texts() -> Set[str]:
    return handwritten_training_texts()


def holdout_texts(name: str) -> List[str]:
    with (HOLDOUT_DIR / name).open(newline="", encoding="utf-8") as handle:
        return [row["text"] for row in csv.DictReader(handle)]


@pytest.mark.parametrize("name", HOLDOUT_FILES)
def test_no_holdout_message_is_a_training_example(name: str, training_texts: Set[str]):
    copied = [text for text in holdout_texts(name) if comparable(text) in training_texts]
    assert copied == [], f"{name} texts also in the training data: {copied}"


def test_the_comparison_ignores_case_spacing_and_punctuation():
    variants: Dict[str, str] = {
        "Yes, that's correct!": "yes thats correct",
        "  HELLO   there ": "hello there",
    }
    assert {text: comparable(text) for text in variants} == variants

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.evaluation.parser import (
    ModelNotFoundError,
    Prediction,
    RasaNluParser,
    find_latest_model,
    prediction_from_parse_data,
)
from bot.settings import PROJECT_ROOT

# Shaped like the result of Agent.parse_message in Rasa 3.6 for a retrieval intent.
PARSE_DATA = {
    "text": "how much is postage",
    "intent": {
        "name": "faq",
        "confidence": 0.93,
        "full_retrieval_intent_name": "faq/shipping_costs",
    },
    "entities": [],
    "intent_ranking": [{"name": "faq", "confidence": 0.93}],
    "response_selector": {
        "all_retrieval_intents": ["faq"],
        "faq": {
            "response": {
                "responses": [{"text": "Shipping costs depend on the destination."}],
                "confidence": 0.88,
                "intent_response_key": "faq/shipping_costs",
                "utter_action": "utter_faq/shipping_costs",
            },
            "ranking": [{"confidence": 0.88, "intent_response_key": "faq/shipping_costs"}],
        },
    },
}


def test_prediction_from_parse_data() -> None:
    assert prediction_from_parse_data(PARSE_DATA) == Prediction("faq", 0.93, "faq/shipping_costs")


def test_prediction_from_default_selector() -> None:
    data = dict(PARSE_DATA, response_selector={"default": PARSE_DATA["response_selector"]["faq"]})
    assert prediction_from_parse_data(data).response_key == "faq/shipping_costs"


def test_prediction_without_selector_or_intent() -> None:
    assert prediction_from_parse_data({"intent": {"name": "greet", "confidence": 0.5}}) == (
        Prediction("greet", 0.5, None)
    )
    assert prediction_from_parse_data({"intent": {"name": None, "confidence": 0.0}}) == (
        Prediction("", 0.0, None)
    )


def test_find_latest_model(tmp_path: Path) -> None:
    older, newer = tmp_path / "20240101-000000.tar.gz", tmp_path / "20240102-000000.tar.gz"
    for path, mtime in ((older, 1_000_000), (newer, 2_000_000)):
        path.write_bytes(b"")
        os.utime(path, (mtime, mtime))
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    assert find_latest_model(tmp_path) == newer


def test_find_latest_model_in_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no trained model"):
        find_latest_model(tmp_path)


def test_missing_model_file_fails_before_loading(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="model not found"):
        RasaNluParser(tmp_path / "absent.tar.gz").parse(["hello"])


@pytest.mark.model
def test_real_model_parses_texts() -> None:
    try:
        model = find_latest_model(Path(os.environ.get("MODEL_DIR", PROJECT_ROOT / "models")))
    except ModelNotFoundError:
        pytest.skip("no trained model (make train)")
    texts = ["hello there", "where is my parcel", "what are your shipping costs"]
    predictions = RasaNluParser(model).parse(texts)
    assert len(predictions) == len(texts)
    for prediction in predictions:
        assert prediction.intent
        assert 0.0 <= prediction.confidence <= 1.0
        assert prediction.response_key is None or prediction.response_key.startswith("faq/")

"""The Rasa NLU component that adds ``sentiment`` to the parse data."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, List

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.engine.graph import ExecutionContext, GraphSchema, SchemaNode
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.graph_components.converters.nlu_message_converter import NLUMessageConverter
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import read_yaml_file

from bot.nlp.sentiment import SentimentScore, score_text, sentiment_from_parse_data
from bot.nlp.sentiment_component import SENTIMENT, SentimentAnalyzer

PROJECT_ROOT = Path(__file__).resolve().parents[3]
COMPONENT_NAME = "bot.nlp.sentiment_component.SentimentAnalyzer"


@pytest.fixture
def model_storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path / "storage")


@pytest.fixture
def component(model_storage: LocalModelStorage) -> SentimentAnalyzer:
    return SentimentAnalyzer.create(
        SentimentAnalyzer.get_default_config(),
        model_storage,
        Resource("sentiment"),
        ExecutionContext(GraphSchema({})),
    )


def expected(text: str) -> Dict[str, Any]:
    result = score_text(text)
    return {"score": result.score, "label": result.label}


def test_registered_as_an_untrained_featurizer() -> None:
    registered = DefaultV1Recipe._from_registry(COMPONENT_NAME)
    assert registered.clazz is SentimentAnalyzer
    assert registered.types == {DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER}
    assert registered.is_trainable is False


def test_process_adds_the_sentiment(component: SentimentAnalyzer) -> None:
    messages = [
        Message.build(text="my parcel never arrived!!!"),
        Message.build(text="thanks so much, that's perfect"),
        Message.build(text="where is my order ORD-104233?"),
    ]
    assert component.process(messages) is messages
    assert [m.get(SENTIMENT)["label"] for m in messages] == ["negative", "positive", "neutral"]
    for message in messages:
        assert message.get(SENTIMENT) == expected(message.get("text"))


def test_process_leaves_intent_and_entities_alone(component: SentimentAnalyzer) -> None:
    entities = [{"entity": "order_number", "value": "ORD-104233", "start": 9, "end": 19}]
    message = Message(
        data={
            "text": "where is ORD-104233, still waiting",
            "intent": {"name": "order_status", "confidence": 0.93},
            "entities": entities,
        }
    )
    component.process([message])
    assert message.get("intent") == {"name": "order_status", "confidence": 0.93}
    assert message.get("entities") == entities
    assert message.get(SENTIMENT)["label"] == "negative"


def test_sentiment_is_an_output_property(component: SentimentAnalyzer) -> None:
    message = Message.build(text="this is ridiculous")
    component.process([message])
    exported = message.as_dict(only_output_properties=True)
    assert exported[SENTIMENT] == expected("this is ridiculous")


def test_button_payloads_are_neutral(component: SentimentAnalyzer) -> None:
    message = Message.build(text='/inform{"return_item":"all"}')
    component.process([message])
    assert message.get(SENTIMENT) == {"score": 0.0, "label": "neutral"}


def test_training_data_passes_through_unscored(component: SentimentAnalyzer) -> None:
    examples = [
        Message.build(text="the vase arrived broken", intent="damaged_or_wrong_item"),
        Message.build(text="thank you", intent="thank"),
    ]
    training_data = TrainingData(training_examples=examples)
    fingerprint = training_data.fingerprint()
    assert component.process_training_data(training_data) is training_data
    assert training_data.fingerprint() == fingerprint
    assert [m.get(SENTIMENT) for m in examples] == [None, None]


def _predict_graph(tmp_path: Path) -> DaskGraphRunner:
    """The NLU part of a predict graph built of untrained components only."""

    def node(uses: type, needs: Dict[str, str], fn: str = "process") -> SchemaNode:
        return SchemaNode(needs=needs, uses=uses, constructor_name="create", fn=fn, config={})

    schema = GraphSchema(
        {
            "nlu_message_converter": node(
                NLUMessageConverter, {"messages": "__message__"}, fn="convert_user_message"
            ),
            "run_WhitespaceTokenizer0": node(
                WhitespaceTokenizer, {"messages": "nlu_message_converter"}
            ),
            "run_SentimentAnalyzer1": node(
                SentimentAnalyzer, {"messages": "run_WhitespaceTokenizer0"}
            ),
            "run_RegexMessageHandler": node(
                RegexMessageHandler, {"messages": "run_SentimentAnalyzer1"}
            ),
        }
    )
    return DaskGraphRunner(schema, LocalModelStorage(tmp_path / "graph"), ExecutionContext(schema))


def _parse(runner: DaskGraphRunner, text: str, tracker: DialogueStateTracker) -> Dict[str, Any]:
    """Runs Rasa's own ``MessageProcessor._parse_message_with_graph``."""
    processor: Any = SimpleNamespace(
        graph_runner=runner,
        model_metadata=SimpleNamespace(nlu_target="run_RegexMessageHandler"),
    )
    return MessageProcessor._parse_message_with_graph(
        processor, UserMessage(text, sender_id="c1"), tracker
    )


def test_sentiment_reaches_parse_data_and_latest_message(tmp_path: Path) -> None:
    runner = _predict_graph(tmp_path)
    tracker = DialogueStateTracker.from_events("c1", [])
    text = "STILL WAITING for ORD-104233, this is the third time"

    parse_data = _parse(runner, text, tracker)
    assert parse_data[SENTIMENT] == expected(text)
    assert parse_data[SENTIMENT]["label"] == "negative"

    # What the processor does with the parse data (_handle_message_with_tracker).
    tracker.update(UserUttered(text, parse_data["intent"], parse_data["entities"], parse_data))
    assert tracker.latest_message is not None
    assert tracker.latest_message.parse_data[SENTIMENT] == expected(text)
    latest = tracker.current_state()["latest_message"]
    assert latest[SENTIMENT] == expected(text)
    assert sentiment_from_parse_data(latest) == SentimentScore(**expected(text))

    # The serialised event (tracker store, event broker) keeps it too.
    stored: List[Dict[str, Any]] = tracker.current_state(EventVerbosity.ALL)["events"]
    restored = Event.from_parameters(stored[-1])
    assert isinstance(restored, UserUttered)
    assert restored.parse_data[SENTIMENT] == expected(text)


def test_button_payloads_parse_without_a_sentiment(tmp_path: Path) -> None:
    # RegexMessageHandler rebuilds "/intent" messages after the pipeline ran.
    parse_data = _parse(
        _predict_graph(tmp_path), "/greet", DialogueStateTracker.from_events("c1", [])
    )
    assert parse_data["intent"]["name"] == "greet"
    assert SENTIMENT not in parse_data
    assert sentiment_from_parse_data(parse_data) is None


def test_pipeline_runs_it_after_the_featurizers_and_before_the_classifiers() -> None:
    pipeline = [step["name"] for step in read_yaml_file(PROJECT_ROOT / "config.yml")["pipeline"]]
    position = pipeline.index(COMPONENT_NAME)
    featurizers = [i for i, name in enumerate(pipeline) if name.endswith("Featurizer")]
    assert position == max(featurizers) + 1
    assert position < pipeline.index("DIETClassifier")

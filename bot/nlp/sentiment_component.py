"""Rasa NLU component that adds the message's sentiment to the parse data.

Registered as a non-trainable ``MESSAGE_FEATURIZER``: the default recipe runs
such components in inference (``process``) in pipeline order, and also hands
them the training data (``process_training_data``), which this one passes on
untouched. In inference the component only sets ``message.data["sentiment"]``
(``{"score": float, "label": str}``); it never touches intents or entities.

Rasa's processor builds the parse data with
``Message.as_dict(only_output_properties=True)``, which keeps only the keys in
``Message.output_properties``; the component sets the key with
``add_to_output=True`` so ``sentiment`` reaches the ``/model/parse`` response,
every ``user`` event's ``parse_data`` and ``tracker.latest_message``.

Pipeline entry (``config.yml``)::

    - name: bot.nlp.sentiment_component.SentimentAnalyzer
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp.sentiment import NEUTRAL, SentimentScore, score_text

SENTIMENT = "sentiment"

# Buttons send "/intent{...}" payloads: no words of the customer to score.
_INTENT_PAYLOAD_PREFIX = "/"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentimentAnalyzer(GraphComponent):
    """Scores each message's sentiment with ``bot.nlp.sentiment.score_text``."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        """The component has no options."""
        return {}

    @staticmethod
    def required_packages() -> List[str]:
        """Packages the component imports lazily."""
        return ["vaderSentiment"]

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentimentAnalyzer:
        """Creates the component (see parent class for the full docstring)."""
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds ``sentiment`` to each message's data, in place.

        Args:
            messages: The messages to score.

        Returns:
            The same messages.
        """
        for message in messages:
            self._annotate(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Leaves the training data as it is.

        No trained component reads the sentiment, and setting it on every
        example would make Rasa fingerprint the whole training data again
        (tokens and all features) for its training cache.

        Args:
            training_data: The NLU training data.

        Returns:
            The same training data, unchanged.
        """
        return training_data

    @staticmethod
    def _annotate(message: Message) -> None:
        result = _score(message.get(TEXT))
        message.set(SENTIMENT, {"score": result.score, "label": result.label}, add_to_output=True)


def _score(text: Optional[str]) -> SentimentScore:
    if not text or text.startswith(_INTENT_PAYLOAD_PREFIX):
        return SentimentScore(score=0.0, label=NEUTRAL)
    return score_text(text)

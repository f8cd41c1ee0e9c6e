"""Running a trained model over texts: one ``Prediction`` per text.

``Parser`` is the interface the evaluation depends on; ``RasaNluParser`` is the
implementation backed by a trained Rasa model. Rasa and TensorFlow are imported
only when the model is loaded.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Protocol, Sequence

if TYPE_CHECKING:
    from rasa.core.agent import Agent

logger = logging.getLogger(__name__)

MODEL_PATTERN = "*.tar.gz"
# Name of the retrieval intent whose response selector picks the FAQ article.
FAQ_INTENT = "faq"
# Key Rasa files a response selector's output under when its config names no
# ``retrieval_intent``.
DEFAULT_SELECTOR_KEY = "default"
_PROGRESS_EVERY = 1000


class ModelNotFoundError(FileNotFoundError):
    """No trained model where one was expected."""


@dataclass(frozen=True)
class Prediction:
    """What the model made of one text.

    Attributes:
        intent: Name of the top intent (``nlu_fallback`` when the fallback
            classifier rejected the message).
        confidence: Confidence of the top intent.
        response_key: The FAQ response selector's pick, e.g.
            ``faq/shipping_costs``; ``None`` when the model has no selector.
    """

    intent: str
    confidence: float
    response_key: Optional[str] = None


class Parser(Protocol):
    """Turns texts into predictions."""

    def parse(self, texts: Sequence[str]) -> List[Prediction]:
        """Parses every text.

        Args:
            texts: The messages to parse.

        Returns:
            One prediction per text, in the same order.
        """
        ...


def prediction_from_parse_data(
    parse_data: Mapping[str, Any], retrieval_intent: str = FAQ_INTENT
) -> Prediction:
    """Extracts a prediction from the result of Rasa's ``parse_message``.

    Args:
        parse_data: The parsed message: ``intent`` holds ``name`` and
            ``confidence``; ``response_selector`` maps each selector's key (its
            retrieval intent, or ``default``) to ``{"response": {...,
            "intent_response_key": "faq/<article>"}, "ranking": [...]}``.
        retrieval_intent: The retrieval intent whose selector to read.

    Returns:
        The prediction.
    """
    intent = parse_data.get("intent") or {}
    selectors = parse_data.get("response_selector") or {}
    selector = selectors.get(retrieval_intent) or selectors.get(DEFAULT_SELECTOR_KEY) or {}
    response = selector.get("response") or {}
    response_key = response.get("intent_response_key")
    return Prediction(
        intent=str(intent.get("name") or ""),
        confidence=float(intent.get("confidence") or 0.0),
        response_key=str(response_key) if response_key else None,
    )


def find_latest_model(directory: Path) -> Path:
    """Returns the most recently written model archive in a directory.

    Args:
        directory: Where ``rasa train`` puts its ``*.tar.gz`` archives.

    Returns:
        Path of the newest archive.

    Raises:
        ModelNotFoundError: When the directory holds no archive.
    """
    archives = [path for path in directory.glob(MODEL_PATTERN) if path.is_file()]
    if not archives:
        raise ModelNotFoundError(f"no trained model ({MODEL_PATTERN}) in {directory}")
    return max(archives, key=lambda path: (path.stat().st_mtime, path.name))


def _configure_rasa_logging() -> None:
    """Makes Rasa's structured logs honour the process's log level.

    Unconfigured, structlog prints every event, including a debug line per
    parsed message; Rasa's own command line configures it the same way.
    """
    import structlog

    if not structlog.is_configured():
        from rasa.utils.log_utils import configure_structlog

        configure_structlog(logging.getLogger().getEffectiveLevel())


class RasaNluParser:
    """Parses texts with a trained Rasa model, loaded once on first use.

    Each text goes through the model's NLU pipeline alone, exactly as a message
    from a customer would. The model is loaded on the first call of ``parse``
    (or of ``load``), which takes tens of seconds; later calls reuse it.
    """

    def __init__(self, model_path: Path, retrieval_intent: str = FAQ_INTENT) -> None:
        """Creates a parser for one model archive.

        Args:
            model_path: The trained model (``.tar.gz``).
            retrieval_intent: The retrieval intent whose response selector to read.
        """
        self.model_path = model_path
        self.retrieval_intent = retrieval_intent
        self._agent: Optional[Agent] = None

    def load(self) -> Agent:
        """Loads the model unless already loaded.

        Returns:
            The agent holding the model.

        Raises:
            ModelNotFoundError: When the model file does not exist.
            ValueError: When the archive holds no usable model.
        """
        if self._agent is not None:
            return self._agent
        if not self.model_path.is_file():
            raise ModelNotFoundError(f"model not found: {self.model_path}")
        _configure_rasa_logging()
        from rasa.core.agent import Agent

        started = time.perf_counter()
        agent = Agent.load(str(self.model_path))
        if agent.processor is None:
            raise ValueError(f"{self.model_path} could not be loaded as a Rasa model")
        logger.info("Loaded %s in %.1f s", self.model_path.name, time.perf_counter() - started)
        self._agent = agent
        return agent

    def parse(self, texts: Sequence[str]) -> List[Prediction]:
        """Parses every text with the model.

        Args:
            texts: The messages to parse. A text starting with ``/`` is read by
                Rasa as an intent payload, as it would be in a conversation.

        Returns:
            One prediction per text, in the same order.
        """
        import asyncio

        agent = self.load()
        return asyncio.run(self._parse_all(agent, texts))

    async def _parse_all(self, agent: Agent, texts: Sequence[str]) -> List[Prediction]:
        predictions = []
        started = time.perf_counter()
        for done, text in enumerate(texts, start=1):
            parse_data = await agent.parse_message(text)
            predictions.append(prediction_from_parse_data(parse_data, self.retrieval_intent))
            if done % _PROGRESS_EVERY == 0 and done < len(texts):
                elapsed = time.perf_counter() - started
                logger.info(
                    "Parsed %d/%d texts (%.1f ms per text)",
                    done,
                    len(texts),
                    1000 * elapsed / done,
                )
        return predictions

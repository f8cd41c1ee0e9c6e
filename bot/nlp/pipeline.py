"""Builds the project's spaCy pipeline from ``spacy.blank("en")``.

No pretrained spaCy model can be assumed on a shop's machine, so the pipeline
is assembled from parts that ship with pip packages: the English tokenizer, a
lookup lemmatizer (tables from ``spacy-lookups-data``) and an entity ruler that
finds order numbers and email addresses. Rasa's ``SpacyNLP`` loads the saved
directory; ``SpacyEntityExtractor`` turns the ruler's spans into entities.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List

if TYPE_CHECKING:
    from spacy.language import Language

PIPELINE_NAME = "en_shop_support"
PIPELINE_VERSION = "1.0.0"
ORDER_NUMBER_LABEL = "ORDER_NUMBER"
EMAIL_LABEL = "EMAIL"

# Order numbers look like ORD-104233; customers also type ord104233 or #ORD-104233.
_ORDER_NUMBER_TOKEN = r"(?i)^#?ord-?\d{6}$"
_ORDER_PREFIX_TOKEN = r"(?i)^#?ord-?$"
_SIX_DIGITS = r"^\d{6}$"
_EMAIL_TOKEN = r"(?i)^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$"


def entity_patterns() -> List[Dict[str, Any]]:
    """Returns the entity ruler's patterns for order numbers and emails."""
    return [
        {"label": ORDER_NUMBER_LABEL, "pattern": [{"TEXT": {"REGEX": _ORDER_NUMBER_TOKEN}}]},
        {
            "label": ORDER_NUMBER_LABEL,
            "pattern": [
                {"TEXT": {"REGEX": _ORDER_PREFIX_TOKEN}},
                {"TEXT": {"REGEX": _SIX_DIGITS}},
            ],
        },
        {
            "label": ORDER_NUMBER_LABEL,
            "pattern": [{"ORTH": "#"}, {"TEXT": {"REGEX": _SIX_DIGITS}}],
        },
        {"label": EMAIL_LABEL, "pattern": [{"TEXT": {"REGEX": _EMAIL_TOKEN}}]},
    ]


def create_pipeline() -> Language:
    """Creates the pipeline in memory.

    Returns:
        A ``Language`` with tokenizer, lookup lemmatizer and entity ruler.
    """
    import spacy

    nlp = spacy.blank("en")
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["version"] = PIPELINE_VERSION
    nlp.meta["description"] = (
        "Blank English pipeline with lookup lemmas and rule-based order-number "
        "and email entities, for the shop support assistant."
    )
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    ruler = nlp.add_pipe("entity_ruler")
    # Loads the lookup tables from spacy-lookups-data into the lemmatizer. It
    # also resets the ruler, so the patterns are added afterwards.
    nlp.initialize()
    ruler.add_patterns(entity_patterns())  # type: ignore[attr-defined]
    return nlp


def _fingerprint() -> str:
    return json.dumps({"version": PIPELINE_VERSION, "patterns": entity_patterns()}, sort_keys=True)


def build_pipeline(output_dir: Path, force: bool = False) -> bool:
    """Saves the pipeline to ``output_dir`` unless an identical one is there.

    Args:
        output_dir: Directory to write the pipeline to.
        force: Rebuild even when the saved pipeline is current.

    Returns:
        ``True`` when the pipeline was (re)built, ``False`` when it was current.
    """
    stamp = output_dir / "build-fingerprint.json"
    if not force and stamp.exists() and stamp.read_text(encoding="utf-8") == _fingerprint():
        return False
    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    create_pipeline().to_disk(output_dir)
    stamp.write_text(_fingerprint(), encoding="utf-8")
    return True

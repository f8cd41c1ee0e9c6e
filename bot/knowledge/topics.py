"""The allowed article topics, read from ``topics.yml``.

The file maps each topic name to a one-line description::

    topics:
      shipping: Where we deliver, what it costs and how long it takes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict

from bot.knowledge.validation import KnowledgeError
from bot.knowledge.yaml_io import read_yaml_file

_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")


def load_topics(path: Path) -> Dict[str, str]:
    """Reads the allowed topics.

    Args:
        path: The ``topics.yml`` file.

    Returns:
        Topic name → description, in file order.

    Raises:
        KnowledgeError: When the file is missing or malformed.
    """
    data = read_yaml_file(path)
    topics = data.get("topics") if isinstance(data, dict) else None
    if not isinstance(topics, dict) or not topics:
        raise KnowledgeError(path, "expected a 'topics:' mapping of topic name to description")
    result: Dict[str, str] = {}
    for name, description in topics.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise KnowledgeError(
                path, f"topic name {name!r} may only use lower-case letters, digits and '_'"
            )
        if not isinstance(description, str) or not description.strip():
            raise KnowledgeError(path, f"topic {name!r} needs a one-line description")
        result[name] = " ".join(description.split())
    return result

"""Reading the YAML of knowledge files, with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.validation import KnowledgeError

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _KnowledgeLoader(yaml.SafeLoader):
    """Safe loader that keeps dates as text.

    PyYAML turns ``2026-13-01`` into an exception from deep inside the parser;
    kept as text, the code that expects a date can say exactly what is wrong.
    """

    yaml_implicit_resolvers = {
        first_char: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
        for first_char, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def parse_yaml(text: str, path: Path, first_line: int = 1) -> Any:
    """Parses YAML text taken from a knowledge file.

    Args:
        text: The YAML text.
        path: The file it comes from, for error messages.
        first_line: Line number of the text's first line within the file.

    Returns:
        The parsed data; dates stay ``YYYY-MM-DD`` text.

    Raises:
        KnowledgeError: When the text is not valid YAML.
    """
    try:
        return yaml.load(text, Loader=_KnowledgeLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + first_line})" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise KnowledgeError(path, f"invalid YAML{where}: {problem}") from None


def read_yaml_file(path: Path) -> Any:
    """Reads and parses a YAML knowledge file.

    Raises:
        KnowledgeError: When the file is missing, unreadable or not valid YAML.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KnowledgeError(path, "file is missing") from None
    except (OSError, UnicodeDecodeError) as error:
        raise KnowledgeError(path, f"cannot read file: {error}") from None
    return parse_yaml(text, path)

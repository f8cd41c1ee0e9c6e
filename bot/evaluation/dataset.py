"""Reading and validating evaluation sets: CSV files of labelled utterances.

A file has a header row with the columns ``text`` and ``intent`` and, optionally,
``strength``; any other column (such as ``source_intent``) is ignored. ``intent``
is the expected intent in the assistant's contract: ``faq/<topic>`` for a
retrieval intent, ``out_of_scope`` when the assistant has no counterpart.
``strength`` says how closely the source label matches the expected intent; see
``STRENGTHS``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, TextIO

OUT_OF_SCOPE_INTENT = "out_of_scope"

STRONG = "strong"
SOFT = "soft"
OPTIONAL = "optional"
NONE = "none"
# ``strong``: same meaning; ``soft``: close but looser; ``optional``: an intent a
# support assistant may or may not have; ``none``: no counterpart (out of scope).
STRENGTHS = (STRONG, SOFT, OPTIONAL, NONE)
IN_SCOPE_STRENGTHS = (STRONG, SOFT, OPTIONAL)

TEXT_COLUMN = "text"
INTENT_COLUMN = "intent"
STRENGTH_COLUMN = "strength"
REQUIRED_COLUMNS = (TEXT_COLUMN, INTENT_COLUMN)


class DatasetError(ValueError):
    """An evaluation file is missing, unreadable or malformed."""


@dataclass(frozen=True)
class Example:
    """One labelled utterance of an evaluation set.

    Attributes:
        text: The user message.
        intent: The expected intent (``faq/<topic>`` for a retrieval intent).
        strength: One of ``STRENGTHS``.
        line: Line of the file the row ends on, for messages about it.
    """

    text: str
    intent: str
    strength: str
    line: int = 0

    @property
    def expects_out_of_scope(self) -> bool:
        """Whether the assistant should reject the message as out of scope."""
        return self.strength == NONE or self.intent == OUT_OF_SCOPE_INTENT


def default_strength(intent: str) -> str:
    """Returns the strength of a row that does not give one.

    Args:
        intent: The row's expected intent.

    Returns:
        ``none`` for ``out_of_scope`` rows, ``strong`` for every other row.
    """
    return NONE if intent == OUT_OF_SCOPE_INTENT else STRONG


def load_examples(path: Path) -> List[Example]:
    """Reads and validates one evaluation file.

    Args:
        path: The CSV file to read (UTF-8, with or without a byte-order mark).

    Returns:
        The file's examples in file order.

    Raises:
        DatasetError: When the file cannot be read, has no header or no rows,
            lacks a required column, or has a row with an empty text or intent
            or an unknown strength.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _read_examples(handle, path)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DatasetError(f"{path}: is a directory, not a CSV file") from None
    except UnicodeDecodeError as error:
        raise DatasetError(f"{path}: not UTF-8 text ({error.reason})") from None
    except csv.Error as error:
        raise DatasetError(f"{path}: not a valid CSV file ({error})") from None
    except OSError as error:
        raise DatasetError(f"{path}: cannot be read ({error.strerror})") from None


def _read_examples(handle: TextIO, path: Path) -> List[Example]:
    reader = csv.reader(handle)
    header = next(reader, None)
    if not header or not any(cell.strip() for cell in header):
        raise DatasetError(
            f"{path}: the file is empty; expected a header row with the columns "
            f"{', '.join(REQUIRED_COLUMNS)}"
        )
    columns = _column_indexes(header)
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise DatasetError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"the header has {', '.join(cell.strip() for cell in header)}"
        )
    examples = []
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        examples.append(_example(row, columns, path, reader.line_num))
    if not examples:
        raise DatasetError(f"{path}: the file has a header but no rows")
    return examples


def _column_indexes(header: List[str]) -> Dict[str, int]:
    columns: Dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(name.strip().lower(), index)
    return columns


def _cell(row: List[str], columns: Dict[str, int], name: str) -> str:
    index = columns.get(name)
    if index is None or index >= len(row):
        return ""
    return row[index].strip()


def _example(row: List[str], columns: Dict[str, int], path: Path, line: int) -> Example:
    text = _cell(row, columns, TEXT_COLUMN)
    intent = _cell(row, columns, INTENT_COLUMN)
    if not text:
        raise DatasetError(f"{path}, line {line}: empty text")
    if not intent:
        raise DatasetError(f"{path}, line {line}: empty intent")
    strength = _cell(row, columns, STRENGTH_COLUMN).lower() or default_strength(intent)
    if strength not in STRENGTHS:
        raise DatasetError(
            f"{path}, line {line}: unknown strength {strength!r}; "
            f"expected one of {', '.join(STRENGTHS)}"
        )
    return Example(text=text, intent=intent, strength=strength, line=line)

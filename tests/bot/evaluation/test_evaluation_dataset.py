from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from bot.evaluation.dataset import DatasetError, Example, load_examples

WriteCsv = Callable[..., Path]


def test_reads_rows_and_ignores_extra_columns(sample_csv: Path) -> None:
    examples = load_examples(sample_csv)
    assert len(examples) == 9
    assert examples[0] == Example("where is parcel 1234", "order_status", "strong", line=2)
    assert examples[-1].expects_out_of_scope


def test_strength_defaults_from_the_intent(write_csv: WriteCsv) -> None:
    path = write_csv(
        "two.csv",
        [("where is my parcel", "order_status"), ("tell me a joke", "out_of_scope")],
        header=("text", "intent"),
    )
    assert [example.strength for example in load_examples(path)] == ["strong", "none"]


def test_empty_strength_cell_uses_the_default(write_csv: WriteCsv) -> None:
    path = write_csv(
        "blank.csv", [("tell me a joke", "out_of_scope", "")], header=("text", "intent", "strength")
    )
    assert load_examples(path)[0].strength == "none"


def test_tolerates_bom_case_blank_lines_and_multiline_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_text(
        '\ufeffText,Intent,Strength\n"first line\nsecond line",greet,Strong\n\n hi ,greet,soft\n',
        encoding="utf-8",
    )
    examples = load_examples(path)
    assert [(e.text, e.strength) for e in examples] == [
        ("first line\nsecond line", "strong"),
        ("hi", "soft"),
    ]


def test_missing_column(write_csv: WriteCsv) -> None:
    path = write_csv("bad.csv", [("hello",)], header=("text",))
    with pytest.raises(DatasetError, match=r"missing column\(s\) intent; the header has text"):
        load_examples(path)


def test_unknown_strength_names_line_and_value(write_csv: WriteCsv) -> None:
    path = write_csv(
        "bad.csv", [("hello", "greet", "x", "strong"), ("bye", "goodbye", "x", "medium")]
    )
    with pytest.raises(DatasetError, match=r"bad.csv, line 3: unknown strength 'medium'"):
        load_examples(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(DatasetError, match="the file is empty"):
        load_examples(path)


def test_header_without_rows(write_csv: WriteCsv) -> None:
    with pytest.raises(DatasetError, match="no rows"):
        load_examples(write_csv("header.csv", []))


@pytest.mark.parametrize(
    ("row", "message"),
    [(("", "greet", "x", "strong"), "empty text"), (("hello", " ", "x", "strong"), "empty intent")],
)
def test_empty_cells(write_csv: WriteCsv, row: tuple, message: str) -> None:
    with pytest.raises(DatasetError, match=f"line 2: {message}"):
        load_examples(write_csv("cells.csv", [row]))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such file"):
        load_examples(tmp_path / "absent.csv")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("text,intent\ncaf\xe9,greet\n".encode("latin-1"))
    with pytest.raises(DatasetError, match="not UTF-8"):
        load_examples(path)

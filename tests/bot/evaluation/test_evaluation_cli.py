from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional

import pytest

import bot.cli
import bot.cli.evaluate
from bot.cli.evaluate import handle_nlu, register
from bot.settings import get_settings


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    model_dir = tmp_path / "models"
    model_dir.mkdir()
    monkeypatch.setenv("BOT_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MODEL_DIR", str(model_dir))
    get_settings.cache_clear()
    yield model_dir
    get_settings.cache_clear()


def parse_args(argv: List[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def recording_factory(fake_parser: Any, seen: List[Path]) -> Callable[[Path], Any]:
    def factory(model_path: Path) -> Any:
        seen.append(model_path)
        return fake_parser

    return factory


def test_arguments() -> None:
    args = parse_args(["eval", "nlu", "a.csv", "b.csv", "--model", "m.tar.gz", "--out", "o"])
    assert args.files == [Path("a.csv"), Path("b.csv")]
    assert (args.model, args.out) == (Path("m.tar.gz"), Path("o"))
    assert args.handler is handle_nlu
    defaults = parse_args(["eval", "nlu", "a.csv"])
    assert (defaults.model, defaults.out) == (None, None)


def test_eval_needs_a_sub_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["eval"])
    assert "nlu" in capsys.readouterr().err


def test_uses_the_newest_model_and_given_out_dir(
    sample_csv: Path, fake_parser: Any, isolated_settings: Path, tmp_path: Path
) -> None:
    for name, mtime in (
        ("20240101-000000.tar.gz", 1_000_000),
        ("20240301-000000.tar.gz", 2_000_000),
    ):
        path = isolated_settings / name
        path.write_bytes(b"")
        os.utime(path, (mtime, mtime))
    seen: List[Path] = []
    args = parse_args(["eval", "nlu", str(sample_csv), "--out", str(tmp_path / "out")])
    assert handle_nlu(args, recording_factory(fake_parser, seen)) == 0
    assert seen == [isolated_settings / "20240301-000000.tar.gz"]
    report = json.loads((tmp_path / "out" / "sample.json").read_text(encoding="utf-8"))
    assert report["model"] == "20240301-000000.tar.gz"


def test_default_out_dir_is_under_the_project_root(
    sample_csv: Path, fake_parser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.settings.PROJECT_ROOT", tmp_path / "project")
    model = tmp_path / "chosen.tar.gz"
    model.write_bytes(b"")
    seen: List[Path] = []
    args = parse_args(["eval", "nlu", str(sample_csv), "--model", str(model)])
    assert handle_nlu(args, recording_factory(fake_parser, seen)) == 0
    assert seen == [model]
    assert (tmp_path / "project" / "results" / "eval" / "sample_confusion.png").is_file()


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        (("text",), [("hello",)], "missing column(s) intent"),
        (("text", "intent", "strength"), [("hello", "greet", "loud")], "unknown strength 'loud'"),
        (None, [], "the file is empty"),
    ],
)
def test_bad_csv_exits_2_with_a_message(
    write_csv: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
    header: Optional[tuple],
    rows: list,
    message: str,
) -> None:
    path = write_csv("bad.csv", rows, header=header)
    factory_calls: List[Path] = []
    args = parse_args(["eval", "nlu", str(path)])
    assert handle_nlu(args, recording_factory(None, factory_calls)) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert factory_calls == []  # no model is loaded for a bad file


def test_no_model_exits_2(sample_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert handle_nlu(parse_args(["eval", "nlu", str(sample_csv)])) == 2
    assert "no trained model" in capsys.readouterr().err


def test_missing_model_file_exits_2(
    sample_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse_args(["eval", "nlu", str(sample_csv), "--model", str(tmp_path / "x.tar.gz")])
    assert handle_nlu(args) == 2
    assert "model not found" in capsys.readouterr().err


def test_through_main(
    sample_csv: Path,
    fake_parser: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(bot.cli, "COMMAND_MODULES", ("bot.cli.evaluate",))
    monkeypatch.setattr(bot.cli.evaluate, "RasaNluParser", lambda model_path: fake_parser)
    model = tmp_path / "m.tar.gz"
    model.write_bytes(b"")
    out = tmp_path / "out"
    options = ["--model", str(model), "--out", str(out)]
    assert bot.cli.main(["eval", "nlu", str(sample_csv), str(sample_csv), *options]) == 2
    assert "would write the same reports" in capsys.readouterr().err
    assert bot.cli.main(["eval", "nlu", str(sample_csv), *options]) == 0
    assert "in-scope accuracy" in capsys.readouterr().out
    assert (out / "sample.json").is_file()

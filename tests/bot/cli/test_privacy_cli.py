from __future__ import annotations

from typing import Iterator, List

import pytest

from bot.cli import build_parser
from bot.cli import privacy as privacy_cli
from tests.bot.privacy.people import Person, build_jane, build_olga
from tests.support.stores import Stores, find_traces


@pytest.fixture
def jane(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> Iterator[Person]:
    monkeypatch.setattr("bot.settings.get_settings", lambda: stores.settings)
    build_olga(stores)
    yield build_jane(stores)


def run(argv: List[str], answer: str = "") -> int:
    args = build_parser().parse_args(argv)

    def ask(prompt: str) -> str:
        print(prompt)
        return answer

    return int(args.handler(args, ask=ask))


def test_the_command_is_registered() -> None:
    args = build_parser().parse_args(["privacy", "erase", "42", "--dry-run", "--yes"])

    assert args.handler is privacy_cli.erase_command
    assert (args.customer_id, args.dry_run, args.yes) == (42, True, True)


@pytest.mark.parametrize("bad", ["jane", "0", "-3"])
def test_a_customer_id_must_be_a_positive_number(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        build_parser().parse_args(["privacy", "erase", bad])

    assert raised.value.code == 2
    assert "positive whole number" in capsys.readouterr().err


def test_an_unknown_customer_is_an_error(
    stores: Stores, jane: Person, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["privacy", "erase", "999999", "--yes"]) == 1

    assert "There is no customer with id 999999; nothing was erased." in capsys.readouterr().err
    assert find_traces(stores, jane.needles) != []


def test_a_dry_run_shows_the_plan_and_changes_nothing(
    stores: Stores, jane: Person, capsys: pytest.CaptureFixture[str]
) -> None:
    before = find_traces(stores, jane.needles)

    assert run(["privacy", "erase", str(jane.customer_id), "--dry-run"]) == 0

    out = capsys.readouterr().out
    assert "Dry run: nothing was changed." in out
    assert f"Customer {jane.customer_id}: {len(jane.conversations)} conversation(s)" in out
    assert f"Would delete from the tracker store: {jane.events} event(s)" in out
    assert jane.export_file in out
    assert find_traces(stores, jane.needles) == before


def test_declining_the_confirmation_erases_nothing(
    stores: Stores, jane: Person, capsys: pytest.CaptureFixture[str]
) -> None:
    before = find_traces(stores, jane.needles)

    assert run(["privacy", "erase", str(jane.customer_id)], answer="no") == 1

    out = capsys.readouterr().out
    assert "This cannot be undone" in out
    assert "Nothing was erased." in out
    assert find_traces(stores, jane.needles) == before


def test_confirming_erases_the_customer(
    stores: Stores, jane: Person, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["privacy", "erase", str(jane.customer_id)], answer="yes") == 0

    out = capsys.readouterr().out
    assert f"Deleted from the tracker store: {jane.events} event(s)" in out
    assert "Orders kept for accounting, without personal data: 2" in out
    assert "Erasure requests completed: 1" in out
    assert find_traces(stores, jane.needles) == []


def test_yes_skips_the_question(
    stores: Stores, jane: Person, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["privacy", "erase", str(jane.customer_id), "--yes"], answer="no") == 0

    assert "This cannot be undone" not in capsys.readouterr().out
    assert find_traces(stores, jane.needles) == []


def test_no_answer_at_all_counts_as_no(stores: Stores, jane: Person) -> None:
    args = build_parser().parse_args(["privacy", "erase", str(jane.customer_id)])

    def closed_input(prompt: str) -> str:
        raise EOFError

    assert privacy_cli.erase_command(args, ask=closed_input) == 1
    assert find_traces(stores, jane.needles) != []

from __future__ import annotations

import argparse
from typing import Any, Dict, Optional

import pytest
from jsonschema import ValidationError
from rasa.cli.arguments.run import add_server_arguments
from rasa.core.actions.action import RemoteAction

from bot.runtime import rasa_entry

ORIGINAL_CHECK = RemoteAction._validate_action_result

RESPONSES = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_number", "value": "ORD-1"}], "responses": []},
    {"events": [], "responses": [{"text": "Your parcel is on its way.", "buttons": []}]},
    {"events": [{"event": "unknown_event_type"}], "responses": []},
    {"events": [{"no_event_key": True}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [], "responses": "not a list"},
    {"events": [{"event": "slot"}], "responses": []},
]


def outcome(check: Any, response: Dict[str, Any]) -> Optional[str]:
    try:
        check(RemoteAction("action_check_order", None), response)
    except ValidationError as error:
        return error.message
    return None


@pytest.mark.parametrize("response", RESPONSES)
def test_the_cached_check_accepts_and_rejects_exactly_what_rasa_does(response):
    assert outcome(rasa_entry.validate_action_result, response) == outcome(
        ORIGINAL_CHECK, response
    )


def test_rejected_responses_are_reported_with_rasas_hint():
    message = outcome(rasa_entry.validate_action_result, {"events": "not a list"})

    assert message is not None
    assert "Failed to validate Action server response from API" in message


def test_install_makes_remote_actions_use_the_cached_check(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL_CHECK)

    rasa_entry.install()

    assert RemoteAction._validate_action_result is rasa_entry.validate_action_result


SECRET = "-starts-with-a-dash-and-is-long-enough"


@pytest.mark.parametrize(
    "option", [["--jwt-secret-env", "RASA_JWT_SECRET"], ["--jwt-secret-env=RASA_JWT_SECRET"]]
)
def test_the_jwt_secret_comes_from_the_environment_not_the_command_line(option):
    argv = ["rasa", "run", "--enable-api", *option, "--jwt-method", "HS256"]

    parsed = rasa_entry.with_secret_from_environment(argv, {"RASA_JWT_SECRET": SECRET})

    assert parsed == [
        "rasa",
        "run",
        "--enable-api",
        f"--jwt-secret={SECRET}",
        "--jwt-method",
        "HS256",
    ]


def test_rasa_parses_the_secret_handed_over_even_when_it_starts_with_a_dash():
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    argv = rasa_entry.with_secret_from_environment(
        ["--enable-api", "--jwt-secret-env", "RASA_JWT_SECRET"], {"RASA_JWT_SECRET": SECRET}
    )

    assert parser.parse_args(argv).jwt_secret == SECRET


def test_a_command_line_without_the_option_is_left_alone():
    argv = ["rasa", "run", "--port", "5005"]

    assert rasa_entry.with_secret_from_environment(argv, {}) == argv


@pytest.mark.parametrize(
    "argv, environ",
    [
        (["rasa", "run", "--jwt-secret-env", "RASA_JWT_SECRET"], {}),
        (["rasa", "run", "--jwt-secret-env", "RASA_JWT_SECRET"], {"RASA_JWT_SECRET": ""}),
        (["rasa", "run", "--jwt-secret-env"], {"RASA_JWT_SECRET": SECRET}),
    ],
)
def test_a_missing_secret_stops_start_up_with_a_message(argv, environ):
    with pytest.raises(SystemExit, match="--jwt-secret-env"):
        rasa_entry.with_secret_from_environment(argv, environ)

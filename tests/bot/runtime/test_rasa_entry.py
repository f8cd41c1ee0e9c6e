from __future__ import annotations

from typing import Any, Dict, Optional

import pytest
from jsonschema import ValidationError
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

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import pytest

from actions.verification import CODE_LOCKED
from bot.handoff import escalation
from bot.handoff.escalation import Escalation, FallbackStep, decide, fallback_step
from bot.settings import Settings, load_settings
from tests.bot.handoff.events import action, fallback, pause, resume, user


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var_dir: Path = tmp_path_factory.mktemp("escalation-var")
    return load_settings({"BOT_VAR_DIR": str(var_dir)})


def ladder(messages: int, apologised_first: bool = False) -> List[Dict[str, Any]]:
    """Events of ``messages`` not understood, each answered by action_fallback except the last."""
    events: List[Dict[str, Any]] = []
    if apologised_first:
        events += [user("this is ridiculous", "complaint"), action("action_apologise")]
    for number in range(messages):
        events.append(fallback(f"gibberish {number}"))
        if number < messages - 1:
            events.append(action("action_fallback"))
    return events


def decide_on(events, settings, slots=None, active_loop=None):
    latest = next(e for e in reversed(events) if e["event"] == "user")["parse_data"]
    return decide(events, latest, slots or {}, settings, active_loop=active_loop)


def test_not_understood_suggests_then_apologises_then_hands_off():
    steps = [fallback_step(ladder(count)) for count in range(1, 5)]
    assert steps == [
        FallbackStep.SUGGEST,
        FallbackStep.APOLOGISE,
        FallbackStep.SUGGEST,
        FallbackStep.HAND_OFF,
    ]


def test_two_fallbacks_after_a_complaint_apology_go_to_a_person(settings):
    assert fallback_step(ladder(1, apologised_first=True)) is FallbackStep.SUGGEST
    events = ladder(2, apologised_first=True)
    assert fallback_step(events) is FallbackStep.HAND_OFF
    assert decide_on(events, settings) == Escalation("fallbacks after an apology")


def test_an_understood_message_starts_the_ladder_again():
    events = [*ladder(3), action("action_fallback"), user("where is my order", "order_status")]
    events += [action("order_status_form"), fallback()]
    assert fallback_step(events) is FallbackStep.SUGGEST
    assert fallback_step([*events, action("action_fallback"), fallback()]) is (
        FallbackStep.APOLOGISE
    )


def test_messages_to_the_agent_while_paused_do_not_count(settings):
    events = [*ladder(3), action("action_fallback")]
    events += [pause(), fallback("hello agent?"), fallback("anyone there"), resume()]
    events.append(fallback())
    assert fallback_step(events) is FallbackStep.SUGGEST
    assert decide_on(events, settings) is None


def test_the_fourth_fallback_in_a_row_is_handed_off(settings):
    assert decide_on(ladder(4), settings) == Escalation("fallbacks after an apology")
    assert decide_on(ladder(3), settings) is None


def test_asking_for_a_person(settings):
    events = [user("I want a human", "request_human")]
    assert decide_on(events, settings) == Escalation("customer asked for a person")


@pytest.mark.parametrize(
    ("score", "expected"),
    [(-0.95, "strongly negative message"), (-0.8, "strongly negative message"), (-0.79, None)],
)
def test_a_message_at_or_below_the_threshold_is_strongly_negative(settings, score, expected):
    events = [user("THIS IS THE THIRD TIME!!!", "complaint", score=score, label="negative")]
    result = decide_on(events, settings)
    assert (result.reason if result else None) == expected


def test_a_message_without_sentiment_is_not_escalated(settings):
    assert decide_on([user("where is my order", "order_status")], settings) is None


def test_the_damaged_item_and_privacy_flags(settings):
    events = [user("/inform", "inform")]
    damaged = decide_on(events, settings, {"escalation_flag": "item value €34.99 above €30"})
    privacy = decide_on(events, settings, {"escalation_flag": "privacy request needs staff"})
    assert damaged == Escalation("damaged item flagged")
    assert privacy == Escalation("privacy request needs staff")
    assert decide_on(events, settings, {"escalation_flag": None}) is None
    assert decide_on(events, settings, {"escalation_flag": "  "}) is None


def test_a_locked_verification_escalates_once_the_form_has_ended(settings):
    events = [user("123456", "inform")]
    locked = {"verification_code": CODE_LOCKED}
    assert decide_on(events, settings, locked) == Escalation("verification locked")
    assert decide_on(events, settings, locked, active_loop="order_status_form") is None
    assert decide_on(events, settings, {"verification_code": "verified"}) is None
    assert escalation.CODE_LOCKED == CODE_LOCKED


def test_the_most_specific_reason_wins(settings):
    angry_request = [user("GET ME A HUMAN NOW", "request_human", score=-0.9)]
    flagged = {"escalation_flag": "privacy request needs staff"}
    assert decide_on(angry_request, settings, flagged).reason == "customer asked for a person"
    angry = [user("useless!!!", "inform", score=-0.9)]
    assert decide_on(angry, settings, flagged).reason == "privacy request needs staff"


def test_nothing_is_decided_twice_for_the_same_message(settings):
    events = [user("awful!!!", "complaint", score=-0.9), action("action_apologise"), pause()]
    assert decide_on(events, settings) is None


def test_every_reason_is_one_of_the_shared_names():
    assert set(escalation.REASONS) == {
        "customer asked for a person",
        "fallbacks after an apology",
        "strongly negative message",
        "damaged item flagged",
        "verification locked",
        "privacy request needs staff",
    }

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

from actions.ratings import (
    NOT_A_RATING,
    NPS_QUESTION,
    NPS_SKIPPED,
    NPS_THANKS,
    RATING_NOT_SAVED,
    ActionAskCsat,
    ActionRecordRating,
    csat_thanks,
    typed_rating,
)
from bot.db.engine import get_engine, session_scope
from bot.db.models import Agent, AgentRole, SatisfactionRating
from bot.db.repositories.handoffs import claim_ticket, create_ticket, resolve_ticket
from bot.handoff.service import CSAT_QUESTION
from tests.actions.handoff_helpers import new_sender, tracker_of
from tests.bot.handoff.events import bot, user

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def rate(csat=None, nps=None, text=None):
    entities = []
    if csat is not None:
        entities.append({"entity": "csat_score", "value": csat})
    if nps is not None:
        entities.append({"entity": "nps_score", "value": nps})
    payload = "/rate_conversation" + json.dumps({e["entity"]: e["value"] for e in entities})
    return user(text or payload, "rate_conversation", entities=entities)


def run(action_class, history, sender):
    dispatcher = CollectingDispatcher()
    events = action_class().run(dispatcher, tracker_of(history, sender_id=sender), {})
    return events, dispatcher.messages


def stored(settings, sender):
    with session_scope(get_engine(settings.database_url)) as session:
        row = session.query(SatisfactionRating).filter_by(conversation_id=sender).one_or_none()
        if row is None:
            return None
        return (row.csat, row.nps, row.human_involved, row.agent_id)


ASKED = [user("where is my order", "order_status"), bot("It's on its way."), bot(CSAT_QUESTION)]


def test_csat_is_asked_with_five_star_buttons(demo_shop):
    history = [user("where is my order", "order_status"), user("bye", "goodbye")]
    events, [message] = run(ActionAskCsat, history, new_sender("ask"))
    assert events == []
    assert message["text"] == CSAT_QUESTION
    assert [b["payload"] for b in message["buttons"]] == [
        f'/rate_conversation{{"csat_score":"{n}"}}' for n in range(1, 6)
    ]


def test_csat_is_never_asked_twice_in_a_conversation(demo_shop):
    sender = new_sender("twice")
    assert run(ActionAskCsat, [*ASKED, user("bye", "goodbye")], sender)[1] == []
    rated = [user("help me", "help"), rate(csat="4"), user("bye", "goodbye")]
    assert run(ActionAskCsat, rated, sender)[1] == []


def test_a_conversation_of_small_talk_is_not_rated(demo_shop):
    history = [user("hi", "greet"), user("thanks", "thank"), user("bye", "goodbye")]
    assert run(ActionAskCsat, history, new_sender("small"))[1] == []


def test_a_star_rating_is_stored_then_nps_is_asked_once(demo_shop):
    sender = new_sender("stars")
    events, messages = run(ActionRecordRating, [*ASKED, rate(csat="4")], sender)
    assert events == []
    assert [m["text"] for m in messages] == [csat_thanks(4), NPS_QUESTION]
    assert messages[0]["text"] == "Thank you for the 4 stars, that's lovely to hear!"
    buttons = messages[1]["buttons"]
    assert [b["title"] for b in buttons] == [str(n) for n in range(11)] + ["No thanks"]
    assert buttons[9]["payload"] == '/rate_conversation{"nps_score":"9"}'
    assert buttons[-1]["payload"] == '/rate_conversation{"nps_score":"skip"}'
    assert stored(demo_shop, sender) == (4, None, False, None)

    asked_nps = [*ASKED, rate(csat="4"), bot(csat_thanks(4)), bot(NPS_QUESTION)]
    _, [thanks] = run(ActionRecordRating, [*asked_nps, rate(nps="9")], sender)
    assert thanks["text"] == NPS_THANKS
    assert stored(demo_shop, sender) == (4, 9, False, None)

    _, again = run(ActionRecordRating, [*asked_nps, rate(nps="9"), rate(csat="2")], sender)
    assert [m["text"] for m in again] == [csat_thanks(2)]
    assert stored(demo_shop, sender) == (2, 9, False, None)


def test_a_low_rating_gets_an_apology_not_a_cheer():
    assert "sorry we fell short" in csat_thanks(1)
    assert "sorry we fell short" in csat_thanks(2)
    assert "lovely" not in csat_thanks(3)


def test_declining_nps_keeps_the_csat_only(demo_shop):
    sender = new_sender("skip")
    run(ActionRecordRating, [*ASKED, rate(csat="5")], sender)
    history = [*ASKED, rate(csat="5"), bot(NPS_QUESTION), rate(nps="skip")]
    _, [message] = run(ActionRecordRating, history, sender)
    assert message["text"] == NPS_SKIPPED
    assert stored(demo_shop, sender) == (5, None, False, None)


def test_a_rating_after_a_handoff_records_the_agent(demo_shop):
    sender = new_sender("agent")
    with session_scope(get_engine(demo_shop.database_url)) as session:
        agent = Agent(name=f"agent-{uuid.uuid4().hex[:8]}", password_hash="x", role=AgentRole.AGENT)
        session.add(agent)
        session.flush()
        ticket = create_ticket(session, sender, "customer asked for a person", {}, now=NOW)
        claim_ticket(session, ticket.id, agent.id, NOW + timedelta(minutes=1))
        resolve_ticket(session, ticket.id, NOW + timedelta(minutes=8))
        agent_id = agent.id
    run(ActionRecordRating, [*ASKED, rate(csat="5")], sender)
    assert stored(demo_shop, sender) == (5, None, True, agent_id)


@pytest.mark.parametrize(
    ("text", "expecting", "expected"),
    [
        ("I'd give you 4 stars", "csat", ("csat", 4)),
        ("five stars from me", "csat", ("csat", 5)),
        ("3 out of 5", "nps", ("csat", 3)),
        ("9 out of 10", "csat", ("nps", 9)),
        ("9/10 would recommend", "csat", ("nps", 9)),
        ("a 7", "nps", ("nps", 7)),
        ("4", "csat", ("csat", 4)),
        ("1' OR '1'='1", "csat", None),
        ("<script>alert(1)</script>", "csat", None),
        ("someone stars in it", "csat", None),
    ],
)
def test_typed_ratings_are_read_from_the_text(text, expecting, expected):
    assert typed_rating(text, expecting) == expected


def test_a_typed_rating_is_stored_like_a_button(demo_shop):
    sender = new_sender("typed")
    run(ActionRecordRating, [*ASKED, rate(text="I'd give you 4 stars")], sender)
    assert stored(demo_shop, sender) == (4, None, False, None)


@pytest.mark.parametrize("text", ["1' OR '1'='1", "<script>alert(1)</script>"])
def test_script_or_sql_looking_text_is_not_a_rating(demo_shop, text):
    sender = new_sender("script")
    _, [message] = run(ActionRecordRating, [*ASKED, rate(text=text)], sender)
    assert message["text"] == NOT_A_RATING
    assert len(message["buttons"]) == 5
    assert stored(demo_shop, sender) is None


def test_a_score_off_the_scale_is_asked_again(demo_shop):
    sender = new_sender("off-scale")
    _, [message] = run(ActionRecordRating, [*ASKED, rate(csat="9")], sender)
    assert message["text"] == NOT_A_RATING
    assert stored(demo_shop, sender) is None
    _, [nps] = run(ActionRecordRating, [*ASKED, bot(NPS_QUESTION), rate(nps="12")], sender)
    assert nps["text"] == NOT_A_RATING and len(nps["buttons"]) == 12


def test_nps_before_any_stars_asks_for_the_stars(demo_shop):
    sender = new_sender("nps-first")
    _, [message] = run(ActionRecordRating, [*ASKED, rate(nps="8")], sender)
    assert message["text"] == CSAT_QUESTION
    assert stored(demo_shop, sender) is None


def test_a_database_failure_is_told_politely(demo_shop, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr("actions.ratings.record_csat", broken)
    sender = new_sender("broken")
    _, [message] = run(ActionRecordRating, [*ASKED, rate(csat="3")], sender)
    assert message["text"] == RATING_NOT_SAVED
    assert stored(demo_shop, sender) is None

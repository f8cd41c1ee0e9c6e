from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Dict

import jwt
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db.engine import session_scope
from bot.db.models import AuditEntry, Conversation, HandoffMessage, HandoffSender, HandoffTicket
from bot.db.repositories.handoffs import add_message, get_ticket
from bot.handoff.service import BACK_WITH_ASSISTANT, CSAT_QUESTION
from tests.bot.service.conftest import RASA_SECRET, FakeRasa, Team


async def claim(client: TestClient, team: Team, ticket_id: int, name: str) -> Any:
    return await client.post(f"/api/handoffs/{ticket_id}/claim", headers=team.auth(name))


async def reply(client: TestClient, team: Team, ticket_id: int, name: str, text: Any) -> Any:
    return await client.post(
        f"/api/handoffs/{ticket_id}/messages", headers=team.auth(name), json={"text": text}
    )


def stored_messages(engine: Engine, ticket_id: int) -> list:
    with session_scope(engine) as session:
        return [
            (message.sender, message.text)
            for message in session.execute(
                select(HandoffMessage).where(HandoffMessage.ticket_id == ticket_id)
            ).scalars()
        ]


def conversation_row(engine: Engine, conversation_id: str) -> Dict[str, Any]:
    with session_scope(engine) as session:
        row = session.execute(
            select(Conversation).where(Conversation.conversation_id == conversation_id)
        ).scalar_one_or_none()
        return {"human_involved": row.human_involved} if row is not None else {}


async def test_queue_lists_waiting_tickets_with_position_and_context(
    client: TestClient, team: Team, make_ticket
) -> None:
    first = make_ticket("conv-1", minutes=0)
    second = make_ticket("conv-2", minutes=5, name=None, reason="strongly negative message")
    await claim(client, team, make_ticket("conv-3", minutes=2), "Sam")

    response = await client.get("/api/handoffs?status=waiting", headers=team.auth("Priya"))
    assert response.status == 200
    tickets = (await response.json())["handoffs"]
    assert [(t["id"], t["queue_position"]) for t in tickets] == [(first, 1), (second, 2)]
    ticket = tickets[0]
    assert ticket["conversation_id"] == "conv-1"
    assert ticket["status"] == "waiting"
    assert ticket["reason"] == "customer asked for a person"
    assert ticket["customer_name"] == "Jane Doe"
    assert ticket["claimed_by"] is None and ticket["claimed_at"] is None
    assert datetime.fromisoformat(ticket["created_at"]).utcoffset() is not None
    assert ticket["context"]["last_intents"] == ["order_status", "request_human"]
    assert ticket["context"]["customer"]["tier"] == "gold"
    assert tickets[1]["customer_name"] is None

    response = await client.get("/api/handoffs", headers=team.auth("Priya"))
    assert [t["conversation_id"] for t in (await response.json())["handoffs"]] == [
        "conv-1",
        "conv-3",
        "conv-2",
    ]
    response = await client.get("/api/handoffs?status=claimed", headers=team.auth("Priya"))
    claimed = (await response.json())["handoffs"]
    assert [(t["conversation_id"], t["queue_position"]) for t in claimed] == [("conv-3", None)]


async def test_unknown_status_filter_is_a_400(client: TestClient, team: Team) -> None:
    response = await client.get("/api/handoffs?status=lost", headers=team.auth("Sam"))
    assert response.status == 400
    assert "waiting, claimed, resolved" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/handoffs/999"),
        ("GET", "/api/handoffs/999/messages"),
        ("POST", "/api/handoffs/999/claim"),
        ("POST", "/api/handoffs/999/resolve"),
        ("GET", "/api/handoffs/99999999999999"),
    ],
)
async def test_unknown_ticket_is_a_404(
    client: TestClient, team: Team, method: str, path: str
) -> None:
    response = await client.request(method, path, headers=team.auth("Ada"))
    assert response.status == 404
    assert "error" in await response.json()


async def test_reply_to_unknown_ticket_is_a_404(client: TestClient, team: Team) -> None:
    response = await reply(client, team, 999, "Ada", "Hello")
    assert response.status == 404
    assert (await response.json()) == {"error": "There is no handoff ticket 999."}


async def test_claim_gives_the_ticket_to_the_agent_and_marks_a_human_involved(
    client: TestClient, team: Team, make_ticket, service_engine: Engine
) -> None:
    ticket_id = make_ticket("conv-claim")
    response = await claim(client, team, ticket_id, "Sam")
    assert response.status == 200
    ticket = await response.json()
    assert ticket["status"] == "claimed"
    assert ticket["claimed_by"] == {"id": team.members["Sam"].id, "name": "Sam"}
    assert ticket["claimed_at"] is not None
    assert ticket["queue_position"] is None
    assert conversation_row(service_engine, "conv-claim") == {"human_involved": True}
    with session_scope(service_engine) as session:
        changes = {
            (entry.field, entry.old_value, entry.new_value)
            for entry in session.execute(
                select(AuditEntry).where(AuditEntry.entity == "handoff_ticket")
            ).scalars()
        }
    assert changes == {("status", "waiting", "claimed"), ("claimed_by", None, "Sam")}


async def test_a_second_agent_loses_the_claim_with_409(
    client: TestClient, team: Team, make_ticket
) -> None:
    ticket_id = make_ticket("conv-race")
    assert (await claim(client, team, ticket_id, "Sam")).status == 200
    response = await claim(client, team, ticket_id, "Priya")
    assert response.status == 409
    assert (await response.json()) == {
        "error": "already claimed",
        "claimed_by": {"id": team.members["Sam"].id, "name": "Sam"},
    }
    # Claiming one's own ticket again (a double click) is fine.
    response = await claim(client, team, ticket_id, "Sam")
    assert response.status == 200


async def test_simultaneous_claims_have_exactly_one_winner(
    client: TestClient, team: Team, make_ticket, service_engine: Engine
) -> None:
    for round_number in range(3):
        ticket_id = make_ticket(f"conv-simultaneous-{round_number}")
        responses = await asyncio.gather(
            claim(client, team, ticket_id, "Sam"),
            claim(client, team, ticket_id, "Priya"),
            claim(client, team, ticket_id, "Ada"),
        )
        statuses = sorted(response.status for response in responses)
        assert statuses == [200, 409, 409]
        winner = next(r for r in responses if r.status == 200)
        winner_name = (await winner.json())["claimed_by"]["name"]
        with session_scope(service_engine) as session:
            assert get_ticket(session, ticket_id).claimed_by.name == winner_name


async def test_claimed_by_agent_reply_reaches_rasa_and_the_transcript(
    client: TestClient, team: Team, make_ticket, fake_rasa: FakeRasa, service_engine: Engine
) -> None:
    ticket_id = make_ticket("conv-reply")
    await claim(client, team, ticket_id, "Sam")
    response = await reply(client, team, ticket_id, "Sam", "  Hi Jane, I'm looking at it now.  ")
    assert response.status == 201
    message = await response.json()
    assert message["sender"] == "agent"
    assert message["agent"] == "Sam"
    assert message["text"] == "Hi Jane, I'm looking at it now."

    [sent] = fake_rasa.requests
    assert sent.method == "POST"
    assert sent.path == "/conversations/conv-reply/tracker/events"
    assert sent.query == {"output_channel": "latest", "execute_side_effects": "true"}
    assert sent.body == [
        {"event": "bot", "text": "Hi Jane, I'm looking at it now.", "metadata": {"agent": "Sam"}}
    ]
    token = sent.headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, RASA_SECRET, algorithms=["HS256"])
    assert claims["user"] == {"username": "bot-service", "role": "admin"}
    assert stored_messages(service_engine, ticket_id) == [
        (HandoffSender.AGENT, "Hi Jane, I'm looking at it now.")
    ]


async def test_messages_list_shows_customer_and_agent_messages_after_an_id(
    client: TestClient, team: Team, make_ticket, service_engine: Engine
) -> None:
    ticket_id = make_ticket("conv-thread")
    with session_scope(service_engine) as session:
        ticket = get_ticket(session, ticket_id)
        first = add_message(session, ticket, HandoffSender.CUSTOMER, "Still waiting!", "evt-1")
        first_id = first.id
    await claim(client, team, ticket_id, "Sam")
    await reply(client, team, ticket_id, "Sam", "Sorry about that, Jane.")

    response = await client.get(f"/api/handoffs/{ticket_id}/messages", headers=team.auth("Priya"))
    messages = (await response.json())["messages"]
    assert [(m["sender"], m["agent"], m["text"]) for m in messages] == [
        ("customer", None, "Still waiting!"),
        ("agent", "Sam", "Sorry about that, Jane."),
    ]
    response = await client.get(
        f"/api/handoffs/{ticket_id}/messages?after={first_id}", headers=team.auth("Priya")
    )
    assert [m["text"] for m in (await response.json())["messages"]] == ["Sorry about that, Jane."]
    response = await client.get(
        f"/api/handoffs/{ticket_id}/messages?after=soon", headers=team.auth("Priya")
    )
    assert response.status == 400


async def test_only_the_claiming_agent_or_an_admin_may_reply(
    client: TestClient, team: Team, make_ticket, fake_rasa: FakeRasa
) -> None:
    ticket_id = make_ticket("conv-owner")
    await claim(client, team, ticket_id, "Sam")
    response = await reply(client, team, ticket_id, "Priya", "I can help!")
    assert response.status == 403
    assert "Only the agent who claimed" in (await response.json())["error"]
    assert fake_rasa.requests == []
    response = await reply(client, team, ticket_id, "Ada", "Admin here.")
    assert response.status == 201
    assert (await response.json())["agent"] == "Ada"


async def test_reply_before_claiming_is_refused(
    client: TestClient, team: Team, make_ticket, fake_rasa: FakeRasa
) -> None:
    ticket_id = make_ticket("conv-unclaimed")
    response = await reply(client, team, ticket_id, "Ada", "Hello?")
    assert response.status == 409
    assert (await response.json()) == {"error": "Please claim this conversation before replying."}
    assert fake_rasa.requests == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Please write a reply before sending."),
        ("   \n ", "Please write a reply before sending."),
        (None, "Please write a reply before sending."),
        (42, "Please write a reply before sending."),
        ("x" * 2001, "Replies can be at most 2,000 characters; this one has 2,001."),
    ],
)
async def test_empty_or_over_long_replies_are_a_400(
    client: TestClient,
    team: Team,
    make_ticket,
    fake_rasa: FakeRasa,
    service_engine: Engine,
    text: Any,
    error: str,
) -> None:
    ticket_id = make_ticket("conv-bad-reply")
    await claim(client, team, ticket_id, "Sam")
    response = await reply(client, team, ticket_id, "Sam", text)
    assert response.status == 400
    assert (await response.json()) == {"error": error}
    assert fake_rasa.requests == []
    assert stored_messages(service_engine, ticket_id) == []


async def test_a_reply_of_exactly_2000_characters_is_sent(
    client: TestClient, team: Team, make_ticket
) -> None:
    ticket_id = make_ticket("conv-long")
    await claim(client, team, ticket_id, "Sam")
    assert (await reply(client, team, ticket_id, "Sam", "y" * 2000)).status == 201


@pytest.mark.parametrize("body", ["{not json", '"just text"', "[]"])
async def test_reply_body_must_be_a_json_object(
    client: TestClient, team: Team, make_ticket, body: str
) -> None:
    ticket_id = make_ticket("conv-json")
    await claim(client, team, ticket_id, "Sam")
    response = await client.post(
        f"/api/handoffs/{ticket_id}/messages",
        data=body,
        headers={**team.auth("Sam"), "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert (await response.json()) == {"error": "Please send a JSON object in the request body."}


async def test_script_and_sql_looking_replies_are_sent_as_plain_text(
    client: TestClient, team: Team, make_ticket, fake_rasa: FakeRasa, service_engine: Engine
) -> None:
    ticket_id = make_ticket("conv-odd")
    await claim(client, team, ticket_id, "Sam")
    for text in ("<script>alert(1)</script>", "1' OR '1'='1"):
        assert (await reply(client, team, ticket_id, "Sam", text)).status == 201
    assert [event["text"] for event in fake_rasa.events_for("conv-odd")] == [
        "<script>alert(1)</script>",
        "1' OR '1'='1",
    ]
    assert [text for _, text in stored_messages(service_engine, ticket_id)] == [
        "<script>alert(1)</script>",
        "1' OR '1'='1",
    ]


async def test_when_rasa_is_down_the_reply_is_not_recorded(
    client: TestClient, team: Team, make_ticket, fake_rasa: FakeRasa, service_engine: Engine
) -> None:
    ticket_id = make_ticket("conv-down")
    await claim(client, team, ticket_id, "Sam")
    fake_rasa.status = 500
    response = await reply(client, team, ticket_id, "Sam", "Are you there?")
    assert response.status == 502
    assert "nothing was sent" in (await response.json())["error"]
    assert stored_messages(service_engine, ticket_id) == []


async def test_resolve_hands_back_to_the_assistant_and_asks_for_a_rating(
    client: TestClient, team: Team, make_ticket, fake_rasa: FakeRasa, service_engine: Engine
) -> None:
    ticket_id = make_ticket("conv-resolve")
    await claim(client, team, ticket_id, "Sam")
    response = await client.post(f"/api/handoffs/{ticket_id}/resolve", headers=team.auth("Sam"))
    assert response.status == 200
    ticket = await response.json()
    assert ticket["status"] == "resolved"
    assert ticket["resolved_at"] is not None

    [sent] = fake_rasa.requests
    assert sent.path == "/conversations/conv-resolve/tracker/events"
    assert sent.query == {"output_channel": "latest", "execute_side_effects": "true"}
    resume, back, csat, listen = sent.body
    assert resume == {"event": "resume"}
    # The answer to the rating question must follow an action_listen to match its rule.
    assert listen == {"event": "action", "name": "action_listen"}
    assert back == {"event": "bot", "text": BACK_WITH_ASSISTANT}
    assert back["text"].startswith("You're back with the assistant.")
    assert csat["event"] == "bot" and csat["text"] == CSAT_QUESTION
    assert [button["payload"] for button in csat["data"]["buttons"]] == [
        f'/rate_conversation{{"csat_score":"{n}"}}' for n in range(1, 6)
    ]
    assert csat["data"]["buttons"][0]["title"] == "1 ★"
    assert conversation_row(service_engine, "conv-resolve") == {"human_involved": True}

    response = await client.post(f"/api/handoffs/{ticket_id}/resolve", headers=team.auth("Sam"))
    assert response.status == 409
    assert (await response.json()) == {"error": "already resolved"}
    response = await reply(client, team, ticket_id, "Sam", "One more thing")
    assert response.status == 409
    response = await claim(client, team, ticket_id, "Priya")
    assert response.status == 409
    assert len(fake_rasa.requests) == 1


async def test_resolve_marks_an_existing_conversation_as_human_involved(
    client: TestClient, team: Team, make_ticket, service_engine: Engine
) -> None:
    with session_scope(service_engine) as session:
        session.add(Conversation(conversation_id="conv-known", channel="rest", customer_messages=3))
    ticket_id = make_ticket("conv-known")
    await claim(client, team, ticket_id, "Sam")
    await client.post(f"/api/handoffs/{ticket_id}/resolve", headers=team.auth("Sam"))
    with session_scope(service_engine) as session:
        row = session.execute(
            select(Conversation).where(Conversation.conversation_id == "conv-known")
        ).scalar_one()
        assert (row.human_involved, row.customer_messages) == (True, 3)


async def test_only_the_claiming_agent_or_an_admin_may_resolve(
    client: TestClient, team: Team, make_ticket, fake_rasa: FakeRasa
) -> None:
    ticket_id = make_ticket("conv-resolve-owner")
    waiting_id = make_ticket("conv-resolve-waiting")
    await claim(client, team, ticket_id, "Sam")
    response = await client.post(f"/api/handoffs/{ticket_id}/resolve", headers=team.auth("Priya"))
    assert response.status == 403
    response = await client.post(f"/api/handoffs/{waiting_id}/resolve", headers=team.auth("Priya"))
    assert response.status == 403
    assert fake_rasa.requests == []
    response = await client.post(f"/api/handoffs/{ticket_id}/resolve", headers=team.auth("Ada"))
    assert response.status == 200
    response = await client.post(f"/api/handoffs/{waiting_id}/resolve", headers=team.auth("Ada"))
    assert response.status == 200


async def test_when_rasa_is_down_the_ticket_stays_open(
    client: TestClient, team: Team, make_ticket, fake_rasa: FakeRasa, service_engine: Engine
) -> None:
    ticket_id = make_ticket("conv-resolve-down")
    await claim(client, team, ticket_id, "Sam")
    fake_rasa.status = 503
    response = await client.post(f"/api/handoffs/{ticket_id}/resolve", headers=team.auth("Sam"))
    assert response.status == 502
    with session_scope(service_engine) as session:
        ticket = session.get(HandoffTicket, ticket_id)
        assert ticket.status.value == "claimed"
        assert ticket.resolved_at is None
    fake_rasa.status = 200
    response = await client.post(f"/api/handoffs/{ticket_id}/resolve", headers=team.auth("Sam"))
    assert response.status == 200

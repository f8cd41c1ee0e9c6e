from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any, Dict

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.db.engine import session_scope
from bot.db.models import AuditEntry
from bot.db.repositories.follow_ups import raise_follow_up
from tests.bot.service.conftest import T0, Team


@pytest.fixture
def follow_ups(service_engine: Engine) -> Dict[str, int]:
    """Three items: a low, a high and a middle priority one."""
    items = [
        ("conv-low", "complaint", 10),
        ("conv-high", "message at or below the sentiment threshold", 80),
        ("conv-mid", "two negative messages in a row", 40),
    ]
    ids = {}
    with session_scope(service_engine) as session:
        for minutes, (conversation_id, reason, priority) in enumerate(items):
            item = raise_follow_up(
                session, conversation_id, reason, priority, now=T0 + timedelta(minutes=minutes)
            )
            ids[conversation_id] = item.id
    return ids


async def patch(client: TestClient, team: Team, item_id: int, body: Any, name: str = "Sam") -> Any:
    return await client.patch(f"/api/followups/{item_id}", headers=team.auth(name), json=body)


async def test_list_is_most_urgent_first(
    client: TestClient, team: Team, follow_ups: Dict[str, int]
) -> None:
    response = await client.get("/api/followups", headers=team.auth("Sam"))
    assert response.status == 200
    items = (await response.json())["followups"]
    assert [item["conversation_id"] for item in items] == ["conv-high", "conv-mid", "conv-low"]
    high = items[0]
    assert high == {
        "id": follow_ups["conv-high"],
        "conversation_id": "conv-high",
        "customer_id": None,
        "reason": "message at or below the sentiment threshold",
        "priority": 80,
        "status": "open",
        "assignee": None,
        "notes": "",
        "created_at": (T0 + timedelta(minutes=1)).isoformat(),
        "updated_at": (T0 + timedelta(minutes=1)).isoformat(),
    }


async def test_list_filters_by_status(
    client: TestClient, team: Team, follow_ups: Dict[str, int]
) -> None:
    await patch(client, team, follow_ups["conv-mid"], {"status": "done"})
    response = await client.get("/api/followups?status=done", headers=team.auth("Sam"))
    assert [i["conversation_id"] for i in (await response.json())["followups"]] == ["conv-mid"]
    response = await client.get("/api/followups?status=open", headers=team.auth("Sam"))
    assert [i["conversation_id"] for i in (await response.json())["followups"]] == [
        "conv-high",
        "conv-low",
    ]
    response = await client.get("/api/followups?status=closed", headers=team.auth("Sam"))
    assert response.status == 400


async def test_patch_changes_status_assignee_and_notes_with_audit_rows(
    client: TestClient, team: Team, follow_ups: Dict[str, int], service_engine: Engine
) -> None:
    item_id = follow_ups["conv-low"]
    priya = team.members["Priya"]
    response = await patch(
        client,
        team,
        item_id,
        {
            "status": "in_progress",
            "assignee_id": priya.id,
            "notes": "Called back, left a voicemail",
        },
    )
    assert response.status == 200
    item = await response.json()
    assert item["status"] == "in_progress"
    assert item["assignee"] == {"id": priya.id, "name": "Priya"}
    assert item["notes"] == "Called back, left a voicemail"
    assert item["updated_at"] > item["created_at"]
    assert item["priority"] == 10 and item["reason"] == "complaint"

    response = await patch(client, team, item_id, {"assignee_id": None})
    assert (await response.json())["assignee"] is None
    assert (await response.json())["notes"] == "Called back, left a voicemail"

    with session_scope(service_engine) as session:
        changes = [
            (entry.conversation_id, entry.field, entry.old_value, entry.new_value)
            for entry in session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "follow_up", AuditEntry.entity_id == str(item_id))
                .order_by(AuditEntry.id)
            ).scalars()
        ]
    assert changes == [
        ("conv-low", "status", "open", "in_progress"),
        ("conv-low", "assignee", None, "Priya"),
        ("conv-low", "notes", "", "Called back, left a voicemail"),
        ("conv-low", "assignee", "Priya", None),
    ]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, "Nothing to change: send status, assignee_id or notes."),
        ({"priority": 99}, "These fields cannot be changed: priority."),
        ({"status": "closed"}, "status must be one of open, in_progress, done."),
        ({"assignee_id": "Sam"}, "assignee_id must be an agent's id, or null to unassign."),
        ({"assignee_id": True}, "assignee_id must be an agent's id, or null to unassign."),
        ({"assignee_id": 987654}, "There is no active agent with id 987654."),
        ({"notes": 12}, "notes must be text."),
        ({"notes": "n" * 4001}, "Notes can be at most 4,000 characters; these have 4,001."),
    ],
)
async def test_bad_changes_are_a_400_and_change_nothing(
    client: TestClient, team: Team, follow_ups: Dict[str, int], body: Any, error: str
) -> None:
    item_id = follow_ups["conv-low"]
    response = await patch(client, team, item_id, body)
    assert response.status == 400
    assert (await response.json())["error"].startswith(error)
    response = await client.get("/api/followups", headers=team.auth("Sam"))
    low = next(i for i in (await response.json())["followups"] if i["id"] == item_id)
    assert (low["status"], low["assignee"], low["notes"]) == ("open", None, "")


async def test_an_inactive_agent_cannot_be_assigned(
    client: TestClient, team: Team, follow_ups: Dict[str, int]
) -> None:
    team.deactivate("Priya")
    response = await patch(
        client, team, follow_ups["conv-low"], {"assignee_id": team.members["Priya"].id}
    )
    assert response.status == 400


async def test_patch_of_unknown_item_is_a_404(client: TestClient, team: Team) -> None:
    response = await patch(client, team, 4242, {"status": "done"})
    assert response.status == 404
    assert (await response.json()) == {"error": "There is no follow-up 4242."}


async def test_patch_with_bad_json_is_a_400(
    client: TestClient, team: Team, follow_ups: Dict[str, int]
) -> None:
    response = await client.patch(
        f"/api/followups/{follow_ups['conv-low']}",
        data="status=done",
        headers={**team.auth("Sam"), "Content-Type": "application/json"},
    )
    assert response.status == 400


async def test_csv_export_for_admins_is_spreadsheet_safe(
    client: TestClient, team: Team, follow_ups: Dict[str, int]
) -> None:
    await patch(
        client,
        team,
        follow_ups["conv-high"],
        {"notes": '=HYPERLINK("http://evil")', "assignee_id": team.members["Sam"].id},
    )
    response = await client.get("/api/followups.csv", headers=team.auth("Ada"))
    assert response.status == 200
    assert response.content_type == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="follow-ups-')
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [row["conversation_id"] for row in rows] == ["conv-high", "conv-mid", "conv-low"]
    high = rows[0]
    assert high["notes"] == '\'=HYPERLINK("http://evil")'
    assert high["assignee"] == "Sam"
    assert high["priority"] == "80"
    assert high["status"] == "open"
    assert rows[2]["assignee"] == ""


async def test_csv_export_is_refused_to_agents(
    client: TestClient, team: Team, follow_ups: Dict[str, int]
) -> None:
    response = await client.get("/api/followups.csv", headers=team.auth("Sam"))
    assert response.status == 403

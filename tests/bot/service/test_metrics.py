from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Optional

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from bot.db.engine import session_scope
from bot.db.models import (
    Conversation,
    HandoffStatus,
    HandoffTicket,
    MessageSentiment,
    SatisfactionRating,
    SentimentLabel,
)
from bot.metrics.charts import UnknownChartError, render_chart
from bot.metrics.queries import DaySentiment, percentile, support_metrics
from tests.bot.service.conftest import Team

DAY1 = datetime(2024, 6, 3, 9, 0, tzinfo=timezone.utc)
DAY2 = datetime(2024, 6, 4, 23, 30, tzinfo=timezone.utc)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def add_message(
    session: Session, n: int, at: datetime, score: float, intent: Optional[str] = "order_status"
) -> None:
    label = SentimentLabel.NEGATIVE if score < -0.05 else SentimentLabel.NEUTRAL
    session.add(
        MessageSentiment(
            conversation_id=f"conv-{n % 4}",
            message_id=f"msg-{n}",
            channel="rest",
            intent=intent,
            score=score,
            label=label,
            text_redacted="text",
            created_at=at,
        )
    )


def add_ticket(session: Session, reason: str, at: datetime, wait: Optional[int]) -> None:
    session.add(
        HandoffTicket(
            conversation_id=f"conv-{reason}-{at.isoformat()}-{wait}",
            reason=reason,
            status=HandoffStatus.CLAIMED if wait is not None else HandoffStatus.WAITING,
            context="{}",
            created_at=at,
            claimed_at=at + timedelta(seconds=wait) if wait is not None else None,
        )
    )


def add_rating(session: Session, n: int, csat: int, nps: Optional[int], human: bool) -> None:
    session.add(
        SatisfactionRating(
            conversation_id=f"rated-{n}", csat=csat, nps=nps, human_involved=human, created_at=DAY2
        )
    )


def fill(session: Session) -> None:
    for n, human in enumerate([False, False, True, False]):
        session.add(
            Conversation(conversation_id=f"conv-{n}", human_involved=human, started_at=DAY1)
        )
    add_message(session, 1, DAY1, -0.5, intent="nlu_fallback")
    add_message(session, 2, DAY1 + timedelta(hours=3), 0.5)
    add_message(session, 3, DAY2, -0.9, intent="nlu_fallback")
    add_message(session, 4, DAY2 + timedelta(minutes=10), -0.3, intent=None)
    add_message(session, 5, DAY2 - timedelta(hours=20), 0.0)
    add_ticket(session, "customer asked for a person", DAY1, 60)
    add_ticket(session, "customer asked for a person", DAY1, None)
    add_ticket(session, "strongly negative message", DAY2, 120)
    add_rating(session, 1, 4, 10, human=False)
    add_rating(session, 2, 5, 9, human=False)
    add_rating(session, 3, 2, 3, human=True)
    add_rating(session, 4, 5, 7, human=False)
    add_rating(session, 5, 3, None, human=True)
    session.flush()


def test_metrics_follow_their_definitions(db_session: Session) -> None:
    fill(db_session)
    metrics = support_metrics(db_session)
    assert metrics.conversations == 4
    assert metrics.containment_rate == 0.75
    assert metrics.escalations_by_reason == {
        "customer asked for a person": 2,
        "strongly negative message": 1,
    }
    assert list(metrics.escalations_by_reason) == [
        "customer asked for a person",
        "strongly negative message",
    ]
    assert metrics.fallback_rate == 0.4
    assert metrics.handoff_wait_average == 90.0
    assert metrics.handoff_wait_p95 == 120.0
    assert metrics.csat_bot_only == pytest.approx(4.67)
    assert metrics.csat_human == 2.5
    # Promoters 10 and 9, detractor 3, passive 7: (2 - 1) / 4.
    assert metrics.nps == 25.0
    assert metrics.sentiment_per_day == [
        DaySentiment(day=date(2024, 6, 3), average=0.0, messages=2),
        DaySentiment(day=date(2024, 6, 4), average=-0.4, messages=3),
    ]


def test_metrics_json_has_the_contract_shape(db_session: Session) -> None:
    fill(db_session)
    data = support_metrics(db_session).as_json()
    assert data["handoff_wait_seconds"] == {"average": 90.0, "p95": 120.0}
    assert data["csat"] == {"bot_only": pytest.approx(4.67), "human": 2.5}
    assert data["sentiment_per_day"][1] == {"day": "2024-06-04", "average": -0.4, "messages": 3}
    assert set(data) == {
        "conversations",
        "containment_rate",
        "escalations_by_reason",
        "fallback_rate",
        "handoff_wait_seconds",
        "csat",
        "nps",
        "sentiment_per_day",
    }


def test_an_empty_database_has_no_rates_rather_than_zeroes(db_session: Session) -> None:
    data = support_metrics(db_session).as_json()
    assert data == {
        "conversations": 0,
        "containment_rate": None,
        "escalations_by_reason": {},
        "fallback_rate": None,
        "handoff_wait_seconds": {"average": None, "p95": None},
        "csat": {"bot_only": None, "human": None},
        "nps": None,
        "sentiment_per_day": [],
    }


def test_since_limits_every_metric_to_the_period(db_session: Session) -> None:
    fill(db_session)
    metrics = support_metrics(db_session, since=DAY2 - timedelta(hours=1))
    assert metrics.conversations == 0
    assert metrics.escalations_by_reason == {"strongly negative message": 1}
    assert metrics.handoff_wait_average == 120.0
    assert metrics.fallback_rate == 0.5
    assert [day.messages for day in metrics.sentiment_per_day] == [2]


def test_p95_is_the_nearest_rank() -> None:
    assert percentile([float(n) for n in range(20, 0, -1)], 0.95) == 19.0
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([], 0.95) is None


@pytest.mark.parametrize("name", ["sentiment", "escalations", "csat"])
def test_every_chart_is_a_png_with_or_without_data(db_session: Session, name: str) -> None:
    empty = render_chart(name, support_metrics(db_session))
    fill(db_session)
    full = render_chart(name, support_metrics(db_session))
    assert empty.startswith(PNG_SIGNATURE) and full.startswith(PNG_SIGNATURE)
    assert empty != full


def test_unknown_chart_name_is_an_error(db_session: Session) -> None:
    with pytest.raises(UnknownChartError):
        render_chart("pie", support_metrics(db_session))


async def test_admin_gets_the_metrics(
    client: TestClient, team: Team, service_engine: Engine
) -> None:
    with session_scope(service_engine) as session:
        fill(session)
    response = await client.get("/api/metrics", headers=team.auth("Ada"))
    assert response.status == 200
    data = await response.json()
    assert data["conversations"] == 4
    assert data["containment_rate"] == 0.75
    assert data["nps"] == 25.0
    assert data["escalations_by_reason"]["customer asked for a person"] == 2
    response = await client.get("/api/metrics?days=7", headers=team.auth("Ada"))
    assert (await response.json())["conversations"] == 0


@pytest.mark.parametrize("days", ["week", "-1", "100000"])
async def test_bad_period_is_a_400(client: TestClient, team: Team, days: str) -> None:
    response = await client.get(f"/api/metrics?days={days}", headers=team.auth("Ada"))
    assert response.status == 400


@pytest.mark.parametrize("name", ["sentiment", "escalations", "csat"])
async def test_admin_gets_chart_pngs(client: TestClient, team: Team, name: str) -> None:
    response = await client.get(f"/api/metrics/charts/{name}.png", headers=team.auth("Ada"))
    assert response.status == 200
    assert response.content_type == "image/png"
    assert (await response.read()).startswith(PNG_SIGNATURE)


async def test_unknown_chart_is_a_404(client: TestClient, team: Team) -> None:
    response = await client.get("/api/metrics/charts/pie.png", headers=team.auth("Ada"))
    assert response.status == 404
    assert "no chart called 'pie'" in (await response.json())["error"]


async def test_metrics_are_refused_to_agents(client: TestClient, team: Team) -> None:
    for path in ("/api/metrics", "/api/metrics/charts/csat.png"):
        response = await client.get(path, headers=team.auth("Priya"))
        assert response.status == 403

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import AuditEntry, HandoffStatus, HandoffTicket
from bot.db.repositories.handoffs import resolve_ticket
from bot.handoff.queue_status import (
    describe_wait,
    enqueue,
    handoff_intro,
    next_opening,
    queue_message,
)
from bot.knowledge.policies import load_policies

# Dublin is on UTC in winter: 25 Nov 2026 is a Wednesday.
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
STAY = "Stay in this chat: their replies will appear right here."


@pytest.fixture(scope="module")
def contact():
    return load_policies().contact


def test_in_opening_hours_the_customer_hears_their_place_and_the_wait(contact):
    assert queue_message(3, 6, contact, WEDNESDAY_NOON) == (
        f"You're number 3 in the queue, so someone should be with you in about 18 minutes. {STAY}"
    )
    assert queue_message(1, 6, contact, WEDNESDAY_NOON) == (
        f"You're next in the queue, so someone should be with you in about 6 minutes. {STAY}"
    )
    assert queue_message(2, 10, contact, WEDNESDAY_NOON, already_queued=True).startswith(
        "You're still number 2 in the queue, so someone should be with you in about 20 minutes."
    )


def test_a_wait_past_closing_time_says_when_the_team_picks_it_up(contact):
    evening = datetime(2026, 11, 25, 19, 30, tzinfo=timezone.utc)
    text = queue_message(10, 6, contact, evening)
    assert "in about 1 hour" in text
    assert text.endswith(
        "If the team closes before they reach you, they'll pick it up when they're back "
        "tomorrow at 08:00."
    )
    assert "closes" not in queue_message(2, 6, contact, evening)


def test_outside_opening_hours_the_customer_hears_when_they_will_hear_back(contact):
    saturday_evening = datetime(2026, 11, 28, 18, 0, tzinfo=timezone.utc)
    email = contact.channels["email"].address
    assert queue_message(2, 6, contact, saturday_evening) == (
        "Our team is away right now, but I've kept your place for them. You're number 2 in the "
        "queue for when they're back on Monday at 08:00 (Europe/Dublin time), so you should hear "
        f"from them here by about 08:12. If you'd rather, an email to {email} reaches them any "
        "time."
    )
    early = datetime(2026, 11, 25, 6, 0, tzinfo=timezone.utc)
    assert "back today at 08:00" in queue_message(1, 6, contact, early)
    friday_night = datetime(2026, 11, 27, 21, 0, tzinfo=timezone.utc)
    assert "back tomorrow at 09:00" in queue_message(1, 6, contact, friday_night)


def test_opening_hours_are_local_time_in_summer(contact):
    # 07:30 UTC is 08:30 in Dublin in July: open.
    summer = datetime(2026, 7, 1, 7, 30, tzinfo=timezone.utc)
    assert queue_message(1, 6, contact, summer).startswith("You're next in the queue")
    before = datetime(2026, 7, 1, 6, 30, tzinfo=timezone.utc)
    opening = next_opening(contact, before)
    assert opening is not None and opening.astimezone(timezone.utc).hour == 7


def test_a_timetable_without_open_days_still_queues(contact):
    closed = dataclasses.replace(contact, hours={day: None for day in contact.hours})
    text = queue_message(4, 6, closed, WEDNESDAY_NOON)
    assert text.startswith("Our team is away right now, but I've kept your place for them:")


def test_waits_read_naturally():
    assert describe_wait(1) == "about 1 minute"
    assert describe_wait(18) == "about 18 minutes"
    assert describe_wait(60) == "about 1 hour"
    assert describe_wait(132) == "about 2 hours 12 minutes"


def test_the_intro_names_the_verified_customer():
    assert handoff_intro("customer asked for a person", "Jane") == (
        "Of course, Jane, I'll get you a person from our support team."
    )
    assert handoff_intro("verification locked") == (
        "A person from our team can confirm who you are another way, so I'm passing you over."
    )
    assert handoff_intro("something unexpected").startswith("Of course, I'll get you a person")


def test_enqueue_creates_one_waiting_ticket_per_conversation_with_an_audit_row(
    db_session: Session,
):
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    first = enqueue(db_session, "conv-a", "customer asked for a person", {"reason": "x"}, now=now)
    context = {"reason": "strongly negative message", "transcript": [{"text": "<script>"}]}
    second = enqueue(
        db_session,
        "conv-b",
        "strongly negative message",
        context,
        channel="socketio",
        now=now + timedelta(minutes=1),
    )
    assert (first.position, second.position) == (1, 2)
    assert not first.already_queued
    ticket = db_session.get(HandoffTicket, second.ticket_id)
    assert (ticket.status, ticket.reason, ticket.channel) == (
        HandoffStatus.WAITING,
        "strongly negative message",
        "socketio",
    )
    assert json.loads(ticket.context) == context
    again = enqueue(db_session, "conv-b", "customer asked for a person", {}, now=now)
    assert (again.ticket_id, again.position, again.already_queued) == (second.ticket_id, 2, True)
    assert db_session.get(HandoffTicket, second.ticket_id).reason == "strongly negative message"
    rows = (
        db_session.execute(select(AuditEntry).where(AuditEntry.entity == "handoff_ticket"))
        .scalars()
        .all()
    )
    assert sorted((r.conversation_id, r.field, r.old_value, r.new_value) for r in rows) == [
        ("conv-a", "status", None, "waiting"),
        ("conv-b", "status", None, "waiting"),
    ]


def test_after_a_resolved_ticket_the_conversation_can_queue_again(db_session: Session):
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    first = enqueue(db_session, "conv-c", "customer asked for a person", {}, now=now)
    assert resolve_ticket(db_session, first.ticket_id, now)
    again = enqueue(db_session, "conv-c", "customer asked for a person", {}, now=now)
    assert again.ticket_id != first.ticket_id and not again.already_queued

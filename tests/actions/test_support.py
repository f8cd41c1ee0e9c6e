from datetime import datetime, timezone

from rasa_sdk.executor import CollectingDispatcher

from actions.support import ActionContactSupport
from bot.knowledge.policies import load_policies
from bot.support.contact import contact_support_message
from tests.actions.conftest import make_tracker


def test_contact_details_and_hours_come_from_the_policy():
    dispatcher = CollectingDispatcher()
    events = ActionContactSupport().run(dispatcher, make_tracker(intent="request_human"), {})
    assert events == []
    [message] = dispatcher.messages
    contact = load_policies().contact
    assert contact.channels["phone"].address in message["text"]
    assert contact.channels["email"].address in message["text"]
    assert contact.describe_hours() in message["text"]


def test_says_whether_the_team_is_in_right_now():
    contact = load_policies().contact
    # A Wednesday at noon and a Sunday at noon, Dublin time (UTC in winter).
    weekday_noon = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    sunday_noon = datetime(2026, 11, 29, 12, 0, tzinfo=timezone.utc)
    assert "available right now" in contact_support_message(contact, weekday_noon)
    assert "away right now" in contact_support_message(contact, sunday_noon)

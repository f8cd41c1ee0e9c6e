from __future__ import annotations

import json
import re
import stat
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import (
    ActionAskPrivacyConfirmed,
    ActionAskPrivacyFormOrderNumber,
    ActionAskPrivacyKind,
    ActionPrivacyRequest,
    ValidatePrivacyForm,
)
from bot.db.engine import get_engine, session_scope
from bot.db.models import (
    AuditEntry,
    Customer,
    LoyaltyAccount,
    Order,
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestStatus,
)
from bot.orders import messages as order_messages
from bot.orders.status import short_date
from bot.privacy import messages
from bot.privacy.requests import erasure_for_customer
from tests.actions.conftest import make_tracker

PRIVACY_EMAIL = "privacy@shop.example"
FORM_SLOTS = ["order_number", "email", "verification_code", "privacy_kind", "privacy_confirmed"]
FORGET = [SlotSet(slot, None) for slot in FORM_SLOTS]
# An erasure request hands the conversation to staff.
HANDED_OFF = [
    SlotSet("handoff_reason", "privacy request needs staff"),
    FollowupAction("action_handoff"),
]
FLAG = SlotSet("escalation_flag", "privacy request needs staff")
DOMAIN = {
    "forms": {"privacy_form": {"required_slots": FORM_SLOTS}},
    "slots": {slot: {} for slot in [*FORM_SLOTS, "customer_id", "requested_slot"]},
}


@pytest.fixture(autouse=True)
def no_privacy_requests_left(demo_shop):
    """Each test starts and ends without privacy requests or export files."""
    yield
    with session_scope(get_engine(demo_shop.database_url)) as session:
        session.query(AuditEntry).filter_by(entity="privacy_request").delete()
        session.query(PrivacyRequest).delete()
    for path in (demo_shop.var_dir / "exports").glob("PRIV-*.json"):
        path.unlink()


def jane(settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar()


def someone_else_with_an_order(settings) -> Tuple[int, str]:
    with session_scope(get_engine(settings.database_url)) as session:
        order = (
            session.query(Order)
            .join(Customer)
            .filter(Customer.email != "jane.doe@example.com")
            .order_by(Order.id)
            .first()
        )
        return order.customer_id, order.number


def order_numbers_of(settings, customer_id: int) -> List[str]:
    with session_scope(get_engine(settings.database_url)) as session:
        numbers = session.query(Order.number).filter_by(customer_id=customer_id)
        return sorted(number for (number,) in numbers)


def stored_requests(settings) -> List[PrivacyRequest]:
    with session_scope(get_engine(settings.database_url)) as session:
        return session.query(PrivacyRequest).order_by(PrivacyRequest.id).all()


def audit_rows(settings, reference: str) -> List[Tuple[Optional[str], Optional[str], str]]:
    with session_scope(get_engine(settings.database_url)) as session:
        rows = session.query(AuditEntry).filter_by(entity="privacy_request", entity_id=reference)
        return [(row.old_value, row.new_value, row.conversation_id) for row in rows]


def due_text(days: int = 30) -> str:
    today = date.today()
    return short_date(today + timedelta(days=days), today)


def finish(slots: Dict[str, Any], sender: str = "privacy-test") -> Tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots=slots, sender_id=sender)
    events = ActionPrivacyRequest().run(dispatcher, tracker, {})
    return events, [message["text"] for message in dispatcher.messages]


def test_a_verified_customer_gets_a_copy_prepared_for_staff(demo_shop):
    customer = jane(demo_shop)
    sender = f"export-{uuid.uuid4()}"
    events, said = finish({"customer_id": str(customer), "privacy_kind": "export"}, sender)

    assert events == [*FORGET, SlotSet("customer_id", str(customer))]
    [request] = stored_requests(demo_shop)
    assert re.fullmatch(r"PRIV-\d{6}", request.reference)
    assert said == [messages.export_requested(request.reference, due_text(), PRIVACY_EMAIL)]
    assert (
        "Our privacy team will review the file and email it to the address on your account by "
        f"{due_text()}."
    ) in said[0]
    assert (request.kind, request.status, request.customer_id) == (
        PrivacyRequestKind.EXPORT,
        PrivacyRequestStatus.PENDING_REVIEW,
        customer,
    )
    assert request.due_on == date.today() + timedelta(days=30)
    assert audit_rows(demo_shop, request.reference) == [(None, "pending_review", sender)]

    path = Path(request.export_path)
    assert path == demo_shop.var_dir / "exports" / f"{request.reference}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["profile"]["email"] == "jane.doe@example.com"
    assert sorted(order["number"] for order in document["orders"]) == order_numbers_of(
        demo_shop, customer
    )
    assert {"ORD-100001", "ORD-100004"} <= {order["number"] for order in document["orders"]}
    assert document["loyalty_account"]["points_balance"] >= 0


def test_asking_again_points_to_the_pending_request(demo_shop):
    slots = {"customer_id": str(jane(demo_shop)), "privacy_kind": "export"}
    finish(slots)
    _, said = finish(slots, sender="later")
    [request] = stored_requests(demo_shop)
    assert said == [messages.export_already_pending(request.reference, due_text(), PRIVACY_EMAIL)]
    assert [path.name for path in (demo_shop.var_dir / "exports").glob("PRIV-*.json")] == [
        f"{request.reference}.json"
    ]


def test_a_confirmed_erasure_is_recorded_for_staff_and_deletes_nothing(demo_shop):
    customer = jane(demo_shop)
    orders_before = order_numbers_of(demo_shop, customer)
    sender = f"erase-{uuid.uuid4()}"
    events, said = finish(
        {"customer_id": str(customer), "privacy_kind": "erasure", "privacy_confirmed": True},
        sender,
    )

    assert events == [*FORGET, SlotSet("customer_id", str(customer)), FLAG, *HANDED_OFF]
    [request] = stored_requests(demo_shop)
    assert (request.kind, request.status, request.export_path) == (
        PrivacyRequestKind.ERASURE,
        PrivacyRequestStatus.PENDING_REVIEW,
        None,
    )
    assert said == [messages.erasure_requested(request.reference, due_text(), PRIVACY_EMAIL)]
    assert audit_rows(demo_shop, request.reference) == [(None, "pending_review", sender)]
    assert order_numbers_of(demo_shop, customer) == orders_before
    assert jane(demo_shop) == customer


def test_a_second_erasure_request_gets_the_first_ones_reference(demo_shop):
    slots = {"customer_id": str(jane(demo_shop)), "privacy_kind": "erasure"}
    finish({**slots, "privacy_confirmed": True})
    events, said = finish(slots)
    [request] = stored_requests(demo_shop)
    assert said == [messages.erasure_already_pending(request.reference, due_text(), PRIVACY_EMAIL)]
    assert events[-3:] == [FLAG, *HANDED_OFF]


def test_no_at_the_confirmation_records_nothing_and_says_so(demo_shop):
    customer = jane(demo_shop)
    events, said = finish(
        {"customer_id": str(customer), "privacy_kind": "erasure", "privacy_confirmed": False}
    )
    assert events == [*FORGET, SlotSet("customer_id", str(customer))]
    assert said == [messages.ERASURE_DECLINED]
    assert stored_requests(demo_shop) == []


def test_something_else_explains_the_options_and_records_nothing(demo_shop):
    _, said = finish({"customer_id": str(jane(demo_shop)), "privacy_kind": "info"})
    assert said == [messages.privacy_information(PRIVACY_EMAIL, 30)]
    assert stored_requests(demo_shop) == []


@pytest.mark.parametrize("customer_id", [None, "1' OR '1'='1", "<script>"])
def test_nobody_unverified_can_make_a_request(demo_shop, customer_id):
    events, said = finish(
        {"customer_id": customer_id, "privacy_kind": "erasure", "privacy_confirmed": True}
    )
    assert events == FORGET
    assert said == [order_messages.ORDER_NOT_FOUND]
    assert stored_requests(demo_shop) == []


def test_a_locked_verification_offers_a_person(demo_shop):
    events, said = finish({"verification_code": "locked", "privacy_kind": "export"})
    assert events == [
        *FORGET,
        SlotSet("handoff_reason", "verification locked"),
        FollowupAction("action_handoff"),
    ]
    assert said == [order_messages.VERIFICATION_LOCKED]
    assert stored_requests(demo_shop) == []


def test_quoting_another_customers_order_exports_only_your_own_data(demo_shop):
    other, their_order = someone_else_with_an_order(demo_shop)
    customer = jane(demo_shop)
    finish({"customer_id": str(customer), "order_number": their_order, "privacy_kind": "export"})
    [request] = stored_requests(demo_shop)
    assert request.customer_id == customer
    text = Path(request.export_path).read_text(encoding="utf-8")
    assert their_order not in text
    assert json.loads(text)["profile"]["customer_id"] == customer
    assert other != customer


def test_an_unreachable_database_gets_a_polite_reply(demo_shop, monkeypatch):
    from bot.settings import get_settings

    customer = str(jane(demo_shop))
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    events, said = finish({"customer_id": customer, "privacy_kind": "export"})
    assert events == [*FORGET, SlotSet("customer_id", customer)]
    assert said == [order_messages.LOOKUP_UNAVAILABLE]
    assert not list((demo_shop.var_dir / "exports").glob("PRIV-*.json"))


def test_an_export_that_cannot_be_written_records_nothing(demo_shop, monkeypatch, tmp_path):
    from bot.settings import get_settings

    (tmp_path / "exports").write_text("a file where the directory should be")
    monkeypatch.setenv("BOT_VAR_DIR", str(tmp_path))
    get_settings.cache_clear()
    _, said = finish({"customer_id": str(jane(demo_shop)), "privacy_kind": "export"})
    assert said == [order_messages.LOOKUP_UNAVAILABLE]
    assert stored_requests(demo_shop) == []


def test_the_kind_question_offers_three_buttons():
    dispatcher = CollectingDispatcher()
    assert ActionAskPrivacyKind().run(dispatcher, make_tracker(), {}) == []
    [message] = dispatcher.messages
    assert message["text"] == messages.ASK_KIND
    assert [button["payload"] for button in message["buttons"]] == [
        '/inform{"privacy_kind":"export"}',
        '/inform{"privacy_kind":"erasure"}',
        '/inform{"privacy_kind":"info"}',
    ]


def test_the_confirmation_explains_erasure_with_the_customers_own_points(demo_shop):
    customer = jane(demo_shop)
    with session_scope(get_engine(demo_shop.database_url)) as session:
        points = session.query(LoyaltyAccount.points_balance).filter_by(customer_id=customer)
        balance = points.scalar()
    dispatcher = CollectingDispatcher()
    ActionAskPrivacyConfirmed().run(
        dispatcher, make_tracker(slots={"customer_id": str(customer)}), {}
    )
    [message] = dispatcher.messages
    assert message["text"] == messages.confirm_erasure(6, balance)
    assert f"your {balance:,} loyalty points would be lost" in message["text"]
    assert "kept, anonymised, for 6 years" in message["text"]
    assert [button["payload"] for button in message["buttons"]] == ["/affirm", "/deny"]


def test_the_confirmation_names_no_balance_to_someone_unverified(demo_shop):
    dispatcher = CollectingDispatcher()
    ActionAskPrivacyConfirmed().run(dispatcher, make_tracker(), {})
    assert dispatcher.messages[0]["text"] == messages.confirm_erasure(6, None)


def test_an_anonymous_customer_is_asked_for_an_order_to_prove_who_they_are(demo_shop):
    dispatcher = CollectingDispatcher()
    ActionAskPrivacyFormOrderNumber().run(dispatcher, make_tracker(), {})
    assert [message["text"] for message in dispatcher.messages] == [
        messages.ask_order_number(PRIVACY_EMAIL)
    ]


def request_message(text: str) -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": "privacy_request"}}}


async def required(slots: Dict[str, Any]) -> List[str]:
    tracker = make_tracker(slots=slots, active_loop="privacy_form")
    return await ValidatePrivacyForm().required_slots(
        FORM_SLOTS, CollectingDispatcher(), tracker, DOMAIN
    )


async def test_anonymous_customers_prove_who_they_are_with_an_order_and_a_code(demo_shop):
    assert await required({"privacy_kind": "export"}) == [
        "order_number",
        "email",
        "verification_code",
    ]


async def test_verified_customers_are_asked_only_what_they_want(demo_shop):
    customer = str(jane(demo_shop))
    assert await required({"customer_id": customer}) == ["privacy_kind"]
    assert await required({"customer_id": customer, "privacy_kind": "export"}) == ["privacy_kind"]
    erasure = {"customer_id": customer, "privacy_kind": "erasure"}
    assert await required(erasure) == ["privacy_kind", "privacy_confirmed"]


async def test_no_confirmation_is_asked_when_an_erasure_is_already_pending(demo_shop):
    customer = jane(demo_shop)
    erasure_for_customer(demo_shop.database_url, customer, "earlier", date.today())
    slots = {"customer_id": str(customer), "privacy_kind": "erasure"}
    assert await required(slots) == ["privacy_kind"]


async def test_a_clear_first_message_fills_in_what_the_verified_customer_wants(demo_shop):
    text = "please send me a copy of my personal data"
    tracker = make_tracker(
        slots={"customer_id": str(jane(demo_shop))},
        text=text,
        intent="privacy_request",
        events=[request_message(text)],
        active_loop="privacy_form",
    )
    events = await ValidatePrivacyForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert SlotSet("privacy_kind", "export") in events
    assert events[-1] == SlotSet("requested_slot", None)


async def test_an_unclear_first_message_gets_the_question(demo_shop):
    text = "I'm making a GDPR request"
    tracker = make_tracker(
        slots={"customer_id": str(jane(demo_shop))},
        text=text,
        intent="privacy_request",
        events=[request_message(text)],
        active_loop="privacy_form",
    )
    events = await ValidatePrivacyForm().run(CollectingDispatcher(), tracker, DOMAIN)
    assert events == [SlotSet("requested_slot", "privacy_kind")]


def latest_code(settings, email: str) -> str:
    from bot.db.repositories.outbox import list_outbox_messages

    with session_scope(get_engine(settings.database_url)) as session:
        [message] = list_outbox_messages(session, recipient=email, limit=1)
        return re.search(r"\b(\d{6})\b", message.body).group(1)


async def validate(
    sender: str, history: List[Dict[str, Any]], slots: Dict[str, Any], requested: str, value: str
) -> Tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={**slots, requested: value, "requested_slot": requested},
        text=value,
        events=[
            *history,
            {"event": "user", "text": value, "parse_data": {"intent": {"name": "inform"}}},
            {"event": "slot", "name": requested, "value": value},
        ],
        active_loop="privacy_form",
        sender_id=sender,
    )
    events = await ValidatePrivacyForm().run(dispatcher, tracker, DOMAIN)
    return events, [message["text"] for message in dispatcher.messages]


async def test_after_the_code_an_erasure_request_goes_straight_to_the_confirmation(demo_shop):
    sender = f"privacy-code-{uuid.uuid4()}"
    history = [request_message("please delete all my personal data")]
    slots = {"order_number": "ORD-100002"}
    events, said = await validate(sender, history, slots, "email", "jane.doe@example.com")
    assert said == [order_messages.CODE_SENT]
    assert events[-1] == SlotSet("requested_slot", "verification_code")

    code = latest_code(demo_shop, "jane.doe@example.com")
    slots = {**slots, "email": "jane.doe@example.com"}
    events, said = await validate(sender, history, slots, "verification_code", code)
    assert said == [order_messages.verified("Jane")]
    assert SlotSet("customer_id", str(jane(demo_shop))) in events
    assert SlotSet("privacy_kind", "erasure") in events
    assert events[-1] == SlotSet("requested_slot", "privacy_confirmed")


@pytest.mark.parametrize("typed", ["1' OR '1'='1", "<script>alert(1)</script>", "maybe"])
def test_an_unclear_answer_is_refused_and_asked_again(typed):
    result = ValidatePrivacyForm().validate_privacy_kind(
        typed, (dispatcher := CollectingDispatcher()), make_tracker(), DOMAIN
    )
    assert result == {"privacy_kind": None}
    assert [message["text"] for message in dispatcher.messages] == [messages.KIND_UNCLEAR]


@pytest.mark.parametrize(
    ("typed", "kind"), [("export", "export"), ("erase everything", "erasure"), ("other", "info")]
)
def test_a_clear_answer_is_kept(typed, kind):
    result = ValidatePrivacyForm().validate_privacy_kind(
        typed, CollectingDispatcher(), make_tracker(), DOMAIN
    )
    assert result == {"privacy_kind": kind}


@pytest.mark.parametrize(("value", "kept"), [(True, True), (False, False), ("yes", None)])
def test_only_a_yes_or_no_confirms(value, kept):
    result = ValidatePrivacyForm().validate_privacy_confirmed(
        value, CollectingDispatcher(), make_tracker(), DOMAIN
    )
    assert result == {"privacy_confirmed": kept}


def test_a_customer_who_no_longer_exists_gets_no_request(demo_shop):
    events, said = finish({"customer_id": "999999", "privacy_kind": "export"})
    assert events == [*FORGET, SlotSet("customer_id", "999999")]
    assert said == [order_messages.ORDER_NOT_FOUND]
    assert stored_requests(demo_shop) == []
    assert not list((demo_shop.var_dir / "exports").glob("PRIV-*.json"))


def test_a_failed_commit_leaves_no_file_behind(demo_shop, monkeypatch):
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    def failing_commit(self):
        raise OperationalError("COMMIT", {}, Exception("connection lost"))

    customer = str(jane(demo_shop))
    monkeypatch.setattr(Session, "commit", failing_commit)
    _, said = finish({"customer_id": customer, "privacy_kind": "export"})
    monkeypatch.undo()
    assert said == [order_messages.LOOKUP_UNAVAILABLE]
    assert stored_requests(demo_shop) == []
    assert not list((demo_shop.var_dir / "exports").glob("PRIV-*.json"))

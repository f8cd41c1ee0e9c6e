from __future__ import annotations

import uuid
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError

from actions import damaged_item as flow
from actions.damaged_item import (
    ActionAskDamagedItem,
    ActionAskDamagedItemEmail,
    ActionAskDamagedItemOrderNumber,
    ActionAskProblemKind,
    ActionAskRemedy,
    ActionDamagedItem,
    ValidateDamagedItemForm,
)
from bot.db.engine import get_engine, session_scope
from bot.db.models import (
    AuditEntry,
    CaseKind,
    CaseRemedy,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    SupportCase,
)
from bot.orders import damage_messages, messages
from bot.settings import get_settings
from tests.actions.conftest import make_tracker

SLOTS = ["order_number", "email", "verification_code", "damaged_item", "problem_kind", "remedy"]
DOMAIN = {
    "forms": {"damaged_item_form": {"required_slots": SLOTS}},
    "slots": {slot: {} for slot in [*SLOTS, "customer_id", "escalation_flag"]},
}
FORGET = [SlotSet(slot, None) for slot in SLOTS]
# A flagged case hands the conversation to a person.
HANDED_OFF = [SlotSet("handoff_reason", "damaged item flagged"), FollowupAction("action_handoff")]
SENDER_PREFIX = "damage-test-"
APOLOGY = damage_messages.APOLOGY


@pytest.fixture(autouse=True)
def no_cases_left_behind(demo_shop) -> Iterator[None]:
    """Removes the cases these tests open, so that no test sees another's as a repeat."""
    yield
    with session_scope(get_engine(demo_shop.database_url)) as session:
        session.execute(
            delete(SupportCase)
            .where(SupportCase.conversation_id.startswith(SENDER_PREFIX))
            .execution_options(synchronize_session=False)
        )


def sender() -> str:
    return f"{SENDER_PREFIX}{uuid.uuid4()}"


def jane(settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar()


def lines_of(settings, number: str) -> Dict[str, int]:
    """Maps the product names of an order's lines to the line ids."""
    with session_scope(get_engine(settings.database_url)) as session:
        order = session.query(Order).filter_by(number=number).one()
        return {line.product.display_name: line.id for line in order.lines}


def someone_elses_delivered_order(settings, lines: int = 1) -> Tuple[str, int, int]:
    """Number, owner and first line id of a delivered order of a customer other than Jane."""
    with session_scope(get_engine(settings.database_url)) as session:
        count = func.count(OrderLine.id)
        number, owner = session.execute(
            select(Order.number, Order.customer_id)
            .join(OrderLine)
            .where(Order.status == OrderStatus.DELIVERED, Order.customer_id != jane(settings))
            .group_by(Order.id)
            .having(count == lines)
            .order_by(Order.id)
            .limit(1)
        ).one()
        order = session.query(Order).filter_by(number=number).one()
        return number, owner, order.lines[0].id


def cases_of(settings, conversation: str) -> List[SupportCase]:
    with session_scope(get_engine(settings.database_url)) as session:
        found = session.execute(
            select(SupportCase).where(SupportCase.conversation_id == conversation)
        ).scalars()
        result = list(found)
        session.expunge_all()
        return result


def flow_events(words: str = "the lamp arrived broken", apologised: bool = True) -> List[dict]:
    """The conversation so far: the customer's message, the form starting, the apology."""
    events: List[Dict[str, Any]] = [
        {
            "event": "user",
            "text": words,
            "parse_data": {"intent": {"name": "damaged_or_wrong_item", "confidence": 1.0}},
        },
        {"event": "action", "name": "damaged_item_form"},
        {"event": "active_loop", "name": "damaged_item_form"},
    ]
    if apologised:
        events.append({"event": "bot", "text": damage_messages.ASK_ORDER_NUMBER})
    return events


def finish(
    slots: Dict[str, Any],
    conversation: Optional[str] = None,
    apologised: bool = True,
    words: str = "the lamp arrived broken",
) -> Tuple[list, List[str]]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots=slots,
        events=flow_events(words, apologised),
        sender_id=conversation or sender(),
    )
    events = ActionDamagedItem().run(dispatcher, tracker, {})
    return events, [message["text"] for message in dispatcher.messages]


# -- asking ------------------------------------------------------------------------


def test_the_first_question_to_an_anonymous_customer_is_an_apology(demo_shop):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(events=flow_events(apologised=False))
    assert ActionAskDamagedItemOrderNumber().run(dispatcher, tracker, {}) == []
    [message] = dispatcher.messages
    assert message["text"] == damage_messages.ASK_ORDER_NUMBER
    assert message["text"].startswith("I'm so sorry your order arrived like that")
    assert message["buttons"] == []


def test_a_verified_customer_gets_the_apology_then_their_orders_as_buttons(demo_shop):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={"customer_id": str(jane(demo_shop))}, events=flow_events(apologised=False)
    )
    ActionAskDamagedItemOrderNumber().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"] == f"{APOLOGY} {messages.WHICH_ORDER}"
    payloads = [button["payload"] for button in message["buttons"]]
    assert '/inform{"ORDER_NUMBER":"ORD-100001"}' in payloads


def test_asking_again_for_the_order_does_not_repeat_the_apology(demo_shop):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(events=flow_events(apologised=True))
    ActionAskDamagedItemOrderNumber().run(dispatcher, tracker, {})
    assert [m["text"] for m in dispatcher.messages] == [damage_messages.ASK_ORDER_NUMBER_PLAIN]


def test_an_apology_from_an_earlier_report_does_not_count(demo_shop):
    earlier = [*flow_events(apologised=True), {"event": "active_loop", "name": None}]
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(events=[*earlier, *flow_events(apologised=False)])
    ActionAskDamagedItemEmail().run(dispatcher, tracker, {})
    [text] = [m["text"] for m in dispatcher.messages]
    assert text == damage_messages.ASK_EMAIL_FIRST
    assert text.startswith(APOLOGY) and "Which email address did you use" in text


def test_the_email_question_does_not_repeat_the_apology(demo_shop):
    dispatcher = CollectingDispatcher()
    ActionAskDamagedItemEmail().run(dispatcher, make_tracker(events=flow_events()), {})
    assert [m["text"] for m in dispatcher.messages] == [messages.ASK_EMAIL]


def test_the_items_of_the_order_are_offered_as_buttons(demo_shop):
    lines = lines_of(demo_shop, "ORD-100001")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={"order_number": "ORD-100001", "customer_id": str(jane(demo_shop))},
        events=flow_events(),
    )
    ActionAskDamagedItem().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"] == damage_messages.WHICH_ITEM
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Blue desk lamp", f'/inform{{"damaged_item":"{lines["Blue desk lamp"]}"}}'),
        (
            "2 x Mustard cushion cover",
            f'/inform{{"damaged_item":"{lines["Mustard cushion cover"]}"}}',
        ),
        (
            "4 x Speckled white ceramic mug",
            f'/inform{{"damaged_item":"{lines["Speckled white ceramic mug"]}"}}',
        ),
    ]


def test_no_items_are_shown_to_an_anonymous_customer(demo_shop):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(slots={"order_number": "ORD-100001"}, events=flow_events())
    ActionAskDamagedItem().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["buttons"] == []


def test_the_problem_question_names_the_item_and_offers_three_answers(demo_shop):
    lines = lines_of(demo_shop, "ORD-100001")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={
            "order_number": "ORD-100001",
            "customer_id": str(jane(demo_shop)),
            "damaged_item": str(lines["Speckled white ceramic mug"]),
        },
        events=flow_events(),
    )
    ActionAskProblemKind().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"] == "What's wrong with the Speckled white ceramic mug?"
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("It arrived damaged", '/inform{"problem_kind":"damaged_item"}'),
        ("It's the wrong item", '/inform{"problem_kind":"wrong_item"}'),
        ("Parts are missing", '/inform{"problem_kind":"missing_parts"}'),
    ]


def test_both_a_replacement_and_the_refund_of_the_line_are_offered(demo_shop):
    lines = lines_of(demo_shop, "ORD-100001")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={
            "order_number": "ORD-100001",
            "customer_id": str(jane(demo_shop)),
            "damaged_item": str(lines["Speckled white ceramic mug"]),
            "problem_kind": "wrong_item",
        },
        events=flow_events(),
    )
    ActionAskRemedy().run(dispatcher, tracker, {})
    [message] = dispatcher.messages
    assert message["text"] == (
        "Would you like us to send you the right item, or would you prefer a refund?"
    )
    assert [(b["title"], b["payload"]) for b in message["buttons"]] == [
        ("Send the right item", '/inform{"remedy":"replacement"}'),
        ("Refund €47.96", '/inform{"remedy":"refund"}'),
    ]


# -- validating --------------------------------------------------------------------


async def required(settings, slots: Dict[str, Any]) -> List[str]:
    tracker = make_tracker(slots=slots, events=flow_events(), active_loop="damaged_item_form")
    return await ValidateDamagedItemForm().required_slots(
        SLOTS, CollectingDispatcher(), tracker, DOMAIN
    )


async def test_the_item_is_asked_only_for_an_order_of_several_lines(demo_shop):
    me = str(jane(demo_shop))
    assert await required(demo_shop, {"order_number": "ORD-100001", "customer_id": me}) == [
        "order_number",
        "damaged_item",
        "problem_kind",
        "remedy",
    ]
    number, owner, _ = someone_elses_delivered_order(demo_shop, lines=1)
    assert await required(demo_shop, {"order_number": number, "customer_id": str(owner)}) == [
        "order_number",
        "problem_kind",
        "remedy",
    ]


async def test_nothing_more_is_asked_about_an_order_that_has_not_arrived(demo_shop):
    me = str(jane(demo_shop))
    for number in ("ORD-100002", "ORD-100003", "ORD-100004"):
        assert await required(demo_shop, {"order_number": number, "customer_id": me}) == [
            "order_number"
        ]


async def test_an_anonymous_customer_proves_who_they_are_first(demo_shop):
    assert await required(demo_shop, {"order_number": "ORD-100001"}) == [
        "order_number",
        "email",
        "verification_code",
    ]


async def validate(slot: str, value: str, entities: Optional[list] = None, **slots: Any):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={**slots, slot: value, "requested_slot": slot},
        text=value,
        entities=entities,
        events=[*flow_events(), {"event": "slot", "name": slot, "value": value}],
        active_loop="damaged_item_form",
    )
    events = await ValidateDamagedItemForm().run(dispatcher, tracker, DOMAIN)
    return events, [message["text"] for message in dispatcher.messages]


async def test_the_item_is_taken_from_its_button_or_its_name(demo_shop):
    lines = lines_of(demo_shop, "ORD-100001")
    mugs = str(lines["Speckled white ceramic mug"])
    verified = {
        "order_number": "ORD-100001",
        "customer_id": str(jane(demo_shop)),
        "problem_kind": "damaged_item",
    }
    events, said = await validate(
        "damaged_item",
        mugs,
        entities=[{"entity": "damaged_item", "value": mugs}],
        **verified,
    )
    assert events == [SlotSet("damaged_item", mugs), SlotSet("requested_slot", "remedy")]
    assert said == []
    events, said = await validate("damaged_item", "the cushion covers", **verified)
    assert events[0] == SlotSet("damaged_item", str(lines["Mustard cushion cover"]))


@pytest.mark.parametrize("typed", ["the sofa", "1' OR '1'='1", "<script>alert(1)</script>"])
async def test_an_item_not_on_the_order_is_asked_again(demo_shop, typed):
    events, said = await validate(
        "damaged_item",
        typed,
        order_number="ORD-100001",
        customer_id=str(jane(demo_shop)),
        problem_kind="damaged_item",
    )
    assert events == [SlotSet("damaged_item", None), SlotSet("requested_slot", "damaged_item")]
    assert said == [damage_messages.UNKNOWN_ITEM]


async def test_a_line_of_someone_elses_order_is_not_accepted(demo_shop):
    _, _, their_line = someone_elses_delivered_order(demo_shop)
    events, said = await validate(
        "damaged_item",
        str(their_line),
        entities=[{"entity": "damaged_item", "value": str(their_line)}],
        order_number="ORD-100001",
        customer_id=str(jane(demo_shop)),
    )
    assert events[0] == SlotSet("damaged_item", None)
    assert said == [damage_messages.UNKNOWN_ITEM]


async def test_an_obvious_problem_in_the_first_message_is_not_asked_again(demo_shop):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={
            "order_number": "ORD-100001",
            "customer_id": str(jane(demo_shop)),
            "requested_slot": "order_number",
        },
        events=[
            *flow_events("the mugs came smashed"),
            {"event": "slot", "name": "order_number", "value": "ORD-100001"},
        ],
        active_loop="damaged_item_form",
    )
    events = await ValidateDamagedItemForm().run(dispatcher, tracker, DOMAIN)
    assert events == [
        SlotSet("order_number", "ORD-100001"),
        SlotSet("problem_kind", "damaged_item"),
        SlotSet("requested_slot", "damaged_item"),
    ]


async def test_an_unclear_first_message_leaves_the_problem_to_ask(demo_shop):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={"order_number": "ORD-100001", "customer_id": str(jane(demo_shop))},
        events=[
            *flow_events("there's an issue with my parcel"),
            {"event": "slot", "name": "order_number", "value": "ORD-100001"},
        ],
        active_loop="damaged_item_form",
    )
    events = await ValidateDamagedItemForm().run(dispatcher, tracker, DOMAIN)
    assert SlotSet("problem_kind", "damaged_item") not in events
    assert events[-1] == SlotSet("requested_slot", "damaged_item")


@pytest.mark.parametrize(
    ("slot", "typed", "value", "reply"),
    [
        ("problem_kind", "parts are missing", "missing_parts", None),
        ("problem_kind", "no idea", None, damage_messages.UNKNOWN_PROBLEM),
        ("remedy", "a refund please", "refund", None),
        ("remedy", "a new one", "replacement", None),
        ("remedy", "<script>alert(1)</script>", None, damage_messages.UNKNOWN_REMEDY),
    ],
)
async def test_the_problem_and_remedy_are_read_from_words(demo_shop, slot, typed, value, reply):
    lines = lines_of(demo_shop, "ORD-100001")
    events, said = await validate(
        slot,
        typed,
        order_number="ORD-100001",
        customer_id=str(jane(demo_shop)),
        damaged_item=str(lines["Blue desk lamp"]),
    )
    assert events[0] == SlotSet(slot, value)
    assert said == ([reply] if reply else [])


async def test_a_first_reply_from_validation_starts_with_the_apology(demo_shop):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={"order_number": "ORD-12", "requested_slot": "order_number"},
        events=[
            *flow_events(apologised=False),
            {"event": "slot", "name": "order_number", "value": "ORD-12"},
        ],
        active_loop="damaged_item_form",
    )
    await ValidateDamagedItemForm().run(dispatcher, tracker, DOMAIN)
    assert [m["text"] for m in dispatcher.messages] == [
        f"{APOLOGY} {messages.INVALID_ORDER_NUMBER}"
    ]


# -- opening the case --------------------------------------------------------------


def case_slots(settings, product: str, kind: str, remedy: str, **extra: Any) -> Dict[str, Any]:
    return {
        "order_number": "ORD-100001",
        "customer_id": str(jane(settings)),
        "damaged_item": str(lines_of(settings, "ORD-100001")[product]),
        "problem_kind": kind,
        "remedy": remedy,
        **extra,
    }


def test_a_damaged_item_gets_a_case_and_a_replacement(demo_shop):
    conversation = sender()
    events, said = finish(
        case_slots(demo_shop, "Blue desk lamp", "damaged_item", "replacement"), conversation
    )
    assert events == [
        *FORGET,
        SlotSet("customer_id", str(jane(demo_shop))),
        SlotSet("escalation_flag", None),
    ]
    [case] = cases_of(demo_shop, conversation)
    assert (case.kind, case.remedy, case.amount_cents, case.escalate) == (
        CaseKind.DAMAGED_ITEM,
        CaseRemedy.REPLACEMENT,
        3499,
        False,
    )
    assert case.order_line_id == lines_of(demo_shop, "ORD-100001")["Blue desk lamp"]
    assert said == [
        f"I've opened case {case.reference} for the Blue desk lamp. We'll send you a replacement "
        "within 2 business days. There's no need to send the damaged item back: please keep it, "
        "and the packaging, for now in case we ask you for a photo."
    ]
    assert case.description.endswith('Customer wrote: "the lamp arrived broken"')
    with session_scope(get_engine(demo_shop.database_url)) as session:
        row = session.query(AuditEntry).filter_by(entity="case", entity_id=case.reference).one()
        assert (row.field, row.old_value, row.new_value, row.conversation_id) == (
            "status",
            None,
            "open",
            conversation,
        )


def test_a_wrong_item_refund_comes_with_a_prepaid_label(demo_shop):
    conversation = sender()
    _, said = finish(
        case_slots(demo_shop, "Speckled white ceramic mug", "wrong_item", "refund"), conversation
    )
    [case] = cases_of(demo_shop, conversation)
    assert said == [
        f"I've opened case {case.reference} for the Speckled white ceramic mug. We'll refund "
        "€47.96 to your original payment method within 5 business days of the wrong item "
        "reaching us. We'll email you a prepaid label so you can send the wrong item back to "
        "us free of charge."
    ]


def test_missing_parts_are_sent_without_anything_going_back(demo_shop):
    conversation = sender()
    _, said = finish(
        case_slots(demo_shop, "Mustard cushion cover", "missing_parts", "replacement"),
        conversation,
    )
    [case] = cases_of(demo_shop, conversation)
    assert said == [
        f"I've opened case {case.reference} for the Mustard cushion cover. We'll send you the "
        "missing parts within 2 business days. There's no need to send anything back."
    ]


def test_a_valuable_item_is_flagged_for_a_person(demo_shop, monkeypatch):
    monkeypatch.setenv("DAMAGE_ESCALATION_THRESHOLD_CENTS", "3000")
    get_settings.cache_clear()
    conversation = sender()
    events, said = finish(
        case_slots(demo_shop, "Blue desk lamp", "damaged_item", "refund"), conversation
    )
    [case] = cases_of(demo_shop, conversation)
    assert (case.escalate, case.escalation_reason) == (True, "item value €34.99 above €30")
    assert events[-3:] == [
        SlotSet("escalation_flag", "item value €34.99 above €30"),
        *HANDED_OFF,
    ]
    assert said == [
        f"I've opened case {case.reference} for the Blue desk lamp. As it's a high-value item, "
        "a member of our team will personally review your case and contact you at the email "
        "address on your account. Once they've been in touch, we'll refund €34.99 to your "
        "original payment method within 5 business days. There's no need to send the damaged "
        "item back: please keep it, and the packaging, for now in case we ask you for a photo."
    ]


def test_a_second_problem_is_flagged_and_the_same_item_is_not_reported_twice(demo_shop):
    first = sender()
    finish(case_slots(demo_shop, "Blue desk lamp", "damaged_item", "replacement"), first)
    [lamp_case] = cases_of(demo_shop, first)

    again, said = finish(
        case_slots(demo_shop, "Blue desk lamp", "damaged_item", "replacement"), sender()
    )
    assert said[0].startswith(
        f"You already reported a problem with the Blue desk lamp on {lamp_case.created_at.day} "
    )
    assert f"that's case {lamp_case.reference}, and our team is working on it." in said[0]
    assert again[-1] == SlotSet("escalation_flag", None)

    second = sender()
    events, said = finish(
        case_slots(demo_shop, "Speckled white ceramic mug", "damaged_item", "replacement"),
        second,
    )
    [mug_case] = cases_of(demo_shop, second)
    assert mug_case.escalation_reason == "second problem within 90 days"
    assert events[-3:] == [SlotSet("escalation_flag", "second problem within 90 days"), *HANDED_OFF]
    assert "As you've had another problem with an order recently, a member of our team" in said[0]


@pytest.mark.parametrize(
    ("number", "reply"),
    [
        ("ORD-100003", damage_messages.on_its_way("ORD-100003")),
        ("ORD-100004", damage_messages.not_sent("ORD-100004")),
        ("ORD-100002", damage_messages.was_returned("ORD-100002")),
    ],
)
def test_an_order_that_has_not_arrived_gets_no_case(demo_shop, number, reply):
    conversation = sender()
    _, said = finish({"order_number": number, "customer_id": str(jane(demo_shop))}, conversation)
    assert said == [reply]
    assert cases_of(demo_shop, conversation) == []


def test_an_order_still_on_its_way_points_to_tracking():
    text = damage_messages.on_its_way("ORD-100003")
    assert 'To check where it is, ask me "where is my order?"' in text


def test_a_reply_ending_the_flow_at_once_still_starts_with_the_apology(demo_shop):
    _, said = finish(
        {"order_number": "ORD-100003", "customer_id": str(jane(demo_shop))}, apologised=False
    )
    assert said == [f"{APOLOGY} {damage_messages.on_its_way('ORD-100003')}"]


def test_a_verified_customer_cannot_report_on_someone_elses_order(demo_shop):
    number, owner, line = someone_elses_delivered_order(demo_shop)
    assert owner != jane(demo_shop)
    conversation = sender()
    _, said = finish(
        {
            "order_number": number,
            "customer_id": str(jane(demo_shop)),
            "damaged_item": str(line),
            "problem_kind": "damaged_item",
            "remedy": "refund",
        },
        conversation,
    )
    assert said == [messages.ORDER_NOT_FOUND]
    assert cases_of(demo_shop, conversation) == []


def test_a_line_of_someone_elses_order_opens_no_case_on_ones_own(demo_shop):
    _, _, their_line = someone_elses_delivered_order(demo_shop)
    conversation = sender()
    _, said = finish(
        case_slots(demo_shop, "Blue desk lamp", "damaged_item", "refund")
        | {"damaged_item": str(their_line)},
        conversation,
    )
    assert said == [damage_messages.NOT_OPENED]
    assert cases_of(demo_shop, conversation) == []


def test_anonymous_and_locked_out_customers_get_no_case(demo_shop):
    events, said = finish({"order_number": "ORD-100001", "problem_kind": "damaged_item"})
    assert events == [*FORGET, SlotSet("escalation_flag", None)]
    assert said == [messages.ORDER_NOT_FOUND]
    _, said = finish({"order_number": "ORD-100001", "verification_code": "locked"})
    assert said == [messages.VERIFICATION_LOCKED]


def test_a_database_failure_is_explained_without_a_case(demo_shop, monkeypatch):
    def unavailable(*args: Any, **kwargs: Any):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(flow, "report_damage_for_customer", unavailable)
    events, said = finish(case_slots(demo_shop, "Blue desk lamp", "damaged_item", "refund"))
    assert said == [messages.LOOKUP_UNAVAILABLE]
    assert events[-1] == SlotSet("escalation_flag", None)


def test_words_that_look_like_code_are_stored_as_the_customers_text(demo_shop):
    conversation = sender()
    words = "broken <script>alert(1)</script> 1' OR '1'='1"
    finish(
        case_slots(demo_shop, "Blue desk lamp", "damaged_item", "refund"),
        conversation,
        words=words,
    )
    [case] = cases_of(demo_shop, conversation)
    assert case.description.endswith(f'Customer wrote: "{words}"')

import pytest

from bot.bench.load import LoadPlan
from bot.bench.scenarios import (
    OUR_SCENARIOS,
    STARTER_SCENARIOS,
    TURNS_PER_CONVERSATION,
    DemoCustomer,
    Expect,
    Reply,
    check_scenarios,
    fill,
)

FAQ_EXPECT = Expect(
    last="Did that answer your question?", contains=("return",), buttons=("/affirm", "/deny")
)
FAQ_REPLIES = [
    Reply("You can return most items within 30 days of delivery."),
    Reply("Did that answer your question?", ("/affirm", "/deny")),
]


def test_the_expected_faq_answer_passes():
    assert FAQ_EXPECT.problem(FAQ_REPLIES) is None


def test_no_reply_or_only_blank_text_is_an_error():
    assert FAQ_EXPECT.problem([]) == "no reply"
    assert FAQ_EXPECT.problem([Reply("  ")]) == "no reply"


def test_a_wrong_answer_is_an_error():
    replies = [Reply("Sorry, I didn't get that."), FAQ_REPLIES[1]]
    assert "lack 'return'" in FAQ_EXPECT.problem(replies)


def test_a_turn_that_does_not_end_with_the_final_message_is_an_error():
    assert "lacks" in FAQ_EXPECT.problem(FAQ_REPLIES[:1])


def test_missing_buttons_are_an_error():
    replies = [FAQ_REPLIES[0], Reply("Did that answer your question?", ("/affirm",))]
    assert "/deny" in FAQ_EXPECT.problem(replies)


def test_text_that_must_not_appear_is_an_error():
    expect = Expect(last="code", absent=("ORD-100001",))
    assert expect.problem([Reply("I sent a code.")]) is None
    assert "contain" in expect.problem([Reply("ORD-100001 is on its way; I sent a code.")])


def test_checks_ignore_case():
    assert Expect(last="bye", contains=("THANKS",)).problem([Reply("Thanks! Bye")]) is None


def test_rest_and_socketio_replies_are_read_alike():
    rest = {"recipient_id": "x", "text": "Pick one", "buttons": [{"title": "A", "payload": "/a"}]}
    socketio = {"text": "Pick one", "quick_replies": [{"title": "A", "payload": "/a"}]}
    assert Reply.from_payload(rest) == Reply.from_payload(socketio) == Reply("Pick one", ("/a",))
    image = {"attachment": {"type": "image", "payload": {"src": "https://i.imgur.com/x.jpg"}}}
    assert Reply.from_payload(image) == Reply("")
    assert Reply.from_payload("not an object") == Reply("")


def test_templates_are_filled_with_the_customers_fields_only():
    customer = DemoCustomer("ORD-100007", "ann@example.com", "Ann")
    fields = {**customer.fields(), "code": "123456"}
    filled = fill("{order_number} / {email} / {code}", fields)
    assert filled == "ORD-100007 / ann@example.com / 123456"
    assert fill("{unknown}", fields) == "{unknown}"
    expect = Expect(last="{order_number}", contains=("{first_name}",)).filled(fields)
    assert expect == Expect(last="ORD-100007", contains=("Ann",))


@pytest.mark.parametrize("scenarios", [OUR_SCENARIOS, STARTER_SCENARIOS], ids=["ours", "starter"])
def test_every_conversation_has_the_same_number_of_turns(scenarios):
    assert check_scenarios(scenarios) == []
    assert all(len(s.turns) == TURNS_PER_CONVERSATION for s in scenarios)


def test_every_turn_names_a_final_message():
    for scenario in (*OUR_SCENARIOS, *STARTER_SCENARIOS):
        for turn in scenario.turns:
            final = turn.expect.last.strip() or turn.expect.last_button
            assert final, f"{scenario.name}: {turn.say!r} has no final message"


def test_only_the_order_conversation_needs_a_customer_and_a_code():
    needing = [s.name for s in OUR_SCENARIOS if s.needs_customer]
    with_code = [s.name for s in OUR_SCENARIOS if any(t.needs_code for t in s.turns)]
    assert needing == with_code == ["order-status"]


def test_the_rotation_covers_every_scenario_on_both_channels():
    plan = LoadPlan(OUR_SCENARIOS, concurrency=3, duration=1)
    rotation = plan.rotation()
    first = [next(rotation) for _ in range(6)]
    assert {(s.name, channel) for s, channel in first} == {
        (s.name, channel) for s in OUR_SCENARIOS for channel in ("rest", "socketio")
    }


@pytest.mark.parametrize(
    "kwargs",
    [{"concurrency": 0}, {"duration": 0}, {"channels": ("sms",)}, {"think_time": -1}],
    ids=["concurrency", "duration", "channel", "think-time"],
)
def test_an_unusable_plan_is_refused(kwargs):
    values = {"concurrency": 1, "duration": 1.0, **kwargs}
    with pytest.raises(ValueError):
        LoadPlan(OUR_SCENARIOS, **values)

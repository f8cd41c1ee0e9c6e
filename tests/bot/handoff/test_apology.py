from __future__ import annotations

import pytest

from bot.handoff.apology import (
    Issue,
    Situation,
    compose,
    issue_from_conversation,
    turn_seed,
    variants,
)
from tests.bot.handoff.events import bot, user

ALL_SITUATIONS = list(Situation)


@pytest.mark.parametrize("situation", ALL_SITUATIONS)
def test_each_situation_has_at_least_four_different_wordings(situation):
    assert len(set(variants(situation))) >= 4
    texts = {
        compose(situation, Issue("payment_problem"), None, f"conv-{n}:1").text for n in range(60)
    }
    assert len(texts) >= 4


@pytest.mark.parametrize("situation", ALL_SITUATIONS)
def test_the_same_conversation_and_turn_always_get_the_same_words(situation):
    issue = Issue("order_status", order_number="ORD-100002")
    first = compose(situation, issue, "Jane", "conv-7:3")
    assert compose(situation, issue, "Jane", "conv-7:3") == first


def test_successive_turns_do_not_repeat_one_canned_sentence():
    issue = Issue("payment_problem")
    texts = [compose(Situation.COMPLAINT, issue, None, f"conv-1:{turn}").text for turn in range(8)]
    assert len(set(texts)) >= 3


@pytest.mark.parametrize("situation", ALL_SITUATIONS)
def test_a_verified_customer_is_named_and_the_issue_is_specific(situation):
    issue = Issue("payment_problem", order_number="ORD-100002")
    for turn in range(10):
        text = compose(situation, issue, "Jane", f"conv-2:{turn}").text
        assert ", Jane" in text
        assert "he payment for order ORD-100002" in text
        assert "{" not in text and "  " not in text


@pytest.mark.parametrize("situation", ALL_SITUATIONS)
def test_an_anonymous_customer_is_not_given_a_name(situation):
    for turn in range(10):
        text = compose(situation, Issue(), None, f"conv-3:{turn}").text
        assert ", ," not in text and " ," not in text and "None" not in text
        assert text[0].isupper() and text.endswith((".", "?"))


def test_complaint_offers_to_sort_it_out_now_or_a_person():
    apology = compose(Situation.COMPLAINT, Issue("order_status"), None, "c:1")
    assert apology.buttons == (
        {"title": "Sort it out now", "payload": "/order_status"},
        {"title": "Talk to a person", "payload": "/request_human"},
    )
    assert "check where your order is" in apology.text


def test_an_unknown_issue_offers_the_help_menu():
    apology = compose(Situation.COMPLAINT, Issue(), None, "c:1")
    assert apology.buttons[0] == {"title": "Sort it out now", "payload": "/help"}
    fallback = compose(Situation.FALLBACK, Issue(), None, "c:1")
    assert fallback.buttons[0] == {"title": "See what I can do", "payload": "/help"}
    assert "everything I can help with" in fallback.text


def test_a_failure_offers_to_try_again_and_a_handover_offers_nothing():
    failure = compose(Situation.FAILURE, Issue("return_refund"), None, "c:1")
    assert failure.buttons[0] == {"title": "Try again", "payload": "/return_refund"}
    assert "your return" in failure.text
    assert compose(Situation.ESCALATING, Issue(), None, "c:1").buttons == ()


def test_the_damaged_item_is_named_from_the_button_the_customer_chose():
    events = [
        user("my lamp arrived broken", "damaged_or_wrong_item"),
        bot(
            "Which item is it?",
            [
                {"title": "Blue desk lamp", "payload": '/inform{"damaged_item":"11"}'},
                {"title": "4 x Speckled white mug", "payload": '/inform{"damaged_item":"12"}'},
            ],
        ),
        user(
            '/inform{"damaged_item":"11"}',
            "inform",
            entities=[{"entity": "damaged_item", "value": "11"}],
        ),
    ]
    issue = issue_from_conversation(events, {"problem_kind": "damaged_item"}, "damaged_item_form")
    assert issue.phrase() == "the damaged blue desk lamp"
    assert issue.fix() == "arrange a replacement or a refund"
    events[-1] = user(
        '/inform{"damaged_item":"12"}',
        "inform",
        entities=[{"entity": "damaged_item", "value": "12"}],
    )
    wrong = issue_from_conversation(events, {"problem_kind": "wrong_item"})
    assert wrong.phrase() == "the wrong speckled white mug"


def test_the_issue_follows_the_latest_flow_and_its_order_number():
    events = [
        user("where is my parcel", "order_status"),
        user(
            "ORD-100003",
            "inform",
            entities=[{"entity": "ORDER_NUMBER", "value": "ORD-100003"}],
        ),
        user("I was charged twice", "payment_problem"),
    ]
    issue = issue_from_conversation(events, {})
    assert issue == Issue(topic="payment_problem")
    assert issue.phrase() == "the payment"
    assert issue_from_conversation(events[:2], {}).phrase() == "your order ORD-100003"
    slots = {"order_number": "ORD-100001"}
    assert issue_from_conversation(events, slots).phrase() == "the payment for order ORD-100001"


def test_an_active_form_names_the_issue_even_without_its_intent():
    issue = issue_from_conversation([user("hmm", "inform")], {}, "change_address_form")
    assert issue.phrase() == "the delivery address"


def test_small_talk_alone_names_no_issue():
    events = [user("hi", "greet"), user("this is rubbish", "complaint")]
    assert issue_from_conversation(events, {}) == Issue()
    assert Issue().phrase() == "this"


def test_script_like_text_is_never_taken_for_an_order_number():
    events = [user("<script>alert(1)</script> 1' OR '1'='1", "order_status")]
    issue = issue_from_conversation(events, {})
    assert issue.order_number is None
    assert compose(Situation.COMPLAINT, issue, None, "x:1").text.count("<script>") == 0


def test_the_seed_counts_the_customer_messages():
    events = [user("hi", "greet"), bot("Hello!"), user("help", "help")]
    assert turn_seed("conv-9", events) == "conv-9:2"

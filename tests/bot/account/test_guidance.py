from __future__ import annotations

import copy
import dataclasses

import pytest

from bot.account import messages
from bot.account.guidance import (
    AccountPolicy,
    AccountTopic,
    account_policy,
    answer_account_question,
    asks_about_registration,
    classify_topic,
    guidance,
    topic_from_value,
)
from bot.knowledge.policies import load_policies
from bot.knowledge.validation import KnowledgeError

POLICY = AccountPolicy(reset_link_minutes=60, deletion_days=30, records_years=6)


@pytest.mark.parametrize(
    "text",
    [
        "I can't log in",
        "I forgot my password",
        "frgot my pasword",
        "the reset link has expired",
        "my account is locked",
        "I'm locked out after entering the wrong password",
        "sign in problem",
        "access denied when I try to sign in",
    ],
)
def test_sign_in_trouble_is_about_the_password(text):
    assert classify_topic(text) is AccountTopic.PASSWORD


@pytest.mark.parametrize(
    "text",
    [
        "how do I change the email on my account?",
        "update my account email address",
        "I want to change the email I use to log in",
        "I signed up with the wrong email",
        "switch the e-mail on my customer account to a new one",
        "my email changed and I can't log in with the old one",
        "I don't have access to my old email anymore, how do I get into my account",
    ],
)
def test_a_new_address_is_about_changing_the_email(text):
    assert classify_topic(text) is AccountTopic.EMAIL


@pytest.mark.parametrize(
    "text",
    [
        "delete my account",
        "close my account please",
        "how do I deactivate my account",
        "I want to remove my customer account",
        "shut down my profile, I won't be using it again",
        "terminate my account",
        "I can't log in, just close my account",
    ],
)
def test_closing_is_recognised_before_anything_else(text):
    assert classify_topic(text) is AccountTopic.CLOSE


@pytest.mark.parametrize(
    "text",
    [
        "how do I create an account?",
        "I want to sign up",
        "registration isn't working",
        "creat acount",
        "how do I make a profile on your site",
        "what's the process to open a customer account",
    ],
)
def test_signing_up_is_about_creating_an_account(text):
    assert classify_topic(text) is AccountTopic.CREATE


def test_someone_else_in_the_account_is_a_security_matter():
    assert classify_topic("I think my account has been hacked") is AccountTopic.SECURITY
    assert classify_topic("someone else logged into my account") is AccountTopic.SECURITY


@pytest.mark.parametrize(
    "text",
    [
        "trouble with my account",
        "account problem",
        "how do I remove a saved card from my account",
        "",
        "1' OR '1'='1",
        "<script>alert(1)</script>",
    ],
)
def test_unclear_or_odd_messages_name_no_topic(text):
    assert classify_topic(text) is None


@pytest.mark.parametrize("value", ["password", "Email", " close ", "create"])
def test_button_values_name_a_topic(value):
    assert topic_from_value(value) is AccountTopic(value.strip().lower())


@pytest.mark.parametrize("value", [None, 3, "passwords", "<script>", "1' OR '1'='1"])
def test_anything_else_is_not_a_topic(value):
    assert topic_from_value(value) is None


def test_answers_quote_the_shop_policies():
    policy = account_policy(load_policies())
    assert policy == AccountPolicy(reset_link_minutes=60, deletion_days=30, records_years=6)
    assert "valid for 60 minutes" in guidance(AccountTopic.PASSWORD, policy)
    closing = guidance(AccountTopic.CLOSE, policy)
    assert "Account settings > Close account" in closing
    assert "within 30 days" in closing
    assert "kept for 6 years" in closing
    assert "loyalty points" in closing


def test_a_changed_policy_changes_the_answer():
    policies = load_policies()
    values = copy.deepcopy(dict(policies.values))
    values["account"]["password_reset_link_minutes"] = 15
    values["privacy"]["order_records_years"] = 10
    changed = account_policy(dataclasses.replace(policies, values=values))
    assert "valid for 15 minutes" in guidance(AccountTopic.PASSWORD, changed)
    assert "kept for 10 years" in guidance(AccountTopic.CLOSE, changed)


def test_a_missing_policy_number_is_a_clear_error():
    policies = load_policies()
    values = copy.deepcopy(dict(policies.values))
    del values["account"]["password_reset_link_minutes"]
    with pytest.raises(KnowledgeError, match="account.password_reset_link_minutes"):
        account_policy(dataclasses.replace(policies, values=values))


def test_the_email_answer_points_to_a_person_when_signing_in_is_impossible():
    text = guidance(AccountTopic.EMAIL, POLICY)
    assert "Account settings" in text
    assert "confirmation link to the new address" in text
    assert '"talk to a person"' in text


def test_a_clear_question_gets_its_answer_and_no_question():
    answer = answer_account_question("I forgot my password", None, POLICY)
    assert answer.texts == (messages.password_help(60),)
    assert answer.ask_topic is False


def test_an_unclear_question_is_answered_with_a_question():
    answer = answer_account_question("trouble with my account", None, POLICY)
    assert answer.texts == ()
    assert answer.topic is None
    assert answer.ask_topic is True


def test_a_picked_topic_wins_over_the_words():
    answer = answer_account_question('/account_issue{"account_topic":"create"}', "create", POLICY)
    assert answer.texts == (messages.CREATE_ACCOUNT,)


@pytest.mark.parametrize(
    "template",
    [
        "does {} have an account?",
        "is there an account for {}",
        "my email is {}, can you check my account",
    ],
)
def test_whether_an_address_is_registered_is_never_told(template):
    registered = answer_account_question(template.format("jane.doe@example.com"), None, POLICY)
    unknown = answer_account_question(template.format("nobody@nowhere.example"), None, POLICY)
    assert registered == unknown
    assert registered.texts[0] == messages.ACCOUNT_PRIVATE
    assert all("jane.doe" not in text for text in registered.texts)


def test_asking_if_an_account_exists_gets_the_privacy_note_without_an_address():
    assert asks_about_registration("it says no account found with my email")
    assert asks_about_registration("do I have an account with you?")
    assert not asks_about_registration("I forgot my password")
    answer = answer_account_question(
        "I can't register, it says my email is already in use", None, POLICY
    )
    assert answer.texts == (messages.ACCOUNT_PRIVATE, messages.CREATE_ACCOUNT)

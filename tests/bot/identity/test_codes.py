from __future__ import annotations

import dataclasses
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import List, Tuple

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db.models import AuditEntry, Customer, OutboxMessage, VerificationChallenge
from bot.db.repositories.audit import changes_of
from bot.identity import codes
from bot.identity.codes import (
    AUDIT_ENTITY,
    AUDIT_FIELD,
    CODE_TTL,
    LOCKOUT_DURATION,
    MAX_FAILED_ATTEMPTS,
    CodeCheck,
    CodeCheckStatus,
    VerificationStarted,
    check_code,
    generate_code,
    hash_code,
    start_verification,
)
from bot.identity.errors import VerificationLockedError
from bot.identity.senders import CODE_EMAIL_SUBJECT, CodeSender, OutboxCodeSender
from tests.bot.identity.conftest import SECRET, RecordingSender
from tests.support.shop_factory import ShopFactory

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
CONVERSATION = "conversation-1"
EMAIL = "kim.lee@example.com"
ORDER = "ORD-200001"
SECOND = timedelta(seconds=1)


@pytest.fixture
def customer(factory: ShopFactory) -> Customer:
    customer = factory.customer(email=EMAIL, name="Kim Lee")
    factory.order(customer, ORDER)
    return customer


def start(
    session: Session,
    sender: CodeSender,
    order: str = ORDER,
    email: str = EMAIL,
    now: datetime = NOW,
    conversation: str = CONVERSATION,
) -> VerificationStarted:
    return start_verification(
        session, conversation, order, email, sender=sender, secret=SECRET, now=now
    )


def check(
    session: Session, code: object, now: datetime = NOW, conversation: str = CONVERSATION
) -> CodeCheck:
    return check_code(session, conversation, code, now, secret=SECRET)


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 1_000_000:06d}"


def audit_rows(session: Session) -> List[AuditEntry]:
    return session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()


# -- the right code verifies, once -----------------------------------------------------


def test_the_right_code_verifies_the_customer(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    started = start(db_session, sender)
    assert started == VerificationStarted(expires_at=NOW + CODE_TTL)
    [sent] = sender.sent
    assert (sent.email, sent.conversation_id) == (EMAIL, CONVERSATION)
    assert re.fullmatch(r"[0-9]{6}", sent.code)

    result = check(db_session, sent.code, NOW + timedelta(minutes=2))
    assert result == CodeCheck(CodeCheckStatus.VERIFIED, customer_id=customer.id)
    assert result.verified


def test_a_code_works_only_once(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    code = sender.sent[0].code
    assert check(db_session, code).verified
    assert check(db_session, code).status is CodeCheckStatus.NO_CHALLENGE


def test_the_code_goes_to_the_address_on_the_order_whatever_the_spelling(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender, order="ord 200001", email="  Kim.Lee@EXAMPLE.com ")
    assert [sent.email for sent in sender.sent] == [EMAIL]


@pytest.mark.parametrize("typed", ["{code}", " {code} ", "{a} {b}", "{a}-{b}"])
def test_spaces_and_hyphens_in_the_typed_code_are_ignored(
    db_session: Session, sender: RecordingSender, customer: Customer, typed: str
) -> None:
    start(db_session, sender)
    code = sender.sent[0].code
    assert check(db_session, typed.format(code=code, a=code[:3], b=code[3:])).verified


def test_without_a_code_there_is_nothing_to_check(db_session: Session) -> None:
    assert check(db_session, "123456") == CodeCheck(CodeCheckStatus.NO_CHALLENGE)


def test_a_new_code_replaces_the_previous_one(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    start(db_session, sender, now=NOW + SECOND)
    first, second = (sent.code for sent in sender.sent)
    if first != second:
        assert check(db_session, first, NOW + 2 * SECOND).status is CodeCheckStatus.WRONG
    assert check(db_session, second, NOW + 3 * SECOND).verified


def test_a_code_typed_in_another_conversation_does_not_verify(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    code = sender.sent[0].code
    assert check(db_session, code, conversation="conversation-2") == CodeCheck(
        CodeCheckStatus.NO_CHALLENGE
    )
    assert check(db_session, code).verified


def test_a_stored_hash_is_bound_to_its_conversation(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    """A hash copied to another conversation's challenge does not verify it there."""
    start(db_session, sender)
    start(db_session, sender, conversation="conversation-2")
    code = sender.sent[0].code
    first, second = db_session.execute(
        select(VerificationChallenge).order_by(VerificationChallenge.id)
    ).scalars()
    second.code_hash = first.code_hash
    result = check(db_session, code, conversation="conversation-2")
    assert result == CodeCheck(CodeCheckStatus.WRONG, attempts_left=2)


# -- a wrong pair reveals nothing --------------------------------------------------------


def replay(
    session: Session, sender: CodeSender, order: str, email: str, conversation: str, typed: str
) -> Tuple[VerificationStarted, List[CodeCheck]]:
    """Asks for a code, then types a wrong one until the conversation is locked out."""
    started = start(session, sender, order=order, email=email, conversation=conversation)
    checks = [
        check(session, typed, NOW + n * SECOND, conversation=conversation)
        for n in range(1, MAX_FAILED_ATTEMPTS + 2)
    ]
    return started, checks


@pytest.mark.parametrize(
    ("order", "email"),
    [
        pytest.param(ORDER, "someone.else@example.com", id="wrong email"),
        pytest.param("ORD-999999", EMAIL, id="unknown order"),
        pytest.param("ORD-999999", "someone.else@example.com", id="both wrong"),
        pytest.param("not an order", "not an email", id="garbage"),
    ],
)
def test_a_wrong_pair_looks_like_a_right_one_and_sends_nothing(
    db_session: Session,
    sender: RecordingSender,
    customer: Customer,
    order: str,
    email: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(codes, "generate_code", lambda: "123456")
    matched = RecordingSender()
    expected = replay(db_session, matched, ORDER, EMAIL, "matched", "000000")
    assert [sent.code for sent in matched.sent] == ["123456"]

    outcome = replay(db_session, sender, order, email, "probing", "000000")
    assert outcome == expected
    assert sender.sent == []


def test_wrong_email_and_unknown_order_give_identical_results(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    wrong_email = start(db_session, sender, email="x@example.com", conversation="a")
    unknown_order = start(db_session, sender, order="ORD-999999", conversation="b")
    assert wrong_email == unknown_order
    assert type(wrong_email) is VerificationStarted
    assert sender.sent == []


def test_a_wrong_pair_puts_nothing_in_the_outbox(db_session: Session, customer: Customer) -> None:
    start(db_session, OutboxCodeSender(), email="x@example.com")
    start(db_session, OutboxCodeSender(), order="ORD-999999")
    assert db_session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() == 0


def test_the_result_of_asking_holds_no_personal_data(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    started = start(db_session, sender)
    assert [field.name for field in dataclasses.fields(started)] == ["expires_at"]
    shown = repr(started) + str(dataclasses.asdict(started))
    assert EMAIL not in shown.lower() and "kim" not in shown.lower()


def test_the_right_code_for_a_wrong_pair_is_unguessable(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    """Even a code that matches the decoy's hash does not verify anybody."""
    start(db_session, sender, email="x@example.com")
    decoy = db_session.execute(select(VerificationChallenge)).scalar_one()
    assert decoy.customer_id is None
    decoy.code_hash = hash_code("123456", CONVERSATION, SECRET)
    assert check(db_session, "123456").status is CodeCheckStatus.WRONG


# -- expiry ------------------------------------------------------------------------------


def test_a_code_works_until_ten_minutes_have_passed(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    assert timedelta(minutes=10) == CODE_TTL
    start(db_session, sender)
    assert check(db_session, sender.sent[0].code, NOW + CODE_TTL - SECOND).verified


@pytest.mark.parametrize("later", [CODE_TTL, CODE_TTL + SECOND, timedelta(days=1)])
def test_a_code_expires_after_ten_minutes(
    db_session: Session, sender: RecordingSender, customer: Customer, later: timedelta
) -> None:
    start(db_session, sender)
    result = check(db_session, sender.sent[0].code, NOW + later)
    assert result == CodeCheck(CodeCheckStatus.EXPIRED)
    assert audit_rows(db_session) == []


def test_expired_codes_do_not_count_as_wrong(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    for _ in range(MAX_FAILED_ATTEMPTS + 1):
        assert check(db_session, "000000", NOW + CODE_TTL).status is CodeCheckStatus.EXPIRED
    start(db_session, sender, now=NOW + CODE_TTL)
    assert check(db_session, sender.sent[1].code, NOW + CODE_TTL).verified


# -- wrong codes and the lockout ------------------------------------------------------------


def lock_out(session: Session, code: str, now: datetime = NOW) -> List[CodeCheck]:
    return [check(session, wrong_code(code), now) for _ in range(MAX_FAILED_ATTEMPTS)]


def test_three_wrong_codes_lock_the_conversation_for_fifteen_minutes(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    assert (3, timedelta(minutes=15)) == (MAX_FAILED_ATTEMPTS, LOCKOUT_DURATION)
    start(db_session, sender)
    results = lock_out(db_session, sender.sent[0].code)
    assert results == [
        CodeCheck(CodeCheckStatus.WRONG, attempts_left=2),
        CodeCheck(CodeCheckStatus.WRONG, attempts_left=1),
        CodeCheck(CodeCheckStatus.LOCKED, locked_until=NOW + LOCKOUT_DURATION),
    ]


def test_the_right_code_does_not_verify_during_the_lock(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    code = sender.sent[0].code
    lock_out(db_session, code)
    for later in (SECOND, timedelta(minutes=5), LOCKOUT_DURATION - SECOND):
        result = check(db_session, code, NOW + later)
        assert result == CodeCheck(CodeCheckStatus.LOCKED, locked_until=NOW + LOCKOUT_DURATION)
    assert audit_rows(db_session) == []


def test_no_new_code_is_sent_during_the_lock(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    lock_out(db_session, sender.sent[0].code)
    with pytest.raises(VerificationLockedError) as raised:
        start(db_session, sender, now=NOW + timedelta(minutes=14))
    assert raised.value.locked_until == NOW + LOCKOUT_DURATION
    assert len(sender.sent) == 1


def test_the_lock_ends_after_fifteen_minutes(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    old_code = sender.sent[0].code
    lock_out(db_session, old_code)
    unlocked = NOW + LOCKOUT_DURATION
    # The code that was locked out stays dead; a new one works.
    assert check(db_session, old_code, unlocked).status is CodeCheckStatus.NO_CHALLENGE
    start(db_session, sender, now=unlocked)
    assert check(db_session, sender.sent[1].code, unlocked).verified


def test_the_count_starts_again_after_the_lock(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    lock_out(db_session, sender.sent[0].code)
    later = NOW + LOCKOUT_DURATION
    start(db_session, sender, now=later)
    result = check(db_session, wrong_code(sender.sent[1].code), later)
    assert result == CodeCheck(CodeCheckStatus.WRONG, attempts_left=2)


def test_asking_for_a_new_code_does_not_reset_the_count(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        check(db_session, wrong_code(sender.sent[0].code))
    start(db_session, sender, now=NOW + SECOND)
    result = check(db_session, wrong_code(sender.sent[1].code), NOW + 2 * SECOND)
    assert result.status is CodeCheckStatus.LOCKED


def test_a_verification_resets_the_count(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        check(db_session, wrong_code(sender.sent[0].code))
    assert check(db_session, sender.sent[0].code).verified
    start(db_session, sender, now=NOW + SECOND)
    result = check(db_session, wrong_code(sender.sent[1].code), NOW + SECOND)
    assert result == CodeCheck(CodeCheckStatus.WRONG, attempts_left=2)


def test_a_lock_holds_only_its_conversation(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    lock_out(db_session, sender.sent[0].code)
    start(db_session, sender, conversation="other-conversation")
    assert check(db_session, sender.sent[1].code, conversation="other-conversation").verified


# -- storage and hostile input -----------------------------------------------------------------


def test_the_code_is_stored_only_as_a_keyed_hash(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    code = sender.sent[0].code
    challenge = db_session.execute(select(VerificationChallenge)).scalar_one()
    stored = [str(getattr(challenge, column.key)) for column in VerificationChallenge.__table__.c]
    assert all(code not in value for value in stored), stored
    assert challenge.code_hash == hash_code(code, CONVERSATION, SECRET)
    assert challenge.code_hash != hash_code(code, CONVERSATION, "another secret")
    assert re.fullmatch(r"[0-9a-f]{64}", challenge.code_hash)


def test_checking_needs_the_same_secret(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    result = check_code(db_session, CONVERSATION, sender.sent[0].code, NOW, secret="other")
    assert result.status is CodeCheckStatus.WRONG


HOSTILE = [
    "1' OR '1'='1",
    "' OR 1=1 --",
    "ORD-200001' --",
    "'; DROP TABLE customers; --",
    "<script>alert(1)</script>",
    "%",
    "_",
    "\x00",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_plain_text(
    db_session: Session, sender: RecordingSender, customer: Customer, text: str
) -> None:
    customers = db_session.execute(select(func.count()).select_from(Customer)).scalar_one()
    conversation = f"conv {text}".replace("\x00", "NUL")
    assert start(db_session, sender, order=text, conversation=conversation)
    assert start(db_session, sender, email=text, conversation=conversation)
    assert start(db_session, sender, order=ORDER, email=f"{EMAIL}{text}", conversation=conversation)
    assert sender.sent == []

    result = check(db_session, text, conversation=conversation)
    assert result == CodeCheck(CodeCheckStatus.WRONG, attempts_left=2)
    stored = db_session.execute(select(VerificationChallenge.conversation_id)).scalars().all()
    assert set(stored) == {conversation}
    assert db_session.execute(select(func.count()).select_from(Customer)).scalar_one() == customers


@pytest.mark.parametrize("text", HOSTILE[:5])
def test_a_hostile_code_for_a_real_challenge_is_just_wrong(
    db_session: Session, sender: RecordingSender, customer: Customer, text: str
) -> None:
    start(db_session, sender)
    assert check(db_session, text) == CodeCheck(CodeCheckStatus.WRONG, attempts_left=2)
    assert check(db_session, sender.sent[0].code).verified


@pytest.mark.parametrize("typed", [None, 123456, b"123456", ["123456"], "", "1" * 10_000])
def test_a_code_that_is_not_a_code_string_is_wrong(
    db_session: Session, sender: RecordingSender, customer: Customer, typed: object
) -> None:
    start(db_session, sender)
    assert check(db_session, typed).status is CodeCheckStatus.WRONG


@pytest.mark.parametrize("conversation", ["", "   ", "x" * 256, "conversation\x00"])
def test_a_conversation_id_is_required(db_session: Session, conversation: str) -> None:
    with pytest.raises(ValueError):
        check(db_session, "123456", conversation=conversation)
    with pytest.raises(ValueError):
        start(db_session, RecordingSender(), conversation=conversation)


def test_times_must_be_timezone_aware(db_session: Session) -> None:
    with pytest.raises(ValueError):
        check(db_session, "123456", NOW.replace(tzinfo=None))


def test_an_empty_secret_is_refused(db_session: Session) -> None:
    with pytest.raises(ValueError):
        check_code(db_session, CONVERSATION, "123456", NOW, secret="")


def test_codes_are_six_random_digits() -> None:
    codes = {generate_code() for _ in range(300)}
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in codes)
    assert len(codes) > 290


# -- audit trail -----------------------------------------------------------------------------


def test_a_verification_is_audited(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    check(db_session, sender.sent[0].code, NOW + timedelta(minutes=1))
    [entry] = audit_rows(db_session)
    assert (
        entry.conversation_id,
        entry.entity,
        entry.entity_id,
        entry.field,
        entry.old_value,
        entry.new_value,
        entry.created_at,
    ) == (
        CONVERSATION,
        AUDIT_ENTITY,
        CONVERSATION,
        AUDIT_FIELD,
        None,
        str(customer.id),
        NOW + timedelta(minutes=1),
    )
    assert (AUDIT_ENTITY, AUDIT_FIELD) == ("conversation", "verified_customer_id")


def test_verifying_another_customer_records_the_previous_one(
    db_session: Session, sender: RecordingSender, customer: Customer, factory: ShopFactory
) -> None:
    other = factory.customer(email="sam.ryan@example.com", name="Sam Ryan")
    factory.order(other, "ORD-200002")
    start(db_session, sender)
    check(db_session, sender.sent[0].code)
    start(db_session, sender, order="ORD-200002", email="sam.ryan@example.com", now=NOW + SECOND)
    check(db_session, sender.sent[1].code, NOW + SECOND)
    entries = changes_of(db_session, AUDIT_ENTITY, CONVERSATION)
    assert [(e.old_value, e.new_value) for e in entries] == [
        (None, str(customer.id)),
        (str(customer.id), str(other.id)),
    ]


def test_failed_checks_are_not_audited_as_verifications(
    db_session: Session, sender: RecordingSender, customer: Customer
) -> None:
    start(db_session, sender)
    lock_out(db_session, sender.sent[0].code)
    assert audit_rows(db_session) == []


# -- the development sender ---------------------------------------------------------------------


def test_the_outbox_sender_queues_the_email_and_logs_it(
    db_session: Session, customer: Customer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.identity.senders"):
        start(db_session, OutboxCodeSender())
    [message] = db_session.execute(select(OutboxMessage)).scalars().all()
    assert (message.recipient, message.subject) == (EMAIL, CODE_EMAIL_SUBJECT)
    code = re.search(r"\b[0-9]{6}\b", message.body)
    assert code is not None and "10 minutes" in message.body
    assert check(db_session, code.group(0)).verified
    [record] = [r for r in caplog.records if r.name == "bot.identity.senders"]
    assert record.levelno == logging.INFO
    assert EMAIL in record.getMessage() and CONVERSATION in record.getMessage()

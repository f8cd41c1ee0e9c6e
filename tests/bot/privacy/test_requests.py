from __future__ import annotations

import copy
import dataclasses
import json
import re
import stat
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db.errors import CustomerNotFoundError
from bot.db.models import (
    AuditEntry,
    Customer,
    Order,
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestStatus,
)
from bot.knowledge.policies import load_policies
from bot.knowledge.validation import KnowledgeError
from bot.privacy.requests import (
    KIND_ERASURE,
    KIND_EXPORT,
    KIND_INFO,
    NoFreeReferenceError,
    PrivacyPolicy,
    classify_answer,
    classify_request,
    new_reference,
    pending_request,
    privacy_policy,
    request_erasure,
    request_export,
)

TODAY = date(2024, 12, 1)
NOW = datetime(2024, 12, 1, 9, 0, tzinfo=timezone.utc)
POLICY = PrivacyPolicy(
    email="privacy@shop.example",
    request_response_days=30,
    account_deletion_days=30,
    order_records_years=6,
)


def requests_of(session, customer_id):
    return list(
        session.execute(
            select(PrivacyRequest).where(PrivacyRequest.customer_id == customer_id)
        ).scalars()
    )


def audit_of(session, reference):
    return list(
        session.execute(
            select(AuditEntry).where(
                AuditEntry.entity == "privacy_request", AuditEntry.entity_id == reference
            )
        ).scalars()
    )


@pytest.mark.parametrize(
    "text",
    [
        "I want to download my data",
        "send me a copy of all the data you have on me",
        "what data do you hold about me?",
        "what personal information do you store about me",
        "subject access request",
        "give me everything you know about me",
        "I want to see what information you've collected",
        "Under Article 15 of the GDPR I request access to my personal data.",
        "I want a zip file with all the personal information you hold",
        "data portability request",
    ],
)
def test_asking_for_a_copy_is_an_export(text):
    assert classify_request(text) == KIND_EXPORT


@pytest.mark.parametrize(
    "text",
    [
        "delete my personal data",
        "erase all my data under GDPR",
        "right to be forgotten",
        "I want to exercise my right to be forgotten",
        "remove my data",
        "remove my name and address from all your records",
        "wipe my details from your database",
        "can you get rid of my data?",
        "delet my personal data",
    ],
)
def test_asking_to_delete_is_an_erasure(text):
    assert classify_request(text) == KIND_ERASURE


@pytest.mark.parametrize(
    "text",
    [
        "I'm making a GDPR request",
        "privacy request",
        "correct the personal data you hold on me",
        "delete my data, but send me a copy first",
        "",
        "1' OR '1'='1",
        "<script>alert(1)</script>",
    ],
)
def test_unclear_or_mixed_requests_are_asked(text):
    assert classify_request(text) is None


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        ("export", KIND_EXPORT),
        ("erasure", KIND_ERASURE),
        ("info", KIND_INFO),
        ("a copy please", KIND_EXPORT),
        ("delete it all", KIND_ERASURE),
        ("something else", KIND_INFO),
        ("hmm", None),
        ("1' OR '1'='1", None),
        ("<script>", None),
        (None, None),
        (True, None),
    ],
)
def test_answers_to_the_question_are_read(answer, kind):
    assert classify_answer(answer) == kind


def test_the_policy_numbers_come_from_policies_yml():
    assert privacy_policy(load_policies()) == POLICY
    assert POLICY.due_on(TODAY) == date(2024, 12, 31)


def test_a_broken_privacy_policy_is_a_clear_error():
    policies = load_policies()
    values = copy.deepcopy(dict(policies.values))
    values["privacy"]["request_response_days"] = "thirty"
    with pytest.raises(KnowledgeError, match="privacy.request_response_days"):
        privacy_policy(dataclasses.replace(policies, values=values))


def test_references_are_priv_and_six_digits_and_skip_taken_ones(factory, db_session):
    customer = factory.customer()
    db_session.add(
        PrivacyRequest(
            reference="PRIV-000042",
            customer_id=customer.id,
            kind=PrivacyRequestKind.ERASURE,
            due_on=TODAY,
        )
    )
    db_session.flush()
    numbers = iter([42, 7])
    assert new_reference(db_session, lambda _: next(numbers)) == "PRIV-000007"
    assert re.fullmatch(r"PRIV-\d{6}", new_reference(db_session))


def test_no_free_reference_is_a_named_error(factory, db_session):
    customer = factory.customer()
    db_session.add(
        PrivacyRequest(
            reference="PRIV-000001",
            customer_id=customer.id,
            kind=PrivacyRequestKind.ERASURE,
            due_on=TODAY,
        )
    )
    db_session.flush()
    with pytest.raises(NoFreeReferenceError):
        new_reference(db_session, lambda _: 1)


def test_erasure_is_recorded_for_staff_and_nothing_is_deleted(factory, db_session):
    customer = factory.customer()
    factory.order(customer, "ORD-300001")
    outcome = request_erasure(db_session, customer.id, "conv-1", POLICY, TODAY, NOW)

    assert outcome.created
    assert outcome.kind is PrivacyRequestKind.ERASURE
    assert outcome.due_on == date(2024, 12, 31)
    assert outcome.export_path is None
    [row] = requests_of(db_session, customer.id)
    assert (row.reference, row.status, row.conversation_id) == (
        outcome.reference,
        PrivacyRequestStatus.PENDING_REVIEW,
        "conv-1",
    )
    [entry] = audit_of(db_session, outcome.reference)
    assert (entry.field, entry.old_value, entry.new_value, entry.conversation_id) == (
        "status",
        None,
        "pending_review",
        "conv-1",
    )
    assert db_session.get(Customer, customer.id) is not None
    assert db_session.execute(select(Order).where(Order.number == "ORD-300001")).scalar_one()


def test_a_pending_request_is_returned_instead_of_a_second_one(factory, db_session, tmp_path):
    customer = factory.customer()
    first = request_erasure(db_session, customer.id, "conv-1", POLICY, TODAY, NOW)
    again = request_erasure(db_session, customer.id, "conv-2", POLICY, date(2024, 12, 5))
    assert not again.created
    assert (again.reference, again.due_on) == (first.reference, first.due_on)
    assert len(requests_of(db_session, customer.id)) == 1
    assert len(audit_of(db_session, first.reference)) == 1

    # A pending erasure does not stand in for an export, nor the other way round.
    export = request_export(db_session, customer.id, "conv-3", POLICY, "EUR", tmp_path, TODAY)
    assert export.created
    pending = pending_request(db_session, customer.id, PrivacyRequestKind.EXPORT)
    assert pending == dataclasses.replace(export, created=False)
    assert pending_request(db_session, customer.id, PrivacyRequestKind.ERASURE).reference == (
        first.reference
    )


def test_a_completed_request_does_not_block_a_new_one(factory, db_session):
    customer = factory.customer()
    first = request_erasure(db_session, customer.id, "conv-1", POLICY, TODAY, NOW)
    row = db_session.execute(
        select(PrivacyRequest).where(PrivacyRequest.reference == first.reference)
    ).scalar_one()
    row.status = PrivacyRequestStatus.REJECTED
    db_session.flush()
    second = request_erasure(db_session, customer.id, "conv-2", POLICY, TODAY, NOW)
    assert second.created
    assert second.reference != first.reference


def test_another_customers_pending_request_is_not_theirs(factory, db_session):
    alex = factory.customer()
    sam = factory.customer()
    request_erasure(db_session, alex.id, "conv-1", POLICY, TODAY, NOW)
    assert pending_request(db_session, sam.id, PrivacyRequestKind.ERASURE) is None
    assert request_erasure(db_session, sam.id, "conv-2", POLICY, TODAY, NOW).created


def test_export_writes_the_customers_file_and_records_the_request(
    factory, db_session, tmp_path: Path
):
    customer = factory.customer(email="alex@example.com")
    factory.order(customer, "ORD-300002")
    outcome = request_export(db_session, customer.id, "conv-1", POLICY, "EUR", tmp_path, TODAY, NOW)

    assert outcome.created
    assert outcome.export_path == tmp_path / "exports" / f"{outcome.reference}.json"
    assert stat.S_IMODE(outcome.export_path.stat().st_mode) == 0o600
    document = json.loads(outcome.export_path.read_text(encoding="utf-8"))
    assert document["profile"]["email"] == "alex@example.com"
    assert [order["number"] for order in document["orders"]] == ["ORD-300002"]
    assert [request["reference"] for request in document["privacy_requests"]] == [outcome.reference]
    [row] = requests_of(db_session, customer.id)
    assert (row.kind, row.export_path, row.due_on) == (
        PrivacyRequestKind.EXPORT,
        str(outcome.export_path),
        date(2024, 12, 31),
    )
    [entry] = audit_of(db_session, outcome.reference)
    assert (entry.old_value, entry.new_value) == (None, "pending_review")


def test_a_pending_export_writes_no_second_file(factory, db_session, tmp_path: Path):
    customer = factory.customer()
    first = request_export(db_session, customer.id, "conv-1", POLICY, "EUR", tmp_path, TODAY)
    again = request_export(db_session, customer.id, "conv-2", POLICY, "EUR", tmp_path, TODAY)
    assert not again.created
    assert again.export_path == first.export_path
    assert list((tmp_path / "exports").iterdir()) == [first.export_path]


def test_an_export_that_cannot_be_written_raises_for_the_caller_to_roll_back(
    factory, db_session, tmp_path: Path
):
    customer = factory.customer()
    (tmp_path / "exports").write_text("not a directory")
    with pytest.raises(OSError):
        request_export(db_session, customer.id, "conv-1", POLICY, "EUR", tmp_path, TODAY)


def test_an_unknown_customer_gets_no_request(db_session, tmp_path: Path):
    with pytest.raises(CustomerNotFoundError):
        request_erasure(db_session, 987654, "conv-1", POLICY, TODAY)
    with pytest.raises(CustomerNotFoundError):
        request_export(db_session, 987654, "conv-1", POLICY, "EUR", tmp_path, TODAY)
    assert not list(tmp_path.iterdir())

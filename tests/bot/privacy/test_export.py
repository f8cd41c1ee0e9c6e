from __future__ import annotations

import json
import stat
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from bot.db.errors import CustomerNotFoundError
from bot.db.models import (
    CaseKind,
    CaseRemedy,
    LoyaltyAccount,
    PrivacyRequest,
    PrivacyRequestKind,
    ReturnLine,
    ReturnRequest,
    SupportCase,
)
from bot.privacy.export import build_export, export_file, write_export

NOW = datetime(2024, 6, 1, 10, 30, tzinfo=timezone.utc)


def customer_with_history(factory, db_session):
    customer = factory.customer(email="alex@example.com", name="Alex Morgan")
    customer.phone = "+353 1 234 5678"
    customer.loyalty_account = LoyaltyAccount(
        points_balance=1240, points_expiring=100, points_expiry_date=date(2024, 12, 31)
    )
    order = factory.order(customer, "ORD-200001", quantities=(2, 1))
    db_session.add(
        ReturnRequest(
            rma="RMA-000001",
            order=order,
            customer_id=customer.id,
            reason="too small",
            refund_cents=1500,
            created_at=NOW,
            lines=[ReturnLine(order_line=order.lines[1], quantity=1)],
        )
    )
    db_session.add(
        SupportCase(
            reference="CASE-000001",
            customer_id=customer.id,
            order_id=order.id,
            kind=CaseKind.DAMAGED_ITEM,
            remedy=CaseRemedy.REFUND,
            description="cracked glass",
            amount_cents=1500,
            created_at=NOW,
        )
    )
    db_session.add(
        PrivacyRequest(
            reference="PRIV-000001",
            customer_id=customer.id,
            kind=PrivacyRequestKind.EXPORT,
            created_at=NOW,
            due_on=date(2024, 7, 1),
        )
    )
    db_session.flush()
    return customer, order


def test_the_export_holds_every_section_of_the_customers_data(factory, db_session):
    customer, order = customer_with_history(factory, db_session)
    document = build_export(db_session, customer.id, "PRIV-000001", "EUR", NOW)

    assert document["request_reference"] == "PRIV-000001"
    assert document["generated_at"] == "2024-06-01T10:30:00+00:00"
    assert document["profile"]["email"] == "alex@example.com"
    assert document["profile"]["phone"] == "+353 1 234 5678"
    assert document["profile"]["created_at"] == "2023-01-01T00:00:00+00:00"
    [address] = document["addresses"]
    assert (address["city"], address["country"], address["is_default"]) == ("Dublin 8", "IE", True)
    assert document["loyalty_account"] == {
        "points_balance": 1240,
        "points_expiring": 100,
        "points_expiry_date": "2024-12-31",
    }
    [exported] = document["orders"]
    assert exported["number"] == "ORD-200001"
    assert exported["total"] == {"amount_cents": order.total_cents, "currency": "EUR"}
    assert [line["quantity"] for line in exported["lines"]] == [2, 1]
    assert exported["lines"][0]["line_total"] == {
        "amount_cents": 2 * order.lines[0].unit_price_cents,
        "currency": "EUR",
    }
    [payment] = exported["payments"]
    assert (payment["kind"], payment["status"]) == ("capture", "succeeded")
    assert payment["amount"] == {"amount_cents": order.total_cents, "currency": "EUR"}
    [shipment] = exported["shipments"]
    assert shipment["carrier"] == "DPD"
    assert shipment["estimated_delivery_date"] == "2024-05-04"
    [returned] = document["returns"]
    assert returned["rma"] == "RMA-000001"
    assert returned["order_number"] == "ORD-200001"
    assert returned["refund"] == {"amount_cents": 1500, "currency": "EUR"}
    assert [line["quantity"] for line in returned["lines"]] == [1]
    [case] = document["support_cases"]
    assert (case["reference"], case["kind"], case["remedy"]) == (
        "CASE-000001",
        "damaged_item",
        "refund",
    )
    assert case["amount"] == {"amount_cents": 1500, "currency": "EUR"}
    [request] = document["privacy_requests"]
    assert request == {
        "reference": "PRIV-000001",
        "kind": "export",
        "status": "pending_review",
        "created_at": "2024-06-01T10:30:00+00:00",
        "due_on": "2024-07-01",
    }
    json.dumps(document)  # plain JSON types only


def test_another_customers_data_never_appears(factory, db_session):
    customer, _ = customer_with_history(factory, db_session)
    other = factory.customer(email="other@example.com", name="Sam Other")
    factory.order(other, "ORD-200002")
    document = build_export(db_session, other.id, "PRIV-000002", "EUR", NOW)
    text = json.dumps(document)
    assert [order["number"] for order in document["orders"]] == ["ORD-200002"]
    assert document["returns"] == document["support_cases"] == []
    assert document["privacy_requests"] == []
    assert document["loyalty_account"] is None
    assert "alex@example.com" not in text
    assert "ORD-200001" not in text


def test_a_customer_without_orders_gets_empty_sections(factory, db_session):
    customer = factory.customer()
    document = build_export(db_session, customer.id, "PRIV-000003", "EUR", NOW)
    assert document["orders"] == document["returns"] == []


def test_an_unknown_customer_is_an_error(db_session):
    with pytest.raises(CustomerNotFoundError):
        build_export(db_session, 987654, "PRIV-000004", "EUR", NOW)


def test_the_file_goes_under_exports_and_only_its_owner_can_read_it(tmp_path: Path):
    path = export_file(tmp_path, "PRIV-123456")
    assert path == tmp_path / "exports" / "PRIV-123456.json"
    write_export({"profile": {"name": "Siobhán Ó Briain"}}, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text(encoding="utf-8")) == {"profile": {"name": "Siobhán Ó Briain"}}


def test_an_existing_file_is_never_overwritten(tmp_path: Path):
    path = export_file(tmp_path, "PRIV-123456")
    write_export({"first": True}, path)
    with pytest.raises(FileExistsError):
        write_export({"second": True}, path)
    assert json.loads(path.read_text(encoding="utf-8")) == {"first": True}


@pytest.mark.parametrize("reference", ["../../etc/passwd", "PRIV-12345", "PRIV-1234567", ""])
def test_only_a_request_reference_names_a_file(tmp_path: Path, reference):
    with pytest.raises(ValueError):
        export_file(tmp_path, reference)

"""A customer's data as one JSON document, for staff to review and send.

The document holds the profile, addresses, orders with their lines,
payments and shipments, the loyalty account, returns, support cases and
privacy requests. Dates and times are ISO 8601 (times in UTC); money is an
object of integer cents and an ISO 4217 currency, never a float.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any, Dict, Optional

from sqlalchemy.orm import Session

from bot.db.models import (
    Address,
    Customer,
    LoyaltyAccount,
    Order,
    PrivacyRequest,
    ReturnRequest,
    SupportCase,
)
from bot.db.repositories.customers import require_customer
from bot.db.repositories.privacy import (
    orders_with_details,
    privacy_requests_of,
    returns_of,
    support_cases_of,
)

EXPORTS_DIR = "exports"
FORMAT_VERSION = 1
_REFERENCE = re.compile(r"PRIV-[0-9]{6}\Z")

Document = Dict[str, Any]


def export_file(var_dir: Path, reference: str) -> Path:
    """Returns where the export of a request is written: ``<var_dir>/exports/<reference>.json``.

    Args:
        var_dir: The assistant's directory for local state.
        reference: The request's reference, e.g. ``PRIV-123456``.

    Raises:
        ValueError: When ``reference`` is not a privacy request reference, so
            that no other path can be built from it.
    """
    if not _REFERENCE.match(reference):
        raise ValueError(f"not a privacy request reference: {reference!r}")
    return var_dir / EXPORTS_DIR / f"{reference}.json"


def _iso(value: Optional[date]) -> Optional[str]:
    return value.isoformat() if value is not None else None


def _money(cents: int, currency: str) -> Document:
    return {"amount_cents": cents, "currency": currency}


def _profile(customer: Customer) -> Document:
    return {
        "customer_id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "loyalty_tier": customer.tier.value,
        "created_at": _iso(customer.created_at),
    }


def _address(address: Address) -> Document:
    return {
        "address_id": address.id,
        "recipient_name": address.recipient_name,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postcode": address.postcode,
        "country": address.country,
        "is_default": address.is_default,
    }


def _order(order: Order) -> Document:
    currency = order.currency
    return {
        "number": order.number,
        "status": order.status.value,
        "placed_at": _iso(order.placed_at),
        "updated_at": _iso(order.updated_at),
        "promised_delivery_date": _iso(order.promised_delivery_date),
        "shipping_address_id": order.shipping_address_id,
        "shipping_address": order.shipping_address.one_line(),
        "subtotal": _money(order.subtotal_cents, currency),
        "shipping": _money(order.shipping_cents, currency),
        "total": _money(order.total_cents, currency),
        "lines": [
            {
                "sku": line.product.sku,
                "product": line.product.display_name,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price_cents, currency),
                "line_total": _money(line.line_total_cents, currency),
            }
            for line in order.lines
        ],
        "payments": [
            {
                "reference": payment.reference,
                "method": payment.method.value,
                "kind": payment.kind.value,
                "status": payment.status.value,
                "amount": _money(payment.amount_cents, currency),
                "created_at": _iso(payment.created_at),
                "failure_reason": payment.failure_reason,
            }
            for payment in order.payments
        ],
        "shipments": [
            {
                "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "status": shipment.status.value,
                "shipped_at": _iso(shipment.shipped_at),
                "estimated_delivery_date": _iso(shipment.estimated_delivery_date),
                "delivered_at": _iso(shipment.delivered_at),
            }
            for shipment in order.shipments
        ],
    }


def _loyalty(account: Optional[LoyaltyAccount]) -> Optional[Document]:
    if account is None:
        return None
    return {
        "points_balance": account.points_balance,
        "points_expiring": account.points_expiring,
        "points_expiry_date": _iso(account.points_expiry_date),
    }


def _return(request: ReturnRequest) -> Document:
    return {
        "rma": request.rma,
        "order_number": request.order.number,
        "status": request.status.value,
        "reason": request.reason,
        "refund": _money(request.refund_cents, request.order.currency),
        "created_at": _iso(request.created_at),
        "received_at": _iso(request.received_at),
        "refunded_at": _iso(request.refunded_at),
        "lines": [
            {
                "sku": line.order_line.product.sku,
                "product": line.order_line.product.display_name,
                "quantity": line.quantity,
            }
            for line in request.lines
        ],
    }


def _case(case: SupportCase, shop_currency: str) -> Document:
    currency = case.order.currency if case.order is not None else shop_currency
    return {
        "reference": case.reference,
        "kind": case.kind.value,
        "order_number": case.order.number if case.order is not None else None,
        "remedy": case.remedy.value if case.remedy is not None else None,
        "status": case.status.value,
        "description": case.description,
        "amount": _money(case.amount_cents, currency),
        "needs_staff_attention": case.escalate,
        "attention_reason": case.escalation_reason,
        "created_at": _iso(case.created_at),
    }


def _privacy_request(request: PrivacyRequest) -> Document:
    return {
        "reference": request.reference,
        "kind": request.kind.value,
        "status": request.status.value,
        "created_at": _iso(request.created_at),
        "due_on": _iso(request.due_on),
    }


def build_export(
    session: Session,
    customer_id: int,
    reference: str,
    shop_currency: str,
    generated_at: datetime,
) -> Document:
    """Collects everything the shop holds about one customer.

    Args:
        session: Open database session.
        customer_id: The verified customer whose data it is.
        reference: The privacy request the export answers.
        shop_currency: Currency of amounts not tied to an order.
        generated_at: When the export is made, timezone-aware.

    Returns:
        The document, ready for :func:`json.dumps`.

    Raises:
        CustomerNotFoundError: When there is no such customer.
    """
    customer = require_customer(session, customer_id)
    return {
        "format_version": FORMAT_VERSION,
        "request_reference": reference,
        "generated_at": _iso(generated_at),
        "profile": _profile(customer),
        "addresses": [_address(address) for address in customer.addresses],
        "orders": [_order(order) for order in orders_with_details(session, customer_id)],
        "loyalty_account": _loyalty(customer.loyalty_account),
        "returns": [_return(request) for request in returns_of(session, customer_id)],
        "support_cases": [
            _case(case, shop_currency) for case in support_cases_of(session, customer_id)
        ],
        "privacy_requests": [
            _privacy_request(request) for request in privacy_requests_of(session, customer_id)
        ],
    }


def write_export(document: Document, path: Path) -> Path:
    """Writes the document as JSON that only the assistant's user can read (mode 600).

    The directory is created (mode 700) when missing. An existing file is
    never overwritten.

    Args:
        document: What :func:`build_export` returned.
        path: Where to write, from :func:`export_file`.

    Returns:
        The path written.

    Raises:
        FileExistsError: When the file already exists.
        OSError: When the file cannot be written.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        try:
            handle.write(text)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    return path

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from typing import Optional, Sequence

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db.models import (
    AuditEntry,
    Order,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    ReturnRequest,
    ReturnStatus,
    ShipmentStatus,
)
from bot.db.repositories.returns import add_return_request, find_return_by_rma, returns_of_order
from bot.knowledge.policies import load_policies
from bot.orders import returns_messages as texts
from bot.orders.returns import (
    ReturnableLine,
    ReturnItemsUnavailableError,
    ReturnVerdict,
    RmaUnavailableError,
    choose_items,
    clean_reason,
    find_return_check,
    is_damage_reason,
    new_rma,
    start_return,
)

TODAY = date(2024, 10, 20)
NOW = datetime(2024, 10, 20, 9, 30, tzinfo=timezone.utc)
LAMP_MUG_COVER = (
    ("Desk lamp", "Blue", 1),
    ("Ceramic mug", "Speckled white", 4),
    ("Cushion cover", "Mustard", 2),
)


@pytest.fixture
def policies():
    return load_policies()


@pytest.fixture
def owner(factory):
    return factory.customer(email="owner@example.com", name="Olive Owner")


def delivered_order(
    factory,
    customer,
    number: str,
    delivered_at: Optional[datetime] = datetime(2024, 10, 2, 11, 0, tzinfo=timezone.utc),
    items: Sequence[tuple] = LAMP_MUG_COVER,
    status: OrderStatus = OrderStatus.DELIVERED,
    country: str = "IE",
) -> Order:
    """An order of named products, its parcel delivered at ``delivered_at``."""
    order = factory.order(customer, number, status=status, quantities=[q for *_, q in items])
    for line, (name, colour, _) in zip(order.lines, items):
        line.product.name, line.product.colour = name, colour
    if delivered_at is not None:
        order.shipments[0].status = ShipmentStatus.DELIVERED
        order.shipments[0].delivered_at = delivered_at
    order.shipping_address.country = country
    factory.session.flush()
    return order


def audit_rows(session: Session, rma: str):
    return session.execute(select(AuditEntry).where(AuditEntry.entity_id == rma)).scalars().all()


def test_delivered_order_within_the_window_lists_its_lines_as_buttons(
    db_session, factory, owner, policies
):
    order = delivered_order(factory, owner, "ORD-400001")
    check = find_return_check(db_session, "ord 400001", owner.id, policies, TODAY)
    assert check.verdict is ReturnVerdict.ALLOWED
    assert check.delivered_on == date(2024, 10, 2)
    assert check.last_day == date(2024, 11, 1)
    assert [line.title for line in check.lines] == [
        "Blue desk lamp (x1, €15)",
        "Speckled white ceramic mug (x4, €60)",
        "Mustard cushion cover (x2, €30)",
    ]
    assert [line.line_id for line in check.lines] == [line.id for line in order.lines]
    assert check.free_label and check.zone_name == "Ireland"


def test_the_window_includes_its_last_day_and_then_closes(db_session, factory, owner, policies):
    delivered_order(factory, owner, "ORD-400002")
    last_day = find_return_check(db_session, "ORD-400002", owner.id, policies, date(2024, 11, 1))
    assert last_day.allowed
    closed = find_return_check(db_session, "ORD-400002", owner.id, policies, date(2024, 11, 2))
    assert closed.verdict is ReturnVerdict.WINDOW_CLOSED
    assert closed.lines == ()
    text = texts.window_closed(
        closed.order_number, closed.delivered_on, 30, closed.last_day, date(2024, 11, 2), 24
    )
    assert text.startswith(
        "Order ORD-400002 was delivered on 2 Oct; returns are possible for 30 days after "
        "delivery, so the window closed on 1 Nov."
    )
    assert 'type "talk to a person"' in text


def test_the_delivery_day_is_the_shops_local_day(db_session, factory, owner, policies):
    # 23:30 UTC on 1 Oct is 00:30 on 2 Oct in Dublin (summer time).
    delivered_order(
        factory,
        owner,
        "ORD-400003",
        delivered_at=datetime(2024, 10, 1, 23, 30, tzinfo=timezone.utc),
    )
    check = find_return_check(db_session, "ORD-400003", owner.id, policies, TODAY)
    assert check.delivered_on == date(2024, 10, 2)


@pytest.mark.parametrize(
    ("status", "verdict", "can_cancel"),
    [
        (OrderStatus.PENDING, ReturnVerdict.NOT_SHIPPED, True),
        (OrderStatus.PAID, ReturnVerdict.NOT_SHIPPED, True),
        (OrderStatus.SHIPPED, ReturnVerdict.IN_TRANSIT, False),
        (OrderStatus.CANCELLED, ReturnVerdict.CANCELLED, False),
    ],
)
def test_orders_not_delivered_cannot_be_returned(
    db_session, factory, owner, policies, status, verdict, can_cancel
):
    delivered_order(factory, owner, "ORD-400004", delivered_at=None, status=status)
    check = find_return_check(db_session, "ORD-400004", owner.id, policies, TODAY)
    assert (check.verdict, check.can_cancel, check.lines) == (verdict, can_cancel, ())


def test_a_returned_order_reports_the_refund_instead(db_session, factory, owner, policies):
    order = delivered_order(factory, owner, "ORD-400005", status=OrderStatus.RETURNED)
    order.payments.append(
        Payment(
            method=PaymentMethod.CARD,
            kind=PaymentKind.REFUND,
            status=PaymentStatus.SUCCEEDED,
            amount_cents=4495,
            reference="re_test_400005",
            created_at=datetime(2024, 10, 9, 10, 0, tzinfo=timezone.utc),
        )
    )
    db_session.flush()
    check = find_return_check(db_session, "ORD-400005", owner.id, policies, TODAY)
    assert check.verdict is ReturnVerdict.ALREADY_RETURNED
    assert (check.refunded_cents, check.refunded_on) == (4495, date(2024, 10, 9))


def test_delivered_without_a_delivery_time_is_left_to_a_person(
    db_session, factory, owner, policies
):
    delivered_order(factory, owner, "ORD-400006", delivered_at=None)
    check = find_return_check(db_session, "ORD-400006", owner.id, policies, TODAY)
    assert check.verdict is ReturnVerdict.DELIVERY_UNKNOWN


def test_another_customers_order_reads_as_unknown(db_session, factory, owner, policies):
    delivered_order(factory, owner, "ORD-400007")
    intruder = factory.customer(email="intruder@example.com")
    check = find_return_check(db_session, "ORD-400007", intruder.id, policies, TODAY)
    assert check.verdict is ReturnVerdict.NOT_FOUND
    assert check.order_number == "" and check.lines == ()
    check, created = start_return(
        db_session, "ORD-400007", intruder.id, None, "Changed my mind", "c", policies, TODAY
    )
    assert created is None
    assert db_session.execute(select(ReturnRequest)).scalars().all() == []


def test_a_return_is_created_for_the_chosen_lines_and_audited(db_session, factory, owner, policies):
    order = delivered_order(factory, owner, "ORD-400008")
    lamp, mugs, _ = order.lines
    check, created = start_return(
        db_session,
        "ORD-400008",
        owner.id,
        [lamp.id, mugs.id],
        "Doesn't fit",
        "conv-9",
        policies,
        TODAY,
        now=NOW,
    )
    assert check.allowed and created is not None
    assert re.fullmatch(r"RMA-\d{6}", created.rma)
    assert created.items == "the Blue desk lamp and 4 x Speckled white ceramic mug"
    assert created.refund_cents == 1500 + 4 * 1500
    assert created.shipping_refund_cents == 0
    assert created.free_label and not created.damaged
    stored = find_return_by_rma(db_session, created.rma)
    assert stored is not None
    assert (stored.status, stored.reason, stored.refund_cents, stored.conversation_id) == (
        ReturnStatus.REQUESTED,
        "Doesn't fit",
        7500,
        "conv-9",
    )
    assert (stored.order_id, stored.customer_id) == (order.id, owner.id)
    assert [(line.order_line_id, line.quantity) for line in stored.lines] == [
        (lamp.id, 1),
        (mugs.id, 4),
    ]
    [row] = audit_rows(db_session, created.rma)
    assert (row.entity, row.field, row.old_value, row.new_value, row.conversation_id) == (
        "return",
        "status",
        None,
        "requested",
        "conv-9",
    )


def test_returning_the_whole_order_refunds_its_shipping_too(db_session, factory, owner, policies):
    delivered_order(factory, owner, "ORD-400009")
    _, created = start_return(
        db_session, "ORD-400009", owner.id, None, "Changed my mind", "c", policies, TODAY
    )
    assert created is not None
    assert created.refund_cents == 7 * 1500 + 495
    assert created.shipping_refund_cents == 495
    assert "(including the €4.95 you paid for shipping)" in texts.return_created(created, 5)


def test_lines_already_in_a_return_are_not_returnable_again(db_session, factory, owner, policies):
    order = delivered_order(factory, owner, "ORD-400010")
    lamp, mugs, covers = order.lines
    start_return(db_session, "ORD-400010", owner.id, [lamp.id], "Doesn't fit", "c", policies, TODAY)
    check = find_return_check(db_session, "ORD-400010", owner.id, policies, TODAY)
    assert check.allowed
    assert [line.line_id for line in check.lines] == [mugs.id, covers.id]
    [existing] = check.existing
    assert (existing.status, existing.items, existing.refund_cents) == (
        ReturnStatus.REQUESTED,
        "the Blue desk lamp",
        1500,
    )
    with pytest.raises(ReturnItemsUnavailableError):
        start_return(db_session, "ORD-400010", owner.id, [lamp.id], "again", "c", policies, TODAY)
    # The rest goes back in a second return: no shipping refund, nothing left afterwards.
    _, second = start_return(
        db_session, "ORD-400010", owner.id, None, "Changed my mind", "c", policies, TODAY
    )
    assert second is not None and second.refund_cents == 6 * 1500
    final = find_return_check(db_session, "ORD-400010", owner.id, policies, TODAY)
    assert final.verdict is ReturnVerdict.NOTHING_LEFT
    assert len(final.existing) == 2


def test_partly_returned_quantities_leave_the_rest_returnable(db_session, factory, owner, policies):
    order = delivered_order(factory, owner, "ORD-400011")
    mugs = order.lines[1]
    add_return_request(
        db_session,
        rma="RMA-000111",
        order_id=order.id,
        customer_id=owner.id,
        lines=[(mugs.id, 1)],
        reason="One was chipped",
        refund_cents=1500,
        conversation_id=None,
    )
    check = find_return_check(db_session, "ORD-400011", owner.id, policies, TODAY)
    assert [line.title for line in check.lines][1] == "Speckled white ceramic mug (x3, €45)"


def test_lines_of_another_order_are_never_returned(db_session, factory, owner, policies):
    delivered_order(factory, owner, "ORD-400012")
    other = delivered_order(factory, factory.customer(), "ORD-400013")
    with pytest.raises(ReturnItemsUnavailableError):
        start_return(
            db_session, "ORD-400012", owner.id, [other.lines[0].id], "x y z", "c", policies, TODAY
        )
    assert returns_of_order(db_session, other.id) == []


def test_outside_the_free_zone_the_customer_pays_the_postage(db_session, factory, owner, policies):
    delivered_order(factory, owner, "ORD-400014", country="FR")
    _, created = start_return(
        db_session, "ORD-400014", owner.id, None, "Arrived damaged", "c", policies, TODAY
    )
    assert created is not None
    assert not created.free_label and created.zone_name == "other EU countries"
    assert created.damaged
    text = texts.return_created(created, 5)
    assert "Returns from other EU countries are sent at your own cost" in text
    assert "prepaid" not in text
    assert 'say "my item arrived broken"' in text


def test_a_clashing_rma_is_drawn_again(db_session, factory, owner):
    order = delivered_order(factory, owner, "ORD-400015")
    add_return_request(
        db_session,
        rma="RMA-000042",
        order_id=order.id,
        customer_id=owner.id,
        lines=[(order.lines[0].id, 1)],
        reason="Doesn't fit",
        refund_cents=1500,
        conversation_id="c",
    )
    draws = iter([42, 42, 7])
    assert new_rma(db_session, lambda: next(draws)) == "RMA-000007"
    with pytest.raises(RmaUnavailableError):
        new_rma(db_session, lambda: 42)


def lines(*specs: tuple) -> list:
    return [
        ReturnableLine(
            line_id=n,
            name=f"{colour} {name.lower()}",
            quantity=1,
            unit_price_cents=1000,
            currency="EUR",
            name_words=tuple(name.lower().split()),
            colour_words=tuple(colour.lower().split()),
        )
        for n, (name, colour) in enumerate(specs, start=1)
    ]


ORDER_LINES = lines(
    ("Desk lamp", "Blue"),
    ("Ceramic mug", "Speckled white"),
    ("Canvas tote bag", "Natural"),
    ("Canvas tote bag", "Navy"),
)


@pytest.mark.parametrize(
    ("value", "chosen"),
    [
        ("the lamp and the mug", (1, 2)),
        (["I'd like to send back the mugs, and the desk lamp please"], (1, 2)),
        ("the navy tote", (4,)),
        ("Natural canvas tote bag", (3,)),
        ("both tote bags", (3, 4)),
        ("everything", (1, 2, 3, 4)),
        (["all"], (1, 2, 3, 4)),
        (["2"], (2,)),
        ("the lamp, thanks", (1,)),
        ("the sofa", ()),
        ("1' OR '1'='1", ()),
        ("<script>alert(1)</script>", ()),
        (["99"], ()),
        (None, ()),
    ],
)
def test_items_are_chosen_by_button_or_by_name(value, chosen):
    choice = choose_items(value, ORDER_LINES)
    assert choice.line_ids == chosen
    assert choice.ambiguous == ()


def test_a_name_that_fits_several_items_asks_which(value="the tote bag"):
    choice = choose_items(value, ORDER_LINES)
    assert choice.line_ids == ()
    assert [line.line_id for line in choice.ambiguous] == [3, 4]
    assert texts.item_ambiguous(choice.ambiguous) == (
        "Do you mean the Natural canvas tote bag or the Navy canvas tote bag? Please pick one "
        "below, or type its colour too."
    )


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  Doesn't   fit\n", "Doesn't fit"),
        ("1' OR '1'='1; DROP TABLE returns;--", "1' OR '1'='1; DROP TABLE returns;--"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("too\x00 small", "too small"),
        ("no", None),
        ("!!!", None),
        (None, None),
    ],
)
def test_a_reason_is_kept_as_text(typed, kept):
    assert clean_reason(typed) == kept


def test_a_long_reason_is_cut():
    assert clean_reason("abcd" * 200) == "abcd" * 125


@pytest.mark.parametrize(
    ("reason", "damaged"),
    [
        ("Arrived damaged", True),
        ("the lamp is broken", True),
        ("It doesn't work", True),
        ("Doesn't fit", False),
        ("Changed my mind", False),
    ],
)
def test_damage_is_recognised_in_the_reason(reason, damaged):
    assert is_damage_reason(reason) is damaged


def test_earlier_returns_are_reported_in_plain_words(db_session, factory, owner, policies):
    order = delivered_order(factory, owner, "ORD-400016")
    lamp, mugs, covers = order.lines
    for rma, line, status, refunded_at in (
        ("RMA-000001", lamp, ReturnStatus.REFUNDED, datetime(2024, 10, 12, 9, tzinfo=timezone.utc)),
        ("RMA-000002", mugs, ReturnStatus.RECEIVED, None),
        ("RMA-000003", covers, ReturnStatus.REJECTED, None),
    ):
        request = add_return_request(
            db_session,
            rma=rma,
            order_id=order.id,
            customer_id=owner.id,
            lines=[(line.id, line.quantity)],
            reason="Changed my mind",
            refund_cents=line.line_total_cents,
            conversation_id="c",
            now=NOW - timedelta(days=9),
        )
        request.status, request.refunded_at = status, refunded_at
    db_session.flush()
    check = find_return_check(db_session, "ORD-400016", owner.id, policies, TODAY)
    assert check.verdict is ReturnVerdict.NOTHING_LEFT
    text = texts.existing_returns(check.order_number, check.existing, 5, TODAY)
    assert text.splitlines() == [
        "Here are your returns for order ORD-400016:",
        "- RMA-000001 (the Blue desk lamp): refunded. €15 went back to your original payment "
        "method on 12 Oct.",
        "- RMA-000002 (4 x Speckled white ceramic mug): it has arrived at our warehouse and is "
        "being checked. The refund of €60 follows within 5 business days.",
        "- RMA-000003 (2 x Mustard cushion cover): we couldn't accept this return, so nothing "
        "was refunded.",
        texts.PERSON_OFFER,
    ]

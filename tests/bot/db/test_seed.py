from __future__ import annotations

import dataclasses
import re
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterator, List, Tuple
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.db.engine import create_engine_for_url
from bot.db.errors import DatabaseNotEmptyError
from bot.db.models import (
    Address,
    Base,
    Customer,
    LoyaltyAccount,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
    Product,
    Shipment,
)
from bot.db.repositories.customers import find_customer_by_email
from bot.db.repositories.orders import find_order_for_owner, list_recent_orders
from bot.db.seed import (
    DEMO_CUSTOMER_EMAIL,
    DEMO_ORDER_NUMBERS,
    SeedSummary,
    count_customers,
    reset_shop_data,
    seed_demo,
    shipping_zone_key,
)
from bot.knowledge.policies import Policies, load_policies

TODAY = date(2024, 6, 1)  # a Saturday
POLICIES = load_policies()
LOCAL = ZoneInfo(POLICIES.contact.timezone)
EU_COUNTRIES = {"FR", "DE", "NL", "ES", "IT"}
NON_EU_COUNTRIES = {"US", "GB", "CA"}
LATE_DEMO_ORDER = DEMO_ORDER_NUMBERS[2]
EIRCODE = re.compile(r"(?:[AC-FHKNPRTV-Y]\d{2}|D6W) [0-9AC-FHKNPRTV-Y]{4}")
PHONES = {
    "IE": re.compile(r"\+353 20 91\d \d{4}"),
    "GB": re.compile(r"\+44 7700 900\d{3}"),
    "US": re.compile(r"\+1 \d{3} 555 01\d{2}"),
    "CA": re.compile(r"\+1 \d{3} 555 01\d{2}"),
    "FR": re.compile(r"\+33 1 99 00 \d{2} \d{2}"),
    "DE": re.compile(r"\+49 30 23125 \d{3}"),
}


@pytest.fixture
def seeded(db_session: Session) -> SeedSummary:
    summary = seed_demo(db_session, TODAY)
    db_session.expire_all()
    return summary


@pytest.fixture
def sqlite_session() -> Iterator[Session]:
    """A session on a fresh in-memory SQLite database."""
    engine = create_engine_for_url("sqlite://")
    try:
        Base.metadata.create_all(engine)
        with Session(engine, future=True) as session:
            yield session
    finally:
        engine.dispose()


def load_orders(session: Session) -> List[Order]:
    return list(
        session.execute(
            select(Order)
            .options(
                selectinload(Order.customer).selectinload(Customer.loyalty_account),
                selectinload(Order.shipping_address),
                selectinload(Order.lines).selectinload(OrderLine.product),
                selectinload(Order.payments),
                selectinload(Order.shipments),
            )
            .order_by(Order.number)
        ).scalars()
    )


def snapshot(session: Session) -> List[Tuple[Any, ...]]:
    """Everything about the orders that must not change between two seeds."""
    return [
        (
            order.number,
            order.customer.email,
            order.customer.tier,
            order.shipping_address.one_line(),
            order.status,
            order.placed_at,
            order.updated_at,
            order.subtotal_cents,
            order.shipping_cents,
            order.total_cents,
            order.promised_delivery_date,
            tuple((line.product.sku, line.quantity, line.unit_price_cents) for line in order.lines),
            tuple(
                (p.method, p.kind, p.status, p.amount_cents, p.reference, p.created_at)
                for p in order.payments
            ),
            tuple(
                (
                    s.carrier,
                    s.tracking_number,
                    s.status,
                    s.shipped_at,
                    s.estimated_delivery_date,
                    s.delivered_at,
                )
                for s in order.shipments
            ),
        )
        for order in load_orders(session)
    ]


def count(session: Session, model: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def zone_of(country: str) -> str:
    if country == "IE":
        return "domestic"
    if country in EU_COUNTRIES:
        return "eu"
    assert country in NON_EU_COUNTRIES, country
    return "international"


def add_business_days(day: date, days: int) -> date:
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL)


def is_s10_with_check_digit(number: str, country: str) -> bool:
    match = re.fullmatch(r"[A-Z]{2}(\d{8})(\d)" + country, number)
    if not match:
        return False
    total = sum(int(d) * w for d, w in zip(match.group(1), (8, 6, 4, 2, 3, 5, 9, 7)))
    check = 11 - total % 11
    return int(match.group(2)) == {10: 0, 11: 5}.get(check, check)


# -- checks that the shop follows its policies, on any day --------------------------


def check_currency_and_shipping_costs(orders: List[Order], policies: Policies) -> None:
    for order in orders:
        assert order.currency == policies.currency
        zone = policies.shipping.zones[zone_of(order.shipping_address.country)]
        threshold = zone.free_threshold_cents
        expected = (
            0 if threshold is not None and order.subtotal_cents >= threshold else zone.cost_cents
        )
        assert order.shipping_cents == expected, order.number


def check_promised_dates(orders: List[Order], policies: Policies) -> None:
    for order in orders:
        zone = policies.shipping.zones[zone_of(order.shipping_address.country)]
        placed = local(order.placed_at).date()
        assert order.promised_delivery_date == add_business_days(placed, zone.max_days)


def check_carriers_and_tracking_numbers(orders: List[Order], policies: Policies) -> None:
    for order in orders:
        country = order.shipping_address.country
        for shipment in order.shipments:
            assert shipment.carrier in policies.shipping.carriers
            if country == "IE" and order.number != LATE_DEMO_ORDER:
                assert shipment.carrier == "An Post", order.number
            else:
                assert shipment.carrier == "DPD", order.number
            if shipment.carrier == "An Post":
                assert is_s10_with_check_digit(shipment.tracking_number, "IE")
            else:
                assert re.fullmatch(r"\d{14}", shipment.tracking_number)


def check_parcels_keep_to_dispatch_and_promise(
    orders: List[Order], policies: Policies, today: date
) -> None:
    """Generated parcels leave as the dispatch cut-off says and are expected in time."""
    for order in orders:
        if order.number in DEMO_ORDER_NUMBERS:
            continue
        zone = policies.shipping.zones[zone_of(order.shipping_address.country)]
        placed = local(order.placed_at)
        before_cutoff = placed.strftime("%H:%M") < policies.shipping.dispatch_cutoff
        if placed.weekday() < 5 and before_cutoff:
            dispatch = placed.date()
        else:
            dispatch = add_business_days(placed.date(), 1)
        for shipment in order.shipments:
            estimated = shipment.estimated_delivery_date
            assert estimated is not None and estimated <= order.promised_delivery_date
            if shipment.shipped_at is None:  # label created, waiting for the warehouse
                assert order.status is OrderStatus.PAID and dispatch >= today
                continue
            shipped = local(shipment.shipped_at)
            assert shipped.date() == dispatch and shipped > placed, order.number
            transit = add_business_days(shipped.date(), zone.min_days)
            assert transit <= estimated, order.number
            if shipment.delivered_at is not None:
                assert local(shipment.delivered_at).weekday() < 5
        if order.status is OrderStatus.PAID:
            assert dispatch >= today, order.number
        if order.status is OrderStatus.SHIPPED:
            assert dispatch < today
            late = order.shipments[0].is_late(today)
            assert late == (order.promised_delivery_date < today), order.number


def check_loyalty_tiers(session: Session, policies: Policies) -> None:
    customers = session.execute(
        select(Customer).options(selectinload(Customer.loyalty_account))
    ).scalars()
    for customer in customers:
        account = customer.loyalty_account
        if account is None:
            assert customer.tier.value == policies.loyalty.tiers[0].key
        else:
            assert customer.tier.value == policies.loyalty.tier_for(account.points_balance).key


def check_everything(session: Session, today: date, policies: Policies = POLICIES) -> None:
    orders = load_orders(session)
    check_currency_and_shipping_costs(orders, policies)
    check_promised_dates(orders, policies)
    check_carriers_and_tracking_numbers(orders, policies)
    check_parcels_keep_to_dispatch_and_promise(orders, policies, today)
    check_loyalty_tiers(session, policies)
    midnight = datetime.combine(today, time(0), tzinfo=timezone.utc)
    assert all(order.updated_at < midnight for order in orders)


# -- what the shop holds ----------------------------------------------------------------


def test_summary_matches_the_database(db_session: Session, seeded: SeedSummary) -> None:
    assert seeded.customers == count(db_session, Customer) >= 60
    assert seeded.orders == count(db_session, Order) >= 240
    assert seeded.products == 40
    assert seeded.payments == count(db_session, Payment)
    assert seeded.shipments == count(db_session, Shipment)
    assert seeded.loyalty_accounts == count(db_session, LoyaltyAccount)
    assert sum(seeded.orders_by_status.values()) == seeded.orders
    assert any("jane.doe@example.com" in line for line in seeded.describe())


def test_every_order_status_is_present(db_session: Session, seeded: SeedSummary) -> None:
    rows = db_session.execute(select(Order.status, func.count()).group_by(Order.status)).all()
    by_status = {status: n for status, n in rows}
    assert set(by_status) == set(OrderStatus)
    assert all(n >= 5 for n in by_status.values())


def test_there_are_late_shipments(db_session: Session, seeded: SeedSummary) -> None:
    late = (
        db_session.execute(
            select(Order)
            .join(Order.shipments)
            .where(
                Order.status == OrderStatus.SHIPPED,
                Shipment.delivered_at.is_(None),
                Shipment.estimated_delivery_date < TODAY,
            )
        )
        .scalars()
        .all()
    )
    assert len(late) >= 5
    assert seeded.late_shipments == len(late)
    assert all(order.shipments[0].is_late(TODAY) for order in late)
    assert all(order.promised_delivery_date < TODAY for order in late)


def test_there_are_multi_line_orders(db_session: Session, seeded: SeedSummary) -> None:
    lines_per_order = (
        select(OrderLine.order_id, func.count().label("n")).group_by(OrderLine.order_id).subquery()
    )
    multi = db_session.execute(
        select(func.count()).select_from(lines_per_order).where(lines_per_order.c.n > 1)
    ).scalar_one()
    assert multi >= 20


def test_payment_scenarios(db_session: Session, seeded: SeedSummary) -> None:
    failed = (
        db_session.execute(select(Payment).where(Payment.status == PaymentStatus.FAILED))
        .scalars()
        .all()
    )
    assert len(failed) >= 5
    assert all(payment.failure_reason for payment in failed)

    captures = (
        select(Payment.order_id)
        .where(Payment.kind == PaymentKind.CAPTURE, Payment.status == PaymentStatus.SUCCEEDED)
        .group_by(Payment.order_id)
        .having(func.count() > 1)
    )
    assert len(db_session.execute(captures).all()) >= 2

    refunds = db_session.execute(
        select(func.count()).select_from(Payment).where(Payment.kind == PaymentKind.REFUND)
    ).scalar_one()
    assert refunds >= seeded.orders_by_status["returned"]


def test_money_adds_up_in_the_policies_currency(db_session: Session, seeded: SeedSummary) -> None:
    orders = db_session.execute(select(Order).options(selectinload(Order.lines))).scalars()
    for order in orders:
        assert order.subtotal_cents == sum(line.line_total_cents for line in order.lines)
        assert order.total_cents == order.subtotal_cents + order.shipping_cents
        assert order.currency == POLICIES.currency == "EUR"


def test_klarna_pays_only_orders_above_its_minimum(
    db_session: Session, seeded: SeedSummary
) -> None:
    minimum = POLICIES.values["payment"]["klarna"]["min_order_cents"]
    totals = db_session.execute(
        select(Order.total_cents).join(Order.payments).where(Payment.method == PaymentMethod.KLARNA)
    ).scalars()
    assert all(total >= minimum for total in totals)


def test_nothing_happens_after_yesterday(db_session: Session, seeded: SeedSummary) -> None:
    midnight = datetime.combine(TODAY, time(0), tzinfo=timezone.utc)
    latest = [
        db_session.execute(select(func.max(column))).scalar_one()
        for column in (
            Order.placed_at,
            Order.updated_at,
            Payment.created_at,
            Shipment.shipped_at,
            Shipment.delivered_at,
            Customer.created_at,
        )
    ]
    assert all(moment < midnight for moment in latest)


def test_loyalty_points_expire_soon_for_some(db_session: Session, seeded: SeedSummary) -> None:
    soon = db_session.execute(
        select(func.count())
        .select_from(LoyaltyAccount)
        .where(
            LoyaltyAccount.points_expiring > 0,
            LoyaltyAccount.points_expiry_date <= TODAY + timedelta(days=30),
        )
    ).scalar_one()
    assert soon >= 5


def test_customers_look_real_and_use_example_domains(
    db_session: Session, seeded: SeedSummary
) -> None:
    emails = db_session.execute(select(Customer.email)).scalars().all()
    pattern = re.compile(r"[a-z-]+\.[a-z-]+[0-9]*@example\.(com|org|net)")
    assert all(pattern.fullmatch(email) for email in emails), emails
    assert len(set(emails)) == len(emails)


def test_customers_live_mostly_in_ireland(db_session: Session, seeded: SeedSummary) -> None:
    customers = (
        db_session.execute(select(Customer).options(selectinload(Customer.addresses)))
        .scalars()
        .all()
    )
    homes = Counter(customer.addresses[0].country for customer in customers)
    assert set(homes) == {"IE"} | EU_COUNTRIES | NON_EU_COUNTRIES
    assert homes["IE"] > len(customers) / 2
    for customer in customers:  # every address is in the customer's country
        assert {address.country for address in customer.addresses} == {
            customer.addresses[0].country
        }
    assert {zone_of(country) for country in homes} == set(POLICIES.shipping.zones)
    assert all(shipping_zone_key(country) == zone_of(country) for country in homes)


def test_irish_addresses_have_eircodes(db_session: Session, seeded: SeedSummary) -> None:
    irish = db_session.execute(select(Address).where(Address.country == "IE")).scalars().all()
    assert len(irish) >= 40
    assert all(EIRCODE.fullmatch(address.postcode) for address in irish), [
        address.postcode for address in irish
    ]
    dublin = [address for address in irish if address.city.startswith("Dublin")]
    assert dublin and all(a.postcode[:3] in {f"D{a.city[7:]:0>2}", "D6W"} for a in dublin)


def test_phone_numbers_come_from_fictional_ranges(db_session: Session, seeded: SeedSummary) -> None:
    customers = db_session.execute(select(Customer).options(selectinload(Customer.addresses)))
    with_phone = 0
    for customer in customers.scalars():
        country = customer.addresses[0].country
        if customer.phone is None:
            continue
        with_phone += 1
        assert country in PHONES, (country, customer.phone)
        assert PHONES[country].fullmatch(customer.phone), customer.phone
    assert with_phone >= 40


# -- the shop follows its policies -----------------------------------------------------


def test_shipping_costs_follow_the_zones(db_session: Session, seeded: SeedSummary) -> None:
    orders = load_orders(db_session)
    check_currency_and_shipping_costs(orders, POLICIES)
    paid_shipping = {
        zone_of(order.shipping_address.country) for order in orders if order.shipping_cents
    }
    free_shipping = {
        zone_of(order.shipping_address.country) for order in orders if not order.shipping_cents
    }
    assert paid_shipping == {"domestic", "eu", "international"}
    assert free_shipping == {"domestic", "eu"}  # international never ships free


def test_promised_dates_add_the_zone_maximum_in_business_days(
    db_session: Session, seeded: SeedSummary
) -> None:
    orders = load_orders(db_session)
    check_promised_dates(orders, POLICIES)
    assert all(order.promised_delivery_date.weekday() < 5 for order in orders)


def test_parcels_go_with_the_policy_carriers(db_session: Session, seeded: SeedSummary) -> None:
    orders = load_orders(db_session)
    check_carriers_and_tracking_numbers(orders, POLICIES)
    carriers = {shipment.carrier for order in orders for shipment in order.shipments}
    assert carriers == set(POLICIES.shipping.carriers) == {"An Post", "DPD"}


def test_parcels_leave_and_arrive_as_the_policies_say(
    db_session: Session, seeded: SeedSummary
) -> None:
    check_parcels_keep_to_dispatch_and_promise(load_orders(db_session), POLICIES, TODAY)


def test_loyalty_tiers_follow_the_points_thresholds(
    db_session: Session, seeded: SeedSummary
) -> None:
    check_loyalty_tiers(db_session, POLICIES)
    tiers = db_session.execute(select(Customer.tier).distinct()).scalars()
    assert {tier.value for tier in tiers} == {tier.key for tier in POLICIES.loyalty.tiers}


@pytest.mark.parametrize("days_later", range(7))
def test_every_weekday_gives_a_consistent_shop(sqlite_session: Session, days_later: int) -> None:
    today = TODAY + timedelta(days=days_later)
    seed_demo(sqlite_session, today)
    check_everything(sqlite_session, today)


def test_the_seed_reads_the_policies_it_is_given(sqlite_session: Session) -> None:
    zones = dict(POLICIES.shipping.zones)
    zones["domestic"] = dataclasses.replace(
        zones["domestic"], cost_cents=321, free_threshold_cents=None, max_days=4
    )
    gold = dataclasses.replace(POLICIES.loyalty.tiers[-1], min_points=5000)
    policies = dataclasses.replace(
        POLICIES,
        shipping=dataclasses.replace(POLICIES.shipping, zones=zones),
        loyalty=dataclasses.replace(POLICIES.loyalty, tiers=(*POLICIES.loyalty.tiers[:-1], gold)),
    )
    seed_demo(sqlite_session, TODAY, policies)
    check_everything(sqlite_session, TODAY, policies)
    irish = [o for o in load_orders(sqlite_session) if o.shipping_address.country == "IE"]
    assert {order.shipping_cents for order in irish} == {321}
    jane = find_customer_by_email(sqlite_session, DEMO_CUSTOMER_EMAIL)
    assert jane is not None and jane.tier.value == "silver"  # 4,820 points < 5,000


def test_the_seed_refuses_policies_without_its_carriers(sqlite_session: Session) -> None:
    policies = dataclasses.replace(
        POLICIES, shipping=dataclasses.replace(POLICIES.shipping, carriers=("An Post",))
    )
    with pytest.raises(ValueError, match="DPD"):
        seed_demo(sqlite_session, TODAY, policies)


# -- the demo customer ------------------------------------------------------------------


def test_order_numbers_are_consecutive(db_session: Session, seeded: SeedSummary) -> None:
    numbers = db_session.execute(select(Order.number).order_by(Order.number)).scalars().all()
    assert numbers == [f"ORD-{100001 + i}" for i in range(len(numbers))]


def test_jane_doe_is_the_demo_customer(db_session: Session, seeded: SeedSummary) -> None:
    first = db_session.execute(select(Customer).order_by(Customer.id).limit(1)).scalar_one()
    jane = find_customer_by_email(db_session, "Jane.Doe@example.com")
    assert jane is first
    assert (jane.name, jane.email, jane.tier.value) == ("Jane Doe", DEMO_CUSTOMER_EMAIL, "gold")
    assert jane.loyalty_account.points_balance >= POLICIES.loyalty.tiers[-1].min_points
    assert jane.loyalty_account.points_expiring > 0
    [home] = jane.addresses
    assert (home.city, home.country) == ("Dublin 2", "IE") and EIRCODE.fullmatch(home.postcode)

    orders = {order.number: order for order in list_recent_orders(db_session, jane.id, 10)}
    assert set(orders) == set(DEMO_ORDER_NUMBERS)
    delivered, returned, late, pending = (orders[n] for n in DEMO_ORDER_NUMBERS)
    assert delivered.status is OrderStatus.DELIVERED and len(delivered.lines) == 3
    assert delivered.shipments[0].carrier == "An Post"
    assert delivered.shipments[0].delivered_at is not None
    assert local(delivered.shipments[0].delivered_at).date() <= delivered.promised_delivery_date
    assert returned.status is OrderStatus.RETURNED
    assert returned.shipments[0].carrier == "An Post"
    assert returned.payments[0].method is PaymentMethod.PAYPAL
    assert late.status is OrderStatus.SHIPPED and late.shipments[0].is_late(TODAY)
    assert late.shipments[0].carrier == "DPD"
    assert late.shipments[0].estimated_delivery_date == TODAY - timedelta(days=5)
    assert late.promised_delivery_date < TODAY
    assert pending.status is OrderStatus.PENDING
    assert pending.payments[0].method is PaymentMethod.KLARNA
    assert {order.currency for order in orders.values()} == {"EUR"}

    assert find_order_for_owner(db_session, "ord 100003", " JANE.DOE@example.com ") is late
    assert find_order_for_owner(db_session, "ORD-100005", DEMO_CUSTOMER_EMAIL) is None


# -- determinism ------------------------------------------------------------------------


def test_seeding_is_deterministic(
    db_session: Session, seeded: SeedSummary, sqlite_session: Session
) -> None:
    again = seed_demo(sqlite_session, TODAY)
    assert again == seeded
    assert snapshot(sqlite_session) == snapshot(db_session)


def test_reset_then_reseed_gives_the_same_shop(db_session: Session, seeded: SeedSummary) -> None:
    before = snapshot(db_session)
    reset_shop_data(db_session)
    assert count_customers(db_session) == 0
    assert count(db_session, Order) == 0
    seed_demo(db_session, TODAY)
    assert snapshot(db_session) == before


def in_local_time(value: Any, weeks: int = 0) -> Any:
    """Moves dates and times ``weeks`` on, times as the shop's clock shows them."""
    if isinstance(value, tuple):
        return tuple(in_local_time(item, weeks) for item in value)
    if isinstance(value, datetime):
        return local(value).replace(tzinfo=None) + timedelta(weeks=weeks)
    if isinstance(value, date):
        return value + timedelta(weeks=weeks)
    return value


def test_dates_follow_today_week_by_week(db_session: Session, seeded: SeedSummary) -> None:
    """A whole number of weeks later, every date and local time moves by as much."""
    before = snapshot(db_session)
    reset_shop_data(db_session)
    seed_demo(db_session, TODAY + timedelta(weeks=14))
    after = snapshot(db_session)
    assert [in_local_time(o) for o in after] == [in_local_time(o, weeks=14) for o in before]


def test_another_weekday_gives_the_same_orders_dated_differently(
    db_session: Session, seeded: SeedSummary, sqlite_session: Session
) -> None:
    def contents(session: Session) -> Counter[Tuple[Any, ...]]:
        return Counter(
            (
                o.customer.email,
                o.shipping_address.one_line(),
                o.status,
                o.subtotal_cents,
                o.shipping_cents,
                tuple(sorted((line.product.sku, line.quantity) for line in o.lines)),
                tuple(sorted((s.carrier, s.tracking_number) for s in o.shipments)),
            )
            for o in load_orders(session)
        )

    later = seed_demo(sqlite_session, TODAY + timedelta(days=100))
    assert later == seeded
    assert contents(sqlite_session) == contents(db_session)


def test_seeding_refuses_a_database_with_customers(
    db_session: Session, seeded: SeedSummary
) -> None:
    with pytest.raises(DatabaseNotEmptyError) as raised:
        seed_demo(db_session, TODAY)
    assert raised.value.customer_count == seeded.customers


def test_products_have_colours_and_display_names(db_session: Session, seeded: SeedSummary) -> None:
    products = db_session.execute(select(Product).order_by(Product.sku)).scalars().all()
    assert len(products) == 40
    assert all(product.colour and product.colour not in product.name for product in products)
    names = {product.display_name for product in products}
    assert {"Blue desk lamp", "Speckled white ceramic mug", "Oak side table"} <= names
    assert len(names) == 40

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.db.models import Address, AuditEntry, Order, OrderStatus
from bot.knowledge.policies import load_policies
from bot.orders.address_change import (
    AddressChangeVerdict,
    InvalidAddressError,
    NewAddress,
    change_address,
    clean_city,
    clean_street,
    countries_in_zone,
    find_address_change,
    normalize_postcode,
    parse_country,
)

NOW = datetime(2024, 5, 2, 9, 30, tzinfo=timezone.utc)
OAK_STREET = NewAddress("5 Oak Street", "Dublin 8", "D08 T6K2", "IE")


@pytest.fixture
def policies():
    return load_policies()


@pytest.fixture
def owner(factory):
    return factory.customer(email="owner@example.com", name="Olive Owner")


def audit_rows(session: Session, number: str):
    return session.execute(select(AuditEntry).where(AuditEntry.entity_id == number)).scalars().all()


def address_of(session: Session, order: Order) -> Address:
    session.expire_all()
    return session.get(Order, order.id).shipping_address


@pytest.mark.parametrize(
    ("country", "typed", "written"),
    [
        ("IE", "d08t6k2", "D08 T6K2"),
        ("IE", " D6W  X285 ", "D6W X285"),
        ("GB", "sw1a1aa", "SW1A 1AA"),
        ("GB", "m4 1ab", "M4 1AB"),
        ("US", "97201", "97201"),
        ("US", "97201 1234", "97201-1234"),
        ("CA", "m5v3l9", "M5V 3L9"),
        ("FR", "75001", "75001"),
        ("DE", "10 115", "10115"),
        ("ES", "28013", "28013"),
        ("IT", "00184", "00184"),
        ("NL", "1011ab", "1011 AB"),
    ],
)
def test_postcodes_are_written_the_way_each_country_writes_them(country, typed, written):
    assert normalize_postcode(country, typed) == written


@pytest.mark.parametrize(
    ("country", "typed"),
    [
        ("IE", "D08 T6K"),  # one character short
        ("IE", "B08 T6K2"),  # B is no Eircode routing letter
        ("IE", "75001"),  # a French postcode
        ("GB", "D08 T6K2"),
        ("US", "9720"),
        ("CA", "D5V 3L9"),  # D is not used in Canadian postcodes
        ("FR", "7500"),
        ("DE", "101155"),
        ("NL", "0123 AB"),  # Dutch postcodes never start with 0
        ("NL", "1011 SS"),  # SS is not issued
        ("IE", "1' OR '1'='1"),
        ("GB", "<script>alert(1)</script>"),
        ("AU", "2000"),  # the shop does not deliver to Australia
    ],
)
def test_postcodes_that_cannot_exist_there_are_refused(country, typed):
    assert normalize_postcode(country, typed) is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Ireland", "IE"),
        ("ie", "IE"),
        ("Éire", "IE"),
        ("the Netherlands", "NL"),
        ("Holland", "NL"),
        ("U.S.A.", "US"),
        ("UK", "GB"),
        ("Northern Ireland", "GB"),
        ("España", "ES"),
        ("Deutschland", "DE"),
        ("it's going to Germany now", "DE"),
        ("to France please", "FR"),
    ],
)
def test_countries_are_recognised_by_name_and_code(typed, code):
    assert parse_country(typed) == code


@pytest.mark.parametrize(
    "typed", ["Australia", "Narnia", "France or Germany", "", "1' OR '1'='1", "<script>"]
)
def test_other_countries_and_odd_text_name_no_country(typed):
    assert parse_country(typed) is None


def test_the_shop_offers_the_countries_of_each_shipping_zone():
    assert [c.code for c in countries_in_zone("domestic")] == ["IE"]
    assert [c.code for c in countries_in_zone("eu")] == ["FR", "DE", "ES", "IT", "NL"]
    assert [c.code for c in countries_in_zone("international")] == ["GB", "US", "CA"]


@pytest.mark.parametrize(
    ("typed", "street"),
    [
        ("5 Oak Street", "5 Oak Street"),
        ("  12   O'Connell   Street  ", "12 O'Connell Street"),
        ("3 O\u2019Brien\u2019s Terrace", "3 O\u2019Brien\u2019s Terrace"),
        ("Calle Mayor, 12, 4º B", "Calle Mayor, 12, 4º B"),
        ("Flat 2/3 (rear), Mill Road", "Flat 2/3 (rear), Mill Road"),
        ("Hauptstraße 5", "Hauptstraße 5"),
    ],
)
def test_street_lines_are_kept_with_tidy_spaces(typed, street):
    assert clean_street(typed) == street


@pytest.mark.parametrize(
    "typed",
    [
        "5a",  # too short
        "12345",  # no letter
        "x" * 101,  # too long
        "1' OR '1'='1",
        "<script>alert(1)</script>",
        "Main St; DROP TABLE orders",
        None,
    ],
)
def test_street_lines_that_cannot_be_an_address_are_refused(typed):
    assert clean_street(typed) is None


def test_towns_need_a_letter_and_a_sensible_length():
    assert clean_city("  Dún   Laoghaire ") == "Dún Laoghaire"
    assert clean_city("Dublin 8") == "Dublin 8"
    assert clean_city("8") is None
    assert clean_city("y" * 61) is None
    assert clean_city("<b>Cork</b>") is None


def test_a_whole_address_is_checked_part_by_part():
    assert NewAddress.parse(" 5 Oak  Street", "Dublin 8", "d08t6k2", "Ireland") == OAK_STREET
    for parts, field in [
        (("5 Oak Street", "Dublin 8", "D08 T6K2", "Narnia"), "country"),
        (("12", "Dublin 8", "D08 T6K2", "IE"), "street"),
        (("5 Oak Street", "", "D08 T6K2", "IE"), "city"),
        (("5 Oak Street", "Dublin 8", "75001", "IE"), "postcode"),
        (("5 Oak Street", "Dublin 8", "D08 T6K2", None), "country"),
    ]:
        with pytest.raises(InvalidAddressError) as raised:
            NewAddress.parse(*parts)
        assert raised.value.field == field


@pytest.mark.parametrize("status", [OrderStatus.PAID, OrderStatus.PENDING])
def test_an_order_not_yet_shipped_goes_to_the_new_address_and_is_audited(
    db_session, factory, owner, policies, status
):
    order = factory.order(owner, "ORD-400001", status=status)
    old_address_id = order.shipping_address_id
    check = change_address(
        db_session, "ord 400001", owner.id, OAK_STREET, "conv-1", policies, now=NOW
    )
    assert check.changed
    assert check.new_address == "5 Oak Street, Dublin 8, D08 T6K2, Ireland"
    new = address_of(db_session, order)
    assert new.id != old_address_id
    assert (new.line1, new.city, new.postcode, new.country) == (
        "5 Oak Street",
        "Dublin 8",
        "D08 T6K2",
        "IE",
    )
    assert new.customer_id == owner.id
    assert new.recipient_name == "Olive Owner"
    assert not new.is_default
    # The customer's own default address is left as it was.
    old = db_session.get(Address, old_address_id)
    assert old.is_default and old.line1.endswith("Test Street")
    [row] = audit_rows(db_session, "ORD-400001")
    assert (row.entity, row.field, row.conversation_id) == ("order", "shipping_address", "conv-1")
    assert row.old_value == f"{old.line1}, Dublin 8, D08 T6K2, Ireland"
    assert row.new_value == "5 Oak Street, Dublin 8, D08 T6K2, Ireland"


def test_the_recipient_on_the_order_stays_the_recipient(db_session, factory, owner, policies):
    order = factory.order(owner, "ORD-400002")
    order.shipping_address.recipient_name = "Olive's Mum"
    db_session.flush()
    change_address(db_session, "ORD-400002", owner.id, OAK_STREET, "conv-2", policies)
    assert address_of(db_session, order).recipient_name == "Olive's Mum"


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (OrderStatus.SHIPPED, AddressChangeVerdict.SHIPPED),
        (OrderStatus.DELIVERED, AddressChangeVerdict.DELIVERED),
        (OrderStatus.CANCELLED, AddressChangeVerdict.CANCELLED),
        (OrderStatus.RETURNED, AddressChangeVerdict.RETURNED),
    ],
)
def test_orders_that_left_the_warehouse_keep_their_address(
    db_session, factory, owner, policies, status, verdict
):
    order = factory.order(owner, "ORD-400003", status=status)
    address_id = order.shipping_address_id
    check = change_address(db_session, "ORD-400003", owner.id, OAK_STREET, "conv-3", policies)
    assert check.verdict is verdict and not check.changed
    assert address_of(db_session, order).id == address_id
    assert audit_rows(db_session, "ORD-400003") == []


def test_a_shipped_order_names_its_latest_parcel(db_session, factory, owner, policies):
    factory.order(owner, "ORD-400004", status=OrderStatus.SHIPPED)
    check = find_address_change(db_session, "ORD-400004", owner.id, policies)
    assert (check.carrier, check.tracking_number) == ("DPD", "TRK400004")


def test_an_order_that_ships_meanwhile_keeps_its_address(db_session, factory, owner, policies):
    order = factory.order(owner, "ORD-400005", status=OrderStatus.PAID)
    address_id = order.shipping_address_id
    assert find_address_change(db_session, "ORD-400005", owner.id, policies).allowed
    # The warehouse ships it while the customer confirms; this session's copy is stale.
    db_session.execute(
        text("UPDATE orders SET status = 'shipped' WHERE id = :id"), {"id": order.id}
    )
    check = change_address(db_session, "ORD-400005", owner.id, OAK_STREET, "conv-5", policies)
    assert check.verdict is AddressChangeVerdict.SHIPPED
    assert address_of(db_session, order).id == address_id
    assert audit_rows(db_session, "ORD-400005") == []


def test_a_new_address_must_stay_in_the_zone_the_shipping_was_paid_for(
    db_session, factory, owner, policies
):
    order = factory.order(owner, "ORD-400006")
    address_id = order.shipping_address_id
    paris = NewAddress("12 rue de la République", "Paris", "75001", "FR")
    check = change_address(db_session, "ORD-400006", owner.id, paris, "conv-6", policies)
    assert check.verdict is AddressChangeVerdict.OTHER_ZONE
    assert check.zone == "domestic"
    assert address_of(db_session, order).id == address_id
    assert audit_rows(db_session, "ORD-400006") == []


def test_another_country_of_the_same_zone_is_fine(db_session, factory, owner, policies):
    order = factory.order(owner, "ORD-400007")
    order.shipping_address.country = "FR"
    order.shipping_address.city = "Lyon"
    order.shipping_address.postcode = "69001"
    db_session.flush()
    berlin = NewAddress("Hauptstraße 5", "Berlin", "10115", "DE")
    check = change_address(db_session, "ORD-400007", owner.id, berlin, "conv-7", policies)
    assert check.changed and check.zone == "eu"
    assert address_of(db_session, order).country == "DE"


def test_the_same_address_again_changes_nothing(db_session, factory, owner, policies):
    order = factory.order(owner, "ORD-400008")
    old = order.shipping_address
    same = NewAddress(old.line1.upper(), "dublin 8", "D08T6K2", "IE")
    check = change_address(db_session, "ORD-400008", owner.id, same, "conv-8", policies)
    assert check.verdict is AddressChangeVerdict.UNCHANGED
    assert address_of(db_session, order).id == old.id
    assert audit_rows(db_session, "ORD-400008") == []


def test_another_customers_order_reads_as_not_found_and_is_untouched(
    db_session, factory, owner, policies
):
    order = factory.order(owner, "ORD-400009")
    address_id = order.shipping_address_id
    intruder = factory.customer(email="intruder@example.com")
    check = change_address(db_session, "ORD-400009", intruder.id, OAK_STREET, "conv-9", policies)
    unknown = find_address_change(db_session, "ORD-999999", intruder.id, policies)
    assert check == unknown
    assert check.verdict is AddressChangeVerdict.NOT_FOUND and check.current_address == ""
    assert address_of(db_session, order).id == address_id
    assert audit_rows(db_session, "ORD-400009") == []


@pytest.mark.parametrize("typed", ["1' OR '1'='1", "<script>alert(1)</script>", ""])
def test_odd_order_numbers_are_plain_text(db_session, factory, owner, policies, typed):
    factory.order(owner, "ORD-400010")
    check = change_address(db_session, typed, owner.id, OAK_STREET, "conv-10", policies)
    assert check.verdict is AddressChangeVerdict.NOT_FOUND


def test_apostrophes_in_an_address_are_stored_as_typed(db_session, factory, owner, policies):
    order = factory.order(owner, "ORD-400011")
    quoted = NewAddress("1 O'Brien's Terrace", "Dublin 8", "D08 T6K2", "IE")
    change_address(db_session, "ORD-400011", owner.id, quoted, "conv-11", policies)
    assert address_of(db_session, order).line1 == "1 O'Brien's Terrace"

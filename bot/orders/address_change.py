"""Changing an order's delivery address: before it ships, within its shipping zone, audited.

The new address is checked field by field as the customer gives it
(:func:`parse_country`, :func:`clean_street`, :func:`clean_city`,
:func:`normalize_postcode`), and once more as a whole when it is saved
(:meth:`NewAddress.parse`). The shipping cost of an order was charged for the
zone of its address, so the new address must be in the same zone.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Callable, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.db.engine import get_engine, session_scope
from bot.db.models import Address, Order, OrderStatus, Shipment, utcnow
from bot.db.repositories.audit import record_change
from bot.db.repositories.orders import find_order_of_customer
from bot.db.seed import shipping_zone_key
from bot.knowledge.policies import Policies, load_policies

AUDIT_ENTITY = "order"
AUDIT_FIELD = "shipping_address"

STREET_MIN_CHARS = 3
STREET_MAX_CHARS = 100
CITY_MIN_CHARS = 2
CITY_MAX_CHARS = 60
_POSTCODE_MAX_INPUT = 20
_COUNTRY_MAX_INPUT = 60

# Letters and digits of any script, spaces and the punctuation real addresses use
# (O'Connell Street, 12/3 Calle Mayor, 4º B, Flat 2 (rear)). Anything else, such
# as <, >, ;, = or quotes other than the apostrophe, is not part of an address.
_ADDRESS_TEXT = re.compile(r"(?:[^\W_]|[\s'\u2019.,/#&()\-ºª°])+")


class InvalidAddressError(ValueError):
    """A part of a new delivery address is missing or not valid.

    Attributes:
        field: Which part: ``country``, ``street``, ``city`` or ``postcode``.
    """

    def __init__(self, field: str) -> None:
        super().__init__(f"The {field} of the new address is missing or not valid")
        self.field = field


# -- countries and their postcodes --------------------------------------------------


def _eircode(compact: str) -> Optional[str]:
    if re.fullmatch(r"(?:[ACDEFHKNPRTVWXY]\d{2}|D6W)[0-9ACDEFHKNPRTVWXY]{4}", compact):
        return f"{compact[:3]} {compact[3:]}"
    return None


def _uk_postcode(compact: str) -> Optional[str]:
    if re.fullmatch(r"[A-Z]{1,2}\d[A-Z\d]?\d[ABD-HJLNP-UW-Z]{2}", compact):
        return f"{compact[:-3]} {compact[-3:]}"
    return None


def _zip_code(compact: str) -> Optional[str]:
    if re.fullmatch(r"\d{5}", compact):
        return compact
    if re.fullmatch(r"\d{9}", compact):
        return f"{compact[:5]}-{compact[5:]}"
    return None


def _canadian_postcode(compact: str) -> Optional[str]:
    if re.fullmatch(r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\d[ABCEGHJ-NPRSTV-Z]\d", compact):
        return f"{compact[:3]} {compact[3:]}"
    return None


def _five_digits(compact: str) -> Optional[str]:
    return compact if re.fullmatch(r"\d{5}", compact) else None


def _dutch_postcode(compact: str) -> Optional[str]:
    # Letter pairs SA, SD and SS are not issued.
    if re.fullmatch(r"[1-9]\d{3}[A-Z]{2}", compact) and compact[4:] not in ("SA", "SD", "SS"):
        return f"{compact[:4]} {compact[4:]}"
    return None


@dataclass(frozen=True)
class Country:
    """A country the shop delivers to.

    Attributes:
        code: ISO 3166-1 alpha-2 code, as stored on addresses.
        name: The name on an address label and a button: ``Netherlands``.
        in_sentence: The name inside a sentence: ``the Netherlands``.
        postcode_name: What people there call a postcode: ``Eircode``, ``ZIP code``.
        postcode_example: A well-formed postcode, for the question and error messages.
        aliases: Other names and codes customers type, lower case and without accents.
        postcode_format: Gives a compacted, upper-case postcode in its written
            form, or ``None`` when it is not valid there.
    """

    code: str
    name: str
    in_sentence: str
    postcode_name: str
    postcode_example: str
    aliases: Tuple[str, ...]
    postcode_format: Callable[[str], Optional[str]]


# The countries of the demo shop's customers (bot/db/seed.py), in the order they
# are offered within a shipping zone.
COUNTRIES: Tuple[Country, ...] = (
    Country("IE", "Ireland", "Ireland", "Eircode", "D02 X285",
            ("irl", "eire", "republic of ireland", "ireland"), _eircode),
    Country("FR", "France", "France", "postcode", "75001", ("fra", "france"), _five_digits),
    Country("DE", "Germany", "Germany", "postcode", "10115",
            ("deu", "ger", "germany", "deutschland"), _five_digits),
    Country("ES", "Spain", "Spain", "postcode", "28013", ("esp", "spain", "espana"),
            _five_digits),
    Country("IT", "Italy", "Italy", "postcode", "00184", ("ita", "italy", "italia"),
            _five_digits),
    Country("NL", "Netherlands", "the Netherlands", "postcode", "1011 AB",
            ("nld", "netherlands", "the netherlands", "holland", "nederland"), _dutch_postcode),
    Country("GB", "United Kingdom", "the United Kingdom", "postcode", "SW1A 1AA",
            ("uk", "gbr", "united kingdom", "the united kingdom", "great britain", "britain",
             "england", "scotland", "wales", "northern ireland"), _uk_postcode),
    Country("US", "United States", "the United States", "ZIP code", "97201",
            ("usa", "united states", "the united states", "united states of america",
             "america"), _zip_code),
    Country("CA", "Canada", "Canada", "postal code", "M5V 3L9", ("can", "canada"),
            _canadian_postcode),
)  # fmt: skip
COUNTRIES_BY_CODE: Dict[str, Country] = {country.code: country for country in COUNTRIES}
_COUNTRY_BY_NAME: Dict[str, Country] = {
    name: country for country in COUNTRIES for name in (country.code.lower(), *country.aliases)
}
# Names found inside a longer message ("to France please"); two-letter codes are
# left out because they are also words ("it", "us", "de").
_COUNTRY_NAME_IN_TEXT = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(name) for name in sorted(_COUNTRY_BY_NAME, key=len, reverse=True) if len(name) > 3
    )
    + r")\b"
)


def _plain(text: str) -> str:
    """Lower case, no accents or dots, single spaces: ``U.S.A.`` gives ``usa``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace(".", "").casefold().split())


def parse_country(text: object) -> Optional[str]:
    """Returns the ISO code of a country the shop delivers to, from a name or code.

    Args:
        text: What the customer typed or a button sent: ``Ireland``, ``ie``,
            ``the Netherlands``, ``U.S.A.``, ``it's going to Germany now``.

    Returns:
        The ISO 3166-1 alpha-2 code, or ``None`` when the text names none of
        :data:`COUNTRIES`, or more than one.
    """
    if not isinstance(text, str) or len(text) > _COUNTRY_MAX_INPUT:
        return None
    plain = _plain(text)
    exact = _COUNTRY_BY_NAME.get(plain)
    if exact is not None:
        return exact.code
    found = {_COUNTRY_BY_NAME[name].code for name in _COUNTRY_NAME_IN_TEXT.findall(plain)}
    return found.pop() if len(found) == 1 else None


def country_named(code: str) -> Country:
    """Returns the country with ISO code ``code``.

    Raises:
        InvalidAddressError: When the shop does not deliver there.
    """
    country = COUNTRIES_BY_CODE.get(str(code or "").strip().upper())
    if country is None:
        raise InvalidAddressError("country")
    return country


def zone_of(country_code: str) -> str:
    """Returns the key of the shipping zone that serves a country (``domestic``, ``eu``…)."""
    return shipping_zone_key(country_code)


def countries_in_zone(zone: str) -> List[Country]:
    """Returns the countries the shop delivers to within a shipping zone."""
    return [country for country in COUNTRIES if zone_of(country.code) == zone]


def normalize_postcode(country_code: str, text: object) -> Optional[str]:
    """Returns a postcode in the form the post of ``country_code`` writes it.

    Case and spaces are normalised: ``d02x285`` gives ``D02 X285``,
    ``1011ab`` gives ``1011 AB`` and ``sw1a1aa`` gives ``SW1A 1AA``.

    Args:
        country_code: ISO code of the address's country.
        text: The postcode as typed.

    Returns:
        The postcode, or ``None`` when it is not valid for that country (or the
        shop does not deliver to the country).
    """
    country = COUNTRIES_BY_CODE.get(str(country_code or "").upper())
    if country is None or not isinstance(text, str) or len(text) > _POSTCODE_MAX_INPUT:
        return None
    compact = re.sub(r"[\s-]", "", text).upper()
    return country.postcode_format(compact)


def _clean_text(text: object, min_chars: int, max_chars: int) -> Optional[str]:
    if not isinstance(text, str):
        return None
    value = " ".join(text.split())
    if not min_chars <= len(value) <= max_chars:
        return None
    if not any(ch.isalpha() for ch in value) or not _ADDRESS_TEXT.fullmatch(value):
        return None
    return value


def clean_street(text: object) -> Optional[str]:
    """Returns the house number and street with spaces tidied, if it can be one.

    Args:
        text: What the customer typed, e.g. ``12  Oak Street``.

    Returns:
        The street line: 3-100 characters with at least one letter, made of
        letters, digits, spaces and address punctuation; otherwise ``None``.
    """
    return _clean_text(text, STREET_MIN_CHARS, STREET_MAX_CHARS)


def clean_city(text: object) -> Optional[str]:
    """Returns the town or city with spaces tidied, if it can be one.

    Args:
        text: What the customer typed, e.g. ``Dublin 8``.

    Returns:
        The town: 2-60 characters with at least one letter; otherwise ``None``.
    """
    return _clean_text(text, CITY_MIN_CHARS, CITY_MAX_CHARS)


@dataclass(frozen=True)
class NewAddress:
    """A delivery address given in the conversation, every part checked.

    Attributes:
        street: House number and street.
        city: Town or city.
        postcode: Postcode in its country's form.
        country: ISO 3166-1 alpha-2 code.
    """

    street: str
    city: str
    postcode: str
    country: str

    @classmethod
    def parse(cls, street: object, city: object, postcode: object, country: object) -> NewAddress:
        """Checks and normalises every part of an address.

        Raises:
            InvalidAddressError: Naming the first part that is missing or invalid.
        """
        code = parse_country(country) if isinstance(country, str) else None
        if code is None:
            raise InvalidAddressError("country")
        clean = clean_street(street)
        if clean is None:
            raise InvalidAddressError("street")
        town = clean_city(city)
        if town is None:
            raise InvalidAddressError("city")
        normal = normalize_postcode(code, postcode)
        if normal is None:
            raise InvalidAddressError("postcode")
        return cls(clean, town, normal, code)

    def one_line(self) -> str:
        """The address on one line: ``5 Oak Street, Dublin 8, D08 T6K2, Ireland``."""
        return format_address(self.street, None, self.city, None, self.postcode, self.country)


def format_address(
    line1: str,
    line2: Optional[str],
    city: str,
    region: Optional[str],
    postcode: str,
    country: str,
) -> str:
    """Writes an address on one line, with the country's name rather than its code."""
    known = COUNTRIES_BY_CODE.get(country.upper())
    parts = [line1, line2, city, region, postcode, known.name if known else country]
    return ", ".join(part for part in parts if part)


def describe_address(address: Address) -> str:
    """Writes a stored address on one line, as the customer reads it."""
    return format_address(
        address.line1,
        address.line2,
        address.city,
        address.region,
        address.postcode,
        address.country,
    )


# -- the rules --------------------------------------------------------------------


class AddressChangeVerdict(str, enum.Enum):
    """Whether an order's delivery address can be changed, and if not, why."""

    ALLOWED = "allowed"
    NOT_FOUND = "not_found"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    OTHER_ZONE = "other_zone"
    UNCHANGED = "unchanged"


_BLOCKED_BY_STATUS = {
    OrderStatus.SHIPPED: AddressChangeVerdict.SHIPPED,
    OrderStatus.DELIVERED: AddressChangeVerdict.DELIVERED,
    OrderStatus.CANCELLED: AddressChangeVerdict.CANCELLED,
    OrderStatus.RETURNED: AddressChangeVerdict.RETURNED,
}


@dataclass(frozen=True)
class AddressChangeCheck:
    """What changing the delivery address of a customer's order would mean.

    Attributes:
        verdict: Whether the address can be changed.
        order_number: Canonical order number; empty when not found.
        current_address: The address the order goes to, on one line.
        zone: Key of the shipping zone the order's shipping was charged for.
        cancellable: Whether the order could still be cancelled instead.
        carrier: Carrier of the latest parcel, once shipped.
        tracking_number: Tracking number of the latest parcel, once shipped.
        expected_delivery: The delivery date promised for the order, if any.
        delivered_on: The day it was delivered, in the shop's time zone.
        new_address: The address the order now goes to, once changed.
    """

    verdict: AddressChangeVerdict
    order_number: str = ""
    current_address: str = ""
    zone: str = ""
    cancellable: bool = False
    carrier: Optional[str] = None
    tracking_number: Optional[str] = None
    expected_delivery: Optional[date] = None
    delivered_on: Optional[date] = None
    new_address: str = ""

    @property
    def allowed(self) -> bool:
        """Whether the order's address can be changed now."""
        return self.verdict is AddressChangeVerdict.ALLOWED

    @property
    def changed(self) -> bool:
        """Whether the address was changed by this request."""
        return self.allowed and bool(self.new_address)


def _latest_shipment(order: Order) -> Optional[Shipment]:
    return order.shipments[-1] if order.shipments else None


def check_address_change(order: Optional[Order], policies: Policies) -> AddressChangeCheck:
    """Tells whether an order's delivery address can still be changed.

    Args:
        order: The verified customer's order, or ``None`` when they have no such order.
        policies: The shop policies (``order_changes.editable_statuses``).

    Returns:
        The verdict, with what the customer needs to hear.
    """
    if order is None:
        return AddressChangeCheck(AddressChangeVerdict.NOT_FOUND)
    if policies.order_changes.allows(order.status.value):
        verdict = AddressChangeVerdict.ALLOWED
    else:
        verdict = _BLOCKED_BY_STATUS.get(order.status, AddressChangeVerdict.SHIPPED)
    shipment = _latest_shipment(order) if verdict is not AddressChangeVerdict.ALLOWED else None
    delivered_on = None
    if shipment is not None and shipment.delivered_at is not None:
        delivered_on = shipment.delivered_at.astimezone(ZoneInfo(policies.contact.timezone)).date()
    return AddressChangeCheck(
        verdict,
        order.number,
        describe_address(order.shipping_address),
        zone_of(order.shipping_address.country),
        policies.cancellation.allows(order.status.value),
        carrier=shipment.carrier if shipment else None,
        tracking_number=shipment.tracking_number if shipment else None,
        expected_delivery=order.promised_delivery_date,
        delivered_on=delivered_on,
    )


def find_address_change(
    session: Session, order_number: str, customer_id: int, policies: Policies
) -> AddressChangeCheck:
    """Checks the verified customer's order; another customer's order reads as not found.

    Args:
        session: Open database session.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        policies: The shop policies.
    """
    order = find_order_of_customer(session, order_number, customer_id)
    return check_address_change(order, policies)


def _same_address(address: Address, new: NewAddress) -> bool:
    return (
        _plain(address.line1) == _plain(new.street)
        and not address.line2
        and _plain(address.city) == _plain(new.city)
        and address.postcode.replace(" ", "").upper() == new.postcode.replace(" ", "")
        and address.country.upper() == new.country
    )


def change_address(
    session: Session,
    order_number: str,
    customer_id: int,
    new: NewAddress,
    conversation_id: str,
    policies: Policies,
    now: Optional[datetime] = None,
) -> AddressChangeCheck:
    """Sends the verified customer's order to a new address, if it has not shipped.

    A new address row is added to the customer's addresses (their default
    address stays as it is) and the order points to it; an audit row records
    the old and new address. The order's row is locked and its status read
    again inside this transaction, so an order that shipped after the
    customer confirmed keeps its address.

    Args:
        session: Open database session; the change commits with it.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        new: The new address.
        conversation_id: The conversation that asked, for the audit trail.
        policies: The shop policies.
        now: The time of the change; the current time by default.

    Returns:
        The check; ``changed`` means the order now goes to ``new_address``.
    """
    order = find_order_of_customer(session, order_number, customer_id)
    if order is not None:
        session.refresh(order, ["status", "shipping_address_id"], with_for_update=True)
    check = check_address_change(order, policies)
    if order is None or not check.allowed:
        return check
    if zone_of(new.country) != check.zone:
        return replace(check, verdict=AddressChangeVerdict.OTHER_ZONE)
    old = order.shipping_address
    if _same_address(old, new):
        return replace(check, verdict=AddressChangeVerdict.UNCHANGED)
    same_town = old.country.upper() == new.country and _plain(old.city) == _plain(new.city)
    address = Address(
        customer_id=order.customer_id,
        recipient_name=old.recipient_name or order.customer.name,
        line1=new.street,
        line2=None,
        city=new.city,
        region=old.region if same_town else None,
        postcode=new.postcode,
        country=new.country,
        is_default=False,
    )
    session.add(address)
    session.flush()
    moment = now or utcnow()
    order.shipping_address = address
    order.updated_at = moment
    new_text = describe_address(address)
    record_change(
        session,
        conversation_id,
        AUDIT_ENTITY,
        order.number,
        AUDIT_FIELD,
        check.current_address,
        new_text,
        now=moment,
    )
    session.flush()
    return replace(check, new_address=new_text)


# -- one transaction each, for the actions ------------------------------------------


def address_change_for_customer(
    database_url: str, order_number: str, customer_id: int
) -> AddressChangeCheck:
    """Tells the verified customer whether their order's address can be changed.

    Args:
        database_url: The application database.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
    """
    with session_scope(get_engine(database_url)) as session:
        return find_address_change(session, order_number, customer_id, load_policies())


def change_address_for_customer(
    database_url: str,
    order_number: str,
    customer_id: int,
    new: NewAddress,
    conversation_id: str,
) -> AddressChangeCheck:
    """Changes the delivery address of the verified customer's order when still possible.

    Args:
        database_url: The application database.
        order_number: The order number as given.
        customer_id: The customer verified in this conversation.
        new: The new address.
        conversation_id: The conversation, for the audit trail.

    Returns:
        The check; ``changed`` means the order now goes to the new address.
    """
    with session_scope(get_engine(database_url)) as session:
        return change_address(
            session, order_number, customer_id, new, conversation_id, load_policies()
        )

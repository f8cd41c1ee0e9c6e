"""Changing an order's delivery address: verified owner, not yet shipped, same zone, confirmed."""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import AskAction, intent_payload, yes_or_no_validator
from actions.verification import (
    OrderNumberQuestion,
    VerifiedFlowAction,
    VerifiedOrderFormValidation,
    check_order,
    verified_customer,
)
from bot.knowledge.policies import load_policies
from bot.orders import address_messages as say
from bot.orders import messages
from bot.orders.address_change import (
    COUNTRIES,
    COUNTRIES_BY_CODE,
    AddressChangeCheck,
    AddressChangeVerdict,
    InvalidAddressError,
    NewAddress,
    address_change_for_customer,
    change_address_for_customer,
    clean_city,
    clean_street,
    countries_in_zone,
    normalize_postcode,
    parse_country,
    zone_of,
)
from bot.orders.status import format_day
from bot.settings import get_settings

ADDRESS_SLOTS = [
    "address_country",
    "address_street",
    "address_city",
    "address_postcode",
    "address_confirmed",
]
FORM_SLOTS = ("order_number", "email", "verification_code", *ADDRESS_SLOTS)
CONFIRM_BUTTONS = [
    {"title": "Yes, deliver there", "payload": intent_payload("affirm")},
    {"title": "No, keep the old address", "payload": intent_payload("deny")},
]


def _check(tracker: Tracker, customer_id: Optional[int]) -> Optional[AddressChangeCheck]:
    """Checks the form's order for the verified customer; ``None`` when that can't be done."""
    return check_order(tracker, customer_id, address_change_for_customer, "address change check")


def _zone_of_order(check: Optional[AddressChangeCheck]) -> Optional[str]:
    return check.zone if check is not None and check.allowed else None


def _country_names(zone: Optional[str]) -> List[str]:
    countries = countries_in_zone(zone) if zone else list(COUNTRIES)
    return [country.in_sentence for country in countries]


def _new_address(tracker: Tracker) -> NewAddress:
    """The address in the form's slots, checked again.

    Raises:
        InvalidAddressError: When a part is missing or invalid.
    """
    return NewAddress.parse(
        tracker.get_slot("address_street"),
        tracker.get_slot("address_city"),
        tracker.get_slot("address_postcode"),
        tracker.get_slot("address_country"),
    )


class ValidateChangeAddressForm(VerifiedOrderFormValidation):
    """Validates the change-of-address form; asks for an address only before shipping.

    Domain requirements: form ``change_address_form`` with slots ``order_number``,
    ``email``, ``verification_code``, ``address_country``, ``address_street``,
    ``address_city``, ``address_postcode`` and ``address_confirmed``.
    """

    def name(self) -> str:
        """Name of the action in the domain."""
        return "validate_change_address_form"

    def slots_after_verification(self, tracker: Tracker, customer_id: int) -> List[str]:
        """The new address is asked for only while the order can still be changed."""
        check = _check(tracker, customer_id)
        return list(ADDRESS_SLOTS) if check is not None and check.allowed else []

    def validate_address_country(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts a country the shop delivers to in the order's shipping zone."""
        check = _check(tracker, verified_customer(tracker))
        zone = _zone_of_order(check)
        code = parse_country(slot_value)
        if code is None:
            dispatcher.utter_message(text=say.unknown_country(_country_names(zone)))
            return {"address_country": None}
        if check is not None and zone is not None and zone_of(code) != zone:
            zone_name = load_policies().shipping.zones[zone].name
            dispatcher.utter_message(
                text=say.other_zone(
                    check.order_number,
                    COUNTRIES_BY_CODE[code].in_sentence,
                    zone_name,
                    _country_names(zone),
                    check.cancellable,
                )
            )
            return {"address_country": None}
        return {"address_country": code}

    def validate_address_street(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts a house number and street of 3 to 100 characters."""
        street = clean_street(slot_value)
        if street is None:
            dispatcher.utter_message(text=say.INVALID_STREET)
        return {"address_street": street}

    def validate_address_city(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts the name of a town or city."""
        city = clean_city(slot_value)
        if city is None:
            dispatcher.utter_message(text=say.INVALID_CITY)
        return {"address_city": city}

    def validate_address_postcode(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> Dict[str, Any]:
        """Accepts a postcode valid in the new address's country, in its written form."""
        country = COUNTRIES_BY_CODE.get(str(tracker.get_slot("address_country") or ""))
        if country is None:
            return {"address_postcode": None}
        postcode = normalize_postcode(country.code, slot_value)
        if postcode is None:
            dispatcher.utter_message(
                text=say.invalid_postcode(
                    country.postcode_name, country.postcode_example, country.in_sentence
                )
            )
        return {"address_postcode": postcode}

    validate_address_confirmed = yes_or_no_validator("address_confirmed")


class ActionAskChangeAddressOrderNumber(OrderNumberQuestion):
    """Asks which order should go to another address."""

    action_name = "action_ask_change_address_form_order_number"
    question = say.ASK_CHANGE_ADDRESS_ORDER_NUMBER


class ActionAskAddressCountry(Action):
    """Shows the verified owner where the order goes now and asks for the new country."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_address_country"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with a button per country of the order's shipping zone."""
        check = _check(tracker, verified_customer(tracker))
        zone = _zone_of_order(check)
        if check is None or zone is None:
            dispatcher.utter_message(text=say.ask_country("", "", _country_names(None)))
            return []
        countries = countries_in_zone(zone)
        dispatcher.utter_message(
            text=say.ask_country(
                check.order_number,
                check.current_address,
                [country.in_sentence for country in countries],
            ),
            buttons=[
                {
                    "title": country.name,
                    "payload": intent_payload("inform", address_country=country.code),
                }
                for country in countries
            ],
        )
        return []


class ActionAskAddressStreet(AskAction):
    """Asks for the house number and street of the new address."""

    action_name = "action_ask_address_street"
    question = say.ASK_STREET


class ActionAskAddressCity(AskAction):
    """Asks for the town or city of the new address."""

    action_name = "action_ask_address_city"
    question = say.ASK_CITY


class ActionAskAddressPostcode(Action):
    """Asks for the postcode, as the new address's country calls it."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_address_postcode"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with an example postcode of that country."""
        country = COUNTRIES_BY_CODE.get(str(tracker.get_slot("address_country") or ""))
        if country is None:
            country = COUNTRIES[0]
        dispatcher.utter_message(
            text=say.ask_postcode(
                country.postcode_name, country.postcode_example, country.in_sentence
            )
        )
        return []


class ActionAskAddressConfirmed(Action):
    """Repeats the new address and asks the customer to confirm it."""

    def name(self) -> str:
        """Name of the action in the domain."""
        return "action_ask_address_confirmed"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Sends the question with Yes and No buttons."""
        try:
            new_address = _new_address(tracker).one_line()
        except InvalidAddressError:
            new_address = "the new address"
        number = str(tracker.get_slot("order_number") or "")
        dispatcher.utter_message(
            text=say.confirm_new_address(number, new_address), buttons=CONFIRM_BUTTONS
        )
        return []


class ActionChangeAddress(VerifiedFlowAction):
    """Changes the address once confirmed, or explains why it can't be changed."""

    action_name = "action_change_address"
    form_slots = FORM_SLOTS

    def act(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: int, number: str
    ) -> List[EventType]:
        """Changes a confirmed address; without a yes, says what changing would mean."""
        confirmed = tracker.get_slot("address_confirmed")
        database_url = get_settings().database_url
        try:
            if confirmed is True:
                new = _new_address(tracker)
                check = change_address_for_customer(
                    database_url, number, customer_id, new, tracker.sender_id
                )
            else:
                check = address_change_for_customer(database_url, number, customer_id)
        except InvalidAddressError:
            dispatcher.utter_message(text=say.ADDRESS_INCOMPLETE)
            return []
        dispatcher.utter_message(text=_outcome_message(check, tracker, date.today()))
        return []


def _outcome_message(check: AddressChangeCheck, tracker: Tracker, today: date) -> str:
    verdict = check.verdict
    number = check.order_number
    if verdict is AddressChangeVerdict.NOT_FOUND:
        return messages.ORDER_NOT_FOUND
    if check.changed:
        expected = check.expected_delivery
        due = format_day(expected, today) if expected is not None and expected >= today else None
        return say.address_changed(number, check.new_address, due)
    if verdict is AddressChangeVerdict.ALLOWED:
        # The customer said no, or the form ended without a yes.
        return say.address_kept(number)
    if verdict is AddressChangeVerdict.UNCHANGED:
        return say.address_unchanged(number)
    if verdict is AddressChangeVerdict.OTHER_ZONE:
        zone = check.zone
        country = COUNTRIES_BY_CODE.get(str(tracker.get_slot("address_country") or ""))
        return say.other_zone(
            number,
            country.in_sentence if country else "that country",
            load_policies().shipping.zones[zone].name,
            _country_names(zone),
            check.cancellable,
        )
    if verdict is AddressChangeVerdict.SHIPPED:
        return _after_shipment(check)
    if verdict is AddressChangeVerdict.DELIVERED:
        delivered = format_day(check.delivered_on, today) if check.delivered_on else None
        return say.already_delivered(number, delivered)
    if verdict is AddressChangeVerdict.CANCELLED:
        return say.cancelled_order(number)
    return say.returned_order(number)


def _after_shipment(check: AddressChangeCheck) -> str:
    """What the carrier of the latest parcel still lets the customer do."""
    number = check.order_number
    if not check.carrier or not check.tracking_number:
        return say.shipped_untracked(number)
    carrier = check.carrier.strip().casefold()
    if carrier == "an post":
        return say.shipped_with_an_post(number, check.tracking_number)
    if carrier == "dpd":
        return say.shipped_with_dpd(number, check.tracking_number)
    return say.shipped_with_carrier(number, check.carrier, check.tracking_number)

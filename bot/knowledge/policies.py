"""Shop policies from ``knowledge/policies.yml``, the one place their numbers live.

FAQ answers quote them through placeholders; order actions read them here::

    from bot.knowledge.policies import load_policies, return_window_days

    if days_since_delivery > return_window_days():
        ...

Amounts are integer cents (hundredths of the currency unit); durations are
whole days, business days or months as the field name says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.knowledge.formatting import WEEKDAYS, format_opening_hours
from bot.knowledge.paths import KNOWLEDGE_DIR, policies_path
from bot.knowledge.validation import KnowledgeError
from bot.knowledge.yaml_io import read_yaml_file

_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")


@dataclass(frozen=True)
class ReturnsPolicy:
    """Returns and refunds.

    Attributes:
        window_days: Calendar days after delivery within which items can be returned.
        refund_days: Business days to refund once the return arrives at the warehouse.
        exchange_window_days: Calendar days after delivery to ask for an exchange.
        free_return_zones: Shipping zones whose customers get a free return label.
        non_returnable: Kinds of items that cannot be returned.
    """

    window_days: int
    refund_days: int
    exchange_window_days: int
    free_return_zones: Tuple[str, ...]
    non_returnable: Tuple[str, ...]

    def is_within_window(self, delivered_on: date, today: date) -> bool:
        """Tells whether an item delivered on ``delivered_on`` can still be returned."""
        return (today - delivered_on).days <= self.window_days


@dataclass(frozen=True)
class ShippingZone:
    """Standard delivery to one shipping zone.

    Attributes:
        key: Zone key in ``policies.yml``, e.g. ``eu``.
        name: Where the zone is, as customers say it.
        cost_cents: Standard shipping cost below the free-shipping threshold.
        currency: ISO 4217 code of the amounts.
        min_days: Fewest business days from dispatch to delivery.
        max_days: Most business days from dispatch to delivery.
        free_threshold_cents: Order total from which shipping is free, or
            ``None`` when the zone never ships free.
    """

    key: str
    name: str
    cost_cents: int
    currency: str
    min_days: int
    max_days: int
    free_threshold_cents: Optional[int]

    def cost_for(self, order_total_cents: int) -> int:
        """Returns the standard shipping cost, in cents, of an order of that total."""
        if self.free_threshold_cents is not None and order_total_cents >= self.free_threshold_cents:
            return 0
        return self.cost_cents


@dataclass(frozen=True)
class ExpressShipping:
    """Express delivery.

    Attributes:
        zones: Zone keys where express delivery is offered.
        cost_cents: Express shipping cost (never free).
        currency: ISO 4217 code of the cost.
        min_days: Fewest business days from order to delivery.
        max_days: Most business days from order to delivery.
        cutoff: Local time (``HH:MM``) by which to order on a business day.
    """

    zones: Tuple[str, ...]
    cost_cents: int
    currency: str
    min_days: int
    max_days: int
    cutoff: str


@dataclass(frozen=True)
class ShippingPolicy:
    """Shipping zones, dispatch and carriers.

    Attributes:
        dispatch_cutoff: Local time (``HH:MM``) by which business-day orders
            leave the warehouse the same day.
        carriers: Carriers that deliver our parcels.
        zones: Standard delivery per zone key.
        express: Express delivery.
    """

    dispatch_cutoff: str
    carriers: Tuple[str, ...]
    zones: Mapping[str, ShippingZone]
    express: ExpressShipping


@dataclass(frozen=True)
class LoyaltyTier:
    """A loyalty tier.

    Attributes:
        key: Tier key in ``policies.yml``, e.g. ``gold``.
        name: Tier name shown to customers.
        min_points: Points earned in the last 12 months needed for the tier.
        points_per_unit: Points earned per whole currency unit spent.
    """

    key: str
    name: str
    min_points: int
    points_per_unit: int


@dataclass(frozen=True)
class LoyaltyPolicy:
    """The loyalty programme.

    Attributes:
        points_expiry_months: Months after which unused points expire.
        redemption_points_per_unit: Points that buy one currency unit of discount.
        redemption_min_points: Fewest points that can be redeemed at once.
        tiers: Tiers from lowest to highest; the first starts at 0 points.
    """

    points_expiry_months: int
    redemption_points_per_unit: int
    redemption_min_points: int
    tiers: Tuple[LoyaltyTier, ...]

    def tier_for(self, points: int) -> LoyaltyTier:
        """Returns the highest tier that ``points`` qualify for."""
        qualifying = [tier for tier in self.tiers if points >= tier.min_points]
        return qualifying[-1] if qualifying else self.tiers[0]

    def points_earned(self, amount_cents: int, tier: LoyaltyTier) -> int:
        """Returns the points a purchase of ``amount_cents`` earns in ``tier``."""
        return max(amount_cents, 0) // 100 * tier.points_per_unit

    def discount_cents(self, points: int) -> int:
        """Returns the discount, in cents, that ``points`` buy (0 below the minimum)."""
        if points < self.redemption_min_points:
            return 0
        return points * 100 // self.redemption_points_per_unit


@dataclass(frozen=True)
class WarrantyPolicy:
    """Product warranty.

    Attributes:
        months: Warranty length from the delivery date.
        claim_decision_days: Business days to decide on a claim once the item arrives.
    """

    months: int
    claim_decision_days: int


@dataclass(frozen=True)
class OpeningHours:
    """Hours of one day, local time.

    Attributes:
        open: Opening time, ``HH:MM``.
        close: Closing time, ``HH:MM``.
    """

    open: str
    close: str


@dataclass(frozen=True)
class ContactChannel:
    """A way to reach the support team.

    Attributes:
        key: Channel key in ``policies.yml``, e.g. ``email``.
        label: Channel name shown to customers.
        address: Email address, phone number or page path.
        response_hours: Usual reply time, for channels that do not answer live.
    """

    key: str
    label: str
    address: str
    response_hours: Optional[int]


@dataclass(frozen=True)
class ContactPolicy:
    """When and how customers reach human support.

    Attributes:
        timezone: IANA time zone of the opening hours, e.g. ``Europe/Dublin``.
        hours: Opening hours per weekday (``monday`` … ``sunday``); ``None`` when closed.
        channels: Contact channels by key.
    """

    timezone: str
    hours: Mapping[str, Optional[OpeningHours]]
    channels: Mapping[str, ContactChannel]

    def is_open(self, moment: datetime) -> bool:
        """Tells whether the team is available at a moment.

        Args:
            moment: A time-zone-aware date and time.

        Raises:
            ValueError: When ``moment`` has no time zone.
        """
        if moment.tzinfo is None:
            raise ValueError("moment must be time-zone aware")
        local = moment.astimezone(ZoneInfo(self.timezone))
        day_hours = self.hours.get(WEEKDAYS[local.weekday()])
        if day_hours is None:
            return False
        return day_hours.open <= local.strftime("%H:%M") < day_hours.close

    def describe_hours(self) -> str:
        """Returns the opening hours as text, e.g. ``Monday-Friday 08:00-20:00, …``."""
        return format_opening_hours(
            {
                day: None if hours is None else (hours.open, hours.close)
                for day, hours in self.hours.items()
            }
        )


@dataclass(frozen=True)
class CancellationPolicy:
    """Cancelling orders: only before shipment.

    Attributes:
        cancellable_statuses: Order statuses in which an order can still be cancelled.
        refund_days: Business days to refund the payment of a cancelled order.
        late_parcel_after_days: A shipped parcel this many days past its estimated
            delivery date may be cancelled and refunded too; ``None`` when never.
    """

    cancellable_statuses: Tuple[str, ...]
    refund_days: int
    late_parcel_after_days: Optional[int] = None

    def allows(self, status: str) -> bool:
        """Tells whether an order in ``status`` can be cancelled."""
        return status in self.cancellable_statuses


@dataclass(frozen=True)
class OrderChangesPolicy:
    """Changing an order after it was placed.

    Attributes:
        editable_statuses: Order statuses in which items, sizes or quantities can change.
        gift_message_max_chars: Longest gift message printed on the packing slip.
    """

    editable_statuses: Tuple[str, ...]
    gift_message_max_chars: int

    def allows(self, status: str) -> bool:
        """Tells whether an order in ``status`` can still be edited."""
        return status in self.editable_statuses


@dataclass(frozen=True)
class GiftCardPolicy:
    """Gift cards.

    Attributes:
        validity_months: Months a gift card stays valid after purchase.
        min_value_cents: Smallest gift card value.
        max_value_cents: Largest gift card value.
        currency: ISO 4217 code of the values.
    """

    validity_months: int
    min_value_cents: int
    max_value_cents: int
    currency: str


@dataclass(frozen=True)
class PaymentPolicy:
    """Payment.

    Attributes:
        methods: Accepted payment methods, as customers know them.
    """

    methods: Tuple[str, ...]


@dataclass(frozen=True)
class Policies:
    """Every shop policy.

    Attributes:
        currency: The shop's ISO 4217 currency code.
        returns: Returns and refunds.
        shipping: Shipping zones and options.
        loyalty: Loyalty programme.
        warranty: Product warranty.
        contact: Support hours and channels.
        cancellation: Order cancellation.
        order_changes: Editing placed orders.
        gift_cards: Gift cards.
        payment: Payment methods.
        values: The whole file as read, for article placeholders; it may hold
            more than the typed fields.
    """

    currency: str
    returns: ReturnsPolicy
    shipping: ShippingPolicy
    loyalty: LoyaltyPolicy
    warranty: WarrantyPolicy
    contact: ContactPolicy
    cancellation: CancellationPolicy
    order_changes: OrderChangesPolicy
    gift_cards: GiftCardPolicy
    payment: PaymentPolicy
    values: Mapping[str, Any]


class _Section:
    """A mapping of ``policies.yml`` whose values are read with clear errors."""

    def __init__(self, data: Any, where: str, path: Path) -> None:
        if not isinstance(data, dict):
            raise KnowledgeError(path, f"{where or 'the file'} must be a mapping of 'key: value'")
        self.data: Dict[str, Any] = data
        self.where = where
        self.path = path

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str) -> Any:
        if key not in self.data:
            raise KnowledgeError(self.path, f"{self._name(key)} is missing")
        return self.data[key]

    def error(self, key: str, problem: str) -> KnowledgeError:
        """Returns an error about the value at ``key``."""
        return KnowledgeError(self.path, f"{self._name(key)} {problem}")

    def section(self, key: str) -> _Section:
        """Returns the mapping at ``key``."""
        return _Section(self._get(key), self._name(key), self.path)

    def sections(self, key: str) -> Dict[str, _Section]:
        """Returns the mappings inside the mapping at ``key``, by their keys."""
        outer = self.section(key)
        if not outer.data:
            raise self.error(key, "must not be empty")
        return {str(name): outer.section(str(name)) for name in outer.data}

    def integer(self, key: str, minimum: int = 0) -> int:
        """Returns the whole number at ``key``, at least ``minimum``."""
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.error(key, f"must be a whole number of at least {minimum}, got {value!r}")
        return value

    def optional_integer(self, key: str, minimum: int = 0) -> Optional[int]:
        """Like :meth:`integer`, but ``null`` (or a missing key) gives ``None``."""
        if self.data.get(key) is None:
            return None
        return self.integer(key, minimum)

    def text(self, key: str) -> str:
        """Returns the non-empty text at ``key``."""
        value = self._get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be text, got {value!r}")
        return value.strip()

    def time(self, key: str) -> str:
        """Returns the ``HH:MM`` time at ``key``."""
        value = self._get(key)
        if not isinstance(value, str) or not _TIME.match(value):
            raise self.error(key, f'must be a quoted time like "09:00", got {value!r}')
        return value

    def currency(self, key: str) -> str:
        """Returns the ISO 4217 currency code at ``key``."""
        value = self._get(key)
        if not isinstance(value, str) or not _CURRENCY.match(value):
            raise self.error(key, f"must be a currency code like EUR, got {value!r}")
        return value

    def texts(self, key: str) -> Tuple[str, ...]:
        """Returns the non-empty list of texts at ``key``."""
        value = self._get(key)
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(item, str) and item.strip() for item in value)
        ):
            raise self.error(key, "must be a non-empty list of texts")
        return tuple(item.strip() for item in value)


def _returns(section: _Section, zone_keys: Tuple[str, ...]) -> ReturnsPolicy:
    free_zones = section.texts("free_return_zones")
    unknown = [zone for zone in free_zones if zone not in zone_keys]
    if unknown:
        raise section.error("free_return_zones", f"names unknown shipping zones: {unknown}")
    return ReturnsPolicy(
        window_days=section.integer("window_days", 1),
        refund_days=section.integer("refund_days", 1),
        exchange_window_days=section.integer("exchange_window_days", 1),
        free_return_zones=free_zones,
        non_returnable=section.texts("non_returnable"),
    )


def _zone(key: str, section: _Section) -> ShippingZone:
    min_days = section.integer("min_days", 1)
    max_days = section.integer("max_days", min_days)
    return ShippingZone(
        key=key,
        name=section.text("name"),
        cost_cents=section.integer("cost_cents"),
        currency=section.currency("currency"),
        min_days=min_days,
        max_days=max_days,
        free_threshold_cents=section.optional_integer("free_threshold_cents"),
    )


def _shipping(section: _Section) -> ShippingPolicy:
    zones = {key: _zone(key, zone) for key, zone in section.sections("zones").items()}
    express = section.section("express")
    express_zones = express.texts("zones")
    unknown = [zone for zone in express_zones if zone not in zones]
    if unknown:
        raise express.error("zones", f"names unknown shipping zones: {unknown}")
    express_min = express.integer("min_days", 1)
    return ShippingPolicy(
        dispatch_cutoff=section.time("dispatch_cutoff"),
        carriers=section.texts("carriers"),
        zones=zones,
        express=ExpressShipping(
            zones=express_zones,
            cost_cents=express.integer("cost_cents"),
            currency=express.currency("currency"),
            min_days=express_min,
            max_days=express.integer("max_days", express_min),
            cutoff=express.time("cutoff"),
        ),
    )


def _loyalty(section: _Section) -> LoyaltyPolicy:
    redemption = section.section("redemption")
    tiers = tuple(
        LoyaltyTier(
            key=key,
            name=tier.text("name"),
            min_points=tier.integer("min_points"),
            points_per_unit=tier.integer("points_per_unit", 1),
        )
        for key, tier in section.sections("tiers").items()
    )
    thresholds = [tier.min_points for tier in tiers]
    if thresholds[0] != 0 or thresholds != sorted(set(thresholds)):
        raise section.error(
            "tiers", "must be listed from lowest to highest min_points, the first at 0"
        )
    return LoyaltyPolicy(
        points_expiry_months=section.integer("points_expiry_months", 1),
        redemption_points_per_unit=redemption.integer("points_per_unit", 1),
        redemption_min_points=redemption.integer("min_points"),
        tiers=tiers,
    )


def _opening_hours(section: _Section) -> Dict[str, Optional[OpeningHours]]:
    hours: Dict[str, Optional[OpeningHours]] = {}
    for day in WEEKDAYS:
        value = section.data.get(day)
        if value == "closed":
            hours[day] = None
            continue
        if not isinstance(value, dict):
            raise section.error(day, "must be 'closed' or have open: and close: times")
        day_section = section.section(day)
        opening = OpeningHours(open=day_section.time("open"), close=day_section.time("close"))
        if opening.open >= opening.close:
            raise section.error(day, "must open before it closes")
        hours[day] = opening
    unknown = sorted(set(section.data) - set(WEEKDAYS))
    if unknown:
        raise section.error(str(unknown[0]), "is not a weekday (monday … sunday)")
    return hours


def _contact(section: _Section) -> ContactPolicy:
    timezone = section.text("timezone")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise section.error("timezone", f"is not a known time zone: {timezone!r}") from None
    channels = {
        key: ContactChannel(
            key=key,
            label=channel.text("label"),
            address=channel.text("address"),
            response_hours=channel.optional_integer("response_hours", 1),
        )
        for key, channel in section.sections("channels").items()
    }
    return ContactPolicy(
        timezone=timezone, hours=_opening_hours(section.section("hours")), channels=channels
    )


def _gift_cards(section: _Section) -> GiftCardPolicy:
    min_value = section.integer("min_value_cents", 1)
    return GiftCardPolicy(
        validity_months=section.integer("validity_months", 1),
        min_value_cents=min_value,
        max_value_cents=section.integer("max_value_cents", min_value),
        currency=section.currency("currency"),
    )


def parse_policies(data: Any, path: Path) -> Policies:
    """Builds typed policies from the parsed content of ``policies.yml``.

    Args:
        data: The parsed YAML.
        path: The file, for error messages.

    Returns:
        The policies.

    Raises:
        KnowledgeError: On the first missing or invalid value.
    """
    root = _Section(data, "", path)
    shipping = _shipping(root.section("shipping"))
    cancellation = root.section("cancellation")
    order_changes = root.section("order_changes")
    return Policies(
        currency=root.currency("currency"),
        returns=_returns(root.section("returns"), tuple(shipping.zones)),
        shipping=shipping,
        loyalty=_loyalty(root.section("loyalty")),
        warranty=WarrantyPolicy(
            months=root.section("warranty").integer("months", 1),
            claim_decision_days=root.section("warranty").integer("claim_decision_days", 1),
        ),
        contact=_contact(root.section("contact")),
        cancellation=CancellationPolicy(
            cancellable_statuses=cancellation.texts("cancellable_statuses"),
            refund_days=cancellation.integer("refund_days", 1),
            late_parcel_after_days=cancellation.optional_integer("late_parcel_after_days", 1),
        ),
        order_changes=OrderChangesPolicy(
            editable_statuses=order_changes.texts("editable_statuses"),
            gift_message_max_chars=order_changes.integer("gift_message_max_chars", 1),
        ),
        gift_cards=_gift_cards(root.section("gift_cards")),
        payment=PaymentPolicy(methods=root.section("payment").texts("methods")),
        values=data,
    )


def read_policies(path: Path) -> Policies:
    """Reads ``policies.yml`` afresh (no caching).

    Raises:
        KnowledgeError: When the file is missing, not valid YAML or has an
            invalid value.
    """
    return parse_policies(read_yaml_file(path), path)


@lru_cache(maxsize=8)
def _cached_policies(path: Path) -> Policies:
    return read_policies(path)


def load_policies(path: Optional[Path] = None) -> Policies:
    """Returns the shop policies, read once per process and file.

    Args:
        path: The policies file; ``knowledge/policies.yml`` of the project by default.

    Raises:
        KnowledgeError: When the file is missing or invalid.
    """
    return _cached_policies(Path(path or policies_path(KNOWLEDGE_DIR)).resolve())


def clear_policies_cache() -> None:
    """Forgets policies read by :func:`load_policies`, e.g. after editing the file."""
    _cached_policies.cache_clear()


def return_window_days(policies: Optional[Policies] = None) -> int:
    """Returns the number of days after delivery within which items can be returned."""
    return (policies or load_policies()).returns.window_days


def refund_days(policies: Optional[Policies] = None) -> int:
    """Returns the business days to refund once a return arrives at the warehouse."""
    return (policies or load_policies()).returns.refund_days


def warranty_months(policies: Optional[Policies] = None) -> int:
    """Returns the warranty length in months."""
    return (policies or load_policies()).warranty.months


def shipping_zone(key: str, policies: Optional[Policies] = None) -> ShippingZone:
    """Returns the standard delivery of a shipping zone.

    Raises:
        KeyError: When there is no such zone.
    """
    return (policies or load_policies()).shipping.zones[key]


def can_cancel(status: str, policies: Optional[Policies] = None) -> bool:
    """Tells whether an order in ``status`` can still be cancelled (not yet shipped)."""
    return (policies or load_policies()).cancellation.allows(status)

from __future__ import annotations

from datetime import date, timedelta
from typing import Optional, Tuple

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import OperationalError

from actions import loyalty as loyalty_actions
from actions.loyalty import ActionAskLoyaltyOrderNumber, ActionLoyaltyPoints, ValidateLoyaltyForm
from actions.verification import CODE_LOCKED
from bot.db.engine import get_engine, session_scope
from bot.db.models import Customer, LoyaltyAccount, Order
from bot.loyalty import messages as say
from bot.orders import messages
from bot.orders.status import short_date
from tests.actions.conftest import make_tracker

FORM = "loyalty_form"
DOMAIN = {
    "forms": {FORM: {"required_slots": ["order_number", "email", "verification_code"]}},
    "slots": {"order_number": {}, "email": {}, "verification_code": {}, "customer_id": {}},
}
FORGET = [
    SlotSet("order_number", None),
    SlotSet("email", None),
    SlotSet("verification_code", None),
]


def jane(settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return session.query(Customer.id).filter_by(email="jane.doe@example.com").scalar()


def customer_without_account(settings) -> int:
    with session_scope(get_engine(settings.database_url)) as session:
        return (
            session.query(Customer.id)
            .outerjoin(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id)
            .filter(LoyaltyAccount.id.is_(None))
            .order_by(Customer.id)
            .first()[0]
        )


def jane_reply() -> str:
    today = date.today()
    expiry = short_date(today + timedelta(days=12), today)
    return (
        "You have 4,820 points (worth €48.20) and you're a Gold member: 3 points per €1 "
        "spent, plus free express delivery and early access to sales. 750 points expire on "
        f"{expiry}, so use them before then. To redeem, tick **Use my points** at checkout "
        "and choose how many: at least 500 points at a time, and every 100 points take €1 off."
    )


def run_action(
    customer_id: Optional[int] = None,
    code: Optional[str] = None,
    number: Optional[str] = None,
    metadata: Optional[dict] = None,
) -> Tuple[list, list]:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={
            "customer_id": str(customer_id) if customer_id is not None else None,
            "verification_code": code,
            "order_number": number,
        },
        events=[{"event": "user", "text": "how many points do I have", "metadata": metadata or {}}],
    )
    events = ActionLoyaltyPoints().run(dispatcher, tracker, {})
    return events, [m["text"] for m in dispatcher.messages]


def test_a_verified_member_hears_balance_tier_expiry_and_redeeming(demo_shop):
    customer = jane(demo_shop)
    events, said = run_action(customer, "verified")
    assert events == [*FORGET, SlotSet("customer_id", str(customer))]
    assert said == [jane_reply()]


def test_a_customer_verified_by_the_website_token_is_answered_too(demo_shop):
    from bot.identity.tokens import issue_customer_token

    customer = jane(demo_shop)
    token = issue_customer_token(customer, demo_shop.customer_token_secret, timedelta(minutes=5))
    events, said = run_action(metadata={"customer_token": token})
    assert events == [*FORGET, SlotSet("customer_id", str(customer))]
    assert said == [jane_reply()]

    forged = issue_customer_token(customer, "not-the-shop-secret", timedelta(minutes=5))
    _, forged_said = run_action(metadata={"customer_token": forged})
    assert forged_said == [say.NOT_VERIFIED]


def test_quoting_another_customers_order_still_shows_only_ones_own_points(demo_shop):
    customer = jane(demo_shop)
    with session_scope(get_engine(demo_shop.database_url)) as session:
        number = session.query(Order.number).filter(Order.customer_id != customer).first()[0]
    _, said = run_action(customer, "verified", number=number)
    assert said == [jane_reply()]


def test_a_customer_without_a_loyalty_account_learns_how_to_join(demo_shop):
    customer = customer_without_account(demo_shop)
    _, said = run_action(customer, "verified")
    assert said == [
        "You're not a member of our Rewards Club yet, but it's free to join: sign up in "
        "[your account](/account/rewards) and get 200 points as a welcome bonus. You'll then "
        "earn 1 point per €1 spent on every order, and from 500 points every 100 points take "
        "€1 off at checkout."
    ]


def test_an_anonymous_customer_hears_nothing_about_any_points(demo_shop):
    events, said = run_action()
    assert events == FORGET
    assert said == [say.NOT_VERIFIED]


def test_a_locked_verification_ends_politely(demo_shop):
    _, said = run_action(code=CODE_LOCKED)
    assert said == [messages.VERIFICATION_LOCKED]


def test_a_database_failure_is_a_polite_apology(demo_shop, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT loyalty_accounts", {}, Exception("database is locked"))

    monkeypatch.setattr(loyalty_actions, "loyalty_for_customer", broken)
    customer = jane(demo_shop)
    events, said = run_action(customer, "verified")
    assert events == [*FORGET, SlotSet("customer_id", str(customer))]
    assert said == [messages.LOOKUP_UNAVAILABLE]


async def test_a_verified_customer_is_asked_nothing(demo_shop):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        slots={"customer_id": str(jane(demo_shop))},
        text="how many points do I have",
        intent="loyalty_points",
        events=[{"event": "user", "text": "how many points do I have"}],
        active_loop=FORM,
    )
    events = await ValidateLoyaltyForm().run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("requested_slot", None)]
    assert dispatcher.messages == []


async def test_anyone_else_proves_who_they_are_first():
    tracker = make_tracker(text="my points", intent="loyalty_points")
    required = await ValidateLoyaltyForm().required_slots(
        [], CollectingDispatcher(), tracker, DOMAIN
    )
    assert required == ["order_number", "email", "verification_code"]
    dispatcher = CollectingDispatcher()
    ActionAskLoyaltyOrderNumber().run(dispatcher, tracker, DOMAIN)
    assert [m["text"] for m in dispatcher.messages] == [say.ASK_LOYALTY_ORDER_NUMBER]


@pytest.mark.parametrize("typed", ["1' OR '1'='1", "<script>alert(1)</script>"])
def test_odd_order_numbers_are_refused_as_text(typed):
    dispatcher = CollectingDispatcher()
    result = ValidateLoyaltyForm().validate_order_number(typed, dispatcher, make_tracker(), DOMAIN)
    assert result == {"order_number": None}
    assert [m["text"] for m in dispatcher.messages] == [messages.INVALID_ORDER_NUMBER]

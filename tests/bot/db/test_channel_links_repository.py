from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db.models import ChannelLink
from bot.db.repositories.channel_links import (
    find_link,
    link_user,
    links_of_customer,
    unlink_user,
)
from tests.support.shop_factory import ShopFactory

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def test_a_linked_user_is_found_on_that_channel_only(
    db_session: Session, factory: ShopFactory
) -> None:
    customer = factory.customer()
    assert link_user(db_session, "telegram", "1111111", customer.id, now=NOW) is None
    db_session.expire_all()

    link = find_link(db_session, "telegram", "1111111")
    assert link is not None
    assert (link.customer_id, link.linked_at) == (customer.id, NOW)
    assert find_link(db_session, "slack", "1111111") is None
    assert find_link(db_session, "telegram", "2222222") is None


def test_linking_again_moves_the_user_to_the_newly_proven_customer(
    db_session: Session, factory: ShopFactory
) -> None:
    first, second = factory.customer(), factory.customer()
    link_user(db_session, "telegram", "1111111", first.id, now=NOW)

    later = NOW + timedelta(days=3)
    assert link_user(db_session, "telegram", "1111111", second.id, now=later) == first.id
    assert link_user(db_session, "telegram", "1111111", second.id, now=later) == second.id

    rows = db_session.execute(select(ChannelLink)).scalars().all()
    assert [(r.channel, r.external_user_id, r.customer_id, r.linked_at) for r in rows] == [
        ("telegram", "1111111", second.id, later)
    ]


def test_one_customer_may_be_linked_on_several_apps(
    db_session: Session, factory: ShopFactory
) -> None:
    customer = factory.customer()
    link_user(db_session, "telegram", "1111111", customer.id, now=NOW)
    link_user(db_session, "twilio", "whatsapp:+447700900123", customer.id, now=NOW)

    assert [
        (link.channel, link.external_user_id) for link in links_of_customer(db_session, customer.id)
    ] == [("telegram", "1111111"), ("twilio", "whatsapp:+447700900123")]


def test_a_channel_user_is_linked_at_most_once(db_session: Session, factory: ShopFactory) -> None:
    first, second = factory.customer(), factory.customer()
    link_user(db_session, "telegram", "1111111", first.id, now=NOW)

    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(
            ChannelLink(
                channel="telegram", external_user_id="1111111", customer_id=second.id, linked_at=NOW
            )
        )


def test_unlinking_forgets_the_user(db_session: Session, factory: ShopFactory) -> None:
    customer = factory.customer()
    link_user(db_session, "telegram", "1111111", customer.id, now=NOW)

    assert unlink_user(db_session, "telegram", "1111111") is True
    assert unlink_user(db_session, "telegram", "1111111") is False
    assert find_link(db_session, "telegram", "1111111") is None


def test_links_go_with_their_customer(db_session: Session, factory: ShopFactory) -> None:
    erased, kept = factory.customer(), factory.customer()
    link_user(db_session, "telegram", "1111111", erased.id, now=NOW)
    link_user(db_session, "slack", "U2147483697", kept.id, now=NOW)

    db_session.execute(text("DELETE FROM addresses WHERE customer_id = :id"), {"id": erased.id})
    db_session.execute(text("DELETE FROM customers WHERE id = :id"), {"id": erased.id})
    db_session.expire_all()

    assert find_link(db_session, "telegram", "1111111") is None
    assert find_link(db_session, "slack", "U2147483697") is not None


def test_a_link_needs_a_real_customer(db_session: Session) -> None:
    with pytest.raises(IntegrityError), db_session.begin_nested():
        link_user(db_session, "telegram", "1111111", 987654, now=NOW)


@pytest.mark.parametrize(("channel", "user"), [("", "1111111"), ("telegram", "")])
def test_a_link_needs_a_channel_and_a_user(
    db_session: Session, factory: ShopFactory, channel: str, user: str
) -> None:
    with pytest.raises(ValueError):
        link_user(db_session, channel, user, factory.customer().id)

"""``python -m bot links list|forget``: messaging-app users remembered as customers."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Adds the ``links`` commands to the top-level command parser.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
    """
    parser = subparsers.add_parser(
        "links",
        help="Messaging-app users linked to customers.",
        description=(
            "A customer who verified by code on Telegram, WhatsApp, Messenger or Slack is "
            "remembered there. List a customer's links, or forget one so that the user "
            "verifies with a code again."
        ),
    )
    commands = parser.add_subparsers(dest="links_command", metavar="SUBCOMMAND")
    commands.required = True

    listing = commands.add_parser("list", help="Show the apps a customer is remembered on.")
    listing.add_argument("--customer", type=int, required=True, help="The customer's id.")
    listing.set_defaults(handler=list_command)

    forget = commands.add_parser("forget", help="Forget one app user.")
    forget.add_argument("channel", help="The channel: telegram, twilio, facebook or slack.")
    forget.add_argument("user", help="The user's id on it, e.g. a Telegram chat id.")
    forget.set_defaults(handler=forget_command)


def list_command(args: argparse.Namespace) -> int:
    """Prints a customer's links, oldest first."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db.engine import get_engine, session_scope
    from bot.db.repositories.channel_links import links_of_customer
    from bot.settings import get_settings

    try:
        with session_scope(get_engine(get_settings().database_url)) as session:
            rows = [
                (link.channel, link.external_user_id, link.linked_at.isoformat(timespec="seconds"))
                for link in links_of_customer(session, args.customer)
            ]
    except SQLAlchemyError as error:
        print(f"Could not read the links ({error.__class__.__name__}).", file=sys.stderr)
        return 1
    if not rows:
        print(f"Customer {args.customer} is not remembered on any messaging app.")
        return 0
    for channel, user, linked_at in rows:
        print(f"{channel:<10} {user:<32} linked {linked_at}")
    return 0


def forget_command(args: argparse.Namespace) -> int:
    """Removes one link; the user then verifies with a code again."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.identity.links import forget_channel_user
    from bot.settings import get_settings

    try:
        forgotten = forget_channel_user(get_settings(), args.channel, args.user)
    except SQLAlchemyError as error:
        print(f"Could not change the links ({error.__class__.__name__}).", file=sys.stderr)
        return 1
    if not forgotten:
        print(f"{args.channel} user {args.user} was not linked to any customer.")
        return 1
    print(f"Forgot {args.channel} user {args.user}; they will verify with a code next time.")
    return 0

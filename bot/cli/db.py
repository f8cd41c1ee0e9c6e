"""Database commands: ``db upgrade``, ``db current``, ``db revision`` and ``seed-demo``.

Every command works on ``get_settings().database_url``. The database modules
are imported when a command runs, so other commands do not pay for them.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any


def register(subparsers: Any) -> None:
    """Adds the database commands to the top-level command parser.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
    """
    db_parser = subparsers.add_parser(
        "db", help="Application database: migrations.", description="Manage the shop database."
    )
    db_commands = db_parser.add_subparsers(dest="db_command", metavar="SUBCOMMAND")
    db_commands.required = True

    upgrade_parser = db_commands.add_parser(
        "upgrade", help="Apply migrations (to the newest revision by default)."
    )
    upgrade_parser.add_argument(
        "revision", nargs="?", default="head", help="Target revision (default: head)."
    )
    upgrade_parser.set_defaults(handler=upgrade_command)

    current_parser = db_commands.add_parser("current", help="Print the database's revision.")
    current_parser.set_defaults(handler=current_command)

    revision_parser = db_commands.add_parser(
        "revision", help="Write a new numbered migration file to alembic/versions."
    )
    revision_parser.add_argument("-m", "--message", required=True, help="What it changes.")
    revision_parser.add_argument(
        "--autogenerate",
        action="store_true",
        help="Fill it in from the difference between the models and the database.",
    )
    revision_parser.set_defaults(handler=revision_command)

    seed_parser = subparsers.add_parser(
        "seed-demo",
        help="Fill the database with the demo shop.",
        description=(
            "Apply migrations, then fill the database with the deterministic demo shop "
            "(demo customer: jane.doe@example.com). Refuses when the database already "
            "has customers, unless --reset is given."
        ),
    )
    seed_parser.add_argument(
        "--reset",
        action="store_true",
        help="Delete all shop data first (the schema is kept).",
    )
    seed_parser.add_argument(
        "--today",
        type=parse_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="Date the demo data is relative to (default: today).",
    )
    seed_parser.set_defaults(handler=seed_demo_command)


def parse_date(text: str) -> date:
    """Parses a ``YYYY-MM-DD`` command-line argument.

    Raises:
        argparse.ArgumentTypeError: When the text is not such a date.
    """
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def _database_url() -> str:
    from bot.settings import get_settings

    return get_settings().database_url


def _display_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return str(make_url(url).render_as_string(hide_password=True))


def upgrade_command(args: argparse.Namespace) -> int:
    """Applies migrations and prints the resulting revision."""
    from bot.db.migrations import current_revision, upgrade

    url = _database_url()
    upgrade(url, args.revision)
    print(f"Database {_display_url(url)} is at revision {current_revision(url)}")
    return 0


def current_command(args: argparse.Namespace) -> int:
    """Prints the database's revision and whether it is the newest."""
    from bot.db.migrations import current_revision, head_revision

    url = _database_url()
    revision = current_revision(url)
    head = head_revision()
    if revision is None:
        print(f"Database {_display_url(url)} has no migrations applied (newest: {head})")
    elif revision == head:
        print(f"Database {_display_url(url)} is at revision {revision} (newest)")
    else:
        print(f"Database {_display_url(url)} is at revision {revision} (newest: {head})")
    return 0


def revision_command(args: argparse.Namespace) -> int:
    """Writes a new numbered migration file."""
    from bot.db.migrations import create_revision

    revision = create_revision(_database_url(), args.message, autogenerate=args.autogenerate)
    print(f"Created revision {revision}")
    return 0


def seed_demo_command(args: argparse.Namespace) -> int:
    """Migrates the database, then seeds the demo shop (see ``bot.db.seed``)."""
    from bot.db.engine import get_engine, session_scope
    from bot.db.migrations import upgrade
    from bot.db.seed import count_customers, reset_shop_data, seed_demo

    url = _database_url()
    upgrade(url)
    today = args.today or date.today()
    with session_scope(get_engine(url)) as session:
        existing = count_customers(session)
        if existing and not args.reset:
            print(
                f"Refusing to seed: {_display_url(url)} already has {existing} customer(s). "
                "Run 'python -m bot seed-demo --reset' to delete all shop data and seed again.",
                file=sys.stderr,
            )
            return 1
        if existing:
            reset_shop_data(session)
        summary = seed_demo(session, today)
    print(f"Seeded the demo shop into {_display_url(url)} (dates relative to {today}):")
    for line in summary.describe():
        print(f"  {line}")
    return 0

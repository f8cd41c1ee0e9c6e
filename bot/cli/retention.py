"""``python -m bot retention run [--days N]``: delete conversations past the retention period."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Adds the ``retention`` commands to the top-level command parser.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
    """
    parser = subparsers.add_parser(
        "retention",
        help="Delete old conversations.",
        description="Delete conversations whose last activity is older than the retention period.",
    )
    commands = parser.add_subparsers(dest="retention_command", metavar="SUBCOMMAND")
    commands.required = True
    run = commands.add_parser(
        "run",
        help="Delete conversations older than N days (default: RETENTION_DAYS).",
        description=(
            "Delete the tracker-store events, event-broker rows, sentiment log, handoff "
            "tickets and transcripts, follow-ups and FAQ feedback of every conversation whose "
            "last activity is older than N days. Customers and orders are kept."
        ),
    )
    run.add_argument(
        "--days",
        type=days,
        default=None,
        metavar="N",
        help="Retention period in days (default: the RETENTION_DAYS setting; 0 turns it off).",
    )
    run.set_defaults(handler=run_command)


def days(text: str) -> int:
    """Parses the ``--days`` argument.

    Raises:
        argparse.ArgumentTypeError: When the text is not a whole number of days, 0 or more.
    """
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"the period is a whole number of days, not {text!r}")
    return int(text)


def run_command(args: argparse.Namespace) -> int:
    """Runs the retention job once and prints what it deleted."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.privacy.retention import run_retention
    from bot.settings import get_settings

    try:
        report = run_retention(get_settings(), days=args.days)
    except SQLAlchemyError as error:
        print(
            f"A store could not be reached ({error.__class__.__name__}); what was deleted "
            "stays deleted, and running the command again carries on.",
            file=sys.stderr,
        )
        return 1
    if report is None:
        print(
            "Retention is off, so nothing was deleted. Set RETENTION_DAYS (e.g. 365) "
            "or pass --days N."
        )
        return 0
    print(
        f"Deleted {report.conversations} conversation(s) with no activity since "
        f"{report.cutoff:%Y-%m-%d %H:%M} UTC ({report.days} days):"
    )
    print(f"  tracker store events: {report.tracker_events}")
    print(f"  event broker rows: {report.broker_events}")
    for table, count in report.deleted.items():
        print(f"  {table}: {count}")
    return 0

"""``python -m bot privacy erase CUSTOMER_ID``: erase everything about a customer.

The command first shows what would be deleted, then asks for confirmation
(unless ``--yes``); ``--dry-run`` only shows it.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Callable, List, Mapping

if TYPE_CHECKING:
    from bot.privacy.erasure import ErasureReport

CONFIRMATION = "yes"


def register(subparsers: Any) -> None:
    """Adds the ``privacy`` commands to the top-level command parser.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
    """
    parser = subparsers.add_parser(
        "privacy",
        help="Carry out customers' privacy requests.",
        description="Carry out customers' privacy requests.",
    )
    commands = parser.add_subparsers(dest="privacy_command", metavar="SUBCOMMAND")
    commands.required = True
    erase = commands.add_parser(
        "erase",
        help="Delete everything about a customer; orders stay, anonymised.",
        description=(
            "Delete the customer's conversations from the tracker store and the event broker, "
            "their sentiment log, handoff transcripts, follow-ups, export files and every "
            "other record of them. Orders are kept for accounting, without personal data."
        ),
    )
    erase.add_argument("customer_id", type=customer_id, metavar="CUSTOMER_ID")
    erase.add_argument(
        "--dry-run", action="store_true", help="Show what would be deleted; change nothing."
    )
    erase.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
    erase.set_defaults(handler=erase_command)


def customer_id(text: str) -> int:
    """Parses a customer id argument.

    Raises:
        argparse.ArgumentTypeError: When the text is not a positive whole number.
    """
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a customer id is a positive whole number, not {text!r}")
    return int(text)


def _counts(counts: Mapping[str, int]) -> str:
    shown = [f"{table} {count}" for table, count in counts.items() if count]
    return ", ".join(shown) if shown else "none"


def describe(report: ErasureReport) -> List[str]:
    """The lines that tell the operator what the erasure did or would do.

    Args:
        report: What :func:`bot.privacy.erasure.erase_customer` returned.
    """
    verb = "Would delete" if report.dry_run else "Deleted"
    files = ", ".join(path.name for path in report.export_files) or "none"
    lines = [
        f"Customer {report.customer_id}: {len(report.conversations)} conversation(s)",
        f"  {verb} from the tracker store: {report.tracker_events} event(s)",
        f"  {verb} from the event broker: {report.broker_events} row(s)",
        f"  {verb} export files: {files}",
        f"  {verb} from the application database: {_counts(report.deleted)}",
        f"  {'Would anonymise' if report.dry_run else 'Anonymised'}: {_counts(report.anonymised)}",
        f"  Orders kept for accounting, without personal data: {report.orders_kept}",
    ]
    if not report.dry_run:
        lines.append(f"  Erasure requests completed: {report.requests_completed}")
    return lines


def _confirmed(customer: int, ask: Callable[[str], str]) -> bool:
    try:
        answer = ask(
            f"Erase customer {customer}? This cannot be undone. Type '{CONFIRMATION}' to go on: "
        )
    except EOFError:
        return False
    return answer.strip().lower() == CONFIRMATION


def erase_command(args: argparse.Namespace, ask: Callable[[str], str] = input) -> int:
    """Shows what erasing the customer deletes, asks, then erases."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db.errors import CustomerNotFoundError
    from bot.privacy.erasure import ErasureIncompleteError, StoreUnavailableError, erase_customer
    from bot.settings import get_settings

    settings = get_settings()
    try:
        plan = erase_customer(settings, args.customer_id, dry_run=True)
        if args.dry_run:
            print("\n".join(["Dry run: nothing was changed.", *describe(plan)]))
            return 0
        if not args.yes:
            print("\n".join(describe(plan)))
            if not _confirmed(args.customer_id, ask):
                print("Nothing was erased.")
                return 1
        report = erase_customer(settings, args.customer_id)
    except CustomerNotFoundError:
        print(
            f"There is no customer with id {args.customer_id}; nothing was erased.", file=sys.stderr
        )
        return 1
    except StoreUnavailableError as error:
        print(f"{error}; nothing was erased. Check the store's URL and try again.", file=sys.stderr)
        return 1
    except ErasureIncompleteError as error:
        print(f"{error}. Run the same command again to finish.", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(
            f"The application database failed ({error.__class__.__name__}); nothing was erased. "
            "Is it reachable and migrated? Try `python -m bot db upgrade`.",
            file=sys.stderr,
        )
        return 1
    except OSError as error:
        print(
            f"An export file could not be deleted ({error}); nothing was erased.", file=sys.stderr
        )
        return 1
    print("\n".join(describe(report)))
    return 0

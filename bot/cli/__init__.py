"""Command-line interface: ``python -m bot COMMAND …``.

Each command group lives in its own module with a ``register(subparsers)``
function that adds its sub-commands and sets ``handler`` on the parsed
arguments. Handlers return the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import List, Optional

COMMAND_MODULES = (
    "bot.cli.db",
    "bot.cli.nlp",
    "bot.cli.knowledge",
    "bot.cli.evaluate",
    "bot.cli.run",
    "bot.cli.run_prod",
    "bot.cli.agents",
    "bot.cli.serve",
    "bot.cli.bench",
    "bot.cli.privacy",
    "bot.cli.retention",
    "bot.cli.links",
)


def build_parser() -> argparse.ArgumentParser:
    """Builds the parser with every command group registered."""
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="Shop support assistant: operations and tooling."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Runs one command and returns its exit code."""
    from bot.settings import SettingsError, get_settings

    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except SettingsError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return int(args.handler(args) or 0)

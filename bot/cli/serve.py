"""``python -m bot serve``: the bot service (handoff queue, agent console, metrics)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Adds the ``serve`` command.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
    """
    parser = subparsers.add_parser(
        "serve",
        help="Start the bot service: handoff queue API, agent console and dashboard.",
        description="Serve the agent console and its API on SERVICE_PORT (default 8080).",
    )
    parser.add_argument(
        "--no-consumer",
        action="store_true",
        help="Do not read Rasa's event broker (customer messages will not reach agents).",
    )
    parser.set_defaults(handler=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    """Migrates the database, then serves until interrupted."""
    from aiohttp import web

    from bot.db.migrations import upgrade
    from bot.service.app import init_app
    from bot.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    app = init_app(settings, consume_events=not args.no_consumer)
    host = "127.0.0.1" if settings.host in ("", "0.0.0.0") else settings.host
    web.run_app(
        app,
        host=settings.host,
        port=settings.service_port,
        print=lambda _: print(
            f"Bot service on http://{host}:{settings.service_port}/console", flush=True
        ),
    )
    return 0

"""``python -m bot agents create|list``: the support team's console accounts."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, Optional


def register(subparsers: Any) -> None:
    """Adds the ``agents`` commands to the top-level command parser.

    Args:
        subparsers: The object returned by ``ArgumentParser.add_subparsers``.
    """
    parser = subparsers.add_parser(
        "agents",
        help="Support-team accounts for the agent console.",
        description="Create and list the agents who log in to the console.",
    )
    commands = parser.add_subparsers(dest="agents_command", metavar="SUBCOMMAND")
    commands.required = True

    create = commands.add_parser("create", help="Add an agent (asks for the password if omitted).")
    create.add_argument("--name", required=True, help="Log-in and display name.")
    create.add_argument(
        "--password",
        default=None,
        help="At least 8 characters; leave out to type it without it showing.",
    )
    create.add_argument(
        "--role", choices=("agent", "admin"), default="agent", help="Default: agent."
    )
    create.set_defaults(handler=create_command)

    listing = commands.add_parser("list", help="Show every agent.")
    listing.set_defaults(handler=list_command)


def _database_url() -> str:
    from bot.settings import get_settings

    return get_settings().database_url


def _ask_password() -> Optional[str]:
    first = getpass.getpass("Password for the new agent: ")
    second = getpass.getpass("Same password again: ")
    if first != second:
        print("The two passwords differ; nothing was created.", file=sys.stderr)
        return None
    return first


def create_command(args: argparse.Namespace) -> int:
    """Creates an agent with a hashed password."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db.engine import get_engine, session_scope
    from bot.db.migrations import upgrade
    from bot.db.models import AgentRole
    from bot.db.repositories.agents import AgentExistsError, InvalidAgentNameError, create_agent
    from bot.service.passwords import WeakPasswordError, hash_password

    password = args.password if args.password is not None else _ask_password()
    if password is None:
        return 1
    try:
        password_hash = hash_password(password)
        url = _database_url()
        upgrade(url)
        with session_scope(get_engine(url)) as session:
            agent = create_agent(session, args.name, password_hash, AgentRole(args.role))
            summary = f"Created {agent.role.value} {agent.name!r} (id {agent.id})."
    except (WeakPasswordError, InvalidAgentNameError, AgentExistsError) as error:
        print(str(error), file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"Could not reach the database: {error}", file=sys.stderr)
        return 1
    print(summary)
    return 0


def list_command(args: argparse.Namespace) -> int:
    """Prints every agent, active or not."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db.engine import get_engine, session_scope
    from bot.db.repositories.agents import list_agents

    try:
        with session_scope(get_engine(_database_url())) as session:
            rows = [
                (agent.id, agent.name, agent.role.value, "yes" if agent.active else "no")
                for agent in list_agents(session, include_inactive=True)
            ]
    except SQLAlchemyError as error:
        print(
            f"Could not read the agents ({error.__class__.__name__}). "
            "Is the database migrated? Try `python -m bot db upgrade`.",
            file=sys.stderr,
        )
        return 1
    if not rows:
        print("No agents yet. Add one: python -m bot agents create --name NAME --role admin")
        return 0
    width = max(len(name) for _, name, _, _ in rows)
    print(f"{'id':>4}  {'name':<{width}}  {'role':<5}  active")
    for agent_id, name, role, active in rows:
        print(f"{agent_id:>4}  {name:<{width}}  {role:<5}  {active}")
    return 0

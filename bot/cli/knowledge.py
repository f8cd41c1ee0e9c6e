"""``python -m bot knowledge …``: validate and compile the FAQ knowledge base.

Sub-commands:

* ``build``: validate ``knowledge/`` and write ``data/nlu/faq.generated.yml``
  and ``build/knowledge/index.json``.
* ``check``: validate only.

Further sub-commands register themselves in :func:`register` through a
``_register_<name>`` function like the ones below.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.knowledge.compiler import CompiledKnowledge, build, compile_knowledge
from bot.knowledge.paths import INDEX_PATH, KNOWLEDGE_DIR, TRAINING_DATA_PATH
from bot.knowledge.validation import KnowledgeValidationError


def add_knowledge_dir_argument(parser: argparse.ArgumentParser) -> None:
    """Adds ``--knowledge-dir``, which every knowledge sub-command accepts."""
    parser.add_argument(
        "--knowledge-dir",
        type=Path,
        default=KNOWLEDGE_DIR,
        help="directory with topics.yml, policies.yml and articles/ (default: %(default)s)",
    )


def print_errors(errors: KnowledgeValidationError) -> None:
    """Prints every problem of an invalid knowledge base to stderr, one per line."""
    for error in errors.errors:
        print(f"error: {error.describe(relative_to=Path.cwd())}", file=sys.stderr)
    print(
        f"{len(errors.errors)} problem(s) in the knowledge base; nothing was built.",
        file=sys.stderr,
    )


def _summary(compiled: CompiledKnowledge) -> str:
    return (
        f"{len(compiled.articles)} articles, {len(compiled.topics_used)} topics, "
        f"{compiled.question_count} questions"
    )


def run_build(args: argparse.Namespace) -> int:
    """Handles ``knowledge build``.

    Returns:
        0 when the files were written, 1 when the knowledge base is invalid.
    """
    try:
        compiled = build(args.knowledge_dir, args.output, args.index_output)
    except KnowledgeValidationError as errors:
        print_errors(errors)
        return 1
    print(f"Built {_summary(compiled)} into {args.output} and {args.index_output}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    """Handles ``knowledge check``.

    Returns:
        0 when the knowledge base is valid, 1 otherwise.
    """
    try:
        compiled = compile_knowledge(args.knowledge_dir)
    except KnowledgeValidationError as errors:
        print_errors(errors)
        return 1
    print(f"Knowledge base is valid: {_summary(compiled)}")
    return 0


def _register_build(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "build", help="validate knowledge/ and write the FAQ training data and search index"
    )
    add_knowledge_dir_argument(parser)
    parser.add_argument(
        "--output",
        type=Path,
        default=TRAINING_DATA_PATH,
        help="Rasa training data to write (default: %(default)s)",
    )
    parser.add_argument(
        "--index-output",
        type=Path,
        default=INDEX_PATH,
        help="JSON search index to write (default: %(default)s)",
    )
    parser.set_defaults(handler=run_build)


def _register_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("check", help="validate knowledge/ without writing anything")
    add_knowledge_dir_argument(parser)
    parser.set_defaults(handler=run_check)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the ``knowledge`` command and its sub-commands.

    Args:
        subparsers: The sub-parsers of ``python -m bot``.
    """
    parser = subparsers.add_parser("knowledge", help="FAQ knowledge base: build and check")
    commands = parser.add_subparsers(dest="knowledge_command", metavar="SUBCOMMAND")
    commands.required = True
    _register_build(commands)
    _register_check(commands)

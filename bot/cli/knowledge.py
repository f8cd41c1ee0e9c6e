"""``python -m bot knowledge …``: validate and compile the FAQ knowledge base.

Sub-commands:

* ``build``: validate ``knowledge/`` and write ``data/nlu/faq.generated.yml``
  and ``build/knowledge/index.json``.
* ``check``: validate only.
* ``report``: rank the articles by how often their answer helped and list the
  questions of the last days that the assistant could not answer; printed and
  written to ``results/knowledge_report.csv``.

Further sub-commands register themselves in :func:`register` through a
``_register_<name>`` function like the ones below.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.knowledge.compiler import CompiledKnowledge, build, compile_knowledge
from bot.knowledge.paths import INDEX_PATH, KNOWLEDGE_DIR, REPORT_CSV_PATH, TRAINING_DATA_PATH
from bot.knowledge.validation import KnowledgeValidationError

DEFAULT_REPORT_DAYS = 30


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


def positive_int(text: str) -> int:
    """Parses a positive whole number given on the command line.

    Raises:
        argparse.ArgumentTypeError: When the text is not one.
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _database_url() -> str:
    from bot.settings import get_settings

    return get_settings().database_url


def run_report(args: argparse.Namespace) -> int:
    """Handles ``knowledge report``.

    Returns:
        0 when the report was printed and written; 1 when the database is not
        migrated or cannot be read, the index cannot be read, or the CSV file
        cannot be written.
    """
    # The database layer is imported only by the command that needs it.
    from sqlalchemy.exc import SQLAlchemyError

    from bot.db.errors import DatabaseNotMigratedError
    from bot.knowledge.index import KnowledgeIndexError
    from bot.knowledge.report import generate_report
    from bot.knowledge.report_output import render_report, write_report_csv

    try:
        report = generate_report(_database_url(), args.days, args.index)
    except DatabaseNotMigratedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KnowledgeIndexError as error:
        print(f"error: the knowledge index {error}", file=sys.stderr)
        return 1
    except SQLAlchemyError as error:
        print(f"error: cannot read the database: {error}", file=sys.stderr)
        return 1
    print(render_report(report), end="")
    try:
        write_report_csv(report, args.csv)
    except OSError as error:
        print(f"error: cannot write {args.csv}: {error}", file=sys.stderr)
        return 1
    print(f"\nReport written to {args.csv}")
    return 0


def _register_report(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "report",
        help="rank the articles by helpfulness and list the questions to look at",
    )
    parser.add_argument(
        "--days",
        type=positive_int,
        default=DEFAULT_REPORT_DAYS,
        help="list the questions of this many past days (default: %(default)s)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=REPORT_CSV_PATH,
        help="CSV file to write with both parts of the report (default: %(default)s)",
    )
    parser.add_argument(
        "--index",
        type=Path,
        default=INDEX_PATH,
        help="compiled index with the article titles (default: %(default)s)",
    )
    parser.set_defaults(handler=run_report)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the ``knowledge`` command and its sub-commands.

    Args:
        subparsers: The sub-parsers of ``python -m bot``.
    """
    parser = subparsers.add_parser("knowledge", help="FAQ knowledge base: build, check and report")
    commands = parser.add_subparsers(dest="knowledge_command", metavar="SUBCOMMAND")
    commands.required = True
    _register_build(commands)
    _register_check(commands)
    _register_report(commands)

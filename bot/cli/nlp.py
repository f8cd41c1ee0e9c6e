"""``python -m bot nlp …``: the project's spaCy pipeline."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.settings import get_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``nlp`` command group."""
    nlp = subparsers.add_parser("nlp", help="the project's spaCy pipeline")
    commands = nlp.add_subparsers(dest="nlp_command", metavar="COMMAND")
    commands.required = True
    build = commands.add_parser("build", help="build the spaCy pipeline SpacyNLP loads")
    build.add_argument("--output", type=Path, default=None, help="output directory")
    build.add_argument("--force", action="store_true", help="rebuild even when current")
    build.set_defaults(handler=_build)


def _build(args: argparse.Namespace) -> int:
    from bot.nlp.pipeline import build_pipeline

    output = args.output or get_settings().spacy_model_dir
    if build_pipeline(output, force=args.force):
        print(f"spaCy pipeline built in {output}")
    else:
        print(f"spaCy pipeline in {output} is up to date")
    return 0

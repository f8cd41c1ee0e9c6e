"""``python -m bot eval …``: measuring the trained model on held-out data.

``eval nlu FILE.csv [FILE.csv …] [--model PATH] [--out DIR]`` parses every text
of the files with the model, prints the headline figures and per-intent scores
of each file and writes ``DIR/STEM.json`` and ``DIR/STEM_confusion.png``. See
``bot.evaluation`` for the file format and the scoring rules.

``eval sentiment FILE.csv [--out DIR]`` labels every text of a file (columns
``text`` and ``label``) with plain VADER and with our sentiment scorer, prints
accuracy, macro-F1 and per-label precision/recall of both and writes
``DIR/sentiment.json``. See ``bot.evaluation.sentiment``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Optional

from bot.evaluation.parser import Parser, RasaNluParser

RESULTS_SUBDIR = Path("results") / "eval"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``eval`` command group and its ``nlu`` sub-command.

    Args:
        subparsers: The sub-parsers of the top-level parser.
    """
    evaluate = subparsers.add_parser(
        "eval",
        help="Evaluate the trained model on held-out data.",
        description="Evaluate the trained model on held-out data.",
    )
    commands = evaluate.add_subparsers(dest="eval_command")
    commands.required = True
    nlu = commands.add_parser(
        "nlu",
        help="Score intent recognition on labelled CSV files.",
        description=(
            "Parse every text of each CSV file (columns text, intent and optionally "
            "strength) with the trained model; print in-scope accuracy, out-of-scope "
            "recall, false rejection and per-intent precision/recall; write a JSON "
            "report and a confusion-matrix PNG per file."
        ),
    )
    nlu.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE.csv",
        help="Evaluation file; a directory stands for every *.csv file in it.",
    )
    nlu.add_argument(
        "--model",
        type=Path,
        help="Model archive to evaluate (default: the newest *.tar.gz in the model directory).",
    )
    nlu.add_argument(
        "--out",
        type=Path,
        help=f"Directory for the reports (default: {RESULTS_SUBDIR} under the project root).",
    )
    nlu.set_defaults(handler=handle_nlu)
    sentiment = commands.add_parser(
        "sentiment",
        help="Compare our sentiment scorer with plain VADER on a labelled CSV file.",
        description=(
            "Label every text of the CSV file (columns text and label: negative, "
            "neutral or positive) with plain VADER and with our scorer; print "
            "accuracy, macro-F1 and per-label precision/recall of both; write a "
            "JSON report."
        ),
    )
    sentiment.add_argument("file", type=Path, metavar="FILE.csv", help="Labelled messages.")
    sentiment.add_argument(
        "--out",
        type=Path,
        help=f"Directory for the report (default: {RESULTS_SUBDIR} under the project root).",
    )
    sentiment.set_defaults(handler=handle_sentiment)


def handle_nlu(
    args: argparse.Namespace, parser_factory: Optional[Callable[[Path], Parser]] = None
) -> int:
    """Runs ``eval nlu``.

    Args:
        args: Parsed arguments: ``files``, ``model`` and ``out``.
        parser_factory: Builds the parser for a model archive;
            ``RasaNluParser`` when omitted.

    Returns:
        0 on success; 2 when an input file is missing or malformed or there is
        no model to evaluate.
    """
    from bot.evaluation.dataset import DatasetError
    from bot.evaluation.parser import ModelNotFoundError, find_latest_model
    from bot.evaluation.runner import load_datasets, run_evaluation
    from bot.settings import PROJECT_ROOT, get_settings

    try:
        datasets = load_datasets(args.files)
        if args.model is None:
            model_path = find_latest_model(get_settings().model_dir)
        elif args.model.is_file():
            model_path = args.model
        else:
            raise ModelNotFoundError(f"model not found: {args.model}")
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ModelNotFoundError as error:
        print(f"error: {error}; train one (make train) or pass --model PATH", file=sys.stderr)
        return 2
    out_dir = args.out if args.out is not None else PROJECT_ROOT / RESULTS_SUBDIR
    factory = parser_factory or RasaNluParser
    run_evaluation(datasets, factory(model_path), model_path.name, out_dir)
    return 0


def handle_sentiment(args: argparse.Namespace) -> int:
    """Runs ``eval sentiment``.

    Args:
        args: Parsed arguments: ``file`` and ``out``.

    Returns:
        0 on success; 2 when the file is missing or malformed.
    """
    from bot.evaluation.dataset import DatasetError
    from bot.evaluation.sentiment import REPORT_NAME, evaluate_file, format_report, write_report
    from bot.settings import PROJECT_ROOT

    try:
        reports = evaluate_file(args.file)
    except DatasetError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out_dir = args.out if args.out is not None else PROJECT_ROOT / RESULTS_SUBDIR
    print(format_report(args.file, reports))
    written = write_report(args.file, reports, out_dir / REPORT_NAME)
    print(f"\nwrote {written}")
    return 0

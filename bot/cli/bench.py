"""``python -m bot bench``: the load benchmark (``make bench``)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import List

from bot.settings import PROJECT_ROOT

DEFAULT_OUT = "results/bench"
DEFAULT_CONCURRENCY = "1,5,10,20"
DEFAULT_TARGETS = "vanilla,ours-1,ours-2"


def _concurrency(raw: str) -> List[int]:
    try:
        levels = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 1,5,10,20, got {raw!r}") from None
    if not levels or any(level < 1 for level in levels):
        raise argparse.ArgumentTypeError(f"each concurrency must be at least 1, got {raw!r}")
    return levels


def _targets(raw: str) -> List[str]:
    from bot.bench.targets import parse_targets

    try:
        return parse_targets(raw)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _duration(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {raw!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"the duration must be positive, got {raw!r}")
    return value


def _think_time(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {raw!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"the think time must not be negative, got {raw!r}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Adds the ``bench`` command."""
    bench = subparsers.add_parser(
        "bench",
        help="load benchmark: the starter bot against our bot with 1 and 2 replicas",
        description=(
            "Runs N concurrent simulated customers through scripted conversations over "
            "REST and socket.io against each target, and writes report.md, latency.png "
            "and results.json."
        ),
    )
    bench.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), help="output directory")
    bench.add_argument(
        "--concurrency",
        type=_concurrency,
        default=_concurrency(DEFAULT_CONCURRENCY),
        help=f"concurrent conversations per point (default {DEFAULT_CONCURRENCY})",
    )
    bench.add_argument(
        "--duration", type=_duration, default=30.0, help="seconds per point (default 30)"
    )
    bench.add_argument(
        "--targets",
        type=_targets,
        default=_targets(DEFAULT_TARGETS),
        help=f"what to measure (default {DEFAULT_TARGETS})",
    )
    bench.add_argument(
        "--think-time",
        type=_think_time,
        default=0.0,
        help="seconds each customer waits after a reply (default 0: measure capacity)",
    )
    bench.add_argument(
        "--profile",
        action="store_true",
        help="also sample one Rasa server of the first ours-* target with py-spy under load",
    )
    bench.add_argument(
        "--profile-seconds", type=int, default=20, help="how long to sample (default 20)"
    )
    bench.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="PostgreSQL server on which the benchmark creates its own shop_bench_* databases",
    )
    bench.add_argument(
        "--redis",
        default="redis://127.0.0.1:6379/9",
        help="Redis database the benchmark may empty (lock store, socket.io)",
    )
    bench.add_argument(
        "--rabbitmq",
        default="amqp://guest:guest@127.0.0.1:5672/%2F",
        help="RabbitMQ of the production layout (the benchmark uses a queue of its own)",
    )
    bench.add_argument(
        "--model",
        type=Path,
        default=PROJECT_ROOT / "models" / "shop-support.tar.gz",
        help="our trained model",
    )
    bench.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    from bot.bench.runner import BenchOptions, run_benchmark
    from bot.bench.targets import BenchEnvironment

    # Each target's fresh database is migrated; the progress lines say enough.
    logging.getLogger("alembic").setLevel(logging.WARNING)

    if not args.model.exists():
        print(f"No trained model at {args.model}. Run `make train` first.")
        return 1
    env = BenchEnvironment(
        work_dir=PROJECT_ROOT / "build" / "bench",
        postgres_url=args.postgres,
        redis_url=args.redis,
        rabbitmq_url=args.rabbitmq,
        model=args.model.resolve(),
    )
    options = BenchOptions(
        targets=args.targets,
        concurrency=args.concurrency,
        duration=args.duration,
        out_dir=args.out if args.out.is_absolute() else PROJECT_ROOT / args.out,
        profile=args.profile,
        profile_seconds=args.profile_seconds,
        think_time=args.think_time,
    )
    return run_benchmark(env, options)

"""Builds the bot service's aiohttp application.

The database engine, the HTTP client for Rasa and the event-broker consumer
are opened in ``app.cleanup_ctx`` and closed there when the server stops;
nothing connects when the application is built.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import logging
from typing import Any, AsyncIterator, Awaitable, Callable, Optional

import aiohttp
from aiohttp import web

from bot.db.engine import create_engine_for_url
from bot.handoff.service import HandoffService
from bot.rasa_api import RasaClient
from bot.service.auth import LOGIN_THROTTLE, LoginThrottle
from bot.service.middlewares import setup_middlewares
from bot.service.routes import setup_routes
from bot.service.views.common import ENGINE, HANDOFFS, HTTP, RASA, SETTINGS
from bot.settings import Settings

logger = logging.getLogger(__name__)

CONSUMER_MODULE = "bot.events.consumer"
CONSUMER_RESTART_SECONDS = 5.0
CONSUMER_STOP_SECONDS = 10.0
MAX_BODY_BYTES = 64 * 1024

ConsumerRunner = Callable[[Settings, asyncio.Event], Awaitable[Any]]


def init_app(settings: Settings, *, consume_events: bool = True) -> web.Application:
    """Builds the application.

    Args:
        settings: The validated settings.
        consume_events: Start the event-broker consumer with the server (turned
            off in tests of the API alone).

    Returns:
        The application, ready for ``web.run_app`` or a test server.
    """
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[LOGIN_THROTTLE] = LoginThrottle()
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_rasa)
    if consume_events:
        app.cleanup_ctx.append(_event_consumer)
    setup_middlewares(app)
    setup_routes(app)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = create_engine_for_url(app[SETTINGS].database_url)
    app[ENGINE] = engine
    yield
    engine.dispose()


async def _rasa(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with aiohttp.ClientSession() as http:
        app[HTTP] = http
        app[RASA] = RasaClient(settings.rasa_url, settings.rasa_jwt_secret, http)
        app[HANDOFFS] = HandoffService(app[ENGINE], app[RASA])
        yield


def load_consumer() -> Optional[ConsumerRunner]:
    """Returns ``run_consumer`` of :mod:`bot.events.consumer`, or ``None`` if it is not usable.

    A missing or broken consumer module is logged and skipped: the queue
    still works, only customer messages stop arriving while it is missing.
    """
    try:
        module = importlib.import_module(CONSUMER_MODULE)
    except Exception as error:
        logger.warning(
            "Not consuming Rasa's event broker: %s cannot be imported (%s). Customer messages "
            "will not reach agents until it can.",
            CONSUMER_MODULE,
            error,
        )
        return None
    runner = getattr(module, "run_consumer", None)
    if runner is None or not inspect.iscoroutinefunction(runner):
        logger.warning(
            "Not consuming Rasa's event broker: %s has no async run_consumer(settings, stop).",
            CONSUMER_MODULE,
        )
        return None
    return runner  # type: ignore[no-any-return]


async def supervise_consumer(
    runner: ConsumerRunner,
    settings: Settings,
    stop: asyncio.Event,
    restart_seconds: float = CONSUMER_RESTART_SECONDS,
) -> None:
    """Runs the consumer until ``stop`` is set, restarting it after a crash."""
    while not stop.is_set():
        try:
            await runner(settings, stop)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception(
                "The event-broker consumer stopped with an error; restarting in %.0f s",
                restart_seconds,
            )
        else:
            if not stop.is_set():
                logger.warning("The event-broker consumer returned; restarting it")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=restart_seconds)


async def _event_consumer(app: web.Application) -> AsyncIterator[None]:
    runner = load_consumer()
    if runner is None:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(supervise_consumer(runner, app[SETTINGS], stop))
    logger.info("Consuming Rasa's event broker")
    yield
    stop.set()
    try:
        await asyncio.wait_for(task, timeout=CONSUMER_STOP_SECONDS)
    except asyncio.TimeoutError:
        logger.warning("The event-broker consumer did not stop in time; cancelled it")
    except Exception:
        logger.exception("The event-broker consumer failed while stopping")

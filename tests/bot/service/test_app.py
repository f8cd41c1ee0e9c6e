from __future__ import annotations

import asyncio
import logging
import sys
import types
from typing import Any, Dict, List

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.service.app import CONSUMER_MODULE, init_app, supervise_consumer
from bot.settings import Settings


def fake_consumer_module(calls: List[Dict[str, Any]]) -> types.ModuleType:
    module = types.ModuleType(CONSUMER_MODULE)

    async def run_consumer(settings: Settings, stop: asyncio.Event) -> None:
        record: Dict[str, Any] = {"settings": settings, "stopped": False}
        calls.append(record)
        await stop.wait()
        record["stopped"] = True

    module.run_consumer = run_consumer  # type: ignore[attr-defined]
    return module


async def test_the_app_starts_and_stops_the_event_consumer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: List[Dict[str, Any]] = []
    monkeypatch.setitem(sys.modules, CONSUMER_MODULE, fake_consumer_module(calls))
    async with TestClient(TestServer(init_app(settings), host="127.0.0.1")) as client:
        assert (await client.get("/api/health")).status == 200
        await asyncio.sleep(0)
        assert len(calls) == 1
        assert calls[0]["settings"] is settings
        assert calls[0]["stopped"] is False
    assert calls[0]["stopped"] is True


async def test_without_a_consumer_module_the_app_still_serves_and_says_why(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, CONSUMER_MODULE, None)  # makes the import fail
    with caplog.at_level(logging.WARNING, logger="bot.service.app"):
        async with TestClient(TestServer(init_app(settings), host="127.0.0.1")) as client:
            assert (await client.get("/api/health")).status == 200
    assert "Not consuming Rasa's event broker" in caplog.text


async def test_a_module_without_run_consumer_is_skipped(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, CONSUMER_MODULE, types.ModuleType(CONSUMER_MODULE))
    with caplog.at_level(logging.WARNING, logger="bot.service.app"):
        async with TestClient(TestServer(init_app(settings), host="127.0.0.1")) as client:
            assert (await client.get("/api/health")).status == 200
    assert "has no async run_consumer" in caplog.text


async def test_a_crashed_consumer_is_restarted_until_stopped(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    stop = asyncio.Event()
    runs: List[int] = []

    async def flaky(settings: Settings, stop_event: asyncio.Event) -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("broker database gone")
        await stop_event.wait()

    with caplog.at_level(logging.ERROR, logger="bot.service.app"):
        task = asyncio.create_task(supervise_consumer(flaky, settings, stop, restart_seconds=0.01))
        for _ in range(100):
            if len(runs) == 2:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, timeout=2)
    assert len(runs) == 2
    assert "broker database gone" in caplog.text

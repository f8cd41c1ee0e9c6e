"""nginx in front of replicas: the rendered configuration, run by Debian's nginx.

Two small HTTP servers stand in for Rasa replicas, so the routing rules are
checked on real nginx: REST round-robin, socket.io sticky, a replica that is
down skipped, and a message that reached a replica never sent to another.
Without /usr/sbin/nginx the tests that run it are skipped, except under CI.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import AsyncIterator, Dict, List, Tuple

import aiohttp
import pytest
from aiohttp import web

from bot.runtime import nginx
from bot.runtime.processes import ProcessSpec, Supervisor
from bot.settings import load_settings
from tests.conftest import free_port

NGINX = "/usr/sbin/nginx"


def config(tmp_path: Path, upstreams: List[str], port: int = 8000) -> nginx.NginxConfig:
    return nginx.NginxConfig(
        prefix=tmp_path / "prod", listen_host="127.0.0.1", listen_port=port, upstreams=upstreams
    )


def test_the_configuration_routes_rest_round_robin_and_socketio_sticky(tmp_path):
    text = nginx.render(config(tmp_path, ["127.0.0.1:7101", "127.0.0.1:7102"]))

    replicas, socketio = text.split("upstream rasa_replicas {")[1], text.split(
        "upstream rasa_socketio {"
    )[1]
    assert "hash" not in replicas.split("}")[0]
    assert "hash $remote_addr consistent;" in socketio.split("}")[0]
    assert text.count("server 127.0.0.1:7101 ") == 2
    assert re.findall(r"^\s*proxy_next_upstream (.*);$", text, re.MULTILINE) == ["error"]
    assert "proxy_set_header Upgrade $http_upgrade;" in text


def test_the_configuration_keeps_nginx_inside_its_prefix_in_the_foreground(tmp_path):
    path = nginx.write_config(config(tmp_path, ["127.0.0.1:7101"]))
    text = path.read_text(encoding="utf-8")
    prefix = str((tmp_path / "prod").resolve())

    assert "daemon off;" in text
    assert f"pid {prefix}/nginx.pid;" in text
    assert f"client_body_temp_path {prefix}/temp/client_body;" in text
    assert (tmp_path / "prod" / "logs").is_dir()
    assert nginx.command(NGINX, tmp_path / "prod")[:5] == [NGINX, "-p", prefix, "-c", "nginx.conf"]


def test_a_layout_without_replicas_is_refused(tmp_path):
    with pytest.raises(ValueError):
        nginx.render(config(tmp_path, []))


class Replica:
    """A stand-in Rasa replica that records what reaches it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.received: List[Tuple[str, str]] = []
        self.crash_on_post = False
        self.port = free_port()
        self._runner: web.AppRunner

    async def handle(self, request: web.Request) -> web.StreamResponse:
        await request.read()
        self.received.append((request.method, request.path))
        if request.method == "POST" and self.crash_on_post:
            assert request.transport is not None
            request.transport.abort()  # dies after the message arrived
            raise asyncio.CancelledError
        return web.Response(text=self.name)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()


@pytest.fixture
async def proxied(tmp_path: Path) -> AsyncIterator[Tuple[str, Dict[str, Replica]]]:
    if not os.access(NGINX, os.X_OK):
        if os.environ.get("CI"):
            pytest.fail("nginx is required under CI (scripts/install-nginx.sh)", pytrace=False)
        pytest.skip("nginx is not installed")
    replicas = {name: Replica(name) for name in ("a", "b")}
    for replica in replicas.values():
        await replica.start()
    port = free_port()
    prefix_config = config(tmp_path, [f"127.0.0.1:{r.port}" for r in replicas.values()], port)
    nginx.write_config(prefix_config)
    settings = load_settings({"BOT_VAR_DIR": str(tmp_path / "var")})
    supervisor = Supervisor(settings, tmp_path / "logs")
    command = nginx.command(NGINX, prefix_config.prefix)
    spec = ProcessSpec("nginx", command, port, startup_timeout=20)
    await asyncio.to_thread(supervisor.start, spec)
    try:
        yield f"http://127.0.0.1:{port}", replicas
    finally:
        await asyncio.to_thread(supervisor.stop_all)
        for replica in replicas.values():
            await replica.stop()


async def fetch(session: aiohttp.ClientSession, method: str, url: str) -> Tuple[int, str]:
    async with session.request(method, url, json={"message": "hi"}) as response:
        return response.status, await response.text()


async def test_rest_alternates_between_replicas(proxied):
    url, _ = proxied
    async with aiohttp.ClientSession() as session:
        answers = [await fetch(session, "GET", f"{url}/status") for _ in range(4)]

    assert sorted(text for _, text in answers) == ["a", "a", "b", "b"]


async def test_socketio_stays_on_one_replica(proxied):
    url, _ = proxied
    async with aiohttp.ClientSession() as session:
        answers = [
            await fetch(session, "GET", f"{url}/socket.io/?EIO=4&transport=polling&t={n}")
            for n in range(6)
        ]

    assert len({text for _, text in answers}) == 1


async def test_a_replica_that_is_down_is_skipped(proxied):
    url, replicas = proxied
    await replicas["a"].stop()
    async with aiohttp.ClientSession() as session:
        answers = [await fetch(session, "POST", f"{url}/webhooks/rest/webhook") for _ in range(4)]

    assert answers == [(200, "b")] * 4


async def test_a_message_that_reached_a_replica_is_never_sent_to_another(proxied):
    url, replicas = proxied
    replicas["a"].crash_on_post = True
    replicas["b"].crash_on_post = True
    async with aiohttp.ClientSession() as session:
        status, _ = await fetch(session, "POST", f"{url}/webhooks/rest/webhook")

    assert status == 502
    posts = [r for replica in replicas.values() for r in replica.received if r[0] == "POST"]
    assert posts == [("POST", "/webhooks/rest/webhook")]

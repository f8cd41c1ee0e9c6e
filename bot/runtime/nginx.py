"""nginx in front of the Rasa replicas: its configuration and how to run it.

nginx runs as a foreground child of the supervisor (``daemon off``) with its
prefix in ``var/prod/``: the pid file, logs and temporary files stay there,
so it needs no root and never touches the system's nginx service.

Routing:

* **REST and the HTTP API** go round-robin to the replicas; every replica
  reads and writes the same PostgreSQL tracker store and takes the same Redis
  lock, so any replica can answer any conversation.
* **socket.io** (``/socket.io/``) is sticky: engine.io's long-polling
  handshake and the requests after it must reach the same replica, which
  issued the ``sid``. The ``sid`` itself cannot be the hash key (the first
  request has none, and its hash would point elsewhere), so the key is the
  client address (``hash $remote_addr consistent``). WebSocket upgrades are
  passed through.
* **Retries.** ``proxy_next_upstream error`` without ``non_idempotent``: a
  request moves to the other replica only when the connection to a replica
  fails (a killed replica refuses it). nginx never passes a POST (a customer
  message) to the next server once it was sent to one, and timeouts are not
  retried at all, so a slow replica's message is never processed twice.
* **The action server** (with an :class:`ActionGateway`) is reached through
  nginx on a loopback or private port of its own. When it cannot be reached
  or fails (502, 503, 504, 500), nginx answers Rasa itself in the action
  server's response format with an apology that tells the customer how to
  reach a person, so the customer is never left without a reply; an action
  server's 400 (a form rejecting its action) passes through unchanged. Rasa
  Open Source has no setting for this: without an answer it only logs the
  failure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

# Rasa can take a few seconds per message under load, socket.io pings every 25 s.
CONNECT_TIMEOUT_SECONDS = 3
# Longer than Rasa's conversation lock lifetime (60 s, TICKET_LOCK_LIFETIME): after a
# replica dies holding a conversation's lock, that conversation's next message waits
# for the lock to expire and must not time out (a timeout also takes the replica
# that is waiting out of rotation for FAIL_TIMEOUT_SECONDS).
READ_TIMEOUT_SECONDS = 90
SOCKETIO_READ_TIMEOUT_SECONDS = 120
FAIL_TIMEOUT_SECONDS = 10
# Customer messages are small; only model uploads (admin) need more.
MAX_BODY_SIZE = "1m"
MAX_MODEL_SIZE = "512m"


# Longer than any action takes; Rasa itself gives up after 5 minutes.
ACTION_READ_TIMEOUT_SECONDS = 60
# Rasa sends the action server the whole conversation, which grows with it.
MAX_ACTION_CALL_SIZE = "32m"


@dataclass(frozen=True)
class ActionGateway:
    """nginx in front of the action server, answering for it while it is down.

    Attributes:
        listen_host: Interface of the gateway: the action server's, never public.
        listen_port: Port Rasa's ``action_endpoint`` calls.
        upstream: ``host:port`` of the action server.
        apology: What the customer is told when the action server cannot answer.
    """

    listen_host: str
    listen_port: int
    upstream: str
    apology: str


@dataclass(frozen=True)
class NginxConfig:
    """What the rendered configuration needs to know.

    Attributes:
        prefix: nginx's prefix directory (``var/prod``); pid, logs and temp files.
        listen_host: Interface nginx listens on.
        listen_port: Port of the public URL.
        upstreams: ``host:port`` of each Rasa replica.
        action_gateway: The action server's gateway, or ``None`` for none.
    """

    prefix: Path
    listen_host: str
    listen_port: int
    upstreams: Sequence[str]
    action_gateway: Optional[ActionGateway] = None


def _servers(upstreams: Sequence[str]) -> str:
    return "\n".join(
        f"        server {upstream} max_fails=1 fail_timeout={FAIL_TIMEOUT_SECONDS}s;"
        for upstream in upstreams
    )


def _listen(host: str, port: int) -> str:
    if host in ("", "0.0.0.0"):
        return str(port)
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def _quoted(value: str) -> str:
    """``value`` as a single-quoted nginx string in which nothing is interpolated."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def action_fallback_body(apology: str) -> str:
    """The JSON a Rasa action server would answer with to send ``apology`` and change nothing.

    ``$`` is written as a JSON escape, since nginx would read it as a variable.
    """
    body = json.dumps({"events": [], "responses": [{"text": apology}]}, ensure_ascii=True)
    return body.replace("$", "\\u0024")


def _action_gateway(gateway: Optional[ActionGateway]) -> str:
    if gateway is None:
        return ""
    return f"""
    upstream action_server {{
        server {gateway.upstream};
        keepalive 8;
    }}

    # Rasa calls the action server here; while it is down Rasa gets an apology.
    server {{
        listen {_listen(gateway.listen_host, gateway.listen_port)};
        access_log off;
        client_max_body_size {MAX_ACTION_CALL_SIZE};
        # In memory: nginx's workers may not write temporary files here.
        client_body_buffer_size {MAX_ACTION_CALL_SIZE};

        location / {{
            proxy_pass http://action_server;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout {CONNECT_TIMEOUT_SECONDS}s;
            proxy_send_timeout {ACTION_READ_TIMEOUT_SECONDS}s;
            proxy_read_timeout {ACTION_READ_TIMEOUT_SECONDS}s;
            # An action must never run twice.
            proxy_next_upstream off;
            proxy_buffering off;
            proxy_intercept_errors on;
            error_page 500 502 503 504 = @action_server_unavailable;
        }}

        location @action_server_unavailable {{
            default_type application/json;
            return 200 {_quoted(action_fallback_body(gateway.apology))};
        }}
    }}
"""


def render(config: NginxConfig) -> str:
    """Returns the text of ``nginx.conf`` for the replicas.

    Args:
        config: Where nginx listens and where the replicas are.

    Raises:
        ValueError: Without any upstream.
    """
    if not config.upstreams:
        raise ValueError("nginx needs at least one Rasa replica")
    prefix = config.prefix.resolve()
    temp = prefix / "temp"
    servers = _servers(config.upstreams)
    return f"""# Generated by bot.runtime.nginx for the production layout; do not edit.
daemon off;
master_process on;
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;

events {{
    worker_connections 2048;
}}

http {{
    # Which replica answered and how long it took, for operations and the benchmark.
    log_format replicas '$remote_addr [$time_local] "$request" $status '
                        'upstream=$upstream_addr upstream_time=$upstream_response_time '
                        'request_time=$request_time';
    access_log {prefix}/logs/access.log replicas;
    client_body_temp_path {temp}/client_body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server_tokens off;
    client_max_body_size {MAX_BODY_SIZE};

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}

    upstream rasa_replicas {{
{servers}
        keepalive 32;
    }}

    upstream rasa_socketio {{
        hash $remote_addr consistent;
{servers}
    }}

    server {{
        listen {_listen(config.listen_host, config.listen_port)};

        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_connect_timeout {CONNECT_TIMEOUT_SECONDS}s;
        proxy_send_timeout {READ_TIMEOUT_SECONDS}s;
        proxy_read_timeout {READ_TIMEOUT_SECONDS}s;
        # Connection failures only; a POST that reached a replica is never sent
        # again (no non_idempotent), and timeouts are not retried.
        proxy_next_upstream error;
        proxy_next_upstream_tries 2;

        location /socket.io/ {{
            proxy_pass http://rasa_socketio;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout {SOCKETIO_READ_TIMEOUT_SECONDS}s;
            proxy_buffering off;
        }}

        location = /model {{
            client_max_body_size {MAX_MODEL_SIZE};
            proxy_pass http://rasa_replicas;
            proxy_set_header Connection "";
        }}

        location / {{
            proxy_pass http://rasa_replicas;
            proxy_set_header Connection "";
        }}
    }}
{_action_gateway(config.action_gateway)}}}
"""


def write_config(config: NginxConfig) -> Path:
    """Writes ``nginx.conf`` into the prefix and creates the directories nginx uses.

    Returns:
        The path of the configuration file.
    """
    prefix = config.prefix.resolve()
    for directory in (prefix / "logs", prefix / "temp"):
        directory.mkdir(parents=True, exist_ok=True)
    path = prefix / "nginx.conf"
    path.write_text(render(config), encoding="utf-8")
    return path


def command(binary: str, prefix: Path) -> List[str]:
    """The command line that runs nginx in the foreground with ``prefix``.

    Args:
        binary: The nginx executable, ``/usr/sbin/nginx`` from Debian's package.
        prefix: Directory holding ``nginx.conf``.
    """
    resolved = prefix.resolve()
    return [
        binary,
        "-p",
        str(resolved),
        "-c",
        "nginx.conf",
        # Early start-up messages go here too instead of /var/log/nginx/.
        "-e",
        str(resolved / "logs" / "error.log"),
    ]

"""A loopback TCP proxy that fault tests put between a process and a real server.

Each proxy listens on a free loopback port and forwards every connection to
one upstream ``host:port`` (PostgreSQL, Redis, RabbitMQ). :meth:`TcpProxy.pause`
makes the upstream look down to every client of the proxy without touching
the server itself, which other tests keep using: the listening socket closes,
so new connections are refused, and every open connection is cut (reset).
:meth:`TcpProxy.resume` listens on the same port again.

Threads with blocking sockets: two per forwarded connection, one for accepting.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from typing import Callable, List, Optional, Set, Tuple

from tests.conftest import free_port

ACCEPT_POLL_SECONDS = 0.1
CHUNK_BYTES = 65536
CONNECT_TIMEOUT_SECONDS = 5.0


def _reset(sock: socket.socket) -> None:
    """Closes ``sock`` with a TCP reset, so the peer notices at once."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class _Pair:
    """A client connection and its upstream connection, pumped both ways."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self._closed = threading.Event()

    def start(self, on_close: Callable[[_Pair], None]) -> None:
        for source, target in ((self.client, self.upstream), (self.upstream, self.client)):
            threading.Thread(
                target=self._pump, args=(source, target, on_close), daemon=True
            ).start()

    def _pump(
        self, source: socket.socket, target: socket.socket, on_close: Callable[[_Pair], None]
    ) -> None:
        try:
            while True:
                data = source.recv(CHUNK_BYTES)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        self.close()
        on_close(self)

    def close(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        _reset(self.client)
        _reset(self.upstream)


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``upstream``; can make it look down.

    Args:
        upstream_host: The real server's host.
        upstream_port: The real server's port.
        port: The port to listen on; a free one by default.
    """

    def __init__(self, upstream_host: str, upstream_port: int, port: Optional[int] = None) -> None:
        self.upstream: Tuple[str, int] = (upstream_host, upstream_port)
        self.port = port or free_port()
        self._pairs: Set[_Pair] = set()
        self._lock = threading.Lock()
        self._listener: Optional[socket.socket] = None
        self._accepting = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.accepted = 0

    @property
    def is_paused(self) -> bool:
        """Whether the proxy refuses connections right now."""
        return not self._accepting.is_set()

    def open_connections(self) -> int:
        """How many forwarded connections are open."""
        with self._lock:
            return len(self._pairs)

    def start(self) -> TcpProxy:
        """Starts listening and forwarding; returns the proxy."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        listener.settimeout(ACCEPT_POLL_SECONDS)
        self._listener = listener
        self._accepting.set()
        self._thread = threading.Thread(
            target=self._accept_loop, args=(listener,), name=f"tcp-proxy-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def _accept_loop(self, listener: socket.socket) -> None:
        while self._accepting.is_set():
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.upstream, timeout=CONNECT_TIMEOUT_SECONDS)
            except OSError:
                _reset(client)
                continue
            upstream.settimeout(None)
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = _Pair(client, upstream)
            with self._lock:
                if not self._accepting.is_set():
                    pair.close()
                    break
                self._pairs.add(pair)
                self.accepted += 1
            pair.start(self._forget)
        listener.close()

    def _forget(self, pair: _Pair) -> None:
        with self._lock:
            self._pairs.discard(pair)

    def pause(self) -> None:
        """Refuses new connections and cuts every open one, as if the server died."""
        with self._lock:
            self._accepting.clear()
            pairs: List[_Pair] = list(self._pairs)
            self._pairs.clear()
        for pair in pairs:
            pair.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self._listener = None

    def resume(self) -> None:
        """Accepts and forwards connections again, on the same port."""
        if not self.is_paused:
            return
        self.start()

    def stop(self) -> None:
        """Stops the proxy for good."""
        self.pause()

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

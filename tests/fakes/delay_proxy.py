"""A TCP proxy that puts a network between the app and its database server.

Every chunk read from either side is sent on ``delay`` seconds after it
arrived, in order, as a server that far away would answer; ``hold()``
stops all traffic (a server that does not answer at all) until
``release()``.  Used by the TUI bench (PostgreSQL 20 ms away) and by the
tests that check the app stays responsive while a page is slow to come.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import deque
from types import TracebackType


class DelayProxy:
    """Listens on 127.0.0.1 (a free port) and forwards to ``host:port`` with added latency."""

    def __init__(self, host: str, port: int, delay: float) -> None:
        self.upstream = (host, port)
        self.delay = delay
        self._open = threading.Event()
        self._open.set()
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True, name="delay-proxy")

    def start(self) -> DelayProxy:
        self._thread.start()
        return self

    def hold(self) -> None:
        """Stop forwarding (both ways) until :meth:`release`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._stop.set()
        self._open.set()
        with contextlib.suppress(OSError):
            self._server.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> DelayProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sockets += [client, server]
            self._pipe(client, server)
            self._pipe(server, client)

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        """Two threads: one reads and stamps each chunk, one sends it when it is due."""
        queue: deque[tuple[float, bytes]] = deque()
        ready = threading.Condition()

        def read() -> None:
            while True:
                try:
                    data = source.recv(65536)
                except OSError:
                    data = b""
                with ready:
                    queue.append((time.monotonic() + self.delay, data))
                    ready.notify()
                if not data:
                    return

        def send() -> None:
            while True:
                with ready:
                    while not queue:
                        ready.wait()
                    due, data = queue.popleft()
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                self._open.wait()
                if not data:
                    with contextlib.suppress(OSError):
                        sink.shutdown(socket.SHUT_WR)
                    return
                try:
                    sink.sendall(data)
                except OSError:
                    return

        for target in (read, send):
            threading.Thread(target=target, daemon=True, name="delay-proxy-pipe").start()

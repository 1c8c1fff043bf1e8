"""The machinery the fake APIs share: a threaded loopback server, a request log and faults.

A fake is a real ``ThreadingHTTPServer`` on 127.0.0.1 (port 0), so the
backends are exercised through httpx and sockets exactly as in production.
Tests queue faults with :meth:`FakeApi.inject`; each fault applies to the
next ``times`` requests of one operation ("create", "query", ...) or of any:

- ``rate_limit``: answer 429 with ``Retry-After`` before doing anything;
- ``server_error``: answer 500 before doing anything;
- ``drop``: close the connection before doing anything;
- ``drop_after_store``: do the request (store the document), then close
  the connection without answering: the lost-answer case;
- ``stall_after_store``: do the request, then hold the answer until
  :meth:`FakeApi.release` (or the server stops), so the client times out;
- ``stale``: a fake-specific fault (QuickBooks: someone else edits the
  document just before the request is handled).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

FAULTS = ("rate_limit", "server_error", "drop", "drop_after_store", "stall_after_store", "stale")


@dataclass
class Request:
    """One request as the fake saw it (header names lower-cased)."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any
    op: str = ""


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    kind: str
    on: str
    times: int
    retry_after: str | None


class FakeApi:
    """Base of the fakes: subclasses implement :meth:`operation` and :meth:`handle`."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        handler = type("Handler", (_Handler,), {"owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://127.0.0.1:{self._server.server_port}"

    # -- test hooks -----------------------------------------------------------------------

    def inject(self, kind: str, *, on: str = "any", times: int = 1,
               retry_after: str | None = "1") -> None:
        """Apply fault ``kind`` to the next ``times`` requests of operation ``on``."""
        assert kind in FAULTS, kind
        with self.lock:
            self._faults.append(_Fault(kind, on, times, retry_after))

    def release(self) -> None:
        """Let stalled answers go (to a client that has long given up)."""
        self._released.set()

    def seen(self, op: str) -> list[Request]:
        """The requests of one operation, in order."""
        with self.lock:
            return [r for r in self.requests if r.op == op]

    # -- for subclasses -------------------------------------------------------------------

    def operation(self, request: Request) -> str:
        raise NotImplementedError

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    def rate_limited(self, fault_retry_after: str | None) -> Reply:
        headers = {"Retry-After": fault_retry_after} if fault_retry_after is not None else {}
        return Reply(429, None, headers)

    def server_error(self) -> Reply:
        return Reply(500, "<html><title>500 Internal Server Error</title></html>")

    def stale(self, request: Request) -> None:
        """Make the document this request names stale (fakes that know SyncTokens)."""

    def _take_fault(self, op: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.on in (op, "any"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    owner: FakeApi
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``owner.requests`` instead."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def _serve(self) -> None:
        fake = self.owner
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        request = Request(self.command, split.path, dict(parse_qsl(split.query)),
                          {k.lower(): v for k, v in self.headers.items()}, body)
        request.op = fake.operation(request)
        with fake.lock:
            fake.requests.append(request)
        fault = fake._take_fault(request.op)
        kind = fault.kind if fault else ""
        if kind == "drop":
            self.close_connection = True
            return
        if kind == "rate_limit":
            assert fault is not None
            self._reply(fake.rate_limited(fault.retry_after))
            return
        if kind == "server_error":
            self._reply(fake.server_error())
            return
        if kind == "stale":
            fake.stale(request)
        with fake.lock:
            reply = fake.handle(request)
        if kind == "drop_after_store":
            self.close_connection = True
            return
        if kind == "stall_after_store":
            fake._released.wait(30)
        try:
            self._reply(reply)
        except OSError:
            self.close_connection = True  # the client gave up on a stalled answer

    def _reply(self, reply: Reply) -> None:
        if reply.body is None:
            data = b""
        elif isinstance(reply.body, str):
            data = reply.body.encode()
        else:
            data = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        content_type = "application/json" if not isinstance(reply.body, str) else "text/html"
        self.send_header("Content-Type", content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

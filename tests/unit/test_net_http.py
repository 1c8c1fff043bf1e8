"""The shared HTTP layer against real sockets on 127.0.0.1: deadlines, lost answers, retries."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from orderupd_tui.net.auth import HeaderAuth
from orderupd_tui.net.http import ApiHttp, Failure, HttpFailure, RetryPolicy

Handler = Callable[[socket.socket, bytes], None]


class RawServer:
    """A TCP server whose every connection is handed to ``handler`` with the request's bytes."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[bytes] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                data += chunk
            self.requests.append(data.split(b"\r\n", 1)[0])
            with contextlib.suppress(OSError):  # the client hung up first
                self.handler(conn, data)

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_drip_fed_answer_fails_at_the_overall_deadline(serve) -> None:
    """One byte every 0.2 s never trips a per-read timeout of 5 s; the deadline ends it."""
    sent: list[int] = []
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\n[]"

    def drip(conn: socket.socket, _: bytes) -> None:
        for byte in answer:
            conn.sendall(bytes([byte]))
            sent.append(byte)
            time.sleep(0.2)

    server = serve(drip)
    api = ApiHttp("drip", server.url, timeout=5.0, request_deadline=1.0,
                  retry=RetryPolicy(attempts=1))
    with pytest.raises(HttpFailure) as caught:
        api.send("GET", "/orders")
    api.close()
    assert caught.value.failure is Failure.LOST and caught.value.problem == "timed out"
    assert len(sent) < len(answer) // 2  # cut off long before the server would have finished


def test_a_lost_answer_to_a_create_is_never_sent_again(serve) -> None:
    server = serve(lambda conn, _: None)  # reads the request, then hangs up without a word
    api = ApiHttp("books", server.url, retry=RetryPolicy(attempts=3, base_delay=0.01))
    with pytest.raises(HttpFailure) as caught:
        api.send("POST", "/invoices", content=b"{}")
    assert caught.value.failure is Failure.LOST
    assert server.requests == [b"POST /invoices HTTP/1.1"]
    with pytest.raises(HttpFailure):
        api.send("GET", "/invoices")  # a read may be tried again
    api.close()
    assert server.requests[1:] == [b"GET /invoices HTTP/1.1"] * 3


def test_a_5xx_is_retried_for_reads_and_returned_at_once_for_writes(serve) -> None:
    def gateway(conn: socket.socket, _: bytes) -> None:
        conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")

    server = serve(gateway)
    api = ApiHttp("books", server.url, retry=RetryPolicy(attempts=3, base_delay=0.01))
    read = api.send("GET", "/x")
    assert (read.response.status_code, read.attempts) == (502, 3)
    write = api.send("POST", "/x", content=b"{}")
    api.close()
    assert (write.response.status_code, write.attempts) == (502, 1)
    assert len(server.requests) == 4


def test_a_request_that_never_left_is_retried_even_for_a_create() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = ApiHttp("books", f"http://127.0.0.1:{port}",
                  retry=RetryPolicy(attempts=2, base_delay=0.01))
    with pytest.raises(HttpFailure) as caught:
        api.send("POST", "/invoices", content=b"{}")
    api.close()
    assert caught.value.failure is Failure.UNREACHABLE and caught.value.attempts == 2


def test_a_429_waits_as_asked_and_the_auth_is_masked(serve) -> None:
    seen: list[bytes] = []
    answers = iter([b"HTTP/1.1 429 Too Many\r\nRetry-After: 1.5\r\nConnection: close\r\n"
                    b"Content-Length: 0\r\n\r\n",
                    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n[]"])

    def limited(conn: socket.socket, data: bytes) -> None:
        seen.append(data)
        conn.sendall(next(answers))

    server = serve(limited)
    waits: list[float] = []
    api = ApiHttp("shop", server.url, auth=HeaderAuth("X-Token", "tok_0123456789"),
                  sleep=waits.append)
    answer = api.send("POST", "/orders", content=b"{}")
    api.close()
    assert answer.response.status_code == 200 and waits == [1.5]
    assert all(b"X-Token: tok_0123456789" in data for data in seen)
    assert api.scrub("echo tok_0123456789") == "echo ***"

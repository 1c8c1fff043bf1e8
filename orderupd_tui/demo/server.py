"""The demo store's HTTP server: a real ThreadingHTTPServer on 127.0.0.1.

It serves one :class:`DemoStore` through one platform module (the
``platform`` option: ``shopify``, ``woocommerce``, ``bigcommerce`` or
``magento``) plus the ``/_demo/`` control API. Each platform is a sibling
module implementing :class:`~orderupd_tui.demo.web.PlatformApi`, registered
in ``PLATFORMS``; the store keeps every order in Shopify's shape, which the
other modules translate into their platform's own (``*_shape.py``).
:func:`client_options` says what a connector needs to reach the store.

HTTP/1.1 with keep-alive; each response goes out in a single write with
``TCP_NODELAY`` so a small header never waits on Nagle's algorithm (that
alone would cap a client at ~25 pages a second). ``Date`` comes from the
store clock, so a connector reading the store's time sees the store's time.

``main(argv)`` is ``orderupd-tui demo-server`` and ``python -m orderupd_tui.demo``.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

from orderupd_tui.demo.bigcommerce_api import BigCommerceApi
from orderupd_tui.demo.control_api import PREFIX as CONTROL_PREFIX
from orderupd_tui.demo.control_api import ControlApi
from orderupd_tui.demo.faults import FaultQueue, html_page
from orderupd_tui.demo.magento_api import MagentoApi
from orderupd_tui.demo.ratelimit import LeakyBucket
from orderupd_tui.demo.schedule import ChangeSchedule, OnChange
from orderupd_tui.demo.shopify_api import ShopifyApi
from orderupd_tui.demo.state import DemoStore
from orderupd_tui.demo.stats import Stats
from orderupd_tui.demo.web import JSON_TYPE, PlatformApi, Request, Response, json_response
from orderupd_tui.demo.woocommerce_api import WooCommerceApi
from orderupd_tui.stores.demo import DEFAULT_TOKEN as DEFAULT_TOKEN
from orderupd_tui.stores.demo import client_options

DEFAULT_ORDERS = 1000
HOST = "127.0.0.1"

PlatformFactory = Callable[[DemoStore, str, LeakyBucket | None], PlatformApi]
PLATFORMS: dict[str, PlatformFactory] = {
    "shopify": ShopifyApi,
    "woocommerce": WooCommerceApi,
    "bigcommerce": BigCommerceApi,
    "magento": MagentoApi,
}


class DemoServer:
    """A demo store listening on 127.0.0.1 (``port=0``: a free port), served from a thread.

    Binds at construction, so ``url`` is known at once; ``start()`` serves,
    ``stop()`` closes everything. Usable as a context manager. Pass ``store``
    to serve an existing :class:`DemoStore` (``orders``, ``seed`` for the
    orders and ``tz_offset_minutes`` are then its own). ``legacy_paging``
    is Magento's pre-2.4 repetition of the last page past the end.
    """

    def __init__(self, store: DemoStore | None = None, *, orders: int = DEFAULT_ORDERS,
                 platform: str = "shopify", seed: int = 1, token: str = DEFAULT_TOKEN,
                 port: int = 0, rate_limit: bool = True, bucket_size: int = 40,
                 leak_rate: float = 2.0, change_every: float | None = None,
                 tz_offset_minutes: int = -300, on_change: OnChange | None = None,
                 legacy_paging: bool = True, token_lifetime: float | None = None) -> None:
        if platform not in PLATFORMS:
            raise ValueError(f"unknown platform {platform!r} (known: {', '.join(PLATFORMS)})")
        self.platform = platform
        self.token = token
        self._httpd = _HttpServer((HOST, port), self)  # bind first: a busy port fails fast
        try:
            self.store = store or DemoStore(orders, seed=seed,
                                            tz_offset_minutes=tz_offset_minutes)
        except BaseException:
            self._httpd.server_close()
            raise
        self.faults = FaultQueue()
        self.stats = Stats()
        bucket = LeakyBucket(bucket_size, leak_rate) if rate_limit else None
        self.api = PLATFORMS[platform](self.store, token, bucket)
        if isinstance(self.api, MagentoApi):
            self.api.legacy_paging = legacy_paging
        client = client_options(platform, self.url, token)
        revoke = None
        if isinstance(self.api, ShopifyApi):  # a Dev Dashboard app's client credentials too
            tokens = self.api.tokens
            if token_lifetime is not None:
                tokens.lifetime = token_lifetime
            client.update(client_id=tokens.client_id, client_secret=tokens.client_secret)

            def revoke() -> dict[str, str]:
                tokens.revoke()
                return {"client_secret": tokens.client_secret}

        self.control = ControlApi(self.store, self.faults, self.stats, platform, client, revoke)
        self.schedule = (ChangeSchedule(self.store, change_every, seed=seed, on_change=on_change)
                         if change_every else None)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def client_options(self) -> dict[str, str]:
        """What a connector for this store's platform needs: URL and credentials."""
        return client_options(self.platform, self.url, self.token)

    def start(self) -> DemoServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="demo-server",
                                        daemon=True)
        self._thread.start()
        if self.schedule is not None:
            self.schedule.start()
        return self

    def stop(self) -> None:
        if self.schedule is not None:
            self.schedule.stop()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        self._httpd.drop_connections()

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def respond(self, request: Request) -> Response:
        """Route one request: control API, platform API (with faults and stats), or 404."""
        if request.path.startswith(CONTROL_PREFIX):
            return self.control.handle(request)
        if not request.path.startswith(self.api.prefix):
            return json_response(404, {"errors": "Not Found"})
        fault = self.faults.take()
        if fault is None or fault.body == "malformed":
            response = self.api.handle(request)
            if fault is not None:
                response = Response(200, response.body[: len(response.body) // 2], JSON_TYPE,
                                    response.headers)
        elif fault.body == "json":
            response = self.api.error(fault.status, fault.retry_after)
        else:
            response = Response(fault.status, html_page(fault.status), "text/html")
            if fault.retry_after is not None:
                response.headers.append(("Retry-After", str(fault.retry_after)))
        if fault is None and 200 <= response.status < 300:
            self.faults.succeeded()
        self.stats.record(self.api.endpoint(request), response.status, fault=fault is not None,
                          rate_limited=fault is None and response.status == 429)
        return response


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: DemoServer) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def drop_connections(self) -> None:
        """Close idle keep-alive connections, so no handler thread outlives the server."""
        with self._connections_lock:
            for conn in self._connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._connections.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        self.server.track(self.connection, add=False)
        super().finish()

    def _dispatch(self) -> None:
        app = self.server.app
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or f"{HOST}:{app.port}"
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = Request.parse(self.command, self.path, headers, body, f"http://{host}")
        try:
            response = app.respond(request)
        except Exception as exc:  # a bug in the demo store: answer 500, keep serving
            print(f"demo store: internal error on {self.command} {self.path}: "
                  f"{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            response = json_response(500, {"errors": "Internal Server Error"})
        self._send(response, app.store.clock())

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _dispatch

    def _send(self, response: Response, now: float) -> None:
        status = response.status
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        lines = [
            f"HTTP/1.1 {status} {reason}",
            f"Date: {formatdate(now, usegmt=True)}",
            "Server: orderupd-demo",
        ]
        if response.content_type:  # a 204 has no body, so no type
            lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(response.body)}")
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a line per request would drown the terminal during a bench."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orderupd-tui demo-server",
        description="Run the simulated store in the foreground (Ctrl-C to stop).",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--orders", type=int, default=DEFAULT_ORDERS,
                        help=f"orders to generate (default {DEFAULT_ORDERS})")
    parser.add_argument("--platform", default="shopify", choices=sorted(PLATFORMS),
                        help="API to speak (default shopify)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--token", default=DEFAULT_TOKEN,
                        help=f"access token the API accepts (default {DEFAULT_TOKEN})")
    parser.add_argument("--no-rate-limit", action="store_true",
                        help="switch the leaky bucket off (for benchmarks)")
    parser.add_argument("--bucket-size", type=int, default=40, help="leaky bucket size (40)")
    parser.add_argument("--leak-rate", type=float, default=2.0,
                        help="calls leaked per second (2.0)")
    parser.add_argument("--change-every", type=float, default=None, metavar="SECS",
                        help="apply a scripted change every SECS seconds (default: never)")
    parser.add_argument("--tz-offset", type=int, default=-300, metavar="MINUTES",
                        help="shop time zone as minutes from UTC (default -300)")
    parser.add_argument("--token-lifetime", type=float, default=None, metavar="SECS",
                        help="shopify: seconds a client-credentials token lasts (default a day)")
    parser.add_argument("--fixed-paging", action="store_true",
                        help="magento: answer an empty page past the end, as 2.4 does (default: "
                             "repeat the last page, as before 2.4)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; the first stdout line says where, and the credentials
    a connector needs beyond the token (``consumer_key``..., ``store_hash``). Returns the exit
    code.

    A signal while the orders are still being generated stops at once, quietly.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:  # --help (0) or a usage error (2), already printed
        return exit_.code if isinstance(exit_.code, int) else 2
    if args.orders < 0 or args.bucket_size < 1 or args.leak_rate <= 0 or (
        args.change_every is not None and args.change_every <= 0
    ) or (args.token_lifetime is not None and args.token_lifetime <= 0):
        print("demo-server: --orders must be 0 or more; --bucket-size, --leak-rate, "
              "--change-every and --token-lifetime must be positive", file=sys.stderr)
        return 2
    stop = threading.Event()
    restore = _on_signals(stop)
    try:
        server = DemoServer(
            orders=args.orders, platform=args.platform, seed=args.seed, token=args.token,
            port=args.port, rate_limit=not args.no_rate_limit, bucket_size=args.bucket_size,
            leak_rate=args.leak_rate, change_every=args.change_every,
            tz_offset_minutes=args.tz_offset, on_change=_report_change,
            legacy_paging=not args.fixed_paging, token_lifetime=args.token_lifetime,
        )
        with server:
            extra = "".join(f" {name} {value}" for name, value in server.client_options().items()
                            if name not in ("url", "token"))
            if isinstance(server.api, ShopifyApi):  # a Dev Dashboard app's credentials too
                tokens = server.api.tokens
                extra += f" client_id {tokens.client_id} client_secret {tokens.client_secret}"
                if args.token_lifetime is not None:
                    extra += f" (tokens last {args.token_lifetime:g} s)"
            print(f"demo store ({server.platform}) at {server.url} token {server.token}{extra}",
                  flush=True)
            while not stop.wait(0.5):
                pass
    except OSError as exc:
        print(f"demo-server: cannot listen on {HOST}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    finally:
        restore()
    return 0


def _report_change(kind: str, order: dict[str, Any]) -> None:
    print(f"demo store: {order['name']} {kind}", file=sys.stderr, flush=True)


def _on_signals(stop: threading.Event) -> Callable[[], None]:
    """Make SIGINT and SIGTERM set ``stop``; returns a function restoring the old handlers.

    The first signal also raises KeyboardInterrupt in the main thread, which
    cuts a long order generation short; once serving, ``stop`` ends the loop.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            stop.set()
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore

"""Config and HTTP-layer figures: what typed validation and the shared layer cost per use.

Prints one ``name value unit`` line per figure:

- ``config_load_example``: loading ``config.example.yaml`` (YAML, ``${VAR}``,
  the typed models, the backend's own checks), the median of 50 runs, in
  milliseconds: every verb pays it once;
- ``http_get_shared_layer`` and ``http_get_plain_httpx``: one keep-alive
  GET of a small JSON body from a loopback server through
  :class:`orderupd_tui.net.http.ApiHttp` (retry context, overall deadline,
  auth, scrubbing ready) and through a bare ``httpx.Client``, medians of
  2,000 requests, in microseconds: the layer's overhead is the difference.

Run: ``python bench/bench_config_http.py``.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from orderupd_tui.config import load
from orderupd_tui.net.auth import HeaderAuth
from orderupd_tui.net.http import ApiHttp

EXAMPLE = Path(__file__).resolve().parents[1] / "config.example.yaml"
REQUESTS = 2000


class _Small(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes

    def do_GET(self) -> None:
        body = b'{"orders":[]}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def median_us(get: object) -> float:
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        get()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    for var in ("SHOPIFY_TOKEN", "WC_KEY", "WC_SECRET", "BC_TOKEN", "M2_TOKEN"):
        os.environ.setdefault(var, "bench-secret-value")
    runs = []
    for _ in range(50):
        start = time.perf_counter()
        load(EXAMPLE)
        runs.append(time.perf_counter() - start)
    print(f"config_load_example {statistics.median(runs) * 1000:.2f} ms")

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Small)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    api = ApiHttp("bench", url, auth=HeaderAuth("X-Token", "bench-token-0123456789"))
    plain = httpx.Client(base_url=url, headers={"X-Token": "bench-token-0123456789"})
    try:
        layer = median_us(lambda: api.send("GET", "/orders"))
        bare = median_us(lambda: plain.get("/orders"))
    finally:
        api.close()
        plain.close()
        server.shutdown()
        server.server_close()
    print(f"http_get_shared_layer {layer:.0f} us")
    print(f"http_get_plain_httpx {bare:.0f} us")


if __name__ == "__main__":
    main()

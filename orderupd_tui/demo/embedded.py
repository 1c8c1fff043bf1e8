"""``--demo``: the embedded demo store, and settings that point the program at it.

The demo keeps its own database and ledger under the user data dir, apart
from any real configuration.  They are started afresh on every run, since
the embedded store is generated afresh too: yesterday's copies of today's
regenerated orders would otherwise all look changed.
"""

from __future__ import annotations

import atexit
import shutil

from orderupd_tui import paths
from orderupd_tui.config import Settings, parse
from orderupd_tui.demo.server import DemoServer

DEMO_ORDERS = 300
#: Seconds between the store's scripted changes; the first comes within seconds.
CHANGE_EVERY = 15.0
POLL_INTERVAL = 10


def demo_settings() -> Settings:
    """Start the embedded store in this process and return settings for it."""
    base = paths.data_dir() / "demo"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    server = DemoServer(orders=DEMO_ORDERS, change_every=CHANGE_EVERY).start()
    atexit.register(server.stop)
    data = {
        "database": "sqlite:///orders.db",
        "poll_interval": POLL_INTERVAL,
        "stores": [{"name": "shop", "platform": "demo", "url": server.url,
                    "token": server.token}],
        "accounting": {"backend": "beancount", "path": "books/orders.beancount",
                       "on_reset": "ask"},
    }
    return parse(data, base=base, label="the built-in demo settings")

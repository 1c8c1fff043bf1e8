"""``--demo``: the embedded demo store, and settings that point the program at it.

The demo keeps its own database and ledger under the user data dir, apart
from any real configuration.  They are started afresh on every run, since
the embedded store is generated afresh too: yesterday's copies of today's
regenerated orders would otherwise all look changed.

So that posted orders (and what a change to one of them does) can be seen
at once, the demo imports its orders and posts the newest few paid ones
to its ledger before the app opens, as a shop that had been using it
would have.
"""

from __future__ import annotations

import atexit
import fcntl
import shutil
from datetime import datetime
from typing import IO

from orderupd_tui import paths
from orderupd_tui.config import ConfigError, Settings, parse
from orderupd_tui.demo.server import DemoServer

#: The demo's stores: two platforms, so the inbox shows what several stores look like.
DEMO_STORES = (("shop", "shopify", 300, 1), ("woo", "woocommerce", 120, 2))
#: Seconds between the store's scripted changes; the first comes within seconds.
CHANGE_EVERY = 15.0
POLL_INTERVAL = 10
#: Paid orders posted to the demo ledger before the app opens.
PRE_POSTED = 12


def demo_settings() -> Settings:
    """Start the embedded store in this process and return settings for it."""
    _hold_demo_lock()
    base = paths.data_dir() / "demo"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    stores = []
    for name, platform, orders, seed in DEMO_STORES:
        server = DemoServer(orders=orders, platform=platform, seed=seed,
                            change_every=CHANGE_EVERY).start()
        atexit.register(server.stop)
        stores.append({"name": name, "platform": "demo", "as": platform, "url": server.url,
                       "token": server.token})
    data = {
        "database": "sqlite:///orders.db",
        "poll_interval": POLL_INTERVAL,
        "stores": stores,
        "accounting": {"backend": "beancount", "path": "books/orders.beancount",
                       "on_reset": "ask"},
    }
    settings = parse(data, base=base, label="the built-in demo settings")
    _post_some(settings)
    return settings


_lock: list[IO[str]] = []


def _hold_demo_lock() -> None:
    """One demo at a time: each start wipes the demo database another would be using."""
    folder = paths.data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / "demo.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ConfigError("another orderupd-tui --demo is running (it owns the demo "
                          "database): close it first") from None
    _lock.append(handle)  # held, open, until this process exits


def _post_some(settings: Settings) -> None:
    """Import the demo orders and post every other one of the newest paid, open ones.

    The newest, so that the app's first screen (sorted by date, newest first)
    shows posted orders; every other one, so that paid orders waiting to be
    posted sit between them, for ``p`` to be tried on.
    """
    from orderupd_tui.services import posting, queries, sync
    from orderupd_tui.services.session import Session

    with Session(settings, actor="demo") as session:
        sync.poll_once(session)
        paid = [o for o in queries.orders_json()
                if o["payment_status"] == "paid" and o["order_status"] != "cancelled"
                and not o["pending_update"]]
        paid.sort(key=lambda o: datetime.fromisoformat(o["created_at"]), reverse=True)
        posting.post(session, [o["ref"] for o in paid[:2 * PRE_POSTED:2]])

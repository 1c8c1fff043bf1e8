"""``--demo``: the embedded demo store, and settings that point the program at it.

The demo keeps its own database and ledger under the user data dir, apart
from any real configuration.  The app (``orderupd-tui --demo``) starts them
afresh on every run, since it generates the embedded store afresh too:
yesterday's copies of today's regenerated orders would otherwise all look
changed.

The headless verbs (``orderupd-tui --demo poll``, ``--demo updates``...) use
that same demo, so that what one verb did the next one, and the app, see:

- while a demo is running (the app, or a ``--demo poll --watch``), they talk
  to its stores, whose addresses it writes to :data:`HOSTED`, and use its
  database;
- otherwise they serve the stores themselves for as long as they run, from
  the orders the last demo left (:data:`SAVED`, written when it stopped),
  after applying the scripted changes that would have come meanwhile; with
  no demo left at all they set one up as the app does.

So that posted orders (and what a change to one of them does) can be seen
at once, a fresh demo imports its orders and posts the newest few paid ones
to its ledger before the app opens, as a shop that had been using it would
have.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from orderupd_tui import paths
from orderupd_tui.config import ConfigError, Settings, parse
from orderupd_tui.demo.server import DemoServer
from orderupd_tui.demo.state import DemoStore

#: The demo's stores: two platforms, so the inbox shows what several stores look like.
DEMO_STORES = (("shop", "shopify", 300, 1), ("woo", "woocommerce", 120, 2))
#: Seconds between the store's scripted changes; the first comes within seconds.
CHANGE_EVERY = 15.0
POLL_INTERVAL = 10
#: Paid orders posted to the demo ledger before the app opens.
PRE_POSTED = 12
#: The demo's database, beside which the other files live.
DATABASE = "orders.db"
#: Where a running demo says where its stores listen: ``{pid, stores: [{name, url, token}]}``.
HOSTED = "stores.json"
#: Each store's orders when the demo that served them stopped, and how far its changes went.
SAVED = "store-{name}.json"
#: Scripted changes applied at most, on taking a stopped demo back: a few to review, not all
#: that a week away would have brought.
CATCH_UP = 10
#: Seconds a verb waits for a demo that is still starting to say where its stores are.
STARTING = 60.0


def demo_settings(*, fresh: bool = True) -> Settings:
    """Settings for the demo, serving its stores in this process unless a running demo does.

    ``fresh`` (the app) starts the demo anew; otherwise (a headless verb) the
    running demo, or the last one, is used.
    """
    base = paths.data_dir() / "demo"
    if not _take_demo_lock():
        if fresh:
            raise ConfigError("another orderupd-tui --demo is running (it owns the demo "
                              "database): close it first")
        return _settings(base, _hosted_stores(base))
    saved = None if fresh else _load(base)
    if saved is None:
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        servers = _serve(base, None)
        settings = _settings(base, _described(servers))
        _post_some(settings)
        _save(base, servers)  # a demo killed later is still taken back as it was set up
    else:
        servers = _serve(base, saved)
        settings = _settings(base, _described(servers))
    _publish(base, servers)
    return settings


def _settings(base: Path, stores: list[dict[str, str]]) -> Settings:
    data = {
        "database": f"sqlite:///{DATABASE}",
        "poll_interval": POLL_INTERVAL,
        "stores": [{"name": s["name"], "platform": "demo", "as": s["as"], "url": s["url"],
                    "token": s["token"]} for s in stores],
        "accounting": {"backend": "beancount", "path": "books/orders.beancount",
                       "on_reset": "ask"},
    }
    return parse(data, base=base, label="the built-in demo settings")


def _serve(base: Path, saved: dict[str, dict[str, Any]] | None) -> dict[str, DemoServer]:
    """Start each demo store, generated anew or from its saved orders (then caught up)."""
    servers = {}
    for name, platform, orders, seed in DEMO_STORES:
        state = saved[name] if saved else None
        store = None
        if state is not None:
            store = DemoStore(seed=seed)
            store.load(state["orders"])
        server = DemoServer(store, orders=orders, platform=platform, seed=seed,
                            change_every=CHANGE_EVERY)
        if state is not None and server.schedule is not None:
            server.schedule.step = state["step"]
            missed = int(max(0.0, time.time() - state["saved_at"]) // CHANGE_EVERY)
            for _ in range(min(missed, CATCH_UP)):
                server.schedule.apply_next()
        servers[name] = server.start()
    # Run last to first: the address is withdrawn, then the stores stop, then their orders
    # are saved for the next verb.
    atexit.register(_save, base, servers)
    for server in servers.values():
        atexit.register(server.stop)
    atexit.register(_withdraw, base)
    return servers


def _described(servers: dict[str, DemoServer]) -> list[dict[str, str]]:
    return [{"name": name, "as": server.platform, "url": server.url, "token": server.token}
            for name, server in servers.items()]


def _publish(base: Path, servers: dict[str, DemoServer]) -> None:
    """Say where this demo's stores listen, for the verbs run while it does."""
    _write(base / HOSTED, {"pid": os.getpid(), "stores": _described(servers)})


def _withdraw(base: Path) -> None:
    with contextlib.suppress(OSError):
        hosted = json.loads((base / HOSTED).read_text())
        if hosted.get("pid") == os.getpid():
            (base / HOSTED).unlink()


def _hosted_stores(base: Path) -> list[dict[str, str]]:
    """The running demo's stores, once it has said where they are (it may be starting)."""
    deadline = time.monotonic() + STARTING
    while True:
        try:
            hosted = json.loads((base / HOSTED).read_text())
            if _alive(int(hosted["pid"])):
                return list(hosted["stores"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
        if time.monotonic() > deadline:
            raise ConfigError("another orderupd-tui --demo is running but has not said where "
                              "its stores are: wait for it to start, or close it")
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _save(base: Path, servers: dict[str, DemoServer]) -> None:
    for name, server in servers.items():
        step = server.schedule.step if server.schedule is not None else 0
        _write(base / SAVED.format(name=name), {"saved_at": time.time(), "step": step,
                                                "orders": server.store.dump()})


def _load(base: Path) -> dict[str, dict[str, Any]] | None:
    """The last demo's stores, if it left its database and every store's orders."""
    if not (base / DATABASE).is_file():
        return None
    try:
        return {name: json.loads((base / SAVED.format(name=name)).read_text())
                for name, *_ in DEMO_STORES}
    except (OSError, ValueError):
        return None


def _write(path: Path, data: dict[str, Any]) -> None:
    """Whole or not at all: a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data))
    partial.replace(path)


_lock: list[IO[str]] = []


def _take_demo_lock() -> bool:
    """One demo serves at a time; True if this process is now the one (held until it exits)."""
    folder = paths.data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / "demo.lock").open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _lock.append(handle)
    return True


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

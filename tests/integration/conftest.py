"""Integration plumbing: a demo store in its own process, and sessions on a real database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.config import Settings, parse
from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.services.session import Session

DEMO_ORDERS = 650


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    """One demo store per test module, speaking Shopify over loopback, rate limit on."""
    with spawn_demo_server(orders=DEMO_ORDERS, seed=7) as server:
        yield server


@pytest.fixture(autouse=False)
def clean_demo(demo: DemoProcess) -> DemoProcess:
    """The module's demo store with no queued faults and fresh request counts."""
    demo.control.clear_faults()
    demo.control.reset_stats()
    return demo


def settings_for(demo: DemoProcess, db_url: str, base: Path, **extra: Any) -> Settings:
    data: dict[str, Any] = {
        "database": db_url,
        "poll_interval": 0,
        "stores": [{"name": "main", "platform": "shopify", "url": demo.url,
                    "token": demo.token, "since": "2026-01-01"}],
        "accounting": {"backend": "none"},
    }
    data.update(extra)
    return parse(data, base=base, label="test.yaml")


@pytest.fixture
def make_session(
    clean_demo: DemoProcess, db_url: str, tmp_path: Path
) -> Iterator[Callable[..., Session]]:
    """Open sessions on this test's database against the demo store; closed at the end."""
    opened: list[Session] = []

    def make(**extra: Any) -> Session:
        session = Session(settings_for(clean_demo, db_url, tmp_path, **extra))
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()

"""Mal's remote calls sent by the demo store to a real receiver, then imported as orders."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from orderupd_tui.demo.control import DemoControlError
from orderupd_tui.demo.mals_calls import mals_id
from orderupd_tui.demo.process import DemoProcess, spawn_demo_server
from orderupd_tui.domain.order import NormalizedOrder
from orderupd_tui.stores.mals import SPOOL_NAME, MalsClient, MalsReceiver
from tests.integration.carts import EPOCH

MALS_ID = "DEMO0001"


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoProcess]:
    with spawn_demo_server(orders=5, seed=24, rate_limit=False) as server:
        yield server


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[MalsReceiver]:
    with MalsReceiver("127.0.0.1:0", tmp_path / "spool", username=MALS_ID) as running:
        yield running


def imported(receiver: MalsReceiver) -> dict[str, NormalizedOrder]:
    client = MalsClient("mals", receiver.spool_dir)
    return {r.order.remote_id: r.order for page in client.changed_since(EPOCH)
            for r in page.orders}


def test_calls_sent_by_the_store_are_stored_then_imported(demo: DemoProcess,
                                                          receiver: MalsReceiver) -> None:
    calls = demo.control.send_mals(receiver.url, count=3)
    assert [c["status"] for c in calls] == [200, 200, 200]
    assert [c["answer"] for c in calls] == [f"stored: order {c['id']}" for c in calls]

    orders = imported(receiver)
    assert sorted(orders) == sorted(c["id"] for c in calls)
    sent = [demo.control.order(s["id"]) for s in demo.control.orders()]
    by_mals_id = {mals_id(o): o for o in sent if o is not None}
    for remote_id, order in orders.items():
        store_copy = by_mals_id[remote_id]
        assert order.total == Decimal(store_copy["total_price"])
        assert order.email == store_copy["email"]
        assert [li.sku for li in order.line_items] == [li["sku"]
                                                      for li in store_copy["line_items"]]


def test_a_duplicate_call_is_answered_but_stored_once(demo: DemoProcess,
                                                      receiver: MalsReceiver) -> None:
    first, again = demo.control.send_mals(receiver.url, count=1, duplicate=True)
    assert first["id"] == again["id"]
    assert (first["status"], again["status"]) == (200, 200)
    assert again["answer"] == f"duplicate: order {first['id']} was already received"
    spooled = (receiver.spool_dir / SPOOL_NAME).read_text(encoding="utf-8").splitlines()
    assert len(spooled) == 1
    assert list(imported(receiver)) == [first["id"]]


def test_a_call_signed_with_another_mals_id_is_refused(demo: DemoProcess,
                                                       receiver: MalsReceiver) -> None:
    (call,) = demo.control.send_mals(receiver.url, username="OTHER001")
    assert call["status"] == 403
    assert imported(receiver) == {}


def test_the_store_sends_calls_to_this_machine_only(demo: DemoProcess) -> None:
    with pytest.raises(DemoControlError, match="only sends remote calls to this machine"):
        demo.control.send_mals("http://192.0.2.10/remote-call")

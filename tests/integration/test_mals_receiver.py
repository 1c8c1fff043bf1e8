"""Mal's remote calls sent over loopback to a real receiver, spooled, then read as orders."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from orderupd_tui.stores.base import StoreUnsupported
from orderupd_tui.stores.mals import SPOOL_NAME, MalsClient, MalsReceiver

MALS_ID = "D1234556"
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.fixture
def call(fixtures_dir: Path) -> dict[str, str]:
    """A remote call as the cart sends it: the documented fields and example cart."""
    with (fixtures_dir / "mals" / "remote_call_fields.tsv").open(encoding="utf-8") as handle:
        fields = {row["field"]: row["example"] for row in csv.DictReader(handle, delimiter="\t")}
    cart = (fixtures_dir / "mals" / "remote_call_cart_example.txt").read_text(encoding="utf-8")
    fields["cart"] = next(line for line in cart.splitlines() if line and line[0] != "#")
    return {**fields, "inv_name": "Zoë Müller", "subtotal": "27.97", "total": "27.97"}


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[MalsReceiver]:
    with MalsReceiver("127.0.0.1:0", tmp_path / "spool", username=MALS_ID) as running:
        yield running


def orders(spool: Path) -> list[tuple[str, str, Decimal]]:
    client = MalsClient("mals", spool)
    return [(r.order.number, r.order.customer, r.order.total)
            for page in client.changed_since(LONG_AGO) for r in page.orders]


def test_a_posted_call_is_stored_then_read_as_an_order(receiver: MalsReceiver,
                                                       call: dict[str, str]) -> None:
    answer = httpx.post(receiver.url, data=call)
    assert (answer.status_code, answer.text.strip()) == (200, "stored: order 81343431")
    assert len((receiver.spool_dir / SPOOL_NAME).read_text(encoding="utf-8").splitlines()) == 1

    client = MalsClient("mals", receiver.spool_dir)
    (page,) = list(client.changed_since(datetime.now(UTC) - timedelta(hours=1)))
    (remote,) = page.orders
    order = remote.order
    assert (order.number, order.customer, order.total) == ("81343431", "Zoë Müller",
                                                            Decimal("27.97"))
    assert [li.sku for li in order.line_items] == ["PX001", "PT0045"]
    assert remote.raw["fields"]["username"] == MALS_ID  # the payload behind the order is kept


def test_a_get_call_is_received_too(receiver: MalsReceiver, call: dict[str, str]) -> None:
    answer = httpx.get(receiver.url, params={**call, "id": "81343432"})
    assert answer.status_code == 200
    assert orders(receiver.spool_dir) == [("81343432", "Zoë Müller", Decimal("27.97"))]


def test_a_latin1_form_is_read(receiver: MalsReceiver) -> None:
    body = b"username=D1234556&id=7&total=5.00&cart=Mug:1:5.00:0:M1&inv_name=Zo%EB"
    answer = httpx.post(receiver.url, content=body,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200
    assert orders(receiver.spool_dir) == [("7", "Zo\u00eb", Decimal("5.00"))]


def test_a_duplicate_call_is_answered_but_not_stored_again(receiver: MalsReceiver,
                                                          call: dict[str, str]) -> None:
    assert httpx.post(receiver.url, data=call).status_code == 200
    again = httpx.post(receiver.url, data={**call, "total": "99.00"})
    assert (again.status_code, again.text.strip()) == (
        200, "duplicate: order 81343431 was already received")
    assert orders(receiver.spool_dir) == [("81343431", "Zoë Müller", Decimal("27.97"))]


def test_duplicates_are_recognised_after_a_restart(tmp_path: Path, call: dict[str, str]) -> None:
    spool = tmp_path / "spool"
    with MalsReceiver("127.0.0.1:0", spool, username=MALS_ID) as first:
        assert httpx.post(first.url, data=call).text.startswith("stored")
    with MalsReceiver("127.0.0.1:0", spool, username=MALS_ID) as second:
        assert httpx.post(second.url, data=call).text.startswith("duplicate")
    assert len(orders(spool)) == 1


def test_a_call_for_another_mals_id_is_refused(receiver: MalsReceiver,
                                               call: dict[str, str]) -> None:
    answer = httpx.post(receiver.url, data={**call, "username": "X9999999"})
    assert answer.status_code == 403
    assert answer.text.strip() == f"refused: Mals ID X9999999 is not this store's ({MALS_ID})"
    assert orders(receiver.spool_dir) == []


def test_a_call_without_an_order_id_or_to_another_path_is_refused(
        receiver: MalsReceiver, call: dict[str, str]) -> None:
    assert httpx.post(receiver.url, data={**call, "id": ""}).status_code == 400
    assert httpx.post(receiver.url.replace("/remote-call", "/other"), data=call).status_code == 404
    assert orders(receiver.spool_dir) == []


def test_a_torn_last_line_does_not_lose_the_next_call(tmp_path: Path,
                                                      call: dict[str, str]) -> None:
    """A crash mid-write leaves half a line; it is skipped and the next call starts afresh."""
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / SPOOL_NAME).write_text('{"received_at": "2026-01-01T00:0', encoding="utf-8")
    with MalsReceiver("127.0.0.1:0", spool) as running:
        assert httpx.post(running.url, data=call).status_code == 200
    assert orders(spool) == [("81343431", "Zoë Müller", Decimal("27.97"))]


def test_the_client_reads_new_orders_only_and_refuses_refresh(tmp_path: Path) -> None:
    client = MalsClient("shop", tmp_path)
    assert client.supports_updates is False
    assert list(client.changed_since(LONG_AGO)) == []
    with pytest.raises(StoreUnsupported) as refused:
        client.fetch(["81343431"])
    assert str(refused.value) == "store 'shop' is Mal's E-Commerce: it cannot re-download orders"

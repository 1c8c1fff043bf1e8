"""Plumbing for the accounting tests: orders to post, bean-check, and the fake APIs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from orderupd_tui.accounting.quickbooks import QuickBooksBackend
from orderupd_tui.accounting.xero import XeroBackend
from orderupd_tui.domain.order import LineItem, NormalizedOrder
from tests.fakes.quickbooks_server import QuickBooksFake
from tests.fakes.xero_server import XeroFake

BEAN_CHECK = Path(sys.executable).parent / "bean-check"

MakeOrder = Callable[..., NormalizedOrder]


def run_bean_check(path: Path) -> None:
    """Fail the test unless the real ``bean-check`` accepts the ledger."""
    result = subprocess.run([str(BEAN_CHECK), str(path)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, f"bean-check failed:\n{result.stdout}{result.stderr}"


@pytest.fixture
def bean_check() -> Callable[[Path], None]:
    return run_bean_check


@pytest.fixture
def ledger_path(tmp_path: Path) -> Iterator[Path]:
    """Where a test's ledger goes; whatever was written there must pass bean-check at the end."""
    path = tmp_path / "books" / "orders.beancount"
    yield path
    if path.exists():
        run_bean_check(path)


@pytest.fixture
def make_order() -> MakeOrder:
    """A factory of realistic orders: ``make_order("1001", payment_status="pending")``."""

    def make(number: str = "1001", **fields: Any) -> NormalizedOrder:
        values: dict[str, Any] = {
            "remote_id": f"r{number}",
            "number": number,
            "created_at": datetime(2026, 1, 5, 14, 30, tzinfo=UTC),
            "updated_at": datetime(2026, 1, 5, 14, 30, tzinfo=UTC),
            "currency": "USD",
            "subtotal": Decimal("100.00"),
            "shipping": Decimal("10.00"),
            "tax": Decimal("8.45"),
            "discount": Decimal("5.00"),
            "total": Decimal("113.45"),
            "payment_status": "paid",
            "customer": "Jane Doe",
            "line_items": (
                LineItem("WID-1", "Widget", 2, Decimal("30.00"), Decimal("60.00")),
                LineItem("GAD-2", "Gadget", 1, Decimal("40.00"), Decimal("40.00")),
            ),
        }
        values.update(fields)
        return NormalizedOrder(**values)

    return make


@pytest.fixture
def sleeps() -> list[float]:
    """The waits a backend was asked to take (recorded, not taken)."""
    return []


@pytest.fixture
def qbo_fake() -> Iterator[QuickBooksFake]:
    with QuickBooksFake() as fake:
        yield fake


@pytest.fixture
def qbo(qbo_fake: QuickBooksFake, sleeps: list[float]) -> Iterator[QuickBooksBackend]:
    backend = QuickBooksBackend(url=qbo_fake.url, realm_id=qbo_fake.realm_id,
                                token=qbo_fake.token, item_ref="1", customer_ref="1",
                                timeout=5.0, sleep=sleeps.append)
    yield backend
    backend.close()


@pytest.fixture
def xero_fake() -> Iterator[XeroFake]:
    with XeroFake() as fake:
        yield fake


@pytest.fixture
def xero(xero_fake: XeroFake, sleeps: list[float]) -> Iterator[XeroBackend]:
    backend = XeroBackend(url=xero_fake.url, tenant_id=xero_fake.tenant_id, token=xero_fake.token,
                          account_code="200", contact_name="Online store customers", timeout=5.0,
                          sleep=sleeps.append)
    yield backend
    backend.close()

"""Beancount ledger figures: posting speed, the per-poll status check, and bean-check at scale.

Prints one ``NAME VALUE s`` line per figure:

- ``beancount_post_1000``: posting 1,000 orders to a new ledger (target <= 3 s);
- ``beancount_status_10000``: the status check of 10,000 posted orders in a
  poll, after another writer appended to the ledger (target <= 1 s);
- ``beancount_status_10000_cold``: the same check by a fresh process that
  has to read the whole ledger once;
- ``beancount_write_100000`` and ``beancount_bean_check_100000``: writing a
  100,000-transaction ledger through the backend, and the real ``bean-check``
  passing it (skipped with ``--quick``).

Run: ``python bench/bench_beancount.py [--quick]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from orderupd_tui.accounting.beancount import BeancountLedger
from orderupd_tui.domain.order import LineItem, NormalizedOrder

_START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


def order(n: int) -> NormalizedOrder:
    """A realistic order: two lines, shipping, tax, sometimes a discount."""
    price = Decimal(10 + n % 90)
    discount = Decimal("5.00") if n % 7 == 0 else Decimal("0.00")
    subtotal = price * 2 + Decimal("15.00")
    tax = (subtotal * Decimal("0.08")).quantize(Decimal("0.01"))
    when = _START + timedelta(minutes=7 * n)
    return NormalizedOrder(
        remote_id=str(n), number=str(1000 + n), created_at=when, updated_at=when,
        currency="USD", subtotal=subtotal, shipping=Decimal("4.99"), tax=tax, discount=discount,
        total=subtotal + Decimal("4.99") + tax - discount, payment_status="paid",
        customer=f"Customer {n}",
        line_items=(LineItem("A", "Widget", 2, price, price * 2),
                    LineItem("B", "Gadget", 1, Decimal("15.00"), Decimal("15.00"))),
    )


def post_many(ledger: BeancountLedger, count: int, start: int = 0) -> float:
    began = time.perf_counter()
    for n in range(start, start + count):
        ledger.post(order(n), f"main:{1000 + n}", f"bench-{n}")
    return time.perf_counter() - began


def bean_check(path: Path) -> float:
    began = time.perf_counter()
    result = subprocess.run([str(Path(sys.executable).parent / "bean-check"), str(path)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"bean-check failed on {path.name}:\n{result.stdout[:2000]}{result.stderr[:2000]}")
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 100,000-order ledger")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)

        ledger = BeancountLedger(folder / "post.beancount")
        print(f"beancount_post_1000 {post_many(ledger, 1000):.3f} s", flush=True)

        path = folder / "status.beancount"
        post_many(BeancountLedger(path), 10_000)
        refs = [f"bench-{n}" for n in range(10_000)]
        poller = BeancountLedger(path)
        began = time.perf_counter()
        cold = poller.statuses(refs)
        print(f"beancount_status_10000_cold {time.perf_counter() - began:.3f} s", flush=True)
        other = BeancountLedger(path)  # another app posts and voids between two polls
        post_many(other, 5, start=10_000)
        other.void("bench-42")
        began = time.perf_counter()
        warm = poller.statuses(refs)
        print(f"beancount_status_10000 {time.perf_counter() - began:.3f} s", flush=True)
        if set(cold.values()) != {"posted"} or warm["bench-42"] != "voided":
            sys.exit("the status check read the ledger wrong")
        bean_check(path)

        if not args.quick:
            big = folder / "big.beancount"
            written = post_many(BeancountLedger(big), 100_000)
            print(f"beancount_write_100000 {written:.3f} s", flush=True)
            print(f"beancount_bean_check_100000 {bean_check(big):.3f} s", flush=True)


if __name__ == "__main__":
    main()

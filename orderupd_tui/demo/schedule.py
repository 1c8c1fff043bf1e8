"""The scripted schedule: the demo shop's orders keep changing while the app watches.

A background thread applies a fixed cycle of change kinds to orders picked
by a seeded random source: the first change a few seconds after start, then
one every ``every`` seconds. Same seed, same sequence (as long as nothing
else changes the store meanwhile).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

from orderupd_tui.demo.mutations import ChangeRefused
from orderupd_tui.demo.state import DemoStore

CYCLE = ("capture_payment", "fulfil", "edit_address", "refund", "edit_line", "cancel",
         "edit_note", "fulfil", "capture_payment", "refund")
FIRST_CHANGE_AFTER = 3.0

OnChange = Callable[[str, dict[str, Any]], None]


class ChangeSchedule:
    def __init__(self, store: DemoStore, every: float, *, seed: int = 1,
                 on_change: OnChange | None = None, step: int = 0) -> None:
        if every <= 0:
            raise ValueError("the change interval must be positive")
        self.store = store
        self.every = every
        self.on_change = on_change
        self._rng = random.Random(seed + 2)
        #: How far through :data:`CYCLE` it is; given back to go on where another run stopped.
        self.step = step
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-schedule", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def apply_next(self) -> tuple[str, dict[str, Any]] | None:
        """Apply the next change of the cycle (skipping kinds no order allows)."""
        for _ in range(len(CYCLE)):
            kind = CYCLE[self.step % len(CYCLE)]
            self.step += 1
            order_id = self.store.pick(kind, self._rng)
            if order_id is None:
                continue
            try:
                order = self.store.change(order_id, kind)
            except (KeyError, ChangeRefused):  # changed or deleted since it was picked
                continue
            if self.on_change is not None:
                self.on_change(kind, order)
            return kind, order
        return None

    def _run(self) -> None:
        delay = min(FIRST_CHANGE_AFTER, self.every)
        while not self._stop.wait(delay):
            self.apply_next()
            delay = self.every

"""A store's copy of one order, as a connector hands it over: normalized, with its payload.

Kept in ``domain/`` because every layer passes it along (connectors make
it, the database stores it, services compare it) and none may depend on
a layer above its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orderupd_tui.domain.order import NormalizedOrder


@dataclass(frozen=True)
class RemoteOrder:
    """A store's copy of one order: the normalized form and the payload behind it."""

    order: NormalizedOrder
    raw: dict[str, Any]

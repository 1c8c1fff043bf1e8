"""What becomes of a store's payload that could not be read as an order.

Such a payload is *set aside* (DESIGN §3): kept apart from the orders,
retried by id at every poll, and shown to the user until it reads or a
person dismisses it.  Never dropped, and never allowed to stop a poll.
"""

from __future__ import annotations

from enum import StrEnum


class SetAsideState(StrEnum):
    """Where a set-aside entry stands; only ``OPEN`` ones are retried and make a poll fail."""

    OPEN = "open"
    RESOLVED = "resolved"  # the order read at a later poll and is a normal order now
    DISMISSED = "dismissed"  # a person gave up on it on purpose, with a reason

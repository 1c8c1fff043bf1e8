"""What each screen is given in its constructor, and how it reads the database.

Screens never reach for the App: the App builds one :class:`Context` and
hands it down.  Every read goes through :func:`in_background`, an
exclusive thread worker per group (one group per pane and purpose), so a
newer request replaces an older one and the UI thread never waits on the
database: on a server across a network each query is a round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import get_current_worker

from orderupd_tui.errorlog import log_unexpected
from orderupd_tui.services.inbox import CountCancelled, Inbox
from orderupd_tui.services.setaside import SetAsideEntry
from orderupd_tui.tui.messages import LoadFailed
from orderupd_tui.tui.widgets.status import PollStatus


@dataclass(frozen=True)
class Context:
    """The inbox's queries, the set-aside list, the shared status, and fixed display facts."""

    inbox: Inbox
    status: PollStatus
    open_entries: Callable[[], list[SetAsideEntry]] = field(default=list)
    stores: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    cursor_blink: bool = True


def in_background(node: DOMNode, context: Context, group: str,
                  read: Callable[[], Message | None]) -> None:
    """Run ``read`` in an exclusive thread worker of ``group`` and post what it returns.

    The worker's connection stays open in its pool thread for the next
    read (reconnecting to a remote server costs several round trips).  A
    result that a newer request has replaced is dropped; an error becomes
    one :class:`LoadFailed` line, logged in full.
    """

    def run() -> None:
        try:
            context.inbox.small_cache()
            message = read()
        except CountCancelled:
            return
        except Exception:
            message = LoadFailed(log_unexpected(context.secrets), group)
        if message is not None and not get_current_worker().is_cancelled:
            node.post_message(message)

    node.run_worker(run, thread=True, exclusive=True, group=group, exit_on_error=False)

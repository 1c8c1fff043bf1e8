"""The full-screen app: panes, background polling, and batch actions run in workers.

Polling is a thread worker chained by a timer: the next poll is scheduled
only when the previous one has finished, so polls never overlap, and the
timer belongs to the app, so it keeps running under any screen or modal.
Batch actions (review actions and posting) run in a thread worker too,
reporting progress per order; what posting would do is worked out in a
worker as well, before its confirmation opens.
Workers never touch widgets: they post messages (``tui.messages``), and
the handlers here update the status and tell each screen to reload.
Screens never call the App either: they post intents (``ActionRequested``,
``PostRequested``) that bubble up to it, and get a :class:`Context` (the
inbox's queries, the shared status) in their constructors.

Polls and batches share the store connectors, so they take turns through
one lock; the interface stays responsive while either waits.

The theme: the config's ``theme:`` when it sets one, else the one last
chosen in the app (``t`` or the palette; saved under the user data dir by
``tui.saved``), else Textual's default.  The config wins because it is what
the user wrote down on purpose; a choice made in the app is still saved, and
is used once the config no longer names a theme.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.screen import Screen
from textual.theme import Theme
from textual.timer import Timer

from orderupd_tui import paths
from orderupd_tui.config import Settings
from orderupd_tui.domain.states import REVIEW, Action, ExitCode, OnReset
from orderupd_tui.errorlog import log_unexpected
from orderupd_tui.services import posting, review, setaside, sync
from orderupd_tui.services.changes import ChangeWatch
from orderupd_tui.services.inbox import Inbox, Target
from orderupd_tui.services.postplan import PostPlan, plan_post
from orderupd_tui.services.session import Session
from orderupd_tui.stores.base import StoreError
from orderupd_tui.stores.mals import MalsReceiver
from orderupd_tui.stores.registry import make_receivers
from orderupd_tui.tui.context import Context, in_background
from orderupd_tui.tui.contrast import midway
from orderupd_tui.tui.messages import (
    ActionRequested,
    BatchDone,
    BatchFinished,
    BatchProgress,
    DataChanged,
    DismissRequested,
    ExternalChange,
    LoadFailed,
    PlanReady,
    PollFinished,
    PollProgress,
    PostRequested,
    SetAsideCounted,
    SetAsideDismissed,
    StoresLoaded,
    TargetsReady,
)
from orderupd_tui.tui.saved import save_theme, saved_theme
from orderupd_tui.tui.screens.confirm import ConfirmScreen, PostConfirmScreen, plural
from orderupd_tui.tui.screens.detail import DetailScreen
from orderupd_tui.tui.screens.errors import ErrorsScreen
from orderupd_tui.tui.screens.help import HelpScreen
from orderupd_tui.tui.screens.main import MainScreen
from orderupd_tui.tui.widgets.status import PollStatus, StatusBar, StoreStatus
from orderupd_tui.tui.widgets.table import VirtualTable

#: Seconds between looks at whether another process changed the database (see
#: ``services.changes``): a colleague's work shows within about twice this.
WATCH_EVERY = 1.0
#: Seconds between progress updates from a worker: enough to look alive, few repaints.
PROGRESS_EVERY = 0.1
#: Reasons (each with its orders) named in one notification.
SUMMARY_FAILURES = 5
#: Orders named for one reason shared by several; the rest are counted.
NAMED_PER_REASON = 3
#: How the services' reasons that read after a ref begin (``has no pending update``): said of
#: several orders, they read after "each".
VERBS = frozenset({"has", "is", "was", "changed", "could", "cannot", "needs"})
#: How a batch's summary names the orders that did not go through, by outcome code.
NOT_DONE = (("refused", (ExitCode.REFUSED,)), ("failed", (ExitCode.FAILED, ExitCode.USAGE)))


class OrderApp(App[int]):
    """orderupd-tui's app, on an open :class:`Session`."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    TITLE = "orderupd-tui"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help"),
        Binding("s", "poll", "Poll", id="poll"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("t", "change_theme", "Theme", show=False, id="theme"),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True,
                id="command_palette"),
    ]

    def __init__(
        self,
        session: Session,
        *,
        demo: bool = False,
        clock: Callable[[], datetime] | None = None,
        cursor_blink: bool = True,
        watch_every: float = WATCH_EVERY,
        theme_file: Path | None = None,
    ) -> None:
        """``theme_file`` is where a theme chosen in the app is saved and read back (None:
        neither, as in tests that do not ask for it)."""
        super().__init__()
        self.session = session
        self.settings: Settings = session.settings
        self.inbox = Inbox(session.db)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.cursor_blink = cursor_blink
        self.status = PollStatus()
        self.context = Context(self.inbox, self.status,
                               open_entries=partial(setaside.open_entries, session),
                               stores=tuple(s.name for s in self.settings.stores),
                               secrets=tuple(self.settings.secrets()),
                               cursor_blink=cursor_blink)
        self._timer: Timer | None = None
        self._batch_running = False
        self.store_lock = threading.Lock()
        self.receivers: list[MalsReceiver] = []
        self.watch_every = watch_every
        self._watch: ChangeWatch | None = None
        if demo:
            self.sub_title = "demo"
        self.theme_file = theme_file
        self._theme_lock = threading.Lock()
        chosen = self.settings.theme or (saved_theme(theme_file) if theme_file else None)
        if chosen in self.available_themes:  # a saved name a newer Textual dropped is ignored
            self.theme = chosen
        self._saved_theme = self.theme

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.context)

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._apply_keymap()
        self._start_receivers()
        # After the first frame: the panes' rows are read first.
        self.call_after_refresh(in_background, self, self.context, "stores",
                                lambda: StoresLoaded(self.inbox.stores()))
        self.call_after_refresh(self._count_set_aside)
        if self.watch_every > 0:
            self._watch = ChangeWatch(self.session.db)
            self.set_interval(self.watch_every, self._look_for_changes)
        if self.settings.poll_interval > 0 and self.settings.stores:
            self.start_poll()
        self.show_status()

    def on_stores_loaded(self, message: StoresLoaded) -> None:
        """Each store's last poll and error as recorded (by this or another process)."""
        configured = {s.name for s in self.settings.stores}
        for state in message.stores:
            if state.name in configured:  # another process's poll may have set or cleared it
                self.status.stores[state.name] = StoreStatus(state.name, state.last_error)
            if state.last_poll_at and (self.status.last is None
                                       or state.last_poll_at > self.status.last):
                self.status.last = state.last_poll_at
        self.show_status()

    def on_load_failed(self, message: LoadFailed) -> None:
        self.notify(message.error, title="database", severity="error", timeout=8)

    def _start_receivers(self) -> None:
        """Mal's pushes its orders: listen while the app runs; a busy port is a notice."""
        for receiver in make_receivers(self.settings.stores):
            try:
                receiver.start()
            except StoreError as exc:
                self.notify(str(exc), severity="warning", timeout=10)
                continue
            self.receivers.append(receiver)

    def on_unmount(self) -> None:
        for receiver in self.receivers:
            receiver.stop()
        if self._watch is not None:
            self._watch.close()

    def _look_for_changes(self) -> None:
        """Another reviewer or a daemon may have written: look (cheaply) in a worker."""
        watch = self._watch
        if watch is None:
            return
        in_background(self, self.context, "watch",
                      lambda: ExternalChange() if watch.changed() else None)

    def on_external_change(self, message: ExternalChange) -> None:
        self.broadcast_change()
        self._count_set_aside()
        in_background(self, self.context, "stores",
                      lambda: StoresLoaded(self.inbox.stores()))

    def _apply_keymap(self) -> None:
        """The config's ``keys:`` section, by binding id; unknown ids are named, not fatal."""
        keymap = dict(self.settings.keys)
        known = {b.id for _, bindings in self.key_sections() for b in bindings if b.id}
        unknown = sorted(set(keymap) - known)
        if unknown:
            self.notify(f"keys: no action named {', '.join(unknown)} (see ? for the names)",
                        severity="warning", timeout=10)
        self.set_keymap({k: v for k, v in keymap.items() if k in known})

    # -- theme --------------------------------------------------------------------------

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """``$pending-foreground``: pending rows' text, midway in contrast between the theme's
        text and its background (``tui.contrast``); the terminal's own in ANSI themes."""
        colours = self.current_theme.to_color_system().generate()
        text, background = colours["foreground"], colours["surface"]
        if "ansi" in text or "ansi" in background:
            return {"pending-foreground": text}
        return {"pending-foreground": midway(Color.parse(text), Color.parse(background)).hex}

    def _theme_changed(self, theme: Theme) -> None:
        """Save a theme chosen in the app (in a worker: a file write may wait on a disk)."""
        if self.theme_file is None or theme.name == self._saved_theme:
            return
        self._saved_theme = theme.name
        if self.settings.theme and theme.name != self.settings.theme:
            self.notify(f"theme {theme.name} saved; the config's theme: {self.settings.theme} "
                        "still applies at the next start", timeout=6)
        self.run_worker(self._save_theme, thread=True, group="theme", exit_on_error=False)

    def _save_theme(self) -> None:
        """Write the current theme; under a lock, so the last one chosen is the one kept."""
        assert self.theme_file is not None
        with self._theme_lock:
            try:
                save_theme(self.theme_file, self.theme)
            except OSError as exc:
                self.call_from_thread(self.notify, f"could not save the theme: {exc}",
                                      severity="warning")

    # -- status -------------------------------------------------------------------------

    def show_status(self) -> None:
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.show(self.status)

    def broadcast_change(self) -> None:
        for screen in self.screen_stack:
            screen.post_message(DataChanged())

    # -- orders set aside ---------------------------------------------------------------

    def _count_set_aside(self) -> None:
        session = self.session
        in_background(self, self.context, "set-aside-count",
                      lambda: SetAsideCounted(setaside.open_count(session)))

    def on_set_aside_counted(self, message: SetAsideCounted) -> None:
        self.status.set_aside = message.count
        self.show_status()

    def on_dismiss_requested(self, message: DismissRequested) -> None:
        """Dismiss a set-aside entry (from the Errors view) in a worker; says how it went."""
        session, entry, ref, reason = self.session, message.entry_id, message.ref, message.reason

        def run() -> SetAsideDismissed:
            try:
                setaside.dismiss(session, str(entry), reason, session.actor)
            except (setaside.NotSetAside, ValueError) as exc:
                return SetAsideDismissed(ref, str(exc))
            return SetAsideDismissed(ref)

        in_background(self, self.context, "dismiss", run)

    def on_set_aside_dismissed(self, message: SetAsideDismissed) -> None:
        if message.error:
            self.notify(message.error, severity="warning", timeout=8)
        else:
            self.notify(f"{message.ref} dismissed; it is no longer retried", timeout=5)
        self._count_set_aside()
        self.broadcast_change()

    # -- polling ------------------------------------------------------------------------

    def action_poll(self) -> None:
        if self.status.running:
            self.notify("already polling", timeout=3)
            return
        if not self.settings.stores:
            self.notify("no stores are configured", severity="warning")
            return
        self.start_poll()

    def start_poll(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.status.running = True
        self.status.next = None
        self.status.progress = "polling…"
        self.show_status()
        self._poll()

    @work(thread=True, group="poll", exit_on_error=False)
    def _poll(self) -> None:
        try:
            with self.store_lock:
                results = sync.poll_once(self.session, progress=self._poll_progress)
            self.post_message(PollFinished(results))
        except Exception:
            self.post_message(PollFinished(error=log_unexpected(self.settings.secrets())))
        finally:
            self.session.db.close()

    def _poll_progress(self, store: str, pages: int, orders: int) -> None:
        self.post_message(PollProgress(store, pages, orders))

    def on_poll_progress(self, message: PollProgress) -> None:
        self.status.progress = (f"polling {message.store}: page {message.pages}, "
                                f"{message.orders:,} orders")
        self.show_status()

    def on_poll_finished(self, message: PollFinished) -> None:
        self.status.running = False
        self.status.progress = ""
        self.status.last = self.clock()
        if message.error:
            self.notify(message.error, title="poll failed", severity="error")
        found = [(r.name, r.errors) for r in message.results]
        if message.results.books is not None:
            found.append(("books", message.results.books.errors))
        for name, errors in found:
            store = self.status.stores.setdefault(name, StoreStatus(name))
            error = "; ".join(errors) or None
            if error and error != store.error:
                self.notify(error, title=name, severity="error", timeout=8)
            store.error = error
        if any(r.new or r.updated for r in message.results) or message.error is None:
            self.broadcast_change()
        self._count_set_aside()
        if self.settings.poll_interval > 0:
            interval = self.settings.poll_interval
            self.status.next = self.clock() + timedelta(seconds=interval)
            self._timer = self.set_timer(interval, self.start_poll)
        self.show_status()

    # -- batch actions ------------------------------------------------------------------

    def on_action_requested(self, message: ActionRequested) -> None:
        """A screen asked for an action: look its orders up in a worker, then confirm."""
        if self._batch_running:
            self.notify("a batch is still running; wait for it to finish", severity="warning")
            return
        action, order_ids, inbox = message.action, message.order_ids, self.inbox

        def read() -> TargetsReady:
            targets = inbox.targets(order_ids)
            resolved = (inbox.resolutions(t.id for t in targets if not t.pending)
                        if action in REVIEW else {})
            return TargetsReady(action, targets, resolved)

        in_background(self, self.context, "targets", read)

    def on_targets_ready(self, message: TargetsReady) -> None:
        """The confirmation; an order someone else resolved meanwhile is named as such."""
        action, targets = message.action, message.targets
        if action in REVIEW:
            gone = [t for t in targets if not t.pending]
            targets = [t for t in targets if t.pending]
            if gone:
                said = named([(t.ref, f"was {message.resolved[t.id]}" if t.id in message.resolved
                               else "has no pending update") for t in gone])
                self.notify(said if targets else f"nothing to {action.verb}: {said}",
                            severity="warning", timeout=8)
        if action == Action.UNCANCEL:
            refused = [(t, review.uncancel_refusal(t.local_status, t.order_status))
                       for t in targets]
            targets = [t for t, why in refused if why is None]
            said = named([(t.ref, why) for t, why in refused if why is not None])
            if said:
                self.notify(said if targets else f"nothing to un-cancel: {said}",
                            severity="warning", timeout=8)
        if not targets or self._batch_running:
            return
        on_reset = self.settings.accounting.on_reset

        def confirmed(choice: str | None) -> None:
            if choice is None:
                return
            reset = choice if choice in (OnReset.VOID, OnReset.KEEP) else None
            refs = [str(t.id) for t in targets]
            self.start_batch(action, targets, partial(
                review.review, self.session, refs, action, confirmed=True, reset=reset,
                void=posting.void_in_books, seen={str(t.id): t.seen for t in targets}))

        self.push_screen(ConfirmScreen(action, targets, on_reset,
                                       self.settings.accounting.backend), confirmed)

    def on_post_requested(self, message: PostRequested) -> None:
        """``p``: work out what posting these orders would do, then confirm (see on_plan_ready)."""
        order_ids = message.order_ids
        if not self.session.has_books:
            self.notify("posting is off: the accounting backend is 'none' in the config",
                        severity="warning")
            return
        if self._batch_running:
            self.notify("a batch is still running; wait for it to finish", severity="warning")
            return
        self._batch_running = True
        self.status.batch = f"checking {plural(len(order_ids), 'order')} for posting…"
        self.show_status()
        self._plan_post(order_ids)

    @work(thread=True, group="batch", exit_on_error=False)
    def _plan_post(self, order_ids: list[int]) -> None:
        try:
            self.post_message(PlanReady(plan_post(self.inbox, order_ids)))
        except Exception:
            self.post_message(PlanReady(None, error=log_unexpected(self.settings.secrets())))
        finally:
            self.session.db.close()

    def on_plan_ready(self, message: PlanReady) -> None:
        """The posting confirmation; when nothing could be posted, only a notification."""
        self._batch_running = False
        self.status.batch = ""
        self.show_status()
        plan = message.plan
        if plan is None:
            self.notify(message.error or "could not check the orders", severity="error")
            return
        if not plan.ready and not plan.can_force:
            if plan.refused:
                self.notify("nothing to post: " + named(plan.refused), severity="warning",
                    timeout=10)
            return

        def confirmed(choice: str | None) -> None:
            if choice is not None:
                self.start_post(plan, force=choice == "force")

        self.push_screen(PostConfirmScreen(plan, self.settings.accounting.backend), confirmed)

    def start_post(self, plan: PostPlan, *, force: bool) -> None:
        """Post every order asked for: the service refuses the ones it must, and says why."""
        self.start_batch(Action.POST, plan.targets,
                         partial(posting.post, self.session, plan.refs, force=force))

    def start_batch(self, action: Action, targets: list[Target],
                    run: Callable[..., review.BatchResult]) -> None:
        """Run ``run(progress=…)`` on these orders in the batch worker."""
        self._batch_running = True
        self.status.batch = f"{action.doing} {plural(len(targets), 'order')}…"
        self.show_status()
        self._batch(action, targets, run)

    @work(thread=True, group="batch", exit_on_error=False)
    def _batch(self, action: Action, targets: list[Target],
               run: Callable[..., review.BatchResult]) -> None:
        ids = [t.id for t in targets]
        by_ref = {t.ref: t.id for t in targets} | {str(t.id): t.id for t in targets}

        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY or done == total:
                last[0] = now
                self.post_message(BatchProgress(action, done, total))

        try:
            with self.store_lock:
                result = run(progress=progress)
            failed = {by_ref[o.ref] for o in result.outcomes if not o.ok and o.ref in by_ref}
            self.post_message(BatchFinished(result, failed, ids))
        except Exception:
            error = log_unexpected(self.settings.secrets())
            self.post_message(BatchFinished(None, set(ids), ids, error=error))
        finally:
            self.session.db.close()

    def on_batch_progress(self, message: BatchProgress) -> None:
        done, total = message.done, message.total
        filled = round(10 * done / total) if total else 10
        self.status.batch = (f"{message.action.doing} {done:,}/{total:,} "
                             f"{'█' * filled}{'░' * (10 - filled)}")
        self.show_status()

    def on_batch_finished(self, message: BatchFinished) -> None:
        self._batch_running = False
        self.status.batch = ""
        if message.result is None:
            self.notify(message.error or "the batch failed", severity="error")
        else:
            failed = bool(message.failed)
            self.notify(short_summary(message.result),
                        severity="warning" if failed else "information",
                        timeout=10 if failed else 5)
        for screen in self.screen_stack:
            screen.post_message(BatchDone(message.failed, message.acted))
        self.broadcast_change()
        self.show_status()

    # -- help, palette, errors ----------------------------------------------------------

    def key_sections(self) -> list[tuple[str, list[Binding]]]:
        """Every binding of every screen, for the help screen and the keymap check."""

        def bindings(owner: type) -> list[Binding]:
            return [b for b in getattr(owner, "BINDINGS", []) if isinstance(b, Binding)]

        return [
            ("Everywhere", bindings(OrderApp)),
            ("Inbox and Updates", bindings(MainScreen)),
            ("Moving in a pane", bindings(VirtualTable)),
            ("Order detail", bindings(DetailScreen)),
            ("Orders set aside", bindings(ErrorsScreen)),
            ("Confirmation", bindings(ConfirmScreen)),
            ("Confirm posting", bindings(PostConfirmScreen)),
            ("Help", bindings(HelpScreen)),
        ]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.key_sections(), self.settings.keys,
                                        self.settings.stores))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette offers every action that applies on this screen, with its key."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for node, binding, enabled, _tooltip in screen.active_bindings.values():
            if not enabled or not binding.id or not binding.description:
                continue  # Textual's own focus and copy keys have no id: not ours to offer
            if binding.description in seen or binding.action == "command_palette":
                continue
            seen.add(binding.description)
            yield SystemCommand(binding.description,
                                f"key {self.get_key_display(binding)}",
                                partial(self.run_action, binding.action, node))


def short_summary(result: review.BatchResult) -> str:
    """``3 posted, 1 refused: shop:1004 has a pending update…; 2 failed: …``, at most a few
    orders named (the rest stay marked, to be looked at or retried)."""
    parts = [f"{sum(o.ok for o in result.outcomes)} {Action(result.action).past}"]
    for word, codes in NOT_DONE:
        bad = [(o.ref, o.message) for o in result.outcomes if o.code in codes]
        if bad:
            parts.append(f"{len(bad)} {word}: {named(bad)}")
    return ", ".join(parts[:2]) + "".join(f"; {p}" for p in parts[2:])


def named(refused: list[tuple[str, str]]) -> str:
    """Each ``(ref, why)`` on one line, orders with the same why together, a few named.

    ``a`` on 128 marks with nothing pending must read as one reason, not a
    hundred copies of it; the orders not named stay marked, to look at.
    """
    by_why: dict[str, list[str]] = {}
    for ref, why in refused:
        by_why.setdefault(why, []).append(ref)
    parts = []
    for why, refs in by_why.items():
        if len(refs) == 1:
            parts.append(f"{refs[0]} {why}")
            continue
        more = len(refs) - NAMED_PER_REASON
        shown = ", ".join(refs[:NAMED_PER_REASON]) + (f" and {more:,} more" if more > 0 else "")
        each = "each " if why.split(" ", 1)[0] in VERBS else ""  # "…: each has no update"
        parts.append(f"{shown}: {each}{why}" + (" (still marked)" if more > 0 else ""))
    if len(parts) <= SUMMARY_FAILURES:
        return "; ".join(parts)
    return (f"{'; '.join(parts[:SUMMARY_FAILURES])}; … and "
            f"{len(parts) - SUMMARY_FAILURES} more (still marked)")


def run_app(settings: Settings, demo: bool = False) -> int:
    """Open the session and run the app until the reviewer quits; returns the exit code."""
    with Session(settings) as session:
        app = OrderApp(session, demo=demo, theme_file=paths.app_state_file())
        app.run()
    return app.return_code or ExitCode.OK

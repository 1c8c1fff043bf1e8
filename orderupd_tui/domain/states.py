"""Every state and action word the program stores, compares or prints, as one enum each.

They are ``StrEnum``s: each member *is* its string (``UpdateStatus.PENDING
== "pending"``), so the database, the JSON output and the config keep the
words DESIGN §6 fixes, while the code gets one spelling, one list of
members and one past tense per action instead of copies in every module.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class UpdateStatus(StrEnum):
    """Where a detected update stands (``updates --json`` ``status``)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    IGNORED = "ignored"
    CANCELLED = "cancelled"


class UpdateSource(StrEnum):
    """Who changed the order: its store, the books, or someone here."""

    STORE = "store"
    ACCOUNTING = "accounting"
    LOCAL = "local"


class LocalStatus(StrEnum):
    """The order's own state here: a local cancel is never posted."""

    ACTIVE = "active"
    CANCELLED = "cancelled"


class AccountingState(StrEnum):
    """An order's state in the books (``orders --json`` ``accounting.state``)."""

    UNPOSTED = "unposted"
    POSTED = "posted"
    ERROR = "error"
    UNKNOWN = "unknown"  # the answer to a create was lost: settled by the next post or poll


class PostingState(StrEnum):
    """One posting row's state, from written-before-sending to settled."""

    PENDING = "pending"  # written, not yet sent or answered
    POSTED = "posted"
    UNKNOWN = "unknown"
    FAILED = "failed"
    DETACHED = "detached"  # a reset unposted the order; the document stays in the books
    VOIDED = "voided"
    MISSING = "missing"  # the books no longer have the document


class BooksState(StrEnum):
    """What the books hold for an order, as its row shows it: its accounting state, and
    what a reset left there (a kept document still counts in the books)."""

    UNPOSTED = "unposted"
    POSTED = "posted"
    KEPT = "kept"  # a detached posting: reposting is blocked until it is voided or forced
    VOIDED = "voided"
    UNKNOWN = "unknown"
    ERROR = "error"

    @classmethod
    def of(cls, accounting: str, *, kept: bool, voided: bool) -> BooksState:
        """The state to show; an order posted (or in doubt) again shows that first, then a
        kept document, which blocks a repost whatever the last attempt did."""
        if accounting in (AccountingState.POSTED, AccountingState.UNKNOWN):
            return cls(accounting)
        if kept:
            return cls.KEPT
        if accounting == AccountingState.ERROR:
            return cls.ERROR
        return cls.VOIDED if voided else cls.UNPOSTED


class Action(StrEnum):
    """What a reviewer (or a rule) does to orders; each knows its tenses."""

    ACCEPT = "accept"
    IGNORE = "ignore"
    CANCEL = "cancel"
    REFRESH = "refresh"
    POST = "post"
    RECONCILE = "reconcile"
    #: Undo a local cancel: the order is active again (an order its store cancelled is not).
    UNCANCEL = "uncancel"

    @property
    def verb(self) -> str:
        """``nothing to un-cancel``: the word people read, where the value is a CLI verb."""
        return _VERB.get(self, self.value)

    @property
    def past(self) -> str:
        """``3 accepted``."""
        return _PAST[self]

    @property
    def doing(self) -> str:
        """``accepting 3 orders…``."""
        return _DOING[self]

    @property
    def resets_books(self) -> bool:
        """Whether doing it to a posted order resets the order's accounting state."""
        return self in RESETTING


_VERB = {Action.UNCANCEL: "un-cancel"}
_PAST = {Action.ACCEPT: "accepted", Action.IGNORE: "ignored", Action.CANCEL: "cancelled",
         Action.REFRESH: "refreshed", Action.POST: "posted", Action.RECONCILE: "settled",
         Action.UNCANCEL: "un-cancelled"}
_DOING = {Action.ACCEPT: "accepting", Action.IGNORE: "ignoring", Action.CANCEL: "cancelling",
          Action.REFRESH: "refreshing", Action.POST: "posting", Action.RECONCILE: "settling",
          Action.UNCANCEL: "un-cancelling"}
#: The actions that resolve a pending update.
REVIEW: frozenset[Action] = frozenset({Action.ACCEPT, Action.IGNORE, Action.CANCEL})
#: The actions that reset a posted order's accounting state.
RESETTING: frozenset[Action] = frozenset({Action.ACCEPT, Action.CANCEL, Action.REFRESH})
#: What each review action leaves the update as.
CLOSED_AS = {Action.ACCEPT: UpdateStatus.ACCEPTED, Action.IGNORE: UpdateStatus.IGNORED,
             Action.CANCEL: UpdateStatus.CANCELLED}


class RuleAction(StrEnum):
    """What an ``updates.rules`` entry does; ``review`` leaves the update for a person."""

    ACCEPT = "accept"
    IGNORE = "ignore"
    CANCEL = "cancel"
    REVIEW = "review"


class PostedMatch(StrEnum):
    """A rule's ``posted:``: whether it matches posted orders (never, only, or both)."""

    NO = "false"
    YES = "true"
    ANY = "any"


class OnReset(StrEnum):
    """``accounting.on_reset``: what resetting a posted order does to its document."""

    ASK = "ask"
    VOID = "void"
    KEEP = "keep"


class ExitCode(IntEnum):
    """The program's exit codes (DESIGN §6)."""

    OK = 0
    FAILED = 1  # operational: a store or the books unreachable, a poll error
    USAGE = 2  # usage or config
    REFUSED = 3  # refused for safety
    INTERRUPTED = 130  # Ctrl+C, as shells report SIGINT

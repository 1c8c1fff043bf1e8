"""Automatic resolution of detected updates, as configured under ``updates.rules``.

A rule matches when every change kind of the update is among the rule's
kinds.  Posted orders are matched only by rules that say so, because an
automatic accept or cancel of a posted order touches the books.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from orderupd_tui.domain.states import PostedMatch, RuleAction

ACTIONS = tuple(RuleAction)
POSTED_MATCH = tuple(PostedMatch)


@dataclass(frozen=True)
class Rule:
    """One ``updates.rules`` entry; ``index`` is its place in the list, for the event actor."""

    index: int
    kinds: frozenset[str]
    action: str
    posted: str = PostedMatch.NO

    def __post_init__(self) -> None:
        # Given as the config's words; held as the enums they are (an unknown word is an error).
        object.__setattr__(self, "action", RuleAction(self.action))
        object.__setattr__(self, "posted", PostedMatch(self.posted))

    def matches(self, kinds: Iterable[str], posted: bool) -> bool:
        if self.posted == PostedMatch.NO and posted:
            return False
        if self.posted == PostedMatch.YES and not posted:
            return False
        return set(kinds) <= self.kinds

    @property
    def actor(self) -> str:
        return f"rule:{self.index}"


def choose(rules: Sequence[Rule], kinds: Iterable[str], posted: bool) -> Rule | None:
    """The first rule that matches, or ``None`` when the update goes to review."""
    wanted = list(kinds)
    for rule in rules:
        if rule.matches(wanted, posted):
            return rule
    return None

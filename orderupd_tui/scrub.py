"""Masking secrets in text meant for people and logs: one rule for every message.

A secret of 8 characters or more is masked wherever it appears.  A shorter
one is not a plausible credential, and masking every occurrence of it
would blot out ordinary words (a one-letter token would mask that letter
everywhere), so it is masked only where it stands as a whole value,
between characters that cannot be part of a token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
PLAUSIBLE = 8
"""The shortest secret masked inside other text."""

_TOKEN_CHAR = r"A-Za-z0-9_\-.~+/"


class Scrubber:
    """Masks a fixed set of secrets; longest first, so a secret inside another goes whole."""

    def __init__(self, secrets: Iterable[str]) -> None:
        found = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._long = [s for s in found if len(s) >= PLAUSIBLE]
        short = [s for s in found if len(s) < PLAUSIBLE]
        self._short = (
            re.compile(rf"(?<![{_TOKEN_CHAR}])(?:{'|'.join(map(re.escape, short))})"
                       rf"(?![{_TOKEN_CHAR}])")
            if short else None
        )

    def __call__(self, text: str) -> str:
        for secret in self._long:
            text = text.replace(secret, MASK)
        if self._short is not None:
            text = self._short.sub(MASK, text)
        return text


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with ``secrets`` masked (see the module's rule for short ones)."""
    return Scrubber(secrets)(text)

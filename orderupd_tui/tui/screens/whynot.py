"""Screens whose every key acts or says in one line why not, and whose Footer offers only
what applies.

Textual's own way, ``check_action`` answering False or None, hides or greys
a key and then drops it when pressed: a key that does nothing and says
nothing, which a reviewer reads as a broken key or a lost keystroke.  Here
a screen answers :meth:`WhyNotScreen.why_not` (the one line a key says when
it cannot act) and :meth:`WhyNotScreen.offers` (whether the Footer and the
palette show it); :attr:`WhyNotScreen.active_bindings` leaves out what is
not offered, while the key stays bound and its action asks
:meth:`WhyNotScreen.refused` first.
"""

from __future__ import annotations

from textual.actions import parse
from textual.binding import ActiveBinding
from textual.screen import Screen


class WhyNotScreen(Screen[None]):
    """A screen that says why a key cannot act, and offers only the keys that can."""

    def why_not(self, action: str, parameters: tuple[object, ...]) -> str | None:
        """The one line a key of this screen says when it cannot act now; None when it can."""
        return None

    def offers(self, action: str, parameters: tuple[object, ...]) -> bool:
        """Whether the Footer and the palette offer the key now.  A key the App may still
        refuse after reading the database (an order with nothing to accept) is pressable,
        and says why then, but need not be offered."""
        return self.why_not(action, parameters) is None

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """Textual's, less this screen's keys that it does not offer now."""
        return {key: active for key, active in super().active_bindings.items()
                if active.node is not self
                or self.offers(*parse(active.binding.action)[1:])}

    def refused(self, action: str, *parameters: object) -> bool:
        """Say why not, if the key cannot act; True when it said so."""
        why = self.why_not(action, parameters)
        if why is not None:
            self.notify(why, timeout=4)
        return why is not None

"""The colour of pending (dimmed) rows, worked out from each theme's own text and background.

The terminal's dim (SGR 2) leaves the colour to the terminal, and in a
light theme it made pending and normal text nearly alike (xterm grey 245
against 241, 1.77:1).  So pending rows get a colour of their own: the one on the line
from the background to the text colour whose WCAG contrast with each is the
same, the square root of the theme's own text contrast.  No colour can do
better on both counts, since the two ratios multiply to that contrast; in
the built-in theme with the least of it (solarized-dark, 4.11:1) each is
still about 2:1.  ANSI themes use the terminal's own colours, which the app
cannot know: there pending rows keep the terminal's dim (see ``app.tcss``).
"""

from __future__ import annotations

from textual.color import Color

#: Halvings of the blend interval: far finer than a colour's 8-bit channels.
STEPS = 24


def luminance(color: Color) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(color.r) + 0.7152 * linear(color.g) + 0.0722 * linear(color.b)


def contrast(one: Color, other: Color) -> float:
    """WCAG 2 contrast ratio, from 1 (the same) to 21 (black on white)."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def midway(text: Color, background: Color) -> Color:
    """The blend of ``background`` towards ``text`` that contrasts equally with both."""
    low, high = 0.0, 1.0
    for _ in range(STEPS):
        middle = (low + high) / 2
        blend = background.blend(text, middle)
        if contrast(blend, background) < contrast(text, blend):
            low = middle
        else:
            high = middle
    return background.blend(text, (low + high) / 2)

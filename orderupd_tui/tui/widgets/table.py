"""A virtual table over a database listing, drawn line by line through Textual's Line API.

Only the rows on screen are ever drawn, and only a window of rows around
them is held.  The table never reads the database itself: a row it does
not hold draws as a placeholder, and the table posts :class:`RowsWanted`
with the window it has; its screen grows that window in a worker (the
page after or before the rows held, by key, so moving through a million
orders costs one small indexed query a page) and hands the new window
back.  Keys therefore always repaint at once, whatever the database's
distance.  The scrollbar's thumb is sized by the listing's count; a key
that needs the exact count (End, the scrollbar) acts on what is known and
again when :class:`CountWanted` has been answered.

When the data changes underneath (a poll, a batch), the screen builds the
new listing in a worker around the cursor's row and :meth:`VirtualTable.show`
puts the cursor and the view back on the same order.

The count the table goes by is never made up: until the exact count
arrives it is the rows known to exist (a read that came back short has
found the end, which makes it exact), and whenever the count changes the
cursor and the view are brought back inside it.

Keys: the table never queues a key of its own.  Textual hands each key to
the focused widget's queue as it arrives; with two tables and a filter
line taking focus in turn, keys sent in a burst would land in different
queues and be handled out of order.  :func:`keys_to_screen` puts them all
in the screen's one queue instead (see ``MainScreen.on_key``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from time import perf_counter
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from orderupd_tui.services.inbox import Listing
from orderupd_tui.tui.widgets.columns import MARK_GLYPH, Column, layout

#: Rows fetched per query beyond what the screen needs, so most moves hit the window.
PAGE = 100
#: The most rows held at once; the window is trimmed around the screen beyond that.
MAX_WINDOW = 1000
#: Rows either side of the screen asked for ahead of need.
PREFETCH = PAGE // 2
#: What a row still being fetched shows.
PLACEHOLDER = "…"


def keys_to_screen(widget: Widget, event: events.Event) -> bool:
    """Queue a key Textual forwards to ``widget`` on its screen instead; False for any other
    event.  Called as the key arrives, so every key of the screen is queued in arrival order."""
    if not isinstance(event, events.Key):
        return False
    event._set_forwarded()
    widget.screen.post_message(event)
    return True


class Window:
    """A contiguous run of a listing's rows, with the position of the first.

    A window never changes once made: :meth:`grown` (which reads the
    database, so it runs in a worker) returns a new one, and the table
    swaps it in on the main thread if it still shows the window it grew.
    """

    def __init__(self, listing: Listing, start: int = 0, rows: Sequence[Any] = ()) -> None:
        self.listing = listing
        self.start = start
        self.rows: list[Any] = list(rows)

    @property
    def end(self) -> int:
        return self.start + len(self.rows)

    def get(self, position: int) -> Any | None:
        if self.start <= position < self.end:
            return self.rows[position - self.start]
        return None

    def holds(self, first: int, last: int, total: int) -> bool:
        """Whether every row in ``[first, last)`` (clipped to ``total``) is here."""
        first, last = max(0, first), min(total, last)
        return first >= last or (self.start <= first and last <= self.end)

    def grown(self, first: int, last: int, total: int, exact: bool) -> Window:
        """A window holding ``[first, last)``: a keyset page next to this one when it is
        near, else the rows at that position (from the nearer end when ``total`` is exact)."""
        first, last = max(0, first), min(total, last)
        if self.holds(first, last, total):
            return self
        listing = self.listing
        start, rows = self.start, list(self.rows)
        if rows and start <= first <= self.end:
            asked = last - self.end + PAGE
            more = listing.after(rows[-1].key, asked)
            rows.extend(more)
            if len(more) < asked:
                listing.found_end(start + len(rows))
        elif rows and start <= last <= self.end:
            more = listing.before(rows[0].key, start - first + PAGE)
            rows[:0] = more
            start -= len(more)
        elif first < PAGE:
            rows, start = listing.after(None, last + PAGE), 0
            if len(rows) < last + PAGE:
                listing.found_end(len(rows))
        elif exact and last > total - PAGE:
            rows = listing.before(None, total - first + PAGE)
            start = total - len(rows)
        else:
            rows, start = listing.at(first, last - first + PAGE), first
        return Window(listing, start, rows).trimmed(first, last)

    def trimmed(self, first: int, last: int) -> Window:
        if len(self.rows) <= MAX_WINDOW:
            return self
        keep_from = max(self.start, min(first - PAGE, self.end - MAX_WINDOW))
        keep_to = min(self.end, keep_from + MAX_WINDOW)
        return Window(self.listing, keep_from,
                      self.rows[keep_from - self.start:keep_to - self.start])


class VirtualTable(Widget, can_focus=True):
    """A keyboard-driven table of a :class:`Listing`: cursor, marks, and a fixed header line.

    It scrolls itself (``top`` is the first row shown) and draws its own
    one-column scrollbar, rather than use Textual's ``ScrollView``: a new
    filter changes the row count on every keystroke, and a virtual size
    change costs a layout of the whole screen and a second frame, where a
    repaint of this widget is enough.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Down", show=False, id="cursor_down"),
        Binding("up,k", "cursor_up", "Up", show=False, id="cursor_up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="page_up"),
        Binding("home,g", "first", "First row", show=False, id="first_row"),
        Binding("end,G", "last", "Last row", show=False, id="last_row"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "table--header",
        "table--sorted",
        "table--cursor",
        "table--pending",
        "table--cancelled",
        "table--marked",
        "table--glyph",
        "table--cancelled-glyph",
        "table--posted",
        "table--warning",
        "table--scrollbar",
        "table--scrollbar-thumb",
    }

    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        & > .table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .table--sorted { text-style: bold underline; background: $panel; color: $accent; }
        & > .table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .table--pending { text-style: dim; }
        & > .table--cancelled { text-style: strike; color: $text-error; }
        & > .table--marked { text-style: bold; color: $text-accent; }
        & > .table--glyph { color: $text-warning; text-style: bold; }
        & > .table--cancelled-glyph { color: $text-error; text-style: bold; }
        & > .table--posted { color: $text-success; }
        & > .table--warning { color: $text-warning; text-style: bold; }
        & > .table--scrollbar { background: $scrollbar-background; color: $scrollbar; }
        & > .table--scrollbar-thumb { background: $scrollbar-background; color: $scrollbar; }
    }
    """

    def __init__(
        self,
        columns: Sequence[Column],
        marks: set[int],
        order_id: Callable[[Any], int],
        *,
        row_style: Callable[[Any], tuple[str, ...]] = lambda row: (),
        empty: str = "nothing here",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.columns = tuple(columns)
        self.marks = marks
        self.order_id = order_id
        self.row_style = row_style
        self.empty = empty
        self.cursor = 0
        self.top = 0
        self.total = 0
        self.total_exact = True
        self._window: Window | None = None
        #: The rows asked for and not yet arrived, so one gap is asked for once.
        self._asked: tuple[int, int] | None = None
        #: What to do once the exact count arrives (End before the count was known).
        self._after_count: Callable[[], None] | None = None
        self._widths: list[int] = []
        self._widths_for = -1
        self._style_cache: dict[tuple[str | None, ...], Style] = {}
        #: Drawn rows by (row id, cursor on it, marked): scrolling redraws few new ones.
        self._strips: dict[tuple[int, bool, bool], Strip] = {}
        #: perf_counter() of the first paint with rows, for the benchmark.
        self.first_paint: float | None = None

    # -- data ---------------------------------------------------------------------------

    class RowsWanted(Message):
        """Rows ``[first, last)`` are on screen but not held: the screen fetches them."""

        def __init__(self, table: VirtualTable, base: Window, first: int, last: int) -> None:
            super().__init__()
            self.table = table
            self.base = base
            self.first = first
            self.last = last

    class CursorMoved(Message):
        """The cursor is on another row: what the keys can do may have changed."""

        def __init__(self, table: VirtualTable) -> None:
            super().__init__()
            self.table = table

    class CountWanted(Message):
        """A key needs the listing's exact count (End, the scrollbar) before it can act fully."""

        def __init__(self, table: VirtualTable, listing: Listing) -> None:
            super().__init__()
            self.table = table
            self.listing = listing

    @property
    def listing(self) -> Listing | None:
        return self._window.listing if self._window else None

    @property
    def fetching(self) -> bool:
        """Whether rows on screen are still being fetched (they draw as placeholders)."""
        return self._asked is not None

    def show(self, window: Window, cursor: int = 0, screen_line: int = 0) -> None:
        """Show a listing, whose first rows ``window`` holds, with the cursor at ``cursor``."""
        self._window = window
        self._asked = None
        self._after_count = None
        self._set_total(window.listing)
        self.cursor = max(0, min(cursor, self.total - 1))
        self.top = 0
        self._set_top(self.cursor - screen_line)
        self._repaint()

    def cursor_anchor(self) -> tuple[Any | None, int]:
        """The cursor's row (if held) and its screen line, for a reload to keep them."""
        return self.current_row, self.cursor - self.top

    def rows_loaded(self, base: Window, window: Window) -> None:
        """Rows asked for arrived; kept only if the table still shows the window they grew."""
        if self._window is not base:
            return
        self._window = window
        self._asked = None
        if not self.total_exact:
            self._set_total(window.listing)
            self._keep_inside()
        self.refresh()

    def count_ready(self, listing: Listing) -> None:
        """The listing's exact count arrived (it was computed in the background)."""
        if self.listing is listing:
            self._set_total(listing)
            self._keep_inside()
            then, self._after_count = self._after_count, None
            if then is not None:
                then()
            self._repaint()

    def _set_total(self, listing: Listing) -> None:
        self.total_exact = listing.total is not None
        self.total = listing.total if listing.total is not None else listing.lower_bound
        if not self.total_exact:
            # Until the count arrives, the rows known to exist: never a guess.
            window = self._window
            self.total = max(self.total, window.end if window else 0)

    def _keep_inside(self) -> None:
        """The count changed: the cursor and the view stay on rows that exist."""
        cursor = max(0, min(self.cursor, self.total - 1))
        if cursor != self.cursor:
            self.cursor = cursor
            self.post_message(self.CursorMoved(self))
        self._set_top(self.top)
        self._scroll_cursor_into_view()

    def _exact_total(self, then: Callable[[], None]) -> None:
        """Do ``then`` now, and again once the exact count is known if it is still coming."""
        then()
        if not self.total_exact and self.listing is not None:
            self._after_count = then
            self.post_message(self.CountWanted(self, self.listing))

    @property
    def current_row(self) -> Any | None:
        return self._row(self.cursor)

    def _row(self, position: int) -> Any | None:
        if self._window is None or not 0 <= position < self.total:
            return None
        row = self._window.get(position)
        if row is None:
            self._want(position, position + 1)
        return row

    @property
    def reach(self) -> int:
        """How far rows may be asked for: the count, or a page past the rows known to exist
        while it is still coming (a short page then finds the end)."""
        return self.total if self.total_exact else self.total + PAGE

    def _want(self, first: int, last: int) -> None:
        """Ask for rows not held, once per gap: they draw as placeholders meanwhile."""
        window = self._window
        if window is None or window.holds(first, last, self.reach):
            return
        if self._asked is not None and self._asked[0] <= first and last <= self._asked[1]:
            return
        self._asked = (first, last)
        self.post_message(self.RowsWanted(self, window, first, last))

    def visible_rows(self) -> list[Any]:
        """The rows on screen that are held (placeholders are left out)."""
        return [r for p in range(self.top, self.top + self.page_height)
                if (r := self._row(p)) is not None]

    # -- cursor and scrolling -----------------------------------------------------------

    @property
    def page_height(self) -> int:
        """Rows on screen: the height less the header line."""
        return max(1, self.size.height - 1)

    def _set_top(self, top: int) -> bool:
        """Scroll so ``top`` is the first row shown; True if the view moved."""
        top = max(0, min(top, self.total - self.page_height))
        if top == self.top:
            return False
        self.top = top
        self.refresh()
        return True

    def move_cursor(self, position: int) -> None:
        if self.total == 0:
            return
        position = max(0, min(position, self.total - 1))
        if position == self.cursor:
            return
        old = self.cursor
        self.cursor = position
        self.post_message(self.CursorMoved(self))
        if not self._scroll_cursor_into_view():
            self._refresh_row(old)
            self._refresh_row(position)

    def _refresh_row(self, position: int) -> None:
        line = position - self.top + 1
        if 1 <= line < self.size.height:
            self.refresh(Region(0, line, self.size.width, 1))

    def _scroll_cursor_into_view(self) -> bool:
        height = self.page_height
        if self.cursor < self.top:
            return self._set_top(self.cursor)
        if self.cursor >= self.top + height:
            return self._set_top(self.cursor - height + 1)
        return False

    def _nowhere_to_move(self) -> bool:
        """A movement key on an empty table says so in one line rather than nothing (the
        screen keeps :attr:`empty` saying why it is empty); True when it said so."""
        if self.total:
            return False
        self.notify("still reading the rows; try again in a moment" if self._window is None
                    else f"nothing to move to: {self.empty}", timeout=4)
        return True

    def action_cursor_down(self) -> None:
        if not self._nowhere_to_move():
            self.move_cursor(self.cursor + 1)

    def action_cursor_up(self) -> None:
        if not self._nowhere_to_move():
            self.move_cursor(self.cursor - 1)

    def action_page_down(self) -> None:
        if self._nowhere_to_move():
            return
        height = self.page_height
        if not self.total_exact and self.cursor + height >= self.total - PAGE and \
                self.listing is not None:
            self.post_message(self.CountWanted(self, self.listing))
        self._set_top(self.top + height)
        self.move_cursor(self.cursor + height)

    def action_page_up(self) -> None:
        if self._nowhere_to_move():
            return
        height = self.page_height
        self._set_top(self.top - height)
        self.move_cursor(self.cursor - height)

    def action_first(self) -> None:
        if not self._nowhere_to_move():
            self.move_cursor(0)

    def action_last(self) -> None:
        if not self._nowhere_to_move():
            self._exact_total(lambda: self.move_cursor(self.total - 1))

    def toggle_mark(self) -> bool:
        """Mark or unmark the cursor row; False when there is no row."""
        row = self.current_row
        if row is None:
            return False
        order = self.order_id(row)
        if order in self.marks:
            self.marks.discard(order)
        else:
            self.marks.add(order)
        self._refresh_row(self.cursor)
        return True

    def _forward_event(self, event: events.Event) -> None:
        if not keys_to_screen(self, event):
            super()._forward_event(event)

    # -- the mouse (never needed, but it works) -----------------------------------------

    def on_click(self, event: events.Click) -> None:
        if event.x >= self.size.width - 1:
            self._jump(event.y)
        elif event.y >= 1:
            self.move_cursor(self.top + event.y - 1)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if event.button and event.x >= self.size.width - 2:
            self._jump(event.y)

    def _jump(self, line: int) -> None:
        """The scrollbar was clicked or dragged: show that part of the list."""

        def jump() -> None:
            fraction = max(0.0, min(1.0, (line - 1) / max(1, self.page_height - 1)))
            self._set_top(round(fraction * max(0, self.total - self.page_height)))
            self.move_cursor(max(self.top, min(self.cursor, self.top + self.page_height - 1)))

        self._exact_total(jump)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._set_top(self.top + 3)
        event.stop()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._set_top(self.top - 3)
        event.stop()

    # -- drawing ------------------------------------------------------------------------

    def _repaint(self) -> None:
        self._style_cache.clear()
        self._strips.clear()
        self.refresh()

    def on_focus(self) -> None:
        self._strips.clear()  # the cursor's look depends on focus
        self._refresh_row(self.cursor)

    def on_blur(self) -> None:
        self._strips.clear()
        self._refresh_row(self.cursor)

    def on_resize(self, event: events.Resize) -> None:
        self._set_top(self.top)
        self._scroll_cursor_into_view()
        self._repaint()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_cache.clear()
        self._strips.clear()

    def _style(self, *names: str | None) -> Style:
        style = self._style_cache.get(names)
        if style is None:
            style = self.rich_style
            for name in names:
                if name:
                    style += self.get_component_rich_style(name, partial=True)
            self._style_cache[names] = style
        return style

    def render_line(self, y: int) -> Strip:
        width = self.size.width - 1  # the last column is the scrollbar
        if self._widths_for != width:
            self._widths = layout(self.columns, width - 1)
            self._widths_for = width
            self._strips.clear()
        if y == 0:
            # Ask for the rows just past the screen before they are needed, so moving on
            # seldom meets a placeholder even when each read is a network round trip.
            self._want(self.top - PREFETCH, self.top + self.page_height + PREFETCH)
            return self._header(width)
        position = self.top + y - 1
        if self._window is None or position >= self.total:
            if position == 0 and self._window is not None:
                blank = Strip([Segment(set_cell_size(f"  {self.empty}", width),
                                       self._style("table--pending"))])
            else:
                blank = Strip.blank(width, self.rich_style)
            return Strip.join([blank, self._scrollbar(y)])
        row = self._window.get(position)
        if row is None:
            self._want(self.top, self.top + self.page_height)
            return Strip.join([self._placeholder(position, width), self._scrollbar(y)])
        if self.first_paint is None:
            self.first_paint = perf_counter()
        key = (row.id, position == self.cursor, self.order_id(row) in self.marks)
        strip = self._strips.get(key)
        if strip is None:
            if len(self._strips) > 4 * PAGE:
                self._strips.clear()
            strip = self._strips[key] = self._row_strip(row, position, width)
        return Strip.join([strip, self._scrollbar(y)])

    def _placeholder(self, position: int, width: int) -> Strip:
        """A row still being fetched: a dim ellipsis, with the cursor shown if it is there."""
        cursor = ("table--cursor",) if position == self.cursor else ()
        style = self._style("table--pending", *cursor)
        return Strip([Segment(set_cell_size(f"  {PLACEHOLDER}", width), style)])

    def _scrollbar(self, y: int) -> Strip:
        """One cell of the scrollbar: a thumb sized and placed by the view's share of the rows."""
        height = self.page_height
        if y == 0 or self.total <= height:
            return Strip([Segment(" ", self._style("table--header" if y == 0
                                                    else "table--scrollbar"))], 1)
        size = max(1, round(height * height / self.total))
        start = round((height - size) * self.top / max(1, self.total - height))
        if start <= y - 1 < start + size:
            return Strip([Segment("█", self._style("table--scrollbar-thumb"))], 1)
        return Strip([Segment("▕", self._style("table--scrollbar"))], 1)

    def _header(self, width: int) -> Strip:
        listing = self.listing
        sort = listing.sort.name if listing else None
        arrow = ("↓" if listing.descending else "↑") if listing else ""
        runs = _Runs()
        runs.add(" ", self._style("table--header"))
        for index, (column, cell_width) in enumerate(zip(self.columns, self._widths,
                                                         strict=True)):
            if index:
                runs.add(" ", self._style("table--header"))
            title = column.heading(cell_width - (1 if column.sort == sort else 0))
            name = "table--header"
            if column.sort and column.sort == sort:
                title = f"{title}{arrow}"
                name = "table--sorted"
            runs.add(_fit(title, cell_width, column.right), self._style(name))
        return Strip(runs.segments()).adjust_cell_length(width, self._style("table--header"))

    def _row_strip(self, row: Any, position: int, width: int) -> Strip:
        marked = self.order_id(row) in self.marks
        states = self.row_style(row) + (("table--marked",) if marked else ())
        cursor = ("table--cursor",) if position == self.cursor else ()
        base = self._style(*states, *cursor)
        # The mark and the first column (the state glyph) sit side by side: "*●".
        runs = _Runs()
        runs.add(MARK_GLYPH if marked else " ", base)
        for index, (column, cell_width) in enumerate(zip(self.columns, self._widths,
                                                         strict=True)):
            if index:
                runs.add(" ", base)
            text, name = column.cell(row, cell_width)
            runs.add(_fit(text, cell_width, column.right),
                     self._style(*states, name, *cursor) if name else base)
        return Strip(runs.segments()).adjust_cell_length(width, base)


class _Runs:
    """Text with styles, merged into as few segments as the styles allow (fewer is faster)."""

    def __init__(self) -> None:
        self._texts: list[str] = []
        self._styles: list[Style] = []

    def add(self, text: str, style: Style) -> None:
        if self._styles and self._styles[-1] is style:
            self._texts[-1] += text
        else:
            self._texts.append(text)
            self._styles.append(style)

    def segments(self) -> list[Segment]:
        return [Segment(t, s) for t, s in zip(self._texts, self._styles, strict=True)]


def _fit(text: str, width: int, right: bool) -> str:
    """``text`` in exactly ``width`` cells: truncated with an ellipsis, or padded."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…"
    pad = " " * (width - length)
    return pad + text if right else text + pad

"""What may be shown outside the audit team: small cells hidden so no individual can be singled out.

The one place for these rules: counts of 1–4 read "<5", and `protect_table` hides complements
("X") so that no hidden count can be worked back from the totals published beside it.
"""

import heapq
import math
from dataclasses import dataclass

MIN_CELL = 5
HIDDEN = "<5"
MIN = MIN_CELL
SMALL = HIDDEN
SECRET = "X"  # hidden so that a "<5" cannot be computed back (秘匿, as in official statistics)


def cell(n, min_cell=MIN_CELL):
    """A count as shown to viewers and the council: 1–4 become "<5" (0 singles out nobody)."""
    return HIDDEN if 0 < n < min_cell else f"{n:,}"


def rate(part, whole, min_cell=MIN_CELL):
    """A percentage, or None when the whole is too small to publish (or empty)."""
    if whole < min_cell or whole == 0:
        return None
    return 100.0 * part / whole


def rate_text(part, whole, min_cell=MIN_CELL):
    """A percentage as text ("12.5%"); "—" when it may not be shown; an upper bound ("<3.0%") when the
    part is a hidden small count, since the exact rate would give the count back."""
    value = rate(part, whole, min_cell)
    if value is None:
        return "—"
    if 0 < part < min_cell:
        return f"<{rate(min_cell, whole, min_cell):.1f}%"
    return f"{value:.1f}%"


# ---------------------------------------------------------------- tables whose totals are published


@dataclass
class _Hidden:
    """What a reader knows about a hidden count: it lies in [lo, hi] (hi may be infinite)."""

    lo: float
    hi: float
    text: str
    primary: bool = True  # a "<5" or a forced cell, whose range is protected; False for a complement


def _small(n):
    return 0 < n < MIN


_OPEN = "open"  # where every line whose total is not published meets (see _widen)


def protect_table(values, *, rows=True, columns=False, row_parts=None, force=(), keep=()):
    """Display texts for a table of counts whose row totals (rows=True) and/or column totals
    (columns=True) are published elsewhere; with row_parts=k only the first k cells of a row add
    up to its total (the rest, e.g. the total itself, count for the columns only).

    Counts of 1–4 read "<5" (disclosure.cell); cells in `force` ((row, column) pairs: every figure
    of a group of fewer than five people) read "X". What a reader knows: a "<5" is 1–4, a forced
    cell 0–4 (anything from 0 when its count is 5 or more), any other "X" 5 or more, and each
    published total is the sum of its cells. Protection keeps every "<5" anything from 1 to 4 and
    every forced cell anything from 0 to 4, whatever the totals are subtracted or combined, as far
    as hiding counts can do that; where even hiding every count could not (a row 1 + 5 = 6), the
    widest range hiding allows.

    Method: complementary suppression by network flows (as in Kelly, Golden and Assad's heuristic
    for two-way tables). Rows and columns with a published total are nodes, a hidden cell an edge
    from its row to its column; a hidden count can take another value exactly when the other
    hidden cells can carry the difference round a cycle back to it without leaving their ranges
    (for two-way tables this is the same as solving the reader's linear system, see
    tests/test_attack.py). For each "<5" and forced cell, in turn, and each direction: while the
    hidden cells cannot carry enough, the cheapest path of shown counts (the smallest counts;
    columns in `keep` last) that can is hidden ("X"). A complement that ends up unable to move
    could be worked out from the totals anyway, so it is shown again.
    Returns a grid of texts; a hidden cell's text is "<5" or "X".
    """
    if rows and columns:
        return _protect(values, rows=True, columns=True, row_parts=row_parts, force=force, keep=keep)
    # With one kind of total published, each line is a problem of its own: solving them one by one
    # keeps a 300-section table to 300 small networks instead of one network rebuilt 300 times.
    force = set(force)
    if rows:
        return [_protect([row], rows=True, columns=False, row_parts=row_parts,
                         force=[(0, c) for c in range(len(row)) if (r, c) in force], keep=keep)[0]
                for r, row in enumerate(values)]
    width = max((len(row) for row in values), default=0)
    lines = [[row[c] for row in values if c < len(row)] for c in range(width)]
    protected = [_protect([line], rows=columns, columns=False, row_parts=None,
                          force=[(0, r) for r in range(len(line)) if (r, c) in force])[0]
                 for c, line in enumerate(lines)]
    return [[protected[c][r] for c in range(len(row))] for r, row in enumerate(values)]


def _protect(values, *, rows, columns, row_parts, force, keep=()):
    """protect_table for one connected problem (see there)."""
    grid = [list(map(int, row)) for row in values]
    state = {}
    for r, row in enumerate(grid):
        for c, n in enumerate(row):
            if _small(n):
                state[r, c] = _Hidden(1, MIN - 1, SMALL)
    for r, c in force:
        n = grid[r][c]
        # A forced cell reads "X" whatever its value; a reader may know it is at most 4 (a count of
        # people in a group of fewer than five), so that range is what has to stay open.
        state[r, c] = _Hidden(0, MIN - 1 if n < MIN else math.inf, SECRET)

    def ends(r, c):
        """The totals a cell counts towards: its row's and its column's, _OPEN for one not published."""
        row = ("row", r) if rows and (row_parts is None or c < row_parts) else _OPEN
        return row, ("column", c) if columns else _OPEN

    keep = set(keep)
    last = 1 + sum(map(sum, grid))  # added to the price of a count in `keep`: any other path is cheaper

    def price(r, c):
        return grid[r][c] + (last if c in keep else 0)

    for r, c in sorted(state):
        n, known = grid[r][c], state[r, c]
        row, column = ends(r, c)
        # Up: the others give back what this one gains (column → row); down: the reverse.
        up = known.hi - n if known.hi != math.inf else 1
        _widen(grid, state, ends, (r, c), column, row, up, price)
        _widen(grid, state, ends, (r, c), row, column, n - known.lo, price)
    for r, c in [cell for cell, known in state.items() if not known.primary]:
        row, column = ends(r, c)
        if not (_widen(grid, state, ends, (r, c), column, row, 1) or _widen(grid, state, ends, (r, c), row, column, 1)):
            del state[r, c]  # pinned: the totals give it, so hiding it keeps nothing secret
    return [[state[r, c].text if (r, c) in state else cell(n) for c, n in enumerate(row)] for r, row in enumerate(grid)]


def _widen(grid, state, ends, moving, source, sink, need, price=None):
    """How much (up to need) the hidden cells other than `moving` can carry from source to sink
    without leaving their ranges: augmenting paths of a flow network whose nodes are the published
    totals (_OPEN for all unpublished ones) and whose edges are hidden cells. An edge row → column
    has room to grow (hi − n, forwards) and to shrink (n − lo, backwards). With a price, shown counts
    of five or more may join as complements (room to grow without end and to shrink to five): the
    cheapest path is taken each time, and the shown counts on it are hidden.
    """
    if need <= 0 or source == sink:
        return need  # nothing to carry, or no published total holds the cell
    arcs, room = [], []  # arcs[i ^ 1] is arcs[i] backwards
    for r, row in enumerate(grid):
        for c, n in enumerate(row):
            known = state.get((r, c))
            if (r, c) == moving or (known is None and (price is None or n < MIN)):
                continue
            tail, head = ends(r, c)
            if tail == head:
                continue  # in no published total: free whatever it is
            lo, hi = (known.lo, known.hi) if known else (MIN, math.inf)
            arcs += [(tail, head, (r, c)), (head, tail, (r, c))]
            room += [hi - n, n - lo]
    leaving = {}
    for i, (tail, _head, _cell) in enumerate(arcs):
        leaving.setdefault(tail, []).append(i)
    carried = 0
    while carried < need:
        # Dijkstra from source; a hidden cell costs nothing, a shown count its price.
        best, via, queue, order = {source: 0}, {}, [(0, 0, source)], 1
        while queue:
            cost, _, node = heapq.heappop(queue)
            if node == sink:
                break
            if cost > best[node]:
                continue
            for i in leaving.get(node, ()):
                head, cell_ = arcs[i][1], arcs[i][2]
                step = cost + (0 if cell_ in state else price(*cell_))
                if room[i] > 0 and step < best.get(head, math.inf):
                    best[head], via[head] = step, i
                    heapq.heappush(queue, (step, order, head))
                    order += 1
        if sink not in via:
            return carried
        path, node = [], sink
        while node != source:
            path.append(via[node])
            node = arcs[via[node]][0]
        for i in path:
            if arcs[i][2] not in state:
                state[arcs[i][2]] = _Hidden(MIN, math.inf, SECRET, primary=False)
        step = min(need - carried, *(room[i] for i in path))
        for i in path:
            room[i] -= step
            room[i ^ 1] += step
        carried += step
    return carried


def is_hidden(text):
    """True for the marks protect_table gives hidden cells."""
    return text in (SMALL, SECRET)


def bounded_rate_text(part, part_text, whole, whole_text=None):
    """A percentage that never undoes a hidden count: "—" when the whole is hidden or below five or
    the part is "X", "<3.0%" (the rate five would give) when the part is "<5", else "12.5%"."""
    if (whole_text is not None and is_hidden(whole_text)) or rate(part, whole) is None:
        return "—"
    if part_text == SECRET:
        return "—"
    if part_text == SMALL or _small(part):
        return f"<{rate(MIN, whole):.1f}%"
    return rate_text(part, whole)

"""An attacker against protect_table: every suppressed count must keep at least two possible values.

The attacker sees what a protected table shows and writes down everything it implies, as a linear
system over the hidden cells:

* a shown cell is its value; "<5" is 1–4; a forced "X" (every figure of a group of fewer than
  five) is 0–4 when it counts people (0 or more otherwise); a complement "X" is 5 or more,
  since 0 would read "0" and 1–4 "<5";
* each published total is the sum of its cells: a row over its first row_parts cells, a column
  over all rows (exactly, which is more than a reader is given when a total of 1–4 reads "<5");
* each percentage printed beside a row (bounded_rate_text of a cell over the row total) bounds
  its cell to the rounding of that percentage.

For each hidden cell the smallest and largest value the system allows come from linear
programming (scipy's linprog with HiGHS). Row and column totals make the incidence matrix of a
bipartite graph, which is totally unimodular, so these bounds are also the integer ones (the
percentages only bound single cells, never tighter than the 1–4 of a "<5"); they are rounded
inwards to be safe.

Every hidden cell must keep at least two integers. The one excuse: a cell that stays pinned even
when every non-zero count of the table is hidden ("X") cannot be saved by suppression at all (a
row 1 + 5 = 6 gives the 1 whatever is hidden; so does a total of 1–4 told exactly, or a column
whose only other counts are shown zeros). Such a cell must be pinned there too, and is counted.
"""
import math
import random
import re

import numpy as np
import pytest
from scipy import sparse
from scipy.optimize import linprog

from spotcheck.disclosure import MIN, SECRET, SMALL, bounded_rate_text, cell, protect_table

EPS = 1e-6  # HiGHS meets its constraints to about 1e-7


def lines(values, rows, columns, row_parts):
    """The published totals: (cells, total) for each row and column whose sum is printed."""
    out = []
    if rows:
        for r, row in enumerate(values):
            cells = [(r, c) for c in range(len(row))[:row_parts]]
            out.append((cells, sum(values[r][c] for r, c in cells)))
    if columns and values:
        for c in range(max(len(row) for row in values)):
            cells = [(r, c) for r in range(len(values)) if c < len(values[r])]
            out.append((cells, sum(values[r][c] for r, c in cells)))
    return out


def knowledge(values, texts, force):
    """What a reader knows about each hidden cell on its own: {cell: (lo, hi)} (hi None: unbounded)."""
    force = set(force)
    known = {}
    for r, row in enumerate(texts):
        for c, text in enumerate(row):
            n = values[r][c]
            if text == SMALL:
                known[r, c] = (1, MIN - 1)
            elif text == SECRET:
                known[r, c] = (0, MIN - 1 if n < MIN else None) if (r, c) in force else (MIN, None)
            else:
                assert text == cell(n), (values, texts, r, c)  # a shown count is the count
    return known


def ranges(values, texts, *, rows=True, columns=False, row_parts=None, force=()):
    """{hidden cell: (smallest, largest) integer it can be}, solved from everything the table shows."""
    known = knowledge(values, texts, force)
    hidden = sorted(known)
    if not hidden:
        return {}
    index = {c: i for i, c in enumerate(hidden)}
    eq_rows, eq_rhs, ub_rows, ub_rhs = [], [], [], []

    def coefficients(cells):
        row = np.zeros(len(hidden))
        for c in cells:
            row[index[c]] = 1
        return row

    for cells, total in lines(values, rows, columns, row_parts):
        inside = [c for c in cells if c in index]
        if inside:
            eq_rows.append(coefficients(inside))
            eq_rhs.append(total - sum(values[r][c] for r, c in cells if (r, c) not in index))
    if rows:  # the percentages printed beside each row
        for r, row in enumerate(values):
            total = sum(row[:row_parts])
            for c in range(len(row))[:row_parts]:
                shown = bounded_rate_text(row[c], texts[r][c], total)
                number = re.fullmatch(r"(<?)(\d+\.\d)%", shown)
                if (r, c) not in index or number is None:
                    continue
                upper = (float(number[2]) + 0.05) * total / 100
                ub_rows.append(coefficients([(r, c)]))
                ub_rhs.append(upper)
                if not number[1]:  # an exact rate is a lower bound as well
                    ub_rows.append(-coefficients([(r, c)]))
                    ub_rhs.append(-(float(number[2]) - 0.05) * total / 100)
    # No reader is told an upper bound for a complement; a cap far beyond any count only makes the
    # attacker stronger, and keeps every programme bounded (a maximum at the cap means "no bound").
    cap = 10 * (sum(map(sum, values)) + MIN)
    bounds = [(low, cap if high is None else high) for low, high in (known[c] for c in hidden)]
    # Every cell's minimum and maximum in one programme: 2·k independent copies of the system, copy i
    # minimising cell i and copy k + i maximising it. The copies share nothing, so the optimum of
    # the sum is each copy at its own optimum (one call to HiGHS per table instead of 2·k).
    k = len(hidden)
    copies = 2 * k
    objective = np.zeros((copies, k))
    for i in range(k):
        objective[i, i], objective[k + i, i] = 1, -1

    def stacked(matrix, rhs):
        if not matrix:
            return None, None
        return sparse.block_diag([np.array(matrix)] * copies, format="csr"), np.tile(rhs, copies)

    A_eq, b_eq = stacked(eq_rows, eq_rhs)
    A_ub, b_ub = stacked(ub_rows, ub_rhs)
    result = linprog(objective.ravel(), A_eq=A_eq, b_eq=b_eq, A_ub=A_ub, b_ub=b_ub, bounds=bounds * copies, method="highs")
    assert result.status == 0, (values, texts, result.message)  # the truth is always feasible
    x = result.x.reshape(copies, k)
    ends = [(x[i, i], x[k + i, i]) for i in range(k)]
    out = {}
    for c, (low, high) in zip(hidden, ends):
        out[c] = (math.ceil(low - EPS), math.inf if high >= cap - EPS else math.floor(high + EPS))
    return out


def widest(values, force):
    """The most any suppression could show: every non-zero count hidden."""
    force = set(force)
    return [
        [SECRET if (r, c) in force or n >= MIN else cell(n) for c, n in enumerate(row)]
        for r, row in enumerate(values)
    ]


def attack(values, *, rows=True, columns=False, row_parts=None, force=(), keep=()):
    """Protect the table, attack it; returns (texts, ranges, excused cells). Fails on any leak."""
    texts = protect_table(values, rows=rows, columns=columns, row_parts=row_parts, force=force, keep=keep)
    shape = dict(rows=rows, columns=columns, row_parts=row_parts, force=force)
    found = ranges(values, texts, **shape)
    force = set(force)
    for (r, c), text in ((rc, texts[rc[0]][rc[1]]) for rc in found):
        n = values[r][c]
        assert (r, c) in force or (text == SMALL) == (0 < n < MIN), (values, texts)  # "<5" exactly for 1–4
        assert text != SECRET or (r, c) in force or n >= MIN, (values, texts)  # complements are counts of 5 or more
        low, high = found[r, c]
        assert low <= n <= high, (values, texts, (r, c), found[r, c])  # the attacker's model is sound
    for r, row in enumerate(values):
        for c, n in enumerate(row):
            if 0 < n < MIN and (r, c) not in force:
                assert texts[r][c] == SMALL, (values, texts)
            if (r, c) in force:
                assert texts[r][c] == SECRET, (values, texts)
    pinned = [c for c, (low, high) in found.items() if high - low < 1]
    excused = []
    if pinned:
        best = ranges(values, widest(values, force), **shape)
        for c in pinned:
            assert best[c][1] - best[c][0] < 1, ("leak", values, texts, c, found[c], best[c])
            assert texts[c[0]][c[1]] == SMALL or c in force, (values, texts, c)  # a complement is never pinned
            excused.append(c)
    return texts, found, excused


# ---------------------------------------------------------------- hand-made tables that must cascade


def test_the_issues_first_example_hides_a_complement():
    # 76 14 0 <5 | 対象者 91: the 未回答 was 91 − 76 − 14 = 1.
    texts, found, excused = attack([[76, 14, 0, 1]])

    assert texts == [["76", SECRET, "0", SMALL]]
    assert found[0, 3] == (1, 4) and not excused


def test_the_issues_second_example_keeps_both_small_counts_open():
    # 6 0 <5 <5 0 0 | 計 8: the two <5 were 1 and 1.
    texts, found, excused = attack([[6, 0, 1, 1, 0, 0]])

    assert texts == [[SECRET, "0", SMALL, SMALL, "0", "0"]]
    assert found[0, 2] == found[0, 3] == (1, 2)  # 8 − 6 or more leaves at most 3 for the two
    assert not excused


def test_a_row_with_one_small_count_hides_the_next_smallest():
    texts, found, _ = attack([[40, 9, 12, 3]])

    assert texts == [["40", SECRET, "12", SMALL]]
    assert found[0, 3] == (1, 4)


def test_a_column_that_is_all_small_is_covered_from_the_other_columns():
    values = [[2, 30], [3, 40], [1, 50]]
    texts, found, excused = attack(values, rows=True, columns=True)

    assert [row[0] for row in texts] == [SMALL] * 3
    assert all(found[r, 0][1] - found[r, 0][0] >= 1 for r in range(3)) and not excused
    # Each row needs a complement, and the column of complements then hides every one of them.
    assert [row[1] for row in texts] == [SECRET] * 3


def test_a_small_count_in_a_two_way_table_cascades_into_a_rectangle():
    # Row and column of the 3 each hide one more count; those two need a fourth to close the
    # rectangle, or row 1 (20 + 30 = 50) gives the 20 back, and then column 0 the 3.
    values = [[3, 10], [20, 30]]
    texts, found, excused = attack(values, rows=True, columns=True)

    assert texts == [[SMALL, SECRET], [SECRET, SECRET]]
    assert found[0, 0] == (1, 4) and not excused


def test_a_larger_two_way_table_with_totals_cascades():
    values = [[3, 10, 25, 8], [20, 30, 40, 12], [15, 50, 2, 60], [9, 14, 33, 21]]
    texts, found, excused = attack(values, rows=True, columns=True)

    assert not excused
    assert texts[0][0] == texts[2][2] == SMALL
    for r, row in enumerate(texts):  # a line with a hidden count hides at least one more
        assert sum(t in (SMALL, SECRET) for t in row) != 1, texts
    for c in range(4):
        assert sum(row[c] in (SMALL, SECRET) for row in texts) != 1, texts


def test_row_parts_keeps_the_total_column_out_of_the_rows():
    # 計 is a column of its own (summed into the 合計 row) but not part of the row's sum.
    values = [[12, 3, 0, 15], [20, 7, 9, 36], [2, 1, 0, 3]]
    force = [(2, 0), (2, 1), (2, 2)]
    texts, found, excused = attack(values, rows=True, columns=True, row_parts=3, force=force)

    assert texts[2][:3] == [SECRET] * 3 and texts[2][3] == SMALL
    assert not excused


def test_a_tiny_group_in_published_columns_keeps_its_whole_range():
    values = [[3, 2, 1], [12, 7, 5], [40, 18, 9]]
    force = [(0, 1), (0, 2)]
    texts, found, excused = attack(values, rows=False, columns=True, force=force)

    assert found[0, 1] == (0, 4) and found[0, 2] == (0, 4) and not excused


def test_a_single_small_count_against_its_own_total_is_excused_not_missed():
    # 1 + 5 = 6: whatever is hidden, the 5 is at least 5, so the 1 is 1. Only the total could help.
    texts, found, excused = attack([[1, 5]])

    assert texts == [[SMALL, "5"]]  # hiding the 5 would not help, so it stays shown
    assert excused == [(0, 0)]


# ---------------------------------------------------------------- seeded random tables


COUNTS = (0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 9, 12, 20, 45)
SHAPES = ("rows", "columns", "both", "parts")
SEEDS = range(300)


def random_table(seed):
    rng = random.Random(seed)
    height, width = rng.randint(1, 8), rng.randint(1, 7)
    values = [[rng.choice(COUNTS) for _ in range(width)] for _ in range(height)]
    shape = SHAPES[seed % len(SHAPES)]
    options = dict(rows=shape != "columns", columns=shape != "rows")
    if shape == "parts" and width > 1:  # the last column is the row's total, as in 表2
        options["row_parts"] = width - 1
        for row in values:
            row[-1] = sum(row[:-1])
    force = []
    if rng.random() < 0.3:  # groups of fewer than five people: every figure of the row reads "X"
        for r, row in enumerate(values):
            if 0 < sum(row[: options.get("row_parts")]) < MIN:
                force += [(r, c) for c in range(len(row))[: options.get("row_parts")]]
    keep = [rng.randrange(width)] if rng.random() < 0.3 else []
    return values, dict(options, force=force, keep=keep)


@pytest.fixture(scope="module")
def random_results():
    """Every random table, protected and attacked: [(seed, values, options, texts, ranges, excused)]."""
    out = []
    for seed in SEEDS:
        values, options = random_table(seed)
        try:
            out.append((seed, values, options, *attack(values, **options)))
        except AssertionError as error:
            raise AssertionError(f"seed {seed}: {error}") from error
    return out


def test_random_tables_give_no_hidden_count_back(random_results):
    # attack() has already failed on any leak; here, that the tables were worth attacking.
    hidden = sum(len(found) for *_, found, _excused in random_results)
    complements = sum(
        texts[r][c] == SECRET and (r, c) not in set(options["force"])
        for _seed, _values, options, texts, found, _excused in random_results
        for r, c in found
    )
    two_way = sum(
        options["rows"] and options["columns"] and any(SECRET in row for row in texts)
        for _seed, _values, options, texts, _found, _excused in random_results
    )
    excused = sum(len(excused) for *_, excused in random_results)
    assert len(random_results) == len(SEEDS) and hidden > 2000 and complements > 500 and two_way > 50
    assert excused < hidden / 10


@pytest.mark.parametrize("seed", [3, 11, 14, 27, 42, 99, 207])
def test_one_programme_for_all_bounds_agrees_with_one_programme_per_bound(seed):
    values, options = random_table(seed)
    options.pop("keep")
    texts = protect_table(values, **options)
    found = ranges(values, texts, **options)
    known = knowledge(values, texts, options["force"])
    hidden = sorted(known)
    cap = 10 * (sum(map(sum, values)) + MIN)
    equations = [
        ([1.0 if h in cells else 0.0 for h in hidden], total - sum(values[r][c] for r, c in cells if (r, c) not in known))
        for cells, total in lines(values, options["rows"], options["columns"], options.get("row_parts"))
        if any(h in cells for h in hidden)
    ]
    for i, h in enumerate(hidden):
        ends = []
        for sign in (1, -1):
            result = linprog(
                [sign if j == i else 0 for j in range(len(hidden))],
                A_eq=[e for e, _ in equations] or None, b_eq=[b for _, b in equations] or None,
                bounds=[(low, cap if high is None else high) for low, high in (known[x] for x in hidden)], method="highs",
            )
            ends.append(sign * result.fun)
        low, high = math.ceil(ends[0] - EPS), math.floor(ends[1] + EPS)
        assert found[h] == (low, math.inf if high >= cap else high)

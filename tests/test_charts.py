"""Server-drawn charts: well-formed, CSP-safe SVG, escaped text, proportional bars, small cells hidden.

protect_table is checked against brute force: every assignment of values that agrees with what a
table shows and with its published totals is enumerated, and a hidden count must still be able
to take every value its mark allows.
"""
import itertools
import random
import re
import xml.etree.ElementTree as ET

import pytest
from reportlab.graphics.shapes import Drawing, Rect, String

from spotcheck import charts
from spotcheck.charts import EMPTY_TEXT, bars_drawing, stacked_bars_svg
from spotcheck.disclosure import SECRET, SMALL, bounded_rate_text, protect_table

SVG = "{http://www.w3.org/2000/svg}"
SEGMENTS = [("1", "① できている", "#1F4E79"), ("2", "② 一部できている", "#9DC3E6"), ("3", "③ できていない", "#E46C0A"), ("", "未回答", "#E2D9B8")]
ROWS = [
    ("No.3 ワイヤーロック", {"1": 120, "2": 30, "3": 15, "": 3}),
    ("No.19 外部記録媒体", {"1": 60, "2": 20, "3": 20, "": 0}),
]


def parse(svg):
    return ET.fromstring(svg)


def bar_rects(root, fill):
    """The segment rectangles of one colour, in row order."""
    return [r for r in root.iter(f"{SVG}rect") if r.get("fill") == fill and r.find(f"{SVG}title") is not None]


def texts(root):
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_svg_is_well_formed_and_accessible():
    svg = stacked_bars_svg(ROWS, SEGMENTS, title="項目別の回答")
    root = parse(svg)

    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "項目別の回答"
    assert root.find(f"{SVG}title").text == "項目別の回答"
    assert "IPAexGothic" in root.get("font-family")
    # The row in words, for screen readers and as the bar's tooltip.
    assert "No.3 ワイヤーロック：① できている 120、② 一部できている 30、③ できていない 15、未回答 3（n=168）" in root.find(f"{SVG}desc").text
    # Legend on top, labels on the left, n beside each bar.
    shown = texts(root)
    assert [label for _k, label, _f in SEGMENTS] == shown[:4]
    assert "No.3 ワイヤーロック" in shown and "n=168" in shown and "n=100" in shown


def test_svg_uses_no_style_no_script_and_nothing_external():
    svg = stacked_bars_svg(ROWS, SEGMENTS, title="t", public=True)

    assert "style=" not in svg and "<style" not in svg  # blocked by style-src 'self'
    assert "<script" not in svg.lower() and "javascript:" not in svg.lower()
    assert "href" not in svg and "@import" not in svg and "url(" not in svg
    assert "<foreignObject" not in svg


def test_all_text_is_escaped():
    evil = '<script>alert("x")</script> & "q"'
    svg = stacked_bars_svg(
        [(evil, {"a": 10, "b": 5})], [("a", evil, "#123456"), ("b", "b", '"/><script>alert(1)</script>')], title=evil
    )
    root = parse(svg)  # still well-formed

    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    assert root.get("aria-label") == evil
    assert root.find(f"{SVG}title").text == evil
    assert evil in texts(root)  # the legend entry, escaped on the way in and read back intact
    assert any(r.get("fill") == '"/><script>alert(1)</script>' for r in root.iter(f"{SVG}rect"))  # an attribute, not markup


def test_segment_widths_are_proportional_to_the_counts():
    root = parse(stacked_bars_svg(ROWS, SEGMENTS, title="t", width=640))
    done, partly, not_done = (bar_rects(root, fill) for fill in ("#1F4E79", "#9DC3E6", "#E46C0A"))
    track = [r for r in root.iter(f"{SVG}rect") if r.get("fill") == charts.TRACK_FILL]
    full = float(track[0].get("width"))

    assert float(done[0].get("width")) == pytest.approx(full * 120 / 168, abs=0.01)
    assert float(not_done[0].get("width")) == pytest.approx(full * 15 / 168, abs=0.01)
    assert float(done[1].get("width")) == pytest.approx(full * 60 / 100, abs=0.01)
    # Segments follow each other without gaps or overlaps.
    assert float(partly[1].get("x")) == pytest.approx(float(done[1].get("x")) + float(done[1].get("width")), abs=0.01)
    # A zero count draws nothing: the second bar has no 未回答 segment.
    assert len(bar_rects(root, "#E2D9B8")) == 1


def test_values_inside_segments_only_where_they_fit():
    root = parse(stacked_bars_svg([("a", {"1": 990, "2": 10})], SEGMENTS[:2], title="t", width=400))
    shown = texts(root)

    assert "990" in shown  # wide segment
    assert "10" not in shown  # 1 % of the bar is too narrow for its number; the tooltip has it
    assert any("10（1.0%）" in "".join(r.itertext()) for r in root.iter(f"{SVG}rect"))
    assert "990" not in texts(parse(stacked_bars_svg([("a", {"1": 990, "2": 10})], SEGMENTS[:2], title="t", show_values=False)))


def test_public_hides_counts_below_five_and_pools_them_grey():
    rows = [("所属A", {"1": 40, "2": 12, "3": 3, "": 0}), ("所属B", {"1": 2, "2": 1, "3": 1, "": 0}), ("所属C", {"1": 0, "2": 0, "3": 0, "": 0})]
    svg = stacked_bars_svg(rows, SEGMENTS, title="t", public=True)
    root = parse(svg)
    shown = texts(root)
    desc = root.find(f"{SVG}desc").text

    assert "40" in shown and "n=55" in shown
    assert "3" not in shown  # the ③ count of 所属A
    assert "③ できていない <5" in desc
    assert "12" not in shown and "② 一部できている X" in desc  # else 55 − 40 − 12 gives the 3 back
    # The hidden segment is not drawn at its own width: it joins the grey 非表示 block.
    assert not bar_rects(root, "#E46C0A")
    pooled = bar_rects(root, charts.POOLED_FILL)
    assert len(pooled) == 1
    assert charts.POOLED_LABEL in shown  # legend entry "非表示（<5 を含む）"
    # A bar under five: empty, "<5" instead of its total, no segment and no number.
    assert "n<5" in shown and charts.TINY_TEXT in shown
    assert not any(re.fullmatch(r"[1-4]", t) for t in shown)
    assert "所属B：n=<5（5未満のため内訳は非表示）" in desc
    # Zero is not small: an empty row says n=0.
    assert "n=0" in shown


def test_without_public_small_counts_are_shown():
    root = parse(stacked_bars_svg([("a", {"1": 40, "3": 3})], SEGMENTS, title="t"))

    assert "n=43" in texts(root)
    assert "3" in root.find(f"{SVG}desc").text
    assert len(bar_rects(root, "#E46C0A")) == 1


def test_public_also_hides_a_complement_so_n_gives_nothing_back():
    rows = [("所属A", {"1": 40, "2": 12, "3": 3, "": 0})]
    desc = parse(stacked_bars_svg(rows, SEGMENTS, title="t", public=True)).find(f"{SVG}desc").text

    assert "③ できていない <5" in desc
    assert "② 一部できている X" in desc  # 55 − 40 = 15 is now ② and ③ together
    assert "① できている 40" in desc


def test_empty_input_says_there_is_no_data():
    for rows, segments in (([], SEGMENTS), (ROWS, [])):
        svg = stacked_bars_svg(rows, segments, title="項目別の回答")
        root = parse(svg)
        assert EMPTY_TEXT in texts(root)
        assert root.get("role") == "img" and root.find(f"{SVG}title").text == "項目別の回答"


def test_long_labels_are_clipped_with_the_full_text_as_tooltip():
    label = "こども未来部こども家庭支援課児童虐待防止・家庭相談担当（こども家庭センター）"
    root = parse(stacked_bars_svg([(label, {"1": 10})], SEGMENTS, title="t", width=480))
    label_text = next(t for t in root.iter(f"{SVG}text") if t.find(f"{SVG}title") is not None)

    assert label_text.find(f"{SVG}title").text == label
    assert "".join(label_text.itertext()).endswith("…")
    assert len(label_text.text or label_text.find(f"{SVG}title").tail) < len(label)


def test_drawing_has_the_same_bars_and_suppression(fonts):
    rows = [("所属A", {"1": 40, "2": 12, "3": 3, "": 0}), ("所属B", {"1": 2, "2": 1, "3": 1, "": 0})]
    drawing = bars_drawing(rows, SEGMENTS, width=400, bar_height=10, public=True, fonts=fonts)
    strings = [s.text for s in drawing.contents if isinstance(s, String)]
    rects = [r for r in drawing.contents if isinstance(r, Rect)]

    assert isinstance(drawing, Drawing) and drawing.width == 400
    assert {s.fontName for s in drawing.contents if isinstance(s, String)} == {fonts.gothic}
    assert drawing.initialFontName == fonts.gothic  # no Helvetica creeps into the PDF
    assert "40" in strings and "n=55" in strings and "n<5" in strings
    assert not any(re.fullmatch(r"[1-4]", t) for t in strings)
    bars = [r for r in rects if r.height == 10]  # the legend's swatches are smaller
    assert not any(r.fillColor is not None and r.fillColor.hexval().upper() == "0XE46C0A" for r in bars)
    assert any(r.fillColor.hexval().upper() == "0X" + charts.POOLED_FILL[1:] for r in bars)
    empty = bars_drawing([], SEGMENTS, width=400, bar_height=10, public=True, fonts=fonts)
    assert EMPTY_TEXT in [s.text for s in empty.contents if isinstance(s, String)]


@pytest.fixture(scope="module")
def fonts():
    from spotcheck.fonts import register_fonts

    return register_fonts()


# ---------------------------------------------------------------- protection against subtraction


def feasible(values, texts, forced=()):
    """Every assignment to the hidden cells of one line (cells adding up to a published total) that
    agrees with their marks: "<5" is 1–4, a complement "X" at least 5, a forced "X" anything."""
    hidden = [i for i, t in enumerate(texts) if t in (SMALL, SECRET)]
    if not hidden:
        return []
    total = sum(values[i] for i in hidden)

    def allowed(i, v):
        if texts[i] == SMALL:
            return 1 <= v <= 4
        return v >= 0 if i in forced else v >= 5

    # The last cell takes what is left of the total; put a wide "X" there to keep the search small.
    hidden.sort(key=lambda i: texts[i] == SECRET)
    ranges = [range(1, 5) if texts[i] == SMALL else range(0, total + 1) for i in hidden[:-1]]
    solutions = []
    for guess in itertools.product(*ranges):
        last = total - sum(guess)
        trial = dict(zip(hidden, (*guess, last)))
        if all(allowed(i, v) for i, v in trial.items()):
            solutions.append(trial)
    return solutions


@pytest.mark.parametrize("seed", range(60))
def test_rows_never_let_a_small_count_be_computed_back(seed):
    rng = random.Random(seed)
    row = [rng.choice((0, 1, 2, 3, 4, 5, 6, 9, 14, 30)) for _ in range(4)]
    (texts,) = protect_table([row])
    solutions = feasible(row, texts)
    # Enough in the row to hide behind: some count of five or more, and room for a "<5" to move.
    room = sum(v - 5 for v in row if v >= 5) + sum(v - 1 for v in row if 0 < v < 5)
    coverable = any(v >= 5 for v in row) and room >= 3

    for i, n in enumerate(row):
        if 0 < n < 5:
            assert texts[i] == SMALL
            if coverable:
                assert {s[i] for s in solutions} == {1, 2, 3, 4}, (row, texts)


@pytest.mark.parametrize("seed", range(60))
def test_a_tiny_group_is_never_given_back_by_the_column_totals(seed):
    rng = random.Random(seed)
    people = [rng.choice((2, 3, 8, 12, 20, 40)) for _ in range(5)]
    values = [[p, rng.randint(0, p), rng.randint(0, 6)] for p in people]
    force = [(r, c) for r, p in enumerate(people) if p < 5 for c in (1, 2)]
    texts = protect_table(values, rows=False, columns=True, force=force)

    for r, c in force:
        assert texts[r][c] == SECRET
    for c in (1, 2):
        column = [row[c] for row in values]
        shown = [row[c] for row in texts]
        forced = {r for r, fc in force if fc == c}
        if not forced:
            continue
        solutions = feasible(column, shown, forced)
        coverable = sum(v - 5 for v in column if v >= 5) + sum(v - 1 for v in column if 0 < v < 5) >= 4
        for r in forced:
            if coverable:
                # The group's count could be anything from 0 to 4 for all the totals tell.
                assert {0, 1, 2, 3, 4} <= {s[r] for s in solutions}, (values, texts)


def test_protect_table_leaves_plain_rows_alone():
    assert protect_table([[120, 30, 15, 0]]) == [["120", "30", "15", "0"]]
    # One rule: a "<5" always takes a complement with it, the smallest count that covers it.
    assert protect_table([[120, 30, 15, 3]]) == [["120", "30", SECRET, SMALL]]
    # keep: the ③ column is hidden only when nothing else will do.
    assert protect_table([[120, 30, 15, 3]], keep=[2]) == [["120", SECRET, "15", SMALL]]
    # Nothing published beside the counts: nothing to protect against.
    assert protect_table([[120, 30, 15, 3]], rows=False) == [["120", "30", "15", SMALL]]


@pytest.mark.parametrize(
    "part, part_text, whole, shown",
    [(3, SMALL, 168, "<3.0%"), (15, "15", 168, "8.9%"), (15, SECRET, 168, "—"), (3, SMALL, 4, "—"), (0, "0", 50, "0.0%")],
)
def test_rates_never_undo_a_hidden_count(part, part_text, whole, shown):
    assert bounded_rate_text(part, part_text, whole) == shown

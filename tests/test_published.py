"""The published figures against an attacker, on the demo city, and the viewers' dashboard cell for cell."""
from html.parser import HTMLParser

import pytest

from spotcheck import council, disclosure, figures
from spotcheck.campaigns import get_campaign
from tests.test_attack import ranges, widest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo city (600 staff, 30 sections, 40 signed visits): a realistic spread of small cells."""
    from spotcheck import create_app
    from spotcheck.db import connect

    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPOTCHECK_INSTANCE", str(folder / "instance"))
        app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    assert runner.invoke(args=["demo"]).exit_code == 0
    db = connect(app.config["DATABASE"])
    data = council.report_data(db, get_campaign(db, code="R6"))
    yield app, data, figures.publish(data)
    db.close()


def assert_unrecoverable(values, texts, **shape):
    """Every hidden cell keeps at least two possible values, unless no suppression could give it that."""
    found = ranges(values, [list(row) for row in texts], **shape)
    pinned = [c for c, (low, high) in found.items() if high - low < 1]
    if pinned:
        best = ranges(values, widest(values, shape.get("force", ())), **shape)
        for c in pinned:
            assert best[c][1] - best[c][0] < 1, ("leak", c, values[c[0]], texts[c[0]])
    return found


def test_no_hidden_count_in_any_published_table_can_be_worked_out(demo):
    _app, data, fig = demo
    hidden = 0
    items = [[item.counts.get(label, 0) for label in fig.items.labels] for item in data.items]
    force = [(r, c) for r, item in enumerate(data.items) if 0 < item.total < 5 for c in range(len(fig.items.labels))]
    hidden += len(assert_unrecoverable(items, fig.items.texts, rows=True, force=force))
    checks = [[c.counts.get(label, 0) for label in fig.checks.labels] + [c.total] for c in data.checks]
    force = [(r, c) for r, check in enumerate(data.checks) if 0 < check.total < 5 for c in range(len(fig.checks.labels))]
    hidden += len(assert_unrecoverable(checks, fig.checks.texts, rows=True, columns=True,
                                       row_parts=len(fig.checks.labels), force=force))
    gap = [[c.claims_done, c.over_reported] for c in data.checks]
    hidden += len(assert_unrecoverable(gap, list(zip(fig.gap.claims, fig.gap.over)), rows=False, columns=True))
    for t in (fig.employment, fig.sections):
        values = [[g.people, g.answered, g.not_done, g.visits, g.observed, g.claims_done or 0, g.over_reported,
                   g.findings, g.open_followups] for g in t.rows]
        texts = list(zip(t.people, t.answered, t.not_done, t.visits, t.observed, t.claims, t.over, t.findings, t.open))
        force = [(r, c) for r, g in enumerate(t.rows) if 0 < g.people < 5 for c in range(1, 9)]
        hidden += len(assert_unrecoverable(values, texts, rows=False, columns=True, force=force))
    assert hidden > 0  # the demo city has small cells to protect


def test_no_rate_is_printed_beside_a_hidden_count(demo):
    _app, data, fig = demo
    for texts, rate in zip(fig.items.texts, fig.items.rates):
        not_done = [t for label, t in zip(fig.items.labels, texts) if label in data.not_done_labels]
        if any(disclosure.is_hidden(t) for t in not_done):
            assert rate.text == "—"
    for t in (fig.employment, fig.sections):
        for i, g in enumerate(t.rows):
            if disclosure.is_hidden(t.over[i]) or g.people < 5:
                assert t.over_rate(i).text == "—"
    assert not any(r.text.startswith("<") for r in (*fig.items.rates, *fig.gap.rates))


class _Tables(HTMLParser):
    """The cells of every <table data-table=…> in a page, row by row."""

    def __init__(self):
        super().__init__()
        self.tables, self.current, self.cell = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self.current = self.tables.setdefault(attrs["data-table"], [])
        elif tag == "tr" and self.current is not None:
            self.current.append([])
        elif tag in ("td", "th") and self.current is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.current = None
        elif tag in ("td", "th") and self.cell is not None and self.current is not None:
            self.current[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def test_the_viewers_dashboard_prints_the_reports_figures_and_no_slices(demo):
    app, data, fig = demo
    from spotcheck import auth
    from spotcheck.db import connect
    from tests.factories import PASSWORD

    db = connect(app.config["DATABASE"])
    auth.create_user(db, "viewer-check", PASSWORD, "viewer")
    db.close()
    client = app.test_client()
    assert client.post("/login", data={"username": "viewer-check", "password": PASSWORD}).status_code == 302
    page = client.get("/dashboard?section=1&employment=fiscal_year").get_data(as_text=True)
    assert 'name="section"' not in page and 'name="employment"' not in page  # no slices for viewers
    parser = _Tables()
    parser.feed(page)
    items = [row[2:-2] for row in parser.tables["items"][1:]]
    assert items == [list(row) for row in fig.items.texts]
    checks = [row[1:] for row in parser.tables["checks"][1:-1]]
    assert checks == [list(row) for row in fig.checks.texts]
    people = [row[1] for row in parser.tables["sections"][1:]]
    assert people == list(fig.sections.people)
    for name in ("items", "checks", "sections"):
        csv = client.get(f"/exports/{name}.csv").get_data(as_text=True)
        assert csv.count("\n") >= 2
    exported = client.get("/exports/items.csv").get_data(as_text=True).splitlines()[1:]
    first_row = exported[0].split(",")
    assert first_row[2:2 + len(fig.items.labels)] == list(fig.items.texts[0])


def test_an_over_count_that_would_pin_the_hidden_failures_of_its_check_is_hidden_too():
    """表2 shows 不適合 <5 and 重大 <5; over-reported 8 would tell a reader both are 4."""
    from spotcheck.figures import CheckStat, _checks, _gap

    counts = {"適合": 30, "観察事項": 6, "不適合": 4, "重大": 4}
    pinned = CheckStat("USBメモリ等", counts, 44, claims_done=20, over_reported=8, previous_over_rate=None)
    fine = CheckStat("ワイヤーロック", {"適合": 35, "観察事項": 6, "不適合": 3, "重大": 1}, 45, claims_done=20,
                     over_reported=2, previous_over_rate=None)
    others = [CheckStat(f"確認{i}", {"適合": 40, "観察事項": 5}, 45, claims_done=30, over_reported=9,
                        previous_over_rate=None) for i in range(3)]
    checks = (pinned, fine, *others)
    order, failed = ("適合", "観察事項", "不適合", "重大"), ("不適合", "重大")
    results = _checks(checks, order, failed)
    assert [results.texts[0][2], results.texts[0][3]] == ["<5", "<5"]
    gap = _gap(checks, results, failed)
    assert disclosure.is_hidden(gap.over[0]) and gap.rates[0].text == "—"
    assert gap.over[1] == "<5"  # 2 ≤ 4 + 4: the two failures keep more than one value each

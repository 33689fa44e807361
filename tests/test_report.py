"""Tests for spotcheck.report (the council report PDF).

The sample is bench.report.sample_report(30): 35 items, 16 checks, 30 sections of which three
have 2–4 people, four 任用区分 of which one has three people, previous rates for some items,
checks and groups. The benchmark builds the same data at 300 sections.
"""
import json
import re
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from bench import report as bench_report
from bench.report import LONG_SECTION, TINY_SECTIONS, sample_report
from spotcheck import fonts as report_fonts
from spotcheck.figures import FollowupStat, ReportData
from spotcheck.report import build_report, default_title
from tests.system import MISSING_IPAEX, poppler, require

TITLE = "令和6年度 情報セキュリティ内部監査（抜き打ち実地監査）結果報告"

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "report"
def pdf_text(path, page=None, layout=False):
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return poppler("pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), *pages, str(path), "-").decode("utf-8")


def squeeze(text):
    return "".join(text.split())


def printed_in_order(needle, text):
    """Every character of needle appears in text, in order (wrapped cells interleave with neighbours)."""
    rest = iter(squeeze(text))
    return all(char in rest for char in squeeze(needle))


def row_lines(layout_text, label):
    """The lines of `pdftotext -layout` output (spaces squeezed) that start with this label: the
    table row, and the chart's bar when there is one."""
    lines = [" ".join(line.split()) for line in layout_text.splitlines()]
    found = [line for line in lines if line.startswith(label + " ")]
    assert found, label
    return found


def integers(line):
    """The whole numbers printed in a line, commas removed (not the digits inside rates like 4.1%)."""
    return [int(t.replace(",", "")) for t in re.findall(r"(?<![\d.<])\d[\d,]*(?![\d.%])", line)]


@pytest.fixture(scope="module")
def fonts():
    return report_fonts.register_fonts()


@pytest.fixture(scope="module")
def sample():
    return sample_report(30)


@pytest.fixture(scope="module")
def sample_pdf(sample, fonts, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.pdf"
    path.write_bytes(build_report(sample, fonts))
    return path


@pytest.fixture(scope="module")
def layout(sample_pdf):
    return pdf_text(sample_pdf, layout=True)


def test_sample_has_the_shape_the_brief_asks_for(sample):
    assert len(sample.items) == 35 and len(sample.checks) == 16
    assert len(sample.by_section) == 30 and len(sample.by_employment) == 4
    assert sorted(g.people for g in sample.by_section if g.people < 5) == [2, 3, 4]
    assert [g.people for g in sample.by_employment if g.people < 5] == [3]
    assert any(i.previous_not_done_rate is not None for i in sample.items)
    assert any(i.previous_not_done_rate is None for i in sample.items)


def test_report_shows_title_addressee_era_date_and_every_part(sample_pdf, sample):
    text = pdf_text(sample_pdf)
    flat = squeeze(text)

    assert sample.title == TITLE
    assert squeeze(TITLE) in flat  # printed over two lines on the cover
    assert "情報公開・個人情報保護運営審議会" in text
    assert "令和7年3月14日" in text  # issued_on in the Japanese era
    assert "令和6年度" in text
    for heading in ("概要", "１　自己申告と実態の乖離", "２　セルフチェックの結果", "３　実地確認の結果",
                    "４　任用区分別の状況", "５　改善状況", "６　所属別の状況", "注記"):
        assert squeeze(heading) in flat, heading
    assert "前回" in text and "前回比" in text
    assert squeeze("数が1〜4の場合は「<5」と表示し") in flat and squeeze("（補完秘匿）") in flat
    for note in sample.notes:
        assert squeeze(note) in flat


def test_the_gap_between_self_report_and_reality_comes_first_with_its_numbers(sample_pdf, sample):
    page1 = squeeze(pdf_text(sample_pdf, 1))
    rate = f"{100 * sample.over_reported / sample.claims_done:.1f}%"

    assert page1.index("自己申告と実態の乖離") < squeeze(pdf_text(sample_pdf)).index("セルフチェックの結果（項目別）")
    assert f"「できている」と申告していた{sample.claims_done:,}件のうち、{sample.over_reported}件" in page1
    assert rate in page1
    diff = f"{float(rate[:-1]) - sample.previous_over_rate:+.1f}".replace("-", "−")
    assert f"前回比{diff}ポイント" in page1
    # Cover figures: answered / in scope, visits, sections visited of all, findings (うち重大).
    assert f"{sample.answered}人／対象{sample.staff_in_scope}人" in page1
    assert f"{sample.sections_visited}所属／全{sample.sections_total}所属" in page1
    assert f"指摘は{sample.findings}件（うち重大{sample.major_findings}件）" in page1


def test_tiny_sections_show_less_than_five_and_no_breakdown(layout):
    for name, people in TINY_SECTIONS.items():
        (line,) = row_lines(layout, name)
        assert "<5" in line
        rest = line.replace(name, "").replace("<5", "")
        assert not re.search(r"\d", rest), line  # neither its size nor any count of it
        assert "X" in rest and "—" in rest


def test_the_tiny_employment_group_is_shown_merged_never_alone(layout, sample):
    tiny = next(g for g in sample.by_employment if g.people < 5)
    merged_with = min((g for g in sample.by_employment if g.people >= 5), key=lambda g: g.people)
    flat = squeeze(layout)

    assert not any(line.strip().startswith(tiny.label) for line in layout.splitlines())
    assert squeeze(f"{merged_with.label}・{tiny.label}") in flat
    assert squeeze(f"5人未満の任用区分があるため、{merged_with.label}と{tiny.label}は合わせて1行で表示しています") in flat
    for line in row_lines(layout, f"{merged_with.label}・{tiny.label}"):
        assert integers(line)[0] == merged_with.people + tiny.people


def test_no_count_of_one_to_four_is_printed_in_any_row(layout, sample):
    rows = [g.label for g in sample.by_section if g.label != LONG_SECTION] + [g.label for g in sample.by_employment[:2]]
    rows += [f"{i} {c.title}" for i, c in enumerate(sample.checks, start=1)]
    rows += [f"{item.no} {item.topic}" for item in sample.items]
    for label in rows:
        for line in row_lines(layout, label):
            numbers = integers(line.replace(label, ""))
            assert not [n for n in numbers if 1 <= n <= 4], line


def test_rates_of_hidden_counts_are_not_printed_not_even_as_bounds(layout, sample):
    check = next(c for c in sample.checks if 0 < c.over_reported < 5 and c.claims_done >= 5)
    label = next(f"{i} {c.title}" for i, c in enumerate(sample.checks, start=1) if c is check)
    lines = row_lines(layout, label)

    assert any("<5" in line and "—" in line for line in lines)  # the table row: count hidden, rate "—"
    for line in lines:
        assert f"{100 * check.over_reported / check.claims_done:.1f}%" not in line
        assert f"<{500 / check.claims_done:.1f}%" not in line


def test_long_section_names_wrap_instead_of_being_cut(sample_pdf):
    assert printed_in_order(LONG_SECTION, pdf_text(sample_pdf))


def test_every_page_has_its_number_out_of_the_total_and_the_title(sample_pdf):
    total = len(PdfReader(sample_pdf).pages)

    assert total >= 2
    for page in range(1, total + 1):
        text = pdf_text(sample_pdf, page)
        assert f"{page} / {total} ページ" in text
        assert TITLE in text  # the footer, on one line


def test_long_tables_repeat_their_header_on_every_page(fonts, tmp_path):
    data = sample_report(120)
    path = tmp_path / "big.pdf"
    path.write_bytes(build_report(data, fonts))
    names = {g.label for g in data.by_section}
    pages = []
    for page in range(1, len(PdfReader(path).pages) + 1):
        text = pdf_text(path, page, layout=True)
        if any(line.strip().split(" ")[0] in names for line in text.splitlines()):
            pages.append((page, text))

    assert len(pages) >= 3  # the section table spans pages
    for page, text in pages:
        assert "所属" in text and squeeze("改善未了") in squeeze(text), page


def test_report_embeds_the_ipaex_fonts_and_nothing_else(sample_pdf, fonts):
    require(fonts.embedded, MISSING_IPAEX)
    listing = poppler("pdffonts", str(sample_pdf)).decode()
    rows = [line.split() for line in listing.splitlines()[2:]]

    assert {row[0].split("+")[-1] for row in rows} == {"IPAexGothic", "IPAexMincho"}, listing  # no Helvetica
    assert all(row[-5] == "yes" for row in rows), listing


def test_metadata_carries_the_title_and_no_person(sample_pdf, sample):
    info = PdfReader(sample_pdf).metadata

    assert info.title == sample.title
    assert info.author == sample.issuer


def test_empty_campaign_still_builds(fonts, tmp_path):
    data = ReportData(
        title=default_title(2024), campaign_title="令和6年度 情報セキュリティ監査", fiscal_year=2024,
        previous_campaign_title=None, issued_on=date(2024, 4, 1), staff_in_scope=0, answered=0, visits=0,
        sections_visited=0, sections_total=0, findings=0, major_findings=0, claims_done=0, over_reported=0,
        items=(), checks=(), by_employment=(), by_section=(), followups=FollowupStat(0, 0, 0, 0, 0), notes=(),
    )
    path = tmp_path / "empty.pdf"
    path.write_bytes(build_report(data, fonts))
    text = pdf_text(path)

    assert "令和6年4月1日" in text
    assert "実地監査は、この報告の時点ではまだ行っていません。" in squeeze(text)
    assert "該当するデータがありません。" in text
    assert "—" in text  # every rate over nothing


def test_cid_fallback_fonts_still_build(sample, tmp_path):
    fallback = report_fonts.register_fonts(tmp_path / "none-g.ttf", tmp_path / "none-m.ttf", search_dirs=[tmp_path])
    path = tmp_path / "cid.pdf"
    path.write_bytes(build_report(replace(sample, notes=()), fallback))

    assert "令和7年3月14日" in pdf_text(path)


def test_review_renderings_are_written_to_test_artifacts(sample_pdf):
    """Not a check: the pages as PNG in test-artifacts/report/ for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("report-*.png"):
        old.unlink()
    shutil.copyfile(sample_pdf, ARTIFACTS / "report.pdf")
    poppler("pdftoppm", "-png", "-r", "70", str(sample_pdf), str(ARTIFACTS / "report"))

    assert len(list(ARTIFACTS.glob("report-*.png"))) == len(PdfReader(sample_pdf).pages)


def test_benchmark_command_runs(tmp_path, capsys):
    out = tmp_path / "report.json"

    bench_report.main(["--runs", "1", "--sections", "30", "--out", str(out)])

    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["content"]["sections"] == 30 and results["pages"] >= 2
    assert "build_report" in capsys.readouterr().out


def test_the_finer_answer_scale_shares_one_cell_per_item(sample, fonts, tmp_path):
    fine = ("A 常にできている", "B おおむねできている", "C 知っているができていない", "D 決まりを知らなかった", "N 該当しない", "未回答")
    items = tuple(
        replace(i, counts=dict(zip(fine, (i.total - 60, 30, 12, 8, 7, 3))), not_done=20) for i in sample.items
    )
    path = tmp_path / "fine.pdf"
    path.write_bytes(build_report(replace(sample, items=items), fonts))
    text = squeeze(pdf_text(path))

    assert "回答の内訳（人）" in text
    assert squeeze("回答の内訳の記号：A＝常にできている、B＝おおむねできている、C＝知っているができていない") in text
    assert "D8" in text and "未回答<5" in text
    assert "NX" in text  # the next-smallest count of the row hides with it, so n − the rest gives nothing


def test_answers_nobody_gave_get_no_column(sample, fonts, tmp_path):
    unused = ("A 常にできている", "B おおむねできている", "C 知っているができていない", "D 決まりを知らなかった", "対象外")
    items = tuple(replace(i, counts={**i.counts, **dict.fromkeys(unused, 0)}) for i in sample.items)
    path = tmp_path / "unused.pdf"
    path.write_bytes(build_report(replace(sample, items=items), fonts))
    text = squeeze(pdf_text(path))

    assert "回答の内訳（人）" not in text  # still one column per answer: ① ② ③ 未回答
    assert "常にできている" not in text and "対象外" not in text

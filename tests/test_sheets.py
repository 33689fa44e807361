"""Tests for spotcheck.sheets (the findings-sheet PDF) and spotcheck.fonts.

The sample sheet is bench.sheets.sample_sheet, so the benchmark times exactly what is tested:
16 checks (3 discrepancies, long remarks, a table over two pages), 4 findings (one 重大),
6 photos, one drawn signature and one refusal.
"""
import io
import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from bench import sheets as bench_sheets
from bench.sheets import sample_sheet
from spotcheck import fonts as sheet_fonts
from spotcheck.sheets import IMPROVEMENT_REQUEST, NO_FINDINGS, SHEET_TITLE, build_sheet
from tests.system import MISSING_IPAEX, poppler, require

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "sheets"
def pdf_text(path, page=None):
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return poppler("pdftotext", "-enc", "UTF-8", *pages, str(path), "-").decode("utf-8")


def squeeze(text):
    """Text without any whitespace, so that wrapped lines compare equal to the original."""
    return "".join(text.split())


def printed_in_order(needle, text):
    """Every character of needle appears in text, in order: wrapped table cells come out of
    pdftotext interleaved with their neighbours, but nothing of them is lost."""
    rest = iter(squeeze(text))
    return all(char in rest for char in squeeze(needle))


# The sample's photos and its PDF are read-only, so one module-wide copy saves the
# rendering in every test.
@pytest.fixture(scope="module")
def fonts():
    return sheet_fonts.register_fonts()


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("photos")


@pytest.fixture(scope="module")
def sample(photo_dir):
    return sample_sheet(photo_dir)


@pytest.fixture(scope="module")
def sample_pdf(sample, fonts, tmp_path_factory):
    path = tmp_path_factory.mktemp("sheet") / "sheet.pdf"
    path.write_bytes(build_sheet(sample, fonts))
    return path


def test_sheet_shows_title_serial_era_date_findings_refusal_and_verification_code(sample_pdf, sample):
    text = pdf_text(sample_pdf)

    assert SHEET_TITLE in text
    assert sample.serial in text
    assert "令和6年2月2日" in text  # issue date and audit date in the Japanese era
    assert "令和5年度" in text  # the campaign's fiscal year (February 2024 is FY2023)
    for no in range(1, 5):
        assert f"指摘{no}" in text
    assert "■重大" in text  # the severe finding is ticked as such
    assert IMPROVEMENT_REQUEST in squeeze(text)
    assert "署名拒否" in text
    assert "所属長が不在のため" in text  # the refusal's reason
    assert f"検証コード {sample.digest[:16]}" in text


def test_every_page_is_numbered_out_of_the_total(sample_pdf, sample):
    total = len(PdfReader(sample_pdf).pages)

    assert total >= 3
    for page in range(1, total + 1):
        text = pdf_text(sample_pdf, page)
        assert f"{page} / {total} ページ" in text
        assert sample.serial in text
        assert f"検証コード {sample.digest[:16]}" in text


def test_check_table_spans_pages_with_its_header_repeated_and_nothing_cut_off(sample_pdf, sample):
    pages_with_header = [p for p in (1, 2, 3) if "本人の自己申告" in pdf_text(sample_pdf, p)]
    text = squeeze(pdf_text(sample_pdf))

    assert pages_with_header[:2] == [1, 2]
    for row in sample.rows:
        assert printed_in_order(row.remark, text)  # long remarks wrap instead of being clipped
        assert printed_in_order(row.title, text)
    assert sum(row.discrepancy for row in sample.rows) == 3
    assert text.count("●乖離") == 3 + 1  # the three rows and the legend under the table


def test_self_reports_are_listed_line_by_line_with_unanswered_items_named(sample_pdf):
    text = squeeze(pdf_text(sample_pdf))

    assert "No.19外部記録媒体：①できている" in text
    assert "No.22のぞき見の防止：未回答" in text
    assert "本人の自己申告は令和5年11月10日の回答です。" in text


def test_sheet_embeds_the_ipaex_fonts(sample_pdf, fonts):
    require(fonts.embedded, MISSING_IPAEX)
    listing = poppler("pdffonts", str(sample_pdf)).decode()
    rows = [line.split() for line in listing.splitlines()[2:]]

    assert {row[0].split("+")[-1] for row in rows} == {"IPAexGothic", "IPAexMincho"}
    # Columns: name, type, encoding, emb, sub, uni, object, generation.
    assert all(row[-5] == "yes" for row in rows), listing


def test_qr_code_on_page_one_decodes_to_the_verify_url(sample_pdf, sample, tmp_path):
    import zxingcpp

    poppler("pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", str(sample_pdf), str(tmp_path / "p1"))
    with Image.open(tmp_path / "p1.png") as page:
        codes = zxingcpp.read_barcodes(page)

    assert [c.text for c in codes if c.format == zxingcpp.BarcodeFormat.QRCode] == [sample.verify_url]
    text = squeeze(pdf_text(sample_pdf, 1))
    assert squeeze("この結果票の真正性は QR コードから確認できます") in text
    assert sample.verify_url in text


def test_amended_sheet_is_marked_as_a_correction(sample, fonts, tmp_path):
    amended = replace(sample, serial="SC-2024-0012-2", version=2, amended=True, supersedes="SC-2024-0012")
    path = tmp_path / "amended.pdf"
    path.write_bytes(build_sheet(amended, fonts))

    first = pdf_text(path, 1)
    assert "訂正版（第2版）" in first
    assert "（SC-2024-0012 を訂正）" in first
    last = pdf_text(path, len(PdfReader(path).pages))
    assert "訂正版（第2版）" in last  # in the footer of every page


def test_original_sheet_carries_no_correction_mark(sample_pdf):
    assert "訂正" not in pdf_text(sample_pdf)


def test_sheet_without_findings_says_so(sample, fonts, tmp_path):
    path = tmp_path / "clean.pdf"
    path.write_bytes(build_sheet(replace(sample, findings=(), photos=()), fonts))

    text = pdf_text(path)
    assert NO_FINDINGS in text
    assert "指摘1" not in text
    assert IMPROVEMENT_REQUEST not in squeeze(text)


def test_markup_characters_in_user_text_are_printed_as_typed(sample, fonts, tmp_path):
    tricky = replace(sample, overall_comment="<b>太字</b> & 1 < 2\n次の行", section="A&B課 <係>")
    path = tmp_path / "tricky.pdf"
    path.write_bytes(build_sheet(tricky, fonts))

    text = pdf_text(path)
    assert "<b>太字</b> & 1 < 2" in text
    assert "次の行" in text
    assert "A&B課 <係>" in text


def test_texts_longer_than_a_page_continue_on_the_next_page(sample, fonts, tmp_path):
    long = "長い記載が続きます。" * 300 + "（以上）"
    rows = (replace(sample.rows[0], remark=long), *sample.rows[1:])
    findings = (replace(sample.findings[0], fact=long), *sample.findings[1:])
    path = tmp_path / "long.pdf"
    path.write_bytes(build_sheet(replace(sample, overall_comment=long, rows=rows, findings=findings), fonts))

    assert squeeze(pdf_text(path)).count("（以上）") == 3  # comment, remark and fact, each in full


def test_metadata_holds_the_title_and_serial_but_no_personal_data(sample_pdf, sample):
    meta = PdfReader(sample_pdf).metadata

    assert meta.title == f"{SHEET_TITLE} {sample.serial}"
    values = " ".join(str(v) for v in meta.values())
    for personal in (sample.person_name, sample.staff_no, sample.section, *sample.auditors):
        assert personal not in values


def test_photos_are_embedded_as_the_original_jpeg_bytes(sample_pdf, sample):
    reader = PdfReader(sample_pdf)
    embedded = [
        xobject.get_data()
        for page in reader.pages
        for xobject in (page["/Resources"].get("/XObject") or {}).values()
        if "/DCTDecode" in str(xobject.get_object().get("/Filter"))
    ]
    originals = {p.jpeg_path.read_bytes() for p in sample.photos}

    assert set(embedded) == originals  # not decoded, not re-encoded


def test_sheet_renders_with_the_non_embedded_cid_fallback(sample, tmp_path):
    fallback = sheet_fonts.register_fonts(tmp_path / "missing-g.ttf", tmp_path / "missing-m.ttf", search_dirs=())
    path = tmp_path / "cid.pdf"
    path.write_bytes(build_sheet(sample, fallback))

    assert SHEET_TITLE in pdf_text(path)
    listing = poppler("pdffonts", str(path)).decode()
    assert "HeiseiKakuGo-W5" in listing and "HeiseiMin-W3" in listing


def test_review_renderings_are_written_to_test_artifacts(sample_pdf):
    """Not a check: the pages as PNG in test-artifacts/sheets/ for a person to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("sheet-*.png"):
        old.unlink()
    shutil.copyfile(sample_pdf, ARTIFACTS / "sheet.pdf")
    poppler("pdftoppm", "-png", "-r", "80", str(sample_pdf), str(ARTIFACTS / "sheet"))
    poppler("pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", "-singlefile", str(sample_pdf), str(ARTIFACTS / "sheet-page1-150dpi"))

    assert len(list(ARTIFACTS.glob("sheet-*.png"))) == len(PdfReader(sample_pdf).pages) + 1


def test_benchmark_command_runs(tmp_path, capsys):
    out = tmp_path / "sheets.json"

    bench_sheets.main(["--runs", "1", "--out", str(out)])

    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results["ms"]) == {"sheet", "bare"}
    assert results["pages"]["sheet"] >= 3
    assert "build_sheet" in capsys.readouterr().out


# ---------------------------------------------------------------- fonts


def test_fonts_fall_back_to_cid_fonts_with_a_japanese_warning(tmp_path):
    status = sheet_fonts.register_fonts(tmp_path / "nope-g.ttf", tmp_path / "nope-m.ttf", search_dirs=[tmp_path])

    assert status.embedded is False
    assert (status.gothic, status.mincho) == ("HeiseiKakuGo-W5", "HeiseiMin-W3")
    assert status.warning.startswith(sheet_fonts.NOT_EMBEDDED_WARNING)
    assert "fonts-ipaexfont をインストールするか、設定 PDF_FONT_GOTHIC に" in status.warning
    assert status.paths == {}


def test_fonts_are_found_in_the_search_folders(tmp_path, fonts):
    require(fonts.embedded, MISSING_IPAEX)
    for name, path in fonts.paths.items():
        (tmp_path / path.name).symlink_to(path)

    status = sheet_fonts.register_fonts(search_dirs=[tmp_path / "empty", tmp_path])

    assert status.embedded is True and status.warning is None
    assert (status.gothic, status.mincho) == ("SC-Gothic", "SC-Mincho")
    assert {p.name for p in status.paths.values()} == {"ipaexg.ttf", "ipaexm.ttf"}


def test_configured_font_collections_are_refused_with_a_reason(tmp_path):
    collection = tmp_path / "NotoSansCJK-Regular.ttc"
    collection.write_bytes(b"ttcf" + bytes(64))  # never handed to ReportLab

    status = sheet_fonts.register_fonts(collection, None, search_dirs=())

    assert status.embedded is False
    assert f"設定 PDF_FONT_GOTHIC のフォント {collection} は使えません" in status.warning


def test_a_ttf_symlink_to_a_collection_is_refused(tmp_path):
    collection = tmp_path / "NotoSerifCJK-Regular.ttc"
    collection.write_bytes(b"ttcf" + bytes(64))
    (tmp_path / "ipaexm.ttf").symlink_to(collection)

    status = sheet_fonts.register_fonts(search_dirs=[tmp_path])

    assert status.embedded is False


def test_register_fonts_is_idempotent(fonts):
    again = sheet_fonts.register_fonts()

    assert again is fonts
    from reportlab import rl_config

    assert rl_config.useA85 == 0


def test_fonts_report_the_missing_half_of_the_pair(tmp_path, fonts):
    require(fonts.embedded, MISSING_IPAEX)
    (tmp_path / "ipaexg.ttf").symlink_to(fonts.paths["SC-Gothic"])

    status = sheet_fonts.register_fonts(search_dirs=[tmp_path])

    assert status.embedded is True
    assert (status.gothic, status.mincho) == ("SC-Gothic", "SC-Gothic")
    assert "IPAex 明朝（ipaexm.ttf）が見つからない" in status.warning


def test_pdf_bytes_are_a_pdf(sample, fonts):
    pdf = build_sheet(sample, fonts)

    assert pdf.startswith(b"%PDF-")
    assert len(PdfReader(io.BytesIO(pdf)).pages) >= 3

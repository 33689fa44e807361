"""Findings-sheet benchmark: build_sheet against a bare ReportLab build of the same content.

    .venv/bin/python -m bench.sheets             # median of 15 runs of each
    .venv/bin/python -m bench.sheets --runs 5

The sample (16 checks, 3 discrepancies, 4 findings, 6 photos already downsized to ≤1600 px
JPEG, 2 signatures) is the one tests/test_sheets.py renders. Fonts are registered once
before timing. The bare build uses the same fonts, paragraphs, tables and images, but a
plain canvas (no "page x / y" second pass) and no QR code. Sheet and bare builds alternate
run by run so that machine noise hits both alike. Results go to bench/out/sheets.json.
"""
import argparse
import gc
import io
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter
from pypdf import PdfReader

from spotcheck import fonts as sheet_fonts
from spotcheck import sheets
from spotcheck.integrity import ChainLink
from spotcheck.sheets import CheckRow, Finding, Photo, SelfReport, SheetData, Signature

TARGET_MS = 150.0
TARGET_RATIO = 1.5
TARGET_BYTES = 1_500_000
OUT = Path(__file__).resolve().parent / "out" / "sheets.json"

ANSWERED = date(2023, 11, 10)
DONE, PARTLY, NOT_DONE = "① できている", "② 一部できている", "③ できていない"

# (check title, [(self-check item, topic, answer)], result, discrepancy, remark, photos)
CHECKS = [
    ("ワイヤーロックによる固定", [(3, "ワイヤーロック", DONE)], "不適合", True,
     "デスクトップPC 3台のうち1台（窓口側）のワイヤーロックに鍵が差したままになっていた。"
     "鍵の保管場所は決められていないとのこと。", (1,)),
    ("情報資産台帳との照合（3台）", [(7, "情報資産台帳", DONE), (13, "LAN接続機器", DONE)], "観察事項", False,
     "3台とも台帳に記載あり。うち1台は設置場所が旧レイアウトのままで、更新日が令和4年度だった。", (2,)),
    ("離席時の画面ロック", [(4, "画面ロック", DONE)], "適合", False, "離席中の端末2台はいずれもロックされていた。", ()),
    ("クリアデスク", [(5, "クリアデスク", PARTLY), (23, "特定個人情報の保管", DONE)], "観察事項", False,
     "昼休み中の空席1席に、申請書の控え（個人名あり）が伏せずに置かれていた。撮影はしていない。", ()),
    ("パスワードのメモ", [(6, "パスワードの管理", DONE)], "適合", False, "モニター周辺、キーボード下にメモなし。", ()),
    ("キャビネットの施錠と鍵の管理", [(5, "クリアデスク", PARTLY), (23, "特定個人情報の保管", DONE)], "適合", False,
     "特定個人情報を保管するキャビネットは施錠され、鍵はキーボックスで管理されていた。", (3,)),
    ("USB等の外部記録媒体", [(19, "外部記録媒体", DONE)], "不適合", True,
     "登録外のUSBメモリ（私物）が端末に接続されていた。本人は「書き込みはできないと思っていた」と説明。"
     "実際に書き込み制御が効いているかは情報政策課で確認が必要。媒体の登録簿には当該USBメモリの記載がなく、"
     "いつから使用していたかも不明であった。", (4,)),
    ("インストール済みソフトウェア", [(9, "ソフトウェアの導入", DONE)], "適合", False, "許可リスト外のソフトウェアは見当たらなかった。", ()),
    ("ウイルス対策ソフトの状態", [(11, "ウイルス対策", DONE)], "適合", False, "稼働中、定義ファイルは当日更新済み。", ()),
    ("送信メールの宛先（TO/CC/BCC）", [(17, "メールの宛先", DONE), (18, "誤送信の防止", PARTLY)], "適合", False,
     "本人の同意を得て直近の外部宛て一斉送信を確認。BCCが使われていた。", ()),
    ("持出し簿", [(14, "持出しの承認", DONE), (24, "特定個人情報の持出し記録", NOT_DONE)], "不適合", False,
     "1月分の持出し簿に返却欄の記入漏れが2件あった。承認印欄は記入されている。"
     "本人は自己申告で③と回答しており、記録の付け方を知らなかったとのこと。", (5,)),
    ("窓口からの視認性", [(22, "のぞき見の防止", "")], "適合", False, "来庁者側から画面・書類は見えなかった。", ()),
    ("裏紙・シュレッダー", [(26, "廃棄の記録", DONE)], "適合", False, "裏紙箱に個人情報を含む紙はなかった。", ()),
    ("LAN に接続された機器", [(7, "情報資産台帳", DONE), (13, "LAN接続機器", DONE)], "重大", True,
     "執務室の島の下に、情報政策課が管理していない家庭用無線LANルーターが庁内LANに接続されていた。"
     "職員によると、数年前に会議室で無線を使うため前任者が設置したもので、現在の設定・パスワードを知る者はいない。"
     "その場で所属長立会いのもとLANケーブルを抜き、情報政策課に連絡した。", (6,)),
    ("3問クイズ（事故時の連絡先・USB・BCC）", [(17, "メールの宛先", DONE), (19, "外部記録媒体", DONE), (20, "事故の報告", DONE)],
     "観察事項", False, "3問中2問正解。事故時の連絡先（情報政策課）を答えられなかった。", ()),
    ("委託業務ファイル", [(28, "委託契約のセキュリティ条項", DONE), (30, "再委託の承認", "対象外"), (35, "データの返却・消去", DONE)],
     "確認不可", False, "担当者不在のため、委託契約ファイルの所在を確認できなかった。後日、所属長から提出を受ける。", ()),
]

FINDINGS = [
    ("ワイヤーロックによる固定", "情報セキュリティ対策基準 4.1 (2) 端末の盗難防止", "窓口側デスクトップPCのワイヤーロックに鍵が差したままだった。", "不適合", (1,), date(2024, 3, 1)),
    ("USB等の外部記録媒体", "情報セキュリティ対策基準 5.3 (1) 外部記録媒体の使用制限", "登録外の私物USBメモリが端末に接続されていた。自己申告では①（できている）と回答している。", "不適合", (4,), date(2024, 3, 1)),
    ("LAN に接続された機器", "情報セキュリティ対策基準 6.2 (3) 無許可の機器接続の禁止", "情報政策課の管理外の無線LANルーターが庁内LANに接続されていた（その場で切断済み）。", "重大", (6,), date(2024, 2, 9)),
    ("持出し簿", "特定個人情報の適正な取扱いに関する取扱規程 第12条", "特定個人情報を含む書類の持出し簿に、返却の記録漏れが2件あった。", "不適合", (5,), date(2024, 3, 1)),
]

PHOTOS = [
    ("ワイヤーロック（鍵が差したまま）", (1600, 1200)),
    ("資産管理ラベル", (1600, 1200)),
    ("キャビネットの施錠", (1200, 1600)),
    ("接続されていたUSBメモリ", (1600, 1200)),
    ("持出し簿（個人名は写していない）", (1600, 1200)),
    ("管理外の無線LANルーター", (1600, 900)),
]


def make_photo(path, size, seed):
    """A photo-like JPEG (gradient, shapes, sensor noise) of the size photos.py leaves behind."""
    rnd = random.Random(seed)
    w, h = size
    base = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    tint = Image.new("RGB", (w, h), tuple(rnd.randrange(60, 200) for _ in range(3)))
    img = Image.blend(base, tint, 0.6)
    draw = ImageDraw.Draw(img)
    for _ in range(14):
        x0, y0 = rnd.randrange(w), rnd.randrange(h)
        x1, y1 = x0 + rnd.randrange(80, w // 2), y0 + rnd.randrange(60, h // 2)
        draw.rectangle((x0, y0, x1, y1), fill=tuple(rnd.randrange(256) for _ in range(3)), outline=(20, 20, 20), width=4)
    img = img.filter(ImageFilter.GaussianBlur(2))
    noise = Image.effect_noise((w, h), 40).convert("RGB")  # about 200 KB a photo, like a real one
    img = Image.blend(img, noise, 0.12)
    img.save(path, "JPEG", quality=80, optimize=True)


def make_signature_png(seed=7):
    """A hand-drawn-looking signature: dark strokes on a transparent 600×200 canvas."""
    rnd = random.Random(seed)
    img = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    x, y = 40, 110
    points = [(x, y)]
    for _ in range(40):
        x += rnd.randrange(8, 16)
        y = max(30, min(170, y + rnd.randrange(-35, 36)))
        points.append((x, y))
    draw.line(points, fill=(10, 20, 60, 255), width=5, joint="curve")
    draw.line([(60, 150), (520, 140)], fill=(10, 20, 60, 255), width=3)
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def sample_photos(folder):
    """The six sample photos written into folder as JPEGs."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    photos = []
    for number, (caption, size) in enumerate(PHOTOS, start=1):
        path = folder / f"photo-{number}.jpg"
        if not path.exists():
            make_photo(path, size, seed=number)
        photos.append(Photo(number, caption, path))
    return tuple(photos)


def sample_sheet(folder, **changes):
    """The sample findings sheet (photos written into folder); changes override fields."""
    rows = tuple(
        CheckRow(
            no=i,
            title=title,
            self_reports=tuple(SelfReport(no, topic, answer, ANSWERED if answer else None) for no, topic, answer in reports),
            result_label=result,
            discrepancy=discrepancy,
            remark=remark,
            photo_numbers=photos,
        )
        for i, (title, reports, result, discrepancy, remark, photos) in enumerate(CHECKS, start=1)
    )
    findings = tuple(Finding(i, *f) for i, f in enumerate(FINDINGS, start=1))
    signatures = (
        Signature("監査員", "情報 政子", datetime(2024, 2, 2, 10, 5), make_signature_png(), False, ""),
        Signature("被監査者", "入間 太郎", None, None, True, "所属長が不在のため、内容を確認してから署名したい。"),
    )
    data = SheetData(
        serial="SC-2024-0012",
        version=1,
        amended=False,
        supersedes=None,
        title=sheets.SHEET_TITLE,
        issued_on=date(2024, 2, 2),
        campaign_title="情報セキュリティ抜き打ち実地監査（第3回）",
        fiscal_year=2023,
        checklist_version="2023.2（35項目版）",
        basis="入間市情報セキュリティ監査実施要綱 第5条（実地監査）",
        section="市民生活部 市民課 住民記録担当",
        person_name="入間 太郎",
        staff_no="012345",
        employment="会計年度任用職員",
        auditors=("情報 政子", "総務 一郎（共同）"),
        selection="抽選（抽選記録 No.12）",
        started_at=datetime(2024, 2, 2, 9, 30),
        finished_at=datetime(2024, 2, 2, 10, 5),
        overall_comment=(
            "画面ロック、パスワード管理、キャビネットの施錠はよく守られていた。一方で、自己申告では「できている」と"
            "回答していた外部記録媒体とワイヤーロックの項目で、実地の確認結果と食い違いがあった。"
            "また、管理外の無線LANルーターが庁内LANに接続されており、重大な指摘とした（その場で切断済み）。"
            "所属として、機器の接続状況と外部記録媒体の登録状況を改めて点検されたい。"
        ),
        rows=rows,
        findings=findings,
        photos=sample_photos(folder),
        signatures=signatures,
        verify_url="https://spotcheck.city.iruma.example.lg.jp/verify/SC-2024-0012?d=3f9a0c5be1d2477aa6c3f0b18e9d2c41",
        digest="3f9a0c5be1d2477aa6c3f0b18e9d2c41e6a7b9d05c3f1e2a4b6c8d0e1f2a3b4c",
        chain=ChainLink(12, "8c1f" + "0" * 60, "77ab" + "1" * 60, "2024-02-02T10:05:00+09:00"),
        categories=("不適合", "重大"),  # as the shipped forms/onsite.toml names its findings
    )
    return replace(data, **changes)


def bare_build(data, fonts):
    """The same content with plain ReportLab: same paragraphs, tables and images; no page total, no QR."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image as RLImage
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    from spotcheck.wareki import format_date, format_datetime

    def st(font, size):
        return ParagraphStyle(f"{font}{size}", fontName=font, fontSize=size, leading=size * 1.45, wordWrap="CJK")

    g, m = fonts.gothic, fonts.mincho
    body, cell, label, head = st(m, 10), st(m, 8.5), st(g, 8.5), st(g, 11.5)

    def p(text, style):
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), "TOP")])
    story = [p(f"文書番号 {data.serial}", body), p(f"発行日 {format_date(data.issued_on)}", body), p(data.title, st(g, 17))]
    header = [[p(k, label), p(v, body)] for k, v in (
        ("監査名", data.campaign_title), ("監査の根拠", data.basis), ("被監査所属", data.section),
        ("氏名", data.person_name), ("職員番号", data.staff_no), ("任用区分", data.employment),
        ("チェックリスト版", data.checklist_version), ("監査員", "、".join(data.auditors)),
        ("実施日時", f"{format_datetime(data.started_at)} ～ {format_datetime(data.finished_at)}"),
    )]
    story += [Table(header, colWidths=[26 * mm, 110 * mm], style=grid), p("１　総評", head), p(data.overall_comment, body)]
    rows = [[p(t, label) for t in ("No.", "確認項目", "本人の自己申告", "結果", "乖離", "所見")]]
    for r in data.rows:
        reports = [p(f"No.{s.item_no} {s.topic}：{s.answer_label or '未回答'}", cell) for s in r.self_reports]
        remark = [p(r.remark, cell), p("写真" + "、".join(map(str, r.photo_numbers)), label)]
        rows.append([p(str(r.no), cell), p(r.title, cell), reports, p(r.result_label, label), p("●乖離" if r.discrepancy else "", label), remark])
    story += [p("２　確認結果", head), Table(rows, colWidths=[9 * mm, 32 * mm, 44 * mm, 15 * mm, 13 * mm, 61 * mm], repeatRows=1, style=grid)]
    story.append(p("３　指摘事項", head))
    for f in data.findings:
        block = [[p(f"指摘{f.no}", label), p(f"区分 {f.category}", label)]] + [
            [p(k, label), p(v, body)] for k, v in (("確認項目", f.check_title), ("根拠", f.basis), ("事実", f.fact),
                                                  ("写真", "写真" + "、".join(map(str, f.photo_numbers))), ("回答期限", format_date(f.due)))
        ]
        story += [Table(block, colWidths=[26 * mm, 148 * mm], style=grid), Spacer(1, 2 * mm)]
    story.append(p("４　写真", head))
    cells = []
    for ph in data.photos:
        w, h = ImageReader(str(ph.jpeg_path)).getSize()
        scale = min(79 * mm / w, 62 * mm / h)
        cells.append([RLImage(str(ph.jpeg_path), w * scale, h * scale), p(f"写真{ph.number}　{ph.caption}", body)])
    story.append(Table([cells[i : i + 2] for i in range(0, len(cells), 2)], colWidths=[87 * mm, 87 * mm]))
    sig_rows = [[p(t, label) for t in ("区分", "氏名", "署名", "署名日時")]]
    for s in data.signatures:
        if s.refused:
            mark = [p("署名拒否", label), p(f"理由：{s.refusal_reason}", cell)]
        else:
            w, h = ImageReader(io.BytesIO(s.png)).getSize()
            scale = min(70 * mm / w, 18 * mm / h)
            mark = RLImage(io.BytesIO(s.png), w * scale, h * scale, mask="auto")
        sig_rows.append([p(s.role_label, label), p(s.name, body), mark, p(format_datetime(s.signed_at) if s.signed_at else "", cell)])
    story += [p("５　記名・署名", head), Table(sig_rows, colWidths=[28 * mm, 36 * mm, 76 * mm, 34 * mm], style=grid)]

    def footer(canvas, doc):
        canvas.setFont(g, 8)
        canvas.drawCentredString(A4[0] / 2, 11 * mm, f"{doc.page} ページ　{data.serial}　検証コード {data.digest[:16]}")

    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm, bottomMargin=18 * mm, title=data.title)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def page_count(pdf):
    return len(PdfReader(io.BytesIO(pdf)).pages)


def benchmark(runs, workdir):
    """Time both builds `runs` times each, alternating, after one untimed warm-up of each."""
    status = sheet_fonts.register_fonts()
    data = sample_sheet(workdir)
    sheet_pdf, bare_pdf = sheets.build_sheet(data, status), bare_build(data, status)
    samples = {"sheet": [], "bare": []}
    cpu = {"sheet": [], "bare": []}
    for _ in range(runs):
        for name, build in (("sheet", lambda: sheets.build_sheet(data, status)), ("bare", lambda: bare_build(data, status))):
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            build()
            samples[name].append((time.perf_counter() - start) * 1000)
            cpu[name].append((time.process_time() - start_cpu) * 1000)
    stats = {
        name: {"median": statistics.median(s), "min": min(s), "max": max(s), "cpu_median": statistics.median(cpu[name])}
        for name, s in samples.items()
    }
    ratio = stats["sheet"]["median"] / stats["bare"]["median"]
    photo_bytes = sum(p.jpeg_path.stat().st_size for p in data.photos)
    return {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count(),
                    "loadavg": os.getloadavg() if hasattr(os, "getloadavg") else None},
        "fonts": {"gothic": status.gothic, "mincho": status.mincho, "embedded": status.embedded},
        "content": {"checks": len(data.rows), "findings": len(data.findings), "photos": len(data.photos),
                    "photo_jpeg_bytes": photo_bytes, "signatures": len(data.signatures)},
        "runs": runs,
        "ms": stats,
        "ratio": ratio,
        "bytes": {"sheet": len(sheet_pdf), "bare": len(bare_pdf)},
        "pages": {"sheet": page_count(sheet_pdf), "bare": page_count(bare_pdf)},
        "targets": {"ms": TARGET_MS, "ratio": TARGET_RATIO, "bytes": TARGET_BYTES},
        "ok": {"ms": stats["sheet"]["median"] <= TARGET_MS, "ratio": ratio <= TARGET_RATIO,
               "bytes": len(sheet_pdf) <= TARGET_BYTES},
        "measures": "wall-clock ms of build_sheet(data, fonts) → PDF bytes in memory (sheet) and of bare_build "
                    "(same content, plain canvas, no page total, no QR); cpu_median is process CPU time, less "
                    "disturbed by other load; fonts registered once beforehand; "
                    "the sample's JPEGs are read from disk on every build",
    }


def print_table(r):
    ok = lambda flag: "OK" if flag else "OVER"  # noqa: E731
    print(f"Findings sheet — {r['content']['checks']} checks, {r['content']['photos']} photos, "
          f"{r['content']['signatures']} signatures; median of {r['runs']} (fonts embedded: {r['fonts']['embedded']})")
    for name in ("sheet", "bare"):
        s = r["ms"][name]
        print(f"  {name:5}  median {s['median']:7.1f} ms   min {s['min']:7.1f}   max {s['max']:7.1f}   cpu {s['cpu_median']:6.1f}   "
              f"{r['bytes'][name] / 1e6:5.2f} MB  {r['pages'][name]} pages")
    print(f"  build_sheet       {r['ms']['sheet']['median']:7.1f} ms  (target ≤ {TARGET_MS:.0f})  {ok(r['ok']['ms'])}")
    print(f"  ratio sheet/bare  {r['ratio']:7.2f}     (target ≤ {TARGET_RATIO})  {ok(r['ok']['ratio'])}")
    print(f"  file size         {r['bytes']['sheet'] / 1e6:7.2f} MB  (target ≤ {TARGET_BYTES / 1e6})  {ok(r['ok']['bytes'])}"
          f"   photos alone {r['content']['photo_jpeg_bytes'] / 1e6:.2f} MB")
    print(f"  load average {r['machine']['loadavg']} on {r['machine']['cpus']} CPUs")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Findings sheet: build_sheet vs a bare ReportLab build.")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each build (default 15)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON results")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="spotcheck-sheets-") as workdir:
        results = benchmark(args.runs, Path(workdir))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    print(f"\n結果 / results: {args.out}")


if __name__ == "__main__":
    main()

"""The council report's 管理外の機器 section: counts by section, status and kind, the same in both editions.

Only counts reach this module (device_figures.DeviceCounts): never where a device stands or who uses it,
so the 公表版 prints the same table. A section with one device names no person, so nothing is hidden.
"""
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Spacer, Table

from .device_figures import DeviceCounts
from .devices import KINDS, STATUSES
from .pdfpages import WIDTH

HEADING = "７　管理外の機器（情報政策課が管理していない機器）"
INTRO = ("実地監査と「機器の棚卸し」で見つけた、情報政策課が管理していない機器の台数です（{day}現在の台帳）。"
         "「確認済み」は見つけて記録したまま、「管理へ移行」は情報政策課等の管理に移したもの、「撤去」は取り外したものです。")
SWEEPS = "所属のフロア等を回る機器の棚卸しを{n}回行いました。"
SWEEPS_EMPTY = "所属のフロア等を回る機器の棚卸しを{n}回行い、うち{empty}回は管理外の機器が見つかりませんでした。"
NOTE = "台数のみを掲載しています。設置場所や使用者は掲載していません。"


def flowables(counts: DeviceCounts | None, kit, *, day, grid, head, heading):
    """The section's paragraphs and tables; `grid`, `head`, `heading` are the report's own table and heading styles."""
    if counts is None:
        return []
    story = [*heading(kit, HEADING, 50 * mm), kit.p(INTRO.format(day=day), "body")]
    if counts.empty:
        return [*story, kit.p("管理外の機器の記録はありません。", "body")]
    if counts.sweeps_finished:
        text = SWEEPS_EMPTY if counts.sweeps_empty else SWEEPS
        story.append(kit.p(text.format(n=counts.sweeps_finished, empty=counts.sweeps_empty), "body"))
    status_heads = [head(kit, label) for label in STATUSES.values()]
    rows = [[head(kit, "所属"), *status_heads, head(kit, "計"), head(kit, "うち\n庁内LAN\n接続")]]
    for row in (*counts.by_section, counts.total):
        label = row.label or "合計"
        rows.append([kit.p(label, "name"), *(getattr(row, code) for code in STATUSES), row.total, row.lan])
    story += [Spacer(1, 1 * mm), _table(rows, grid, kit)]
    rows = [[head(kit, "種類"), *status_heads, head(kit, "計"), head(kit, "うち\n庁内LAN\n接続")]]
    for row in counts.by_kind:
        rows.append([kit.p(KINDS[row.label], "name"), *(getattr(row, code) for code in STATUSES), row.total, row.lan])
    story += [Spacer(1, 2 * mm), _table(rows, grid, kit), Spacer(1, 1 * mm), kit.p(NOTE, "note")]
    return [CondPageBreak(50 * mm), *story]


def _table(rows, grid, kit):
    widths = [None, *([20 * mm] * (len(rows[0]) - 1))]
    widths[0] = WIDTH - sum(w for w in widths if w)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(grid(kit))
    return table

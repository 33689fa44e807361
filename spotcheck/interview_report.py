"""The council report's 聞き取り section: what the on-site knowledge questions found, item by item (counts only)."""
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Spacer, Table

from .interview_figures import InterviewFigures
from .pdfpages import WIDTH

HEADING = "９　聞き取り（知識の確認）"
INTRO = ("実地監査では、見て確かめられない知識（パスワードの扱い、不審メールへの対応、漏えい時の報告など）を、"
         "問題集から抽選した質問で本人に聞き取りました。誤答は「知識不足」として、理解度テストの合格までフォローアップします。")
SUMMARY = ("{people}人に計{asked}問を聞き取り、{wrong}問が誤答でした（誤答のあった職員{people_wrong}人）。"
           "知識不足のフォローアップは、完了{closed}件、未完了{open}件です。")
NOTE = "一つの質問が複数のセルフチェック項目に関わる場合は、それぞれの項目で数えています。"


def flowables(figures: InterviewFigures | None, kit, *, grid, head, heading):
    """The section's paragraphs and table; `grid`, `head`, `heading` are the report's own styles."""
    if figures is None:
        return []
    story = [*heading(kit, HEADING, 50 * mm), kit.p(INTRO, "body"),
             kit.p(SUMMARY.format(people=figures.people, asked=figures.asked, wrong=figures.wrong,
                                  people_wrong=figures.people_wrong, closed=figures.followups_closed,
                                  open=figures.followups_open), "body")]
    rows = [[head(kit, h) for h in ("No.", "セルフチェック項目", "聞き取り（問）", "誤答（問）", "誤答率")]]
    for item in figures.by_item:
        rows.append([str(item.item_no), kit.p(item.topic, "name"), item.asked, item.wrong,
                     f"{100 * item.wrong / item.asked:.1f}%"])
    widths = [10 * mm, None, 26 * mm, 22 * mm, 18 * mm]
    widths[1] = WIDTH - sum(w for w in widths if w)
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(grid(kit, [("ALIGN", (0, 1), (0, -1), "CENTER")]))
    return [CondPageBreak(50 * mm), *story, Spacer(1, 1 * mm), table, Spacer(1, 1 * mm), kit.p(NOTE, "note")]

"""The demo city's contract register (委託契約一覧): ten contracts, imported through the real path.

Two registers as the 契約検査課 would export them: the one of 令和6年4月1日 (CP932, ten contracts)
and the current one of 令和6年10月1日 (UTF-8 with BOM), where the 期日前投票 system's contract has
run out and 庁内LAN's maintenance is now partly subcontracted. A first run imports both, so one
contract shows as ended; later runs import the current one only, which then changes nothing.
"""
from pathlib import Path

from . import imports
from .importing import COUNT_LABELS

HEADER = ("契約番号", "契約名", "委託先", "所管課コード", "システム名", "契約期間開始", "契約期間終了", "再委託",
          "個人情報の取扱い")
# 契約番号, 契約名, 委託先, 所管課コード, システム名, 開始, 終了, 再委託, 個人情報 (as of 令和6年4月1日)
APRIL = (
    ("R6-委-001", "住民記録システム保守業務委託", "㈱緑ヶ丘情報サービス", "0201", "住民記録システム",
     "R6.4.1", "R7.3.31", "有", "有"),
    ("R6-委-002", "税務システム運用業務委託", "東邦電算㈱", "0203", "税務総合システム", "R6.4.1", "R7.3.31", "有", "有"),
    ("R6-委-003", "庁内LAN保守業務委託", "㈱みどりネットワーク", "0102", "庁内LAN", "R6.4.1", "R7.3.31", "無", "無"),
    ("R6-委-004", "機密文書廃棄処理業務委託", "髙﨑リサイクル㈱", "0101", "", "R6.4.1", "R7.3.31", "無", "有"),
    ("R6-委-005", "国民健康保険システム保守業務委託", "㈱北斗システムズ", "0202", "国保総合システム",
     "R6.4.1", "R9.3.31", "有", "有"),
    ("R6-委-006", "介護保険システム運用支援業務委託", "㈱ケアデータ", "0303", "介護保険システム",
     "R6.4.1", "R7.3.31", "無", "有"),
    ("R6-委-007", "健診結果データ入力業務委託", "﨑山データ入力センター㈱", "0501", "健康管理システム",
     "R6.5.1", "R7.3.31", "有", "有"),
    ("R6-委-008", "財務会計システム保守業務委託", "㈱東和コンピュータ", "0801", "財務会計システム",
     "R6.4.1", "R7.3.31", "無", "無"),
    ("R6-委-009", "図書館システム運用保守業務委託", "㈱ライブラリーテック", "0904", "図書館情報システム",
     "R6.4.1", "R11.3.31", "無", "有"),
    ("R6-委-010", "期日前投票システム保守業務委託", "㈱選挙ソリューションズ", "1201", "期日前投票システム",
     "R6.4.1", "R6.9.30", "無", "有"),
)
ENDED = "R6-委-010"
SUBCONTRACTED = "R6-委-003"  # a 変更契約 in the summer: part of the LAN work went to a subcontractor
FILES = {
    "april": ("demo-委託契約一覧-R6.4.1.csv", "cp932"),
    "current": ("demo-委託契約一覧.csv", "utf-8-sig"),
}
FILENAMES = frozenset(name for name, _ in FILES.values())
ENCODING_LABELS = {"cp932": "CP932", "utf-8-sig": "UTF-8 BOM付き"}
SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "委託契約一覧.csv"


def register_rows(which):
    """The rows of the April or the current register."""
    if which == "april":
        return list(APRIL)
    return [(*row[:7], "有", row[8]) if row[0] == SUBCONTRACTED else row for row in APRIL if row[0] != ENDED]


def register_file(which):
    """(file name, bytes) of one register, as Excel saves a CSV: CRLF line ends, in the file's encoding."""
    from .demo import to_csv_bytes  # demo.py calls this module
    name, encoding = FILES[which]
    return name, to_csv_bytes(HEADER, register_rows(which), encoding)


def load_contracts(db, user_id, max_rows):
    """Import the registers (the April one only into an empty register); returns (lines to print, plans)."""
    first = db.execute("SELECT 1 FROM contracts LIMIT 1").fetchone() is None
    lines, plans = [], []
    for which in ("april", "current") if first else ("current",):
        name, data = register_file(which)
        plan = imports.plan(db, "contracts", data, name, max_rows=max_rows)
        imports.apply(db, plan, user_id)
        plans.append(plan)
        counts = "、".join(f"{COUNT_LABELS[key]} {value} 件" for key, value in plan.counts.items())
        lines.append(f"委託契約一覧（{name}、{ENCODING_LABELS[FILES[which][1]]}）: {counts}")
        lines += [f"  ※ {notice}" for notice in plan.notices]
    return lines, plans

"""The unmanaged-device register as a table (CSV/XLSX) for the audit team's own records and for 情報政策課."""
from . import devices
from .exports import Moment

TITLE = "管理外の機器台帳"
HEADER = ["台帳No.", "種類", "所属コード", "所属", "設置場所", "用途・システム", "庁内LAN", "インターネット", "使用者",
          "状態", "見つけた日時", "見つけた経緯", "最終更新"]


def table(db, *, section_id=None) -> tuple[str, list[str], list[list]]:
    """(title, header, rows) of every device (of one section when `section_id` is given), oldest first."""
    rows = []
    for d in reversed(devices.listing(db, section_id=section_id)):
        found = (f"実地監査（記録番号 {d['visit_id']}）" if d["visit_id"] else
                 f"機器の棚卸し（No.{d['sweep_id']}）" if d["sweep_id"] else "台帳に直接記録")
        rows.append([d["id"], devices.KINDS[d["kind"]], d["section_code"], d["section_name"], d["location"],
                     d["purpose"], devices.CONNECTION[d["lan"]], devices.CONNECTION[d["internet"]], d["used_by"],
                     devices.STATUSES[d["status"]], Moment(d["found_at"]), found, Moment(d["updated_at"])])
    return TITLE, HEADER, rows

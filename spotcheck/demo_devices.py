"""Demo unmanaged devices: a few in several sections with different statuses, and a finished sweep."""
from . import devices

# (submit key, section code, kind, location, purpose, LAN, internet, used by, later status, note)
DEVICES = (
    ("demo-device-1", "0101", "storage", "本庁舎2階 総務課 書庫の棚の上", "課内の共有ファイル置き場（NAS）", "yes", "no",
     "", "managed", "情報政策課の管理台帳に登録し、アクセス権を設定した。"),
    ("demo-device-2", "0101", "network", "本庁舎2階 総務課 窓口の奥", "来客用の無線LANルーター", "yes", "yes",
     "", "removed", "所属長の了解を得て取り外し、情報政策課が回収した。"),
    ("demo-device-3", "0201", "pc", "本庁舎1階 市民課 交付窓口の裏", "証明書の予約受付システム専用PC", "yes", "unknown",
     "窓口担当", None, ""),
    ("demo-device-4", "0203", "printer", "本庁舎3階 課税課 通路側", "個人で持ち込んだ複合機", "no", "no",
     "", None, ""),
    ("demo-device-5", "0501", "tablet", "保健センター1階 健康管理課 相談室", "健診の問診用タブレット", "no", "yes",
     "保健師", None, ""),
)
SWEEP = ("0201", "本庁舎1階 市民課 執務室")
EMPTY_SWEEP = ("0601", "第二庁舎2階 環境課 執務室")  # a sweep that found nothing: a result the report counts


def load_devices(db, auditor_id, admin_id):
    """Record the demo devices once (their fixed submit keys make a re-run a no-op) and one finished sweep."""
    if db.execute("SELECT 1 FROM devices WHERE submit_key LIKE 'demo-device-%'").fetchone():
        return ["デモの管理外の機器は作成済みです。"]
    sections = dict(db.execute("SELECT code, id FROM sections"))
    visit = db.execute("SELECT id, section_id FROM visits ORDER BY id LIMIT 1").fetchone()
    sweep_id = devices.start_sweep(db, sections[SWEEP[0]], SWEEP[1], auditor_id)
    for n, (key, code, kind, location, purpose, lan, internet, used_by, status, note) in enumerate(DEVICES):
        during_sweep = code == SWEEP[0]
        during_visit = visit is not None and not during_sweep and n == 0
        data = devices.DeviceInput(kind=kind, section_id=sections[code], location=location, purpose=purpose, lan=lan,
                                   internet=internet, used_by=used_by, visit_id=visit[0] if during_visit else None,
                                   sweep_id=sweep_id if during_sweep else None)
        device_id, _created = devices.record(db, data, auditor_id, key)
        if status:
            devices.change_status(db, device_id, admin_id, expected="confirmed", status=status, note=note)
    found = devices.finish_sweep(db, sweep_id, auditor_id)
    empty = devices.start_sweep(db, sections[EMPTY_SWEEP[0]], EMPTY_SWEEP[1], auditor_id)
    nothing = devices.finish_sweep(db, empty, auditor_id)
    return [f"デモの管理外の機器 {len(DEVICES)} 台と機器の棚卸し 2 回（{found} 台・{nothing} 台）を作成しました。"]

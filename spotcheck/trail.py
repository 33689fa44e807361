"""The audit trail in people's words: one table of Japanese labels for every logged action, and
before/after values turned from stored JSON into short 「項目: 値」 text.

Codes stay in the database and in code; only this module knows what a person reads for them.
tests/test_trail.py scans every `audit.record(...)` call, so a new action without a label fails.
"""
import json
from dataclasses import dataclass
from datetime import date, datetime

from . import auth, devices, followups, reminders, signatures, wareki
from .audit import Query
from .clock import TIMEZONE
from .imports import KINDS
from .importing import COUNT_LABELS

ENTITIES = {
    "visit": "監査記録",
    "sheet": "結果票",
    "user": "利用者",
    "campaign": "キャンペーン",
    **{kind: f"取り込み（{spec.label}）" for kind, spec in KINDS.items()},
    "draw": "抽選",
    "followup": "フォローアップ",
    "report": "帳票",
    "backup": "バックアップ",
    "audit_log": "操作履歴",
    "retention": "保存期間",
    "checklist": "チェックリスト",
    "device": "管理外の機器",
    "device_sweep": "機器の棚卸し",
    "plan": "実施計画",
    "reminder": "お知らせ",
    "notice": "督促通知",
}

ACTIONS = {
    ("visit", "start"): "実地監査を開始",
    ("visit", "add_auditor"): "共同監査員を追加",
    ("visit", "clock_distrusted"): "端末の時刻を使わずに記録",
    ("visit", "set_result"): "確認結果を記録",
    ("visit", "set_remark"): "所見を記録",
    ("visit", "set_comment"): "総評を記録",
    ("visit", "add_photo"): "写真を追加",
    ("visit", "remove_photo"): "写真を取り下げ",
    ("visit", "amend"): "訂正版を作成",
    ("visit", "sign"): "署名",
    ("visit", "refuse_signature"): "署名を拒否",
    ("visit", "lock"): "記録を確定",
    ("sheet", "issue"): "結果票を発行",
    ("sheet", "print"): "結果票を出力",
    ("sheet", "print_batch"): "結果票を一括印刷",
    ("user", "create"): "利用者を作成",
    ("user", "set_password"): "パスワードを変更",
    ("user", "enable"): "アカウントを有効化",
    ("user", "disable"): "アカウントを無効化",
    ("user", "login"): "ログイン",
    ("user", "login_failed"): "ログイン失敗",
    ("user", "logout"): "ログアウト",
    ("user", "session_expired"): "操作がないためログアウト",
    ("campaign", "create"): "キャンペーンを作成",
    ("campaign", "save_report_texts"): "報告書の文章を保存",
    **{(kind, "import"): "取り込み" for kind in KINDS},
    ("draw", "draw"): "抽選",
    # The follow-up screen shows its own steps with these words too: one wording for both.
    **{("followup", code): label for code, label in followups.ACTIONS.items()},
    ("report", "export"): "帳票を書き出し",
    ("backup", "backup"): "バックアップを作成",
    ("backup", "restore"): "バックアップから復元",
    ("audit_log", "export"): "操作履歴を書き出し",
    ("retention", "purge"): "保存期間満了データの廃棄",
    ("checklist", "edit_checklist"): "チェックリストの新しい版を保存",
    ("campaign", "pin_form"): "所属・委託契約の確認項目を固定",
    ("device", "record"): "管理外の機器を記録",
    ("device", "set_status"): "管理外の機器の状態を変更",
    ("device", "edit"): "管理外の機器の記録を訂正",
    ("device", "export"): "管理外の機器台帳を書き出し",
    ("device_sweep", "start"): "機器の棚卸しを開始",
    ("device_sweep", "finish"): "機器の棚卸しを終了",
    ("visit", "draw_interview"): "聞き取りの質問を抽選",
    ("visit", "set_answer"): "聞き取りの判定を記録",
    ("plan", "save_group"): "所属グループを保存",
    ("plan", "delete_group"): "所属グループを削除",
    ("plan", "save_row"): "実施計画の件数を保存",
    ("plan", "save_team"): "監査班を作成",
    ("plan", "delete_team"): "監査班を解散",
    ("followup", "remind"): "督促（期限超過の段階）を記録",
    ("reminder", "mail"): "督促をメールで送信",
    ("reminder", "read"): "お知らせを既読にする",
    ("notice", "issue"): "督促通知を発行",
    ("user", "set_email"): "メールアドレスを設定",
}

# Who acted when an entry names no user: a command on the server, unless the entry says otherwise.
COMMAND, AUTOMATIC, ANONYMOUS = "コマンド", "自動（署名による確定）", "未ログイン"
NO_USER = {("followup", "open"): AUTOMATIC, ("followup", "withdraw"): AUTOMATIC, ("user", "login_failed"): ANONYMOUS}

FIELDS = {
    "check": "確認項目", "result": "結果", "remark": "所見", "comment": "総評", "staff_id": "職員ID",
    "draw_id": "抽選記録", "reason": "理由", "client_time": "端末の時刻", "used": "記録した時刻", "photo_id": "写真ID",
    "sha256": "ハッシュ", "supersedes": "訂正元の記録", "role": "役割", "name": "氏名", "user_id": "利用者ID",
    "username": "ユーザー名", "section_id": "所属ID", "code": "コード", "title": "名称",
    "selfcheck": "セルフチェックの版", "onsite": "確認項目の版", "summary": "総評", "next_steps": "今後の取組",
    "counts": "件数", "notices": "お知らせ", "pool_digest": "母集団のダイジェスト", "seed": "乱数の種",
    "method": "方式", "chosen_id": "当選", "kind": "種類", "version": "版", "visit_id": "監査記録", "severity": "区分",
    "state": "状態", "amended_by": "訂正版", "report": "改善報告", "reported_by": "報告者ID",
    "reported_at": "報告日時", "report_photo": "写真", "report_thumb": "写真（縮小）",
    "report_photo_sha256": "写真のハッシュ", "confirmation": "再確認の記録", "confirmed_by": "再確認者ID",
    "confirmed_at": "再確認日時", "serial": "文書番号", "digest": "ダイジェスト", "table": "帳票",
    "format": "形式", "campaign": "キャンペーン", "file": "ファイル", "files": "ファイル数", "size": "大きさ",
    "day": "日付", "serials": "文書番号", "ok": "検査", "lock": "ロック", "filters": "条件",
    "since": "期間（から）", "until": "期間（まで）", "entity": "対象", "action": "操作",
    "subject_kind": "監査の対象", "contract_id": "委託契約ID", "section_digest": "所属監査の確認項目の版",
    "contract_digest": "委託契約監査の確認項目の版", "subject": "監査の対象",
    "status": "状況", "lan": "庁内LAN", "internet": "インターネット", "sweep_id": "棚卸し", "photo": "写真",
    "note": "メモ", "area": "場所", "found_count": "発見台数", "fields": "訂正した項目", "rows": "件数",
    "question": "質問", "answer": "判定", "questions": "出題した質問", "chosen": "抽選した質問（順）",
    "class": "指摘の区分",
    "group": "所属グループ", "sections": "所属ID", "month": "月", "planned": "計画数", "team_id": "監査班ID",
    "members": "班員の利用者ID",
    "days": "期限からの日数", "recipient": "宛先", "fires_on": "督促日", "count": "件数", "addresses": "宛先の数",
    "email": "メールアドレス",
    "test": "テスト", "taken_on": "実施日",
}
TABLES = {"items": "項目別", "checks": "確認項目別", "sections": "所属別", "findings": "指摘事項",
          "followups": "フォローアップ", "council": "審議会への報告", "public": "公表版"}
REASONS = {"rejected": "ユーザー名またはパスワードが違う（または無効なアカウント）"}
VALUES = {
    "role": {**auth.ROLES, **signatures.ROLES},
    "state": followups.STATES,
    "kind": {"staff": "職員", "section": "所属", "contract": "委託契約", "interview": "聞き取り", **devices.KINDS},
    "subject_kind": {"person": "職員", "section": "所属", "contract": "委託契約"},
    "status": devices.STATUSES,
    "lan": devices.CONNECTION,
    "internet": devices.CONNECTION,
    "answer": {"correct": "正答", "wrong": "誤答", "": "未実施"},
    "fields": {"kind": "種類", "section_id": "所属", "location": "設置場所", "purpose": "用途・システム", "lan": "庁内LAN",
               "internet": "インターネット", "used_by": "使用者"},
    "class": {"knowledge_gap": "知識不足"},
    "table": TABLES,
    "reason": REASONS,
    "recipient": reminders.RECIPIENTS,
    "email": {"set": "設定", "cleared": "削除"},
}
HASHES = {"sha256", "digest", "pool_digest", "seed", "selfcheck", "onsite", "report_photo_sha256", "section_digest",
          "contract_digest"}
TIMES = {"client_time", "used", "reported_at", "confirmed_at"}
_ORDER = {key: n for n, key in enumerate(FIELDS)}
MAX_TEXT = 60
MAX_ITEMS = 5
NONE = "（なし）"


@dataclass(frozen=True)
class Field:
    """One 「項目: 値」 pair as a person reads it."""

    label: str
    text: str


@dataclass(frozen=True)
class Entry:
    """One audit log entry in words: when, who, about what, what was done, and what changed."""

    id: int
    at: str
    actor: str
    entity: str
    entity_code: str
    entity_id: int | None
    action: str
    context: tuple[Field, ...]
    before: tuple[Field, ...]
    after: tuple[Field, ...]

    @property
    def before_text(self):
        """変更前 as one line (with what both sides share), or "" when nothing came before."""
        return joined(self.context + self.before) if self.before else ""

    @property
    def after_text(self):
        """変更後 as one line (with what both sides share), or "" when the entry only took something away."""
        return joined(self.context + self.after) if self.after or not self.before else ""


def action_label(entity, action):
    """The Japanese words for an (entity, action) code, or the codes themselves for one never labelled."""
    return ACTIONS.get((entity, action), f"{entity}.{action}")


def entity_label(entity):
    """The Japanese name of a kind of thing the log is about."""
    return ENTITIES.get(entity, entity)


def actor_label(row):
    """Who did it: the user's display name (and login name), else who acts without a user."""
    if row["user_id"] is None:
        return NO_USER.get((row["entity"], row["action"]), COMMAND)
    name, login = row.get("display_name"), row.get("username")
    if not login:
        return f"利用者ID {row['user_id']}"
    return login if not name or name == login else f"{name}（{login}）"


def entry(row, checklist=None):
    """An audit_log row (joined with the user's names) in words; `checklist` names checks and results."""
    before, after = describe(_load(row["before"]), checklist), describe(_load(row["after"]), checklist)
    same = set(before) & set(after)
    context = tuple(f for f in before if f in same)
    return Entry(
        id=row["id"], at=row["created_at"], actor=actor_label(row), entity=entity_label(row["entity"]),
        entity_code=row["entity"], entity_id=row["entity_id"], action=action_label(row["entity"], row["action"]),
        context=context, before=tuple(f for f in before if f not in same),
        after=tuple(f for f in after if f not in same),
    )


def describe(value, checklist=None):
    """Stored JSON (already decoded) as 「項目: 値」 fields; any shape is accepted, none is dumped raw."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        return (Field("値", _text(None, value, checklist)),)
    # The log stores keys sorted; a person reads the check before its result, as FIELDS lists them.
    ordered = sorted(value.items(), key=lambda pair: (_ORDER.get(pair[0], len(_ORDER)), str(pair[0])))
    return tuple(Field(FIELDS.get(str(key), str(key)), _text(key, item, checklist)) for key, item in ordered)


def joined(fields):
    """Fields as one line: 「確認項目: ワイヤーロック、結果: 適合」."""
    return "、".join(f"{f.label}: {f.text}" for f in fields)


def era_time(iso):
    """A stored timestamp in 和暦, in the city's time zone (令和6年1月15日 9時30分)."""
    return wareki.format_datetime(datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(TIMEZONE))


def _load(text):
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # not JSON after all: shown as it is, shortened


def _text(key, value, checklist):
    """One value in words: codes as their labels, hashes and long texts shortened."""
    if value is None or (isinstance(value, (str, list, dict)) and not value):
        return NONE
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if key == "counts" and isinstance(value, dict):
        # An import's counts in the preview's order, the zeros left out: 「新規 4、変更 1」.
        order = {code: n for n, code in enumerate(COUNT_LABELS)}
        shown = [f"{COUNT_LABELS.get(k, k)} {v}" for k, v in sorted(value.items(), key=lambda kv: order.get(kv[0], 99))
                 if v != 0]
        return _short("、".join(shown) or "0")
    if isinstance(value, dict):
        return _short("、".join(f"{FIELDS.get(str(k), k)} {_text(k, v, checklist)}" for k, v in value.items()))
    if isinstance(value, list):
        shown = "、".join(_text(key, v, checklist) for v in value[:MAX_ITEMS])
        return _short(shown + (f" ほか（全 {len(value)} 件）" if len(value) > MAX_ITEMS else ""))
    text = str(value)
    if key in HASHES:
        return text[:12] + "…" if len(text) > 12 else text
    if key in TIMES:
        try:
            return era_time(text)
        except ValueError:
            return _short(text)
    if key == "size" and isinstance(value, int):
        return f"{value / 2**20:.1f} MB"
    if key in ("check", "result", "severity") and checklist is not None:  # severity is a result code
        return _checklist_label(checklist, key, text)
    if key == "format":
        return text.upper()
    if key == "day":
        try:
            return wareki.format_date(date.fromisoformat(text))
        except ValueError:
            return _short(text)
    return _short(VALUES.get(key, {}).get(text, text))


def _checklist_label(checklist, key, code):
    try:
        return checklist.check(code).title if key == "check" else checklist.result(code).label
    except KeyError:
        return _short(code)  # a check or result no longer in forms/: its code is still the truth


def _short(text):
    text = " ".join(str(text).split())  # line breaks in a remark would break the one-line cell
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def parse_query(args, user_ids):
    """The filters of the trail screen from its query string: (Query, Japanese problems)."""
    problems = []
    since = _day(args.get("from", ""), "期間（から）", problems)
    until = _day(args.get("to", ""), "期間（まで）", problems)
    if since and until and since > until:
        problems.append("期間の「から」が「まで」より後の日付です。")
    user, user_id = args.get("user", ""), None
    if user and user != "none":
        user_id = int(user) if user.isdigit() and len(user) < 19 and int(user) in user_ids else None
        if user_id is None:
            problems.append("選んだ利用者が見つかりません。")
    entity, action = args.get("entity", ""), args.get("action", "")
    if entity and entity not in ENTITIES:
        problems.append(f"対象の種類「{_short(entity)[:20]}」はありません。")
    if action:
        pair = tuple(action.split(".", 1))
        if pair not in ACTIONS:
            problems.append(f"操作「{_short(action)[:30]}」はありません。")
        elif entity and pair[0] != entity:
            problems.append("選んだ操作は、選んだ対象の種類の操作ではありません。")
        else:
            entity, action = pair
    query = Query(since=since, until=until, user_id=user_id, without_user=user == "none",
                  entity=entity or None, action=action or None)
    return query, problems


def _day(text, label, problems):
    if not text.strip():
        return None
    try:
        if len(text) > 40:
            raise ValueError(f"日付として読めません: {text[:20]}…")
        return wareki.parse_date(text)
    except ValueError as error:
        problems.append(f"{label}: {error}")
        return None

"""The audit trail in words: every logged action has a label, and any stored change reads as 「項目: 値」."""
import ast
import json
from datetime import date
from pathlib import Path

import pytest

import spotcheck
from spotcheck import imports, trail, visits

SOURCES = Path(spotcheck.__file__).parent
# Call sites whose action or entity is computed from data the scan cannot follow, with every value it can take.
DYNAMIC = {
    ("visits.py", "f'set_{field}'"): {f"set_{field}" for field in visits.FIELDS},
    ("importing.py", "plan.kind"): set(imports.KINDS),
}


def _audit_calls(tree):
    """(enclosing function, call) for every `audit.record(...)` in a module."""
    for func in ast.walk(tree):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(func):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                    yield func, node


def _values(expr, func, tree):
    """Every string an expression can be, following literals, conditionals and parameters; None when unknown."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}
    if isinstance(expr, ast.IfExp):
        body, orelse = _values(expr.body, func, tree), _values(expr.orelse, func, tree)
        return None if body is None or orelse is None else body | orelse
    params = [a.arg for a in func.args.args] if func else []
    if isinstance(expr, ast.Name) and expr.id in params:
        found = set()
        callers = [(f, n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) for n in ast.walk(f)
                   if isinstance(n, ast.Call) and getattr(n.func, "id", None) == func.name]
        for caller, call in callers:
            index = params.index(expr.id)
            arg = call.args[index] if index < len(call.args) else next(
                (k.value for k in call.keywords if k.arg == expr.id), None)
            values = _values(arg, caller, tree) if arg is not None else None
            if values is None:
                return None
            found |= values
        return found or None
    return None


def recorded_pairs(files):
    """{(entity, action)} recorded by the sources, and the call sites the scan could not resolve."""
    pairs, unresolved = set(), []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func, call in _audit_calls(tree):
            found = {}
            for name in ("entity", "action"):
                expr = next(k.value for k in call.keywords if k.arg == name)
                values = _values(expr, func, tree)
                if values is None:
                    values = DYNAMIC.get((path.name, ast.unparse(expr)))
                if values is None:
                    unresolved.append(f"{path.name}:{call.lineno}: {name}={ast.unparse(expr)}")
                found[name] = values or set()
            pairs |= {(e, a) for e in found["entity"] for a in found["action"]}
    return pairs, unresolved


def test_every_action_the_code_records_has_a_japanese_label():
    pairs, unresolved = recorded_pairs(sorted(SOURCES.rglob("*.py")))
    assert unresolved == [], "declare what these can be in DYNAMIC, or use literals"
    assert {("user", "login"), ("user", "login_failed"), ("sheet", "issue"), ("backup", "restore"),
            ("followup", "reopen"), ("visit", "set_result"), ("staff", "import")} <= pairs  # the scan sees them
    assert sorted(pairs - set(trail.ACTIONS)) == []
    assert sorted({e for e, _ in pairs} - set(trail.ENTITIES)) == []


def test_a_new_action_without_a_label_is_caught(tmp_path):
    source = tmp_path / "newthing.py"
    source.write_text('from spotcheck import audit\n\ndef teleport(db):\n'
                      '    audit.record(db, user_id=None, action="teleport", entity="visit")\n'
                      '\ndef vague(db, what):\n    audit.record(db, user_id=None, action=what.upper(), entity="visit")\n')
    pairs, unresolved = recorded_pairs([source])
    assert ("visit", "teleport") in pairs - set(trail.ACTIONS)
    assert unresolved == ["newthing.py:7: action=what.upper()"]


def test_retention_purge_built_elsewhere_already_has_its_words():
    assert trail.action_label("retention", "purge") == "保存期間満了データの廃棄"


def row(entity="visit", action="set_result", before=None, after=None, user_id=7, username="kensa",
        display_name="検査 花子"):
    return {"id": 1, "created_at": "2024-06-03T09:05:00+09:00", "user_id": user_id, "username": username,
            "display_name": display_name, "entity": entity, "action": action, "entity_id": 3,
            "before": None if before is None else json.dumps(before, ensure_ascii=False),
            "after": None if after is None else json.dumps(after, ensure_ascii=False)}


def test_a_result_reads_with_the_check_title_and_result_label_from_the_form(forms):
    e = trail.entry(row(before={"check": "wire_lock", "result": None}, after={"check": "wire_lock", "result": "major"}),
                    forms.onsite)
    assert (e.actor, e.entity, e.action) == ("検査 花子（kensa）", "監査記録", "確認結果を記録")
    assert e.context == (trail.Field("確認項目", "ワイヤーロック"),)
    assert e.before == (trail.Field("結果", "（なし）"),) and e.after == (trail.Field("結果", "重大"),)
    assert e.after_text == "確認項目: ワイヤーロック、結果: 重大"


def test_codes_no_longer_in_the_form_still_read_as_their_codes(forms):
    e = trail.entry(row(after={"check": "gone_check", "result": "gone"}), forms.onsite)
    assert e.after_text == "確認項目: gone_check、結果: gone"


@pytest.mark.parametrize("stored, shown", [
    ({"counts": {"unchanged": 0, "retired": 1, "new": 3}, "notices": []}, "件数: 新規 3、退職扱い 1、お知らせ: （なし）"),
    ({"table": "findings", "format": "csv", "campaign": "R6"}, "帳票: 指摘事項、形式: CSV、キャンペーン: R6"),
    ({"state": "reported", "reported_at": "2024-06-03T10:00:00+09:00"}, "状態: 改善報告済み（再確認待ち）、報告日時: 令和6年6月3日 10時0分"),
    ({"client_time": "2024-06-03T01:00:00.000Z"}, "端末の時刻: 令和6年6月3日 10時0分"),  # UTC from a tablet, read in Japan
    ({"serial": "R6-0001", "digest": "ab" * 32}, "文書番号: R6-0001、ダイジェスト: abababababab…"),
    ({"role": "auditee", "name": "鈴木 一郎"}, "役割: 被監査者、氏名: 鈴木 一郎"),
    ({"ok": False, "size": 3 * 2**20}, "大きさ: 3.0 MB、検査: いいえ"),
    ({"serials": [f"R6-{n:04d}" for n in range(1, 9)]}, "文書番号: R6-0001、R6-0002、R6-0003、R6-0004、R6-0005 ほか（全 8 件）"),
    ({"zz_unknown": {"deep": [1, {"x": None}]}}, "zz_unknown: deep 1、x （なし）"),
    (["a", 2], "値: a、2"),
    ("plain", "値: plain"),
    (42, "値: 42"),
])
def test_any_stored_shape_reads_as_label_and_value_never_as_json(stored, shown):
    e = trail.entry(row(entity="something", action="new", after=stored))
    assert e.after_text == shown
    assert "{" not in e.after_text and '"' not in e.after_text
    assert e.action == "something.new" and e.entity == "something"  # an unlabelled code is shown, not a crash


def test_text_that_is_not_json_and_long_values_are_shortened_to_one_line():
    broken = dict(row(), before="not json {", after=json.dumps({"remark": "長い所見。\n" * 40}, ensure_ascii=False))
    e = trail.entry(broken)
    assert e.before_text == "値: not json {"
    text = e.after[0].text
    assert len(text) == trail.MAX_TEXT and text.endswith("…") and "\n" not in text


@pytest.mark.parametrize("entity, action, user_id, actor", [
    ("backup", "backup", None, "コマンド"),
    ("followup", "open", None, "自動（署名による確定）"),
    ("user", "login_failed", None, "未ログイン"),
    ("user", "login", 7, "検査 花子（kensa）"),
])
def test_who_acted_is_named_even_without_a_user(entity, action, user_id, actor):
    assert trail.entry(row(entity=entity, action=action, user_id=user_id)).actor == actor


def test_a_user_whose_display_name_is_the_login_is_named_once():
    assert trail.actor_label(row(username="admin", display_name="admin")) == "admin"


def test_filters_are_read_from_the_query_string():
    query, problems = trail.parse_query({"from": "2024-06-01", "to": "令和6年6月30日", "user": "7",
                                         "action": "visit.set_result"}, {7})
    assert problems == []
    assert (query.since, query.until, query.user_id, query.entity, query.action) == (
        date(2024, 6, 1), date(2024, 6, 30), 7, "visit", "set_result")
    assert trail.parse_query({"user": "none"}, set())[0].without_user


@pytest.mark.parametrize("args, message", [
    ({"from": "昨日"}, "期間（から）: 日付として読めません"),
    ({"to": "2024-02-30"}, "期間（まで）: 日付として読めません"),
    ({"from": "9" * 500}, "期間（から）: 日付として読めません"),
    ({"from": "2024-06-02", "to": "2024-06-01"}, "「から」が「まで」より後"),
    ({"user": "8"}, "利用者が見つかりません"),
    ({"user": "9" * 40}, "利用者が見つかりません"),
    ({"entity": "nuclear"}, "対象の種類「nuclear」はありません"),
    ({"action": "visit.explode"}, "操作「visit.explode」はありません"),
    ({"action": "set_result"}, "操作「set_result」はありません"),
    ({"entity": "user", "action": "visit.set_result"}, "選んだ対象の種類の操作ではありません"),
])
def test_bad_filters_get_a_japanese_reason(args, message):
    _query, problems = trail.parse_query(args, {7})
    assert len(problems) == 1 and message in problems[0]

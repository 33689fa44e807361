"""Self-check answers: importing a campaign's results, and reading one person's answers."""
import functools
import re

from flask_babel import gettext as _

from . import absence, aggregates
from .campaigns import get_campaign, pinned_selfcheck
from .clock import now_iso
from .importing import Column, ImportRejected, Plan, Problems, ZeroPadder, file_digest, map_columns, read, record_import
from .sqlite import immediate
from .tabular import normalize
from .wareki import parse_date

COLUMNS = (
    Column("staff_no", "職員番号", "staff_no"),
    Column("answered_on", "回答日", "answered_on", required=False),
    Column("status", "状況", "status", required=False),  # 病休・休職…: no answers, counted apart from 未回答
)
ITEM_HEADER = re.compile(r"^(?:no\.?|項目|q)?(\d{1,3})$")
NOT_ANSWERED = ("", "-")  # 未回答 and 対象外 say nothing about an item that does not apply


def item_number(header):
    """The item number a header names (`19`, `No.19`, `項目19`, `Q19`), or None."""
    match = ITEM_HEADER.match(normalize(header).lower().replace(" ", ""))
    return int(match.group(1)) if match else None


def applies(group, *, uses_pc, my_number, outsourced):
    """Whether items of this group apply to a person in such a section."""
    return {"pc": uses_pc, "my_number": my_number, "outsourcing": outsourced}[group]


def plan_import(db, campaign, data, filename, *, max_rows=200_000):
    """Validate a self-check results file for a campaign and work out what would change."""
    if db.execute("SELECT 1 FROM purged_campaigns WHERE campaign_id = ?", [campaign["id"]]).fetchone():
        # Its answers are gone; a new import would recount the kept tallies from this file alone.
        raise ImportRejected([_("キャンペーン「%(code)s」は保存期間満了により廃棄済みです。取り込めません。", code=campaign["code"])])
    sheet = pinned_selfcheck(db, campaign)
    table = read(data, filename, max_rows)
    index, items, notices = map_columns(table, COLUMNS, filename, item_column=item_number)
    problems = Problems(filename)
    known = {item.no for item in sheet.items}
    for no in sorted(set(items) - known):
        problems.add(1, table.header[items[no]], _("項目 %(no)s はセルフチェックシートにありません（%(first)s〜%(last)s）。",
                                                   no=no, first=min(known), last=max(known)))
    if not items:
        problems.add(1, "項目", _("回答の列（1〜35、No.1、項目1、Q1 など）が 1 つもありません。"))
    problems.raise_if_any()

    people = {
        row["staff_no"]: row
        for row in db.query(
            "SELECT s.id, s.staff_no, s.uses_pc, sec.my_number, sec.outsourced FROM staff s"
            " JOIN sections sec ON sec.id = s.section_id"
        )
    }
    pad = ZeroPadder(list(people))
    group_of = {item.no: item.group for item in sheet.items}
    # A city file repeats the same few spellings 700,000 times: parse each once.
    parse = functools.cache(sheet.parse_answer)
    records, seen, flagged = {}, {}, 0
    for row in table.rows:
        staff_no = pad(normalize(row.cells[index["staff_no"]]))
        person = people.get(staff_no)
        if person is None:
            problems.add(row.line, "職員番号", _("%(code)s は職員名簿にありません。", code=staff_no or _("（空欄）")))
            continue
        if staff_no in seen:
            problems.add(row.line, "職員番号", _("%(code)s が %(line)s 行目と重複しています。", code=staff_no, line=seen[staff_no]))
            continue
        seen[staff_no] = row.line
        answered_on = None
        if "answered_on" in index and row.cells[index["answered_on"]]:
            try:
                answered_on = parse_date(row.cells[index["answered_on"]]).isoformat()
            except ValueError as error:
                problems.add(row.line, "回答日", str(error))
        known_status, away = absence.parse(row.cells[index["status"]]) if "status" in index else (True, None)
        if not known_status:
            problems.add(row.line, "状況", _("「%(value)s」は状況として読めません（%(allowed)s・空欄）。",
                                           value=row.cells[index["status"]], allowed=absence.ALLOWED))
            continue
        if away:
            filled = [table.header[column] for column in items.values() if row.cells[column].strip()]
            if filled:
                problems.add(row.line, "状況", _("「%(status)s」の行に回答があります（%(columns)s）。不在の人の行は回答を空欄にしてください。",
                                               status=absence.REASONS[away], columns="、".join(filled[:5])))
                continue
            records[person["id"]] = (answered_on, {}, away)
            continue
        answers = {}
        for no, column in items.items():
            answer = parse(row.cells[column])
            if answer is None:
                problems.add(row.line, table.header[column],
                             _("「%(value)s」は回答の選択肢にありません（①②③・1〜3・A〜D・N・-・空欄）。", value=row.cells[column]))
                continue
            in_scope = applies(group_of[no], uses_pc=person["uses_pc"], my_number=person["my_number"], outsourced=person["outsourced"])
            if in_scope:
                answers[no] = (answer, 0)
            elif answer not in NOT_ANSWERED:
                answers[no] = (answer, 1)  # kept, but flagged: the item does not apply to this person
                flagged += 1
        records[person["id"]] = (answered_on, answers, None)
    problems.raise_if_any()

    counts = _diff_counts(_stored(db, campaign["id"]), records)
    if flagged:
        notices.append(f"対象外の項目への回答が {flagged} 件ありました（記録し、対象外の印を付けます）。")
    notices += pad.notice("職員番号")
    if away_count := sum(1 for record in records.values() if record[2]):
        counts["absent"] = away_count  # only when the file marks someone: older files preview as before
    return Plan("selfcheck", filename, file_digest(data), counts, notices, campaign_id=campaign["id"], payload=records)


def apply_import(db, plan, user_id):
    """Write a planned self-check import in one transaction; a person's answers are replaced whole."""
    stamp = now_iso()
    campaign_id = plan.campaign_id
    with immediate(db):
        import_id = record_import(db, plan, user_id)
        stored = _stored(db, campaign_id)
        response_ids = _response_ids(db, campaign_id)
        new = [(sid, rec) for sid, rec in plan.payload.items() if sid not in stored]
        changed = [(sid, rec) for sid, rec in plan.payload.items() if sid in stored and stored[sid] != rec]
        db.conn.executemany(
            "INSERT INTO selfcheck_responses (campaign_id, staff_id, answered_on, absence, import_id, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(campaign_id, sid, answered_on, away, import_id, stamp) for sid, (answered_on, _, away) in new],
        )
        db.conn.executemany(
            "UPDATE selfcheck_responses SET answered_on = ?, absence = ?, import_id = ?, updated_at = ? WHERE id = ?",
            [(answered_on, away, import_id, stamp, response_ids[sid]) for sid, (answered_on, _, away) in changed],
        )
        db.conn.executemany(
            "DELETE FROM selfcheck_answers WHERE response_id = ?", [(response_ids[sid],) for sid, _ in changed]
        )
        response_ids = _response_ids(db, campaign_id)
        db.conn.executemany(
            "INSERT INTO selfcheck_answers (response_id, item_no, answer, out_of_scope) VALUES (?, ?, ?, ?)",
            (
                (response_ids[sid], no, answer, flag)
                for sid, (_, answers, _away) in new + changed
                for no, (answer, flag) in answers.items()
            ),
        )
        final = {**stored, **plan.payload}
        sheet = pinned_selfcheck(db, get_campaign(db, campaign_id=campaign_id))
        aggregates.recount_answers(db, campaign_id, {sid: answers for sid, (_, answers, away) in final.items() if not away},
                                   aggregates.not_done_answers(sheet),
                                   absent={sid for sid, (_, _answers, away) in final.items() if away})
        return import_id


def _stored(db, campaign_id):
    """The campaign's answers as {staff_id: (answered_on, {item: (answer, flag)}, absence code or None)}."""
    stored = {}
    for staff_id, answered_on, away, item_no, answer, flag in db.execute(
        "SELECT r.staff_id, r.answered_on, r.absence, a.item_no, a.answer, a.out_of_scope FROM selfcheck_responses r"
        " LEFT JOIN selfcheck_answers a ON a.response_id = r.id WHERE r.campaign_id = ?",
        [campaign_id],
    ):
        _answered_on, answers, _away = stored.setdefault(staff_id, (answered_on, {}, away))
        if item_no is not None:
            answers[item_no] = (answer, flag)
    return stored


def _response_ids(db, campaign_id):
    return dict(db.execute("SELECT staff_id, id FROM selfcheck_responses WHERE campaign_id = ?", [campaign_id]))


def _diff_counts(stored, records):
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    for staff_id, record in records.items():
        key = "new" if staff_id not in stored else "unchanged" if stored[staff_id] == record else "changed"
        counts[key] += 1
    return counts


def answers_for_staff(db, staff_id):
    """A person's self-check answers in every campaign, newest first, with item and answer text."""
    result = []
    for campaign in db.query(
        "SELECT c.*, r.id AS response_id, r.answered_on, r.absence FROM selfcheck_responses r"
        " JOIN campaigns c ON c.id = r.campaign_id WHERE r.staff_id = ? ORDER BY c.created_at DESC, c.id DESC",
        [staff_id],
    ):
        sheet = pinned_selfcheck(db, campaign)
        stored = dict(
            (no, (answer, flag))
            for no, answer, flag in db.execute(
                "SELECT item_no, answer, out_of_scope FROM selfcheck_answers WHERE response_id = ?",
                [campaign["response_id"]],
            )
        )
        rows = []
        for item in sheet.items:
            if item.no in stored:
                answer, flag = stored[item.no]
                rows.append({"item": item, "answer": sheet.answer(answer), "out_of_scope": bool(flag)})
        result.append({"campaign": campaign, "answered_on": campaign["answered_on"], "rows": rows,
                       "absence": absence.REASONS.get(campaign["absence"])})
    return result

"""Demo visits: a few dozen signed unannounced checks and their follow-ups, through the real code path."""
import base64
import hashlib
import io
import random

from PIL import Image, ImageDraw

from . import auth, demo_interview, draw, followups, issuance, record, visits
from .checklists import NOT_DONE_REPORTED

SEED = "spotcheck-demo-visits"
RESULT_WEIGHTS = {"ok": 78, "observation": 10, "nonconformity": 6, "major": 1, "na": 4, "unverifiable": 1}
REPORTS = ("研修資料で周知し、机上の状況を確認しました。", "鍵の保管場所を決め、所属内で共有しました。",
           "未登録の媒体を回収し、書込み禁止の設定を確認しました。")


def load_visits(db, campaign, auditor_ids, reporters, due_days, weights, count=40):
    """Add `count` locked visits, each person chosen by a recorded draw, to a campaign that has none yet."""
    if db.execute("SELECT 1 FROM visits WHERE campaign_id = ?", [campaign["id"]]).fetchone():
        return ["デモの実地監査は作成済みです。"]
    rng = random.Random(SEED)
    sections = [row[0] for row in db.execute(
        "SELECT DISTINCT section_id FROM staff WHERE retired_at IS NULL AND uses_pc = 1 ORDER BY section_id")]
    for number in range(count):
        auditor = auditor_ids[number % len(auditor_ids)]
        section_id = rng.choice(sections)
        options = {"exclude_visited": True, "pc_only": True}
        pool = draw.staff_pool(db, campaign["id"], section_id, weights, **options)
        draw_id, staff_id = draw.record_draw(db, campaign_id=campaign["id"], kind="staff", section_id=section_id,
                                             pool=pool, options=dict(options, weights=weights), user_id=auditor)
        visit_id = visits.start_visit(db, campaign_id=campaign["id"], staff_id=staff_id, auditor_id=auditor,
                                      draw_id=draw_id)
        if number % 4 == 0:  # the seed's joint audits: 情報政策課 and 総務課 together
            visits.add_co_auditor(db, visit_id, auditor, auditor_ids[(number + 1) % len(auditor_ids)])
        _record_results(db, rng, visit_id, auditor)
        demo_interview.answer_questions(db, rng, visit_id, auditor)
        _sign(db, rng, visit_id, auditor, due_days)
    _follow_up(db, rng, campaign, auditor_ids[0], reporters)
    opened = followups.counts(db, campaign_id=campaign["id"])
    return [f"デモの実地監査 {count} 件（署名済み）と指摘 {sum(opened[s] for s in followups.STATES)} 件を作成しました。"]


def _record_results(db, rng, visit_id, auditor):
    for step in record.load(db, visit_id).steps:
        weights = dict(RESULT_WEIGHTS)
        if any(r.option and r.option.reported in NOT_DONE_REPORTED for r in step.reports):
            weights.update(nonconformity=30, major=5)  # people who admit gaps tend to have them
        result = rng.choices(list(weights), weights=list(weights.values()))[0]
        _save(db, visit_id, auditor, "result", result, step.check.code)
        if step.checklist.is_finding(result):
            # A finding states what was seen; the sheet prints it as the fact.
            remark = rng.choice(step.check.quick_remarks) if step.check.quick_remarks else f"{step.check.title}が基準を満たしていないことを現地で確認した。"
            _save(db, visit_id, auditor, "remark", remark, step.check.code)


def _save(db, visit_id, auditor, field, value, check=None):
    key = hashlib.sha256(f"{SEED}:{visit_id}:{field}:{check}".encode()).hexdigest()[:32]
    visits.save_change(db, visit_id, auditor, key=key, field=field, value=value, changed_at=None, check_code=check)


def _sign(db, rng, visit_id, auditor, due_days):
    visit = visits.get_visit(db, visit_id)
    issuance.sign(db, visit_id, auditor, due_days=due_days, role="auditor", name=visit["auditor_name"],
                  data_url=_signature(rng))
    refuses = rng.random() < 0.05
    issuance.sign(db, visit_id, auditor, due_days=due_days, role="auditee", name=visit["person_name"],
                  data_url=None if refuses else _signature(rng), refused=refuses,
                  reason="内容を所属長と確認してから署名したい" if refuses else "")


def _signature(rng):
    """A scribble that looks like a quick signature on a tablet."""
    image = Image.new("RGBA", (600, 220), (0, 0, 0, 0))
    points = [(40 + i * 26, 110 + rng.randint(-60, 60)) for i in range(20)]
    ImageDraw.Draw(image).line(points, fill=(20, 20, 20, 255), width=4, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _follow_up(db, rng, campaign, auditor_id, reporters):
    """Some sections have reported their improvements, and some of those were re-checked.

    `reporters` maps a section id to its head's user id; other sections report through the admin.
    """
    auditor = auth.get_user(db, auditor_id)
    for row in followups.listing(db, campaign_id=campaign["id"]):
        if rng.random() < 0.5:
            followups.report(db, row["id"], auth.get_user(db, reporters.get(row["section_id"], reporters[None])),
                             rng.choice(REPORTS))
            if rng.random() < 0.6:
                followups.confirm(db, row["id"], auditor, fixed=True, note="現地で改善を確認しました。")

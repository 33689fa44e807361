"""Campaigns (e.g. 令和6年度): each pins the checklist versions it was created with."""
import json
import re

from flask_babel import lazy_gettext as _

from . import audit, checklists, texts
from .clock import now_iso
from .sqlite import immediate

CODE_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,20}$")
MAX_TITLE = 100


class CampaignError(ValueError):
    """A user-facing reason why a campaign could not be created (Japanese, or the language of the request that shows it)."""


def create_campaign(db, code, title, forms: checklists.Checklists, *, fiscal_year=None, user_id=None):
    """Create a campaign that keeps its own copy of today's checklists; returns its id."""
    code, title = code.strip(), title.strip()
    if not CODE_PATTERN.match(code):
        raise CampaignError(_("キャンペーンコードは半角英数字と _ - の 20 文字までにしてください（例: R6）。"))
    if not title:
        raise CampaignError(_("名称を入力してください（例: 令和6年度 情報セキュリティ監査）。"))
    if problem := texts.problem(title, label=_("名称"), limit=MAX_TITLE):
        raise CampaignError(problem)
    if fiscal_year is not None and not 1989 <= int(fiscal_year) <= 2200:
        raise CampaignError(_("年度 %(year)s は範囲外です（西暦で入力してください）。", year=fiscal_year))
    if db.execute("SELECT 1 FROM campaigns WHERE code = ?", [code]).fetchone():
        raise CampaignError(_("キャンペーンコード「%(code)s」は既にあります。", code=code))
    with immediate(db):
        digests = {kind: _pin(db, kind, sheet) for kind, sheet in (("selfcheck", forms.selfcheck), ("onsite", forms.onsite))}
        # Section and contract forms, when forms/ has them (subjects.py pins them later for older campaigns).
        subject_digests = {f"{kind}_digest": _pin(db, kind, sheet) for kind, sheet in
                           (("section", forms.section), ("contract", forms.contract)) if sheet is not None}
        campaign_id = db["campaigns"].insert(
            {
                "code": code,
                "title": title,
                "fiscal_year": fiscal_year,
                "selfcheck_digest": digests["selfcheck"],
                "onsite_digest": digests["onsite"],
                "created_by": user_id,
                "created_at": now_iso(),
                **subject_digests,
            }
        ).last_pk
        if forms.interview is not None:  # the question bank is pinned like the checklists
            from .interview import pin  # interview imports this module

            pin(db, campaign_id, forms.interview)
        audit.record(db, user_id=user_id, action="create", entity="campaign", entity_id=campaign_id,
                     after={"code": code, "title": title, **digests, **subject_digests})
    return campaign_id


def _pin(db, kind, sheet):
    """Store this checklist version once (keyed by its digest) and return the digest."""
    digest = checklists.digest(sheet)
    db.execute(
        "INSERT OR IGNORE INTO checklists (digest, kind, version, body, created_at) VALUES (?, ?, ?, ?, ?)",
        [digest, kind, sheet.version, json.dumps(checklists.to_dict(sheet), ensure_ascii=False), now_iso()],
    )
    return digest


def list_campaigns(db):
    """All campaigns, newest first, with how many self-check answers each holds."""
    return list(
        db.query(
            "SELECT c.*, (SELECT count(*) FROM selfcheck_responses r WHERE r.campaign_id = c.id) AS responses,"
            " s.version AS selfcheck_version, o.version AS onsite_version FROM campaigns c"
            " JOIN checklists s ON s.digest = c.selfcheck_digest JOIN checklists o ON o.digest = c.onsite_digest"
            " ORDER BY c.created_at DESC, c.id DESC"
        )
    )


def get_campaign(db, *, campaign_id=None, code=None):
    """One campaign by id or code, or None."""
    column, value = ("id", campaign_id) if campaign_id is not None else ("code", code)
    rows = list(db.query(f"SELECT * FROM campaigns WHERE {column} = ?", [value]))
    return rows[0] if rows else None


def pinned_selfcheck(db, campaign):
    """The self-check sheet exactly as the campaign pinned it."""
    return _pinned(db, campaign["selfcheck_digest"], checklists.selfcheck_from_dict)


def pinned_onsite(db, campaign):
    """The on-site checklist exactly as the campaign pinned it."""
    return _pinned(db, campaign["onsite_digest"], checklists.onsite_from_dict)


_PINNED = {}


def _pinned(db, digest, from_dict):
    # A digest names one exact content for ever, so the parsed checklist can be kept in memory.
    if digest not in _PINNED:
        body = db.execute("SELECT body FROM checklists WHERE digest = ?", [digest]).fetchone()[0]
        _PINNED[digest] = from_dict(json.loads(body))
    return _PINNED[digest]


REPORT_TEXTS = {"summary": "総評", "next_steps": "今後の取組"}
MAX_REPORT_TEXT = 4000


def report_texts(db, campaign_id):
    """The current 総評 and 今後の取組 of a campaign ({kind: text}, "" when none yet)."""
    current = dict.fromkeys(REPORT_TEXTS, "")
    current.update(dict(db.execute(
        "SELECT kind, body FROM report_texts WHERE id IN (SELECT max(id) FROM report_texts WHERE campaign_id = ?"
        " GROUP BY kind)", [campaign_id])))
    return current


def save_report_texts(db, campaign_id, user_id, written):
    """Keep a new version of each text that changed; returns the kinds that did."""
    if get_campaign(db, campaign_id=campaign_id) is None:
        raise CampaignError(_("キャンペーンがありません。"))
    written = {kind: (written.get(kind) or "").strip().replace("\r\n", "\n") for kind in REPORT_TEXTS}
    for kind, text in written.items():
        if problem := texts.problem(text, label=_(REPORT_TEXTS[kind]), limit=MAX_REPORT_TEXT, multiline=True):
            raise CampaignError(problem)
    with immediate(db):
        current = report_texts(db, campaign_id)
        changed = [kind for kind, text in written.items() if text != current[kind]]
        for kind in changed:
            db["report_texts"].insert({"campaign_id": campaign_id, "kind": kind, "body": written[kind],
                                       "created_at": now_iso(), "created_by": user_id})
        if changed:
            audit.record(db, user_id=user_id, action="save_report_texts", entity="campaign", entity_id=campaign_id,
                         before={kind: current[kind] for kind in changed}, after={kind: written[kind] for kind in changed})
    return changed

"""実施計画: section groups, two-person auditor teams and planned visit counts per month (no Flask).

The plan holds counts and month windows only — never a date or a person — so even a leaked plan
announces no visit; who is visited is still chosen by the draw on the day.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _

from . import audit, auth, texts
from .clock import now_iso
from .sqlite import immediate

# The fiscal year's months in order, April to March.
FISCAL_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)
SUBJECT_KINDS = {"person": "職員", "section": "所属", "contract": "委託契約"}
TEAM_ROLES = auth.AUDIT_TEAM
MAX_NAME = 40
MAX_PLANNED = 999


class PlanError(ValueError):
    """A user-facing reason why a plan change was refused (Japanese, or the language of the request that shows it)."""


@dataclass(frozen=True)
class Group:
    """A named group of sections (e.g. 市民部) that the plan counts visits for."""

    id: int
    name: str
    section_ids: tuple[int, ...]
    section_names: tuple[str, ...]


@dataclass(frozen=True)
class Member:
    """One auditor of a team, with their section when the account carries one."""

    id: int
    name: str
    section_id: int | None
    section_name: str | None


@dataclass(frozen=True)
class Team:
    """Two auditors who visit together."""

    id: int
    name: str
    first: Member
    second: Member

    @property
    def same_section(self):
        """True when both belong to the same section (allowed, but the plan warns)."""
        return self.first.section_id is not None and self.first.section_id == self.second.section_id


@dataclass(frozen=True)
class Row:
    """Planned visits of one kind for one group in one month, and the team assigned to them."""

    id: int
    group_id: int
    subject_kind: str
    month: int
    planned: int
    team_id: int | None


def groups(db, campaign_id):
    """The campaign's section groups with their sections, by name."""
    members = {}
    for group_id, section_id, name in db.execute(
            "SELECT m.group_id, s.id, s.name FROM plan_group_sections m JOIN sections s ON s.id = m.section_id"
            " WHERE m.campaign_id = ? ORDER BY s.code", [campaign_id]):
        members.setdefault(group_id, []).append((section_id, name))
    return [Group(id=gid, name=name, section_ids=tuple(s for s, _n in members.get(gid, ())),
                  section_names=tuple(n for _s, n in members.get(gid, ())))
            for gid, name in db.execute("SELECT id, name FROM plan_groups WHERE campaign_id = ? ORDER BY name, id",
                                        [campaign_id])]


def teams(db, campaign_id):
    """The campaign's auditor teams, by name."""
    rows = db.execute(
        "SELECT t.id, t.name, a.id, a.display_name, sa.id, sa.name, b.id, b.display_name, sb.id, sb.name"
        " FROM audit_teams t JOIN users a ON a.id = t.first_user_id JOIN users b ON b.id = t.second_user_id"
        " LEFT JOIN sections sa ON sa.id = t.first_section_id LEFT JOIN sections sb ON sb.id = t.second_section_id"
        " WHERE t.campaign_id = ? ORDER BY t.name, t.id", [campaign_id]).fetchall()
    return [Team(id=r[0], name=r[1], first=Member(*r[2:6]), second=Member(*r[6:10])) for r in rows]


def rows(db, campaign_id):
    """Every planned (group, kind, month) of the campaign."""
    return [Row(*r) for r in db.execute(
        "SELECT id, group_id, subject_kind, month, planned, team_id FROM plan_rows WHERE campaign_id = ?"
        " ORDER BY group_id, subject_kind, month", [campaign_id])]


def team_candidates(db):
    """Active admin and auditor accounts, who may form a team."""
    return [Member(*r) for r in db.execute(
        "SELECT u.id, u.display_name, u.section_id, s.name FROM users u LEFT JOIN sections s ON s.id = u.section_id"
        " WHERE u.active = 1 AND u.role IN ('admin', 'auditor') ORDER BY u.display_name, u.id")]


def save_group(db, campaign_id, name, section_ids, *, user_id):
    """Create the group, or replace the sections of the group of that name; returns its id."""
    name = _name(name, _("所属グループ名"))
    ids = _section_ids(db, section_ids)
    with immediate(db):
        existing = db.execute("SELECT id FROM plan_groups WHERE campaign_id = ? AND name = ?",
                              [campaign_id, name]).fetchone()
        group_id = existing[0] if existing else None
        taken = db.execute(
            "SELECT s.name, g.name FROM plan_group_sections m JOIN sections s ON s.id = m.section_id"
            " JOIN plan_groups g ON g.id = m.group_id WHERE m.campaign_id = ? AND m.group_id IS NOT ?"
            f" AND m.section_id IN ({','.join('?' * len(ids))}) ORDER BY s.code", [campaign_id, group_id, *ids]).fetchone()
        if taken:
            raise PlanError(_("%(section)s は既に所属グループ「%(group)s」に入っています。", section=taken[0],
                              group=taken[1]))
        before = None
        if group_id is None:
            group_id = db["plan_groups"].insert({"campaign_id": campaign_id, "name": name,
                                                 "created_at": now_iso()}).last_pk
        else:
            before = {"name": name, "sections": _member_ids(db, group_id)}
            db.execute("DELETE FROM plan_group_sections WHERE group_id = ?", [group_id])
        db["plan_group_sections"].insert_all(
            {"campaign_id": campaign_id, "section_id": s, "group_id": group_id} for s in ids)
        audit.record(db, user_id=user_id, action="save_group", entity="plan", entity_id=campaign_id,
                     before=before, after={"name": name, "sections": list(ids)})
    return group_id


def delete_group(db, campaign_id, group_id, *, user_id):
    """Remove a group that no plan row uses."""
    with immediate(db):
        group = _group_row(db, campaign_id, group_id)
        if db.execute("SELECT 1 FROM plan_rows WHERE group_id = ? AND planned > 0", [group_id]).fetchone():
            raise PlanError(_("所属グループ「%(name)s」には計画があります。先に計画数を 0 にしてください。",
                              name=group["name"]))
        before = {"name": group["name"], "sections": _member_ids(db, group_id)}
        db.execute("DELETE FROM plan_rows WHERE group_id = ?", [group_id])
        db.execute("DELETE FROM plan_group_sections WHERE group_id = ?", [group_id])
        db.execute("DELETE FROM plan_groups WHERE id = ?", [group_id])
        audit.record(db, user_id=user_id, action="delete_group", entity="plan", entity_id=campaign_id, before=before)


def save_row(db, campaign_id, *, group_id, subject_kind, month, planned, team_id, user_id):
    """Set how many visits of a kind a group gets in a month, and which team; 0 takes the row out."""
    if subject_kind not in SUBJECT_KINDS:
        raise PlanError(_("監査の対象を選んでください。"))
    if month not in FISCAL_MONTHS:
        raise PlanError(_("月を選んでください。"))
    planned = _count(planned)
    with immediate(db):
        group = _group_row(db, campaign_id, group_id)
        if team_id is not None and not db.execute("SELECT 1 FROM audit_teams WHERE id = ? AND campaign_id = ?",
                                                  [team_id, campaign_id]).fetchone():
            raise PlanError(_("班が見つかりません。画面を読み込み直してください。"))
        key = [campaign_id, group_id, subject_kind, month]
        old = db.execute("SELECT id, planned, team_id FROM plan_rows WHERE campaign_id = ? AND group_id = ?"
                         " AND subject_kind = ? AND month = ?", key).fetchone()
        what = {"group": group["name"], "subject_kind": subject_kind, "month": month}
        before = dict(what, planned=old[1], team_id=old[2]) if old else None
        if planned == 0:
            db.execute("DELETE FROM plan_rows WHERE campaign_id = ? AND group_id = ? AND subject_kind = ? AND month = ?",
                       key)
        elif old:
            db.execute("UPDATE plan_rows SET planned = ?, team_id = ?, updated_at = ? WHERE id = ?",
                       [planned, team_id, now_iso(), old[0]])
        else:
            db["plan_rows"].insert({"campaign_id": campaign_id, "group_id": group_id, "subject_kind": subject_kind,
                                    "month": month, "planned": planned, "team_id": team_id, "updated_at": now_iso()})
        audit.record(db, user_id=user_id, action="save_row", entity="plan", entity_id=campaign_id,
                     before=before, after=dict(what, planned=planned, team_id=team_id))


def save_team(db, campaign_id, name, first_id, second_id, *, sections=(None, None), user_id):
    """Form a team of two different auditors, with each one's home section (default: the account's own);
    returns (team id, True when both come from the same section)."""
    name = _name(name, _("班の名前"))
    if first_id is None or second_id is None:
        raise PlanError(_("班は 2 人です。監査員を 2 人選んでください。"))
    if first_id == second_id:
        raise PlanError(_("同じ人を 2 回選ぶことはできません。別の監査員を選んでください。"))
    if chosen := [s for s in sections if s is not None]:
        _section_ids(db, chosen)  # refuses a section that does not exist
    with immediate(db):
        candidates = {m.id: m for m in team_candidates(db)}
        if first_id not in candidates or second_id not in candidates:
            raise PlanError(_("班に入れられるのは、有効な監査責任者・監査員のアカウントだけです。"))
        if db.execute("SELECT 1 FROM audit_teams WHERE campaign_id = ? AND name = ?", [campaign_id, name]).fetchone():
            raise PlanError(_("班「%(name)s」は既にあります。別の名前にしてください。", name=name))
        home = {m: s if s is not None else candidates[m].section_id for m, s in zip((first_id, second_id), sections)}
        team_id = db["audit_teams"].insert({
            "campaign_id": campaign_id, "name": name, "first_user_id": first_id, "second_user_id": second_id,
            "first_section_id": home[first_id], "second_section_id": home[second_id], "created_at": now_iso()}).last_pk
        audit.record(db, user_id=user_id, action="save_team", entity="plan", entity_id=campaign_id,
                     after={"name": name, "members": [first_id, second_id], "sections": [home[first_id], home[second_id]]})
    return team_id, home[first_id] is not None and home[first_id] == home[second_id]


def delete_team(db, campaign_id, team_id, *, user_id):
    """Disband a team; the plan rows it was assigned to keep their counts and lose the team."""
    with immediate(db):
        team = db.execute("SELECT name, first_user_id, second_user_id FROM audit_teams WHERE id = ? AND campaign_id = ?",
                          [team_id, campaign_id]).fetchone()
        if team is None:
            raise PlanError(_("班が見つかりません。画面を読み込み直してください。"))
        db.execute("UPDATE plan_rows SET team_id = NULL, updated_at = ? WHERE team_id = ?", [now_iso(), team_id])
        db.execute("DELETE FROM audit_teams WHERE id = ?", [team_id])
        audit.record(db, user_id=user_id, action="delete_team", entity="plan", entity_id=campaign_id,
                     before={"name": team[0], "members": [team[1], team[2]]})


def _name(text, label):
    text = text.strip() if isinstance(text, str) else ""
    if not text:
        raise PlanError(_("%(label)sを入力してください。", label=label))
    if problem := texts.problem(text, label=label, limit=MAX_NAME):
        raise PlanError(problem)
    return text


def _count(value):
    """A planned count from a form: a whole number 0..MAX_PLANNED."""
    try:
        count = int(str(value).strip())
    except (TypeError, ValueError):
        count = -1
    if not 0 <= count <= MAX_PLANNED:
        raise PlanError(_("計画数は 0 から %(max)s までの整数で入力してください（入力: %(value)s）。",
                          max=MAX_PLANNED, value=value))
    return count


def _section_ids(db, section_ids):
    """The chosen sections as ids that exist, or the reason they cannot be used."""
    try:
        ids = sorted({int(s) for s in section_ids})
    except (TypeError, ValueError):
        raise PlanError(_("所属の指定が正しくありません。画面を読み込み直してください。")) from None
    if not ids:
        raise PlanError(_("所属グループに入れる所属を 1 つ以上選んでください。"))
    known = {r[0] for r in db.execute(f"SELECT id FROM sections WHERE id IN ({','.join('?' * len(ids))})", ids)}
    if missing := [i for i in ids if i not in known]:
        raise PlanError(_("所属が見つかりません（ID %(ids)s）。", ids="、".join(map(str, missing))))
    return tuple(ids)


def _group_row(db, campaign_id, group_id):
    row = db.execute("SELECT id, name FROM plan_groups WHERE id = ? AND campaign_id = ?",
                     [group_id, campaign_id]).fetchone()
    if row is None:
        raise PlanError(_("所属グループを選んでください。"))
    return {"id": row[0], "name": row[1]}


def _member_ids(db, group_id):
    return [r[0] for r in db.execute("SELECT section_id FROM plan_group_sections WHERE group_id = ? ORDER BY section_id",
                                     [group_id])]

"""Accounts, roles, passwords and login throttling (plain functions over the database)."""
import re
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _
from flask_login import LoginManager, UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from . import audit, texts
from .clock import now, now_iso
from .db import get_db
from .sqlite import immediate

ROLES = {
    "admin": "監査責任者（管理者）",
    "auditor": "監査員",
    "section_head": "所属長・セキュリティリーダー",
    "viewer": "閲覧者（集計のみ）",
}
# The audit team: who plans, draws, visits, signs and chases findings (section heads and viewers never).
AUDIT_TEAM = ("admin", "auditor")
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9._-]{2,40}$")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A user-facing reason why an account change was refused (Japanese, or the language of the request that shows it)."""


@dataclass(frozen=True)
class User(UserMixin):
    """The logged-in person, as flask-login sees them."""

    id: int
    username: str
    display_name: str
    role: str
    section_id: int | None
    active: bool
    generation: int = 0

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        """The session's user id, bound to the user's session generation (Flask-Login's alternative token):
        when the generation moves on, every session that carried the old one ends."""
        return f"{self.id}:{self.generation}"

    @property
    def role_label(self):
        return ROLES[self.role]


def _user(row):
    return User(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        role=row["role"],
        section_id=row["section_id"],
        active=bool(row["active"]),
        generation=row["session_generation"],
    )


def get_user(db, user_id):
    """The user with this id, or None."""
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    return _user(rows[0]) if rows else None


def list_users(db):
    """All accounts with their section names, for the admin screen."""
    return list(
        db.query(
            "SELECT u.*, s.name AS section_name FROM users u"
            " LEFT JOIN sections s ON s.id = u.section_id ORDER BY u.role, u.username"
        )
    )


def create_user(db, username, password, role, *, display_name=None, section_code=None, actor_id=None):
    """Create an account after checking every field; returns the new id."""
    username = username.strip()
    if not USERNAME_PATTERN.match(username):
        raise AccountError(_("ユーザー名は半角英数字と . _ - の 2〜40 文字にしてください。"))
    if role not in ROLES:
        raise AccountError(_("役割「%(role)s」はありません。%(roles)s のいずれかです。", role=role, roles="、".join(ROLES)))
    check_password(password)
    if db.execute("SELECT 1 FROM users WHERE username = ?", [username]).fetchone():
        raise AccountError(_("ユーザー名「%(name)s」は既に使われています。", name=username))
    display_name = (display_name or username).strip()
    if (problem := texts.problem(display_name, label=_("表示名"), limit=MAX_DISPLAY_NAME)) or not display_name:
        raise AccountError(problem or _("表示名を入力してください。"))
    section_id = None
    if role == "section_head":
        if not section_code:
            raise AccountError(_("所属長・セキュリティリーダーには所属コードを指定してください。"))
        row = db.execute("SELECT id FROM sections WHERE code = ?", [section_code]).fetchone()
        if row is None:
            raise AccountError(_("所属コード「%(code)s」は登録されていません。", code=section_code))
        section_id = row[0]
    with immediate(db):
        user_id = db["users"].insert(
            {
                "username": username,
                "display_name": display_name,
                "password_hash": generate_password_hash(password),
                "role": role,
                "section_id": section_id,
                "active": 1,
                "created_at": now_iso(),
            }
        ).last_pk
        audit.record(
            db, user_id=actor_id, action="create", entity="user", entity_id=user_id,
            after={"username": username, "role": role, "section_id": section_id},
        )
    return user_id


def set_password(db, user_id, password, *, actor_id=None):
    """Replace a user's password."""
    check_password(password)
    with immediate(db):
        db["users"].update(user_id, {"password_hash": generate_password_hash(password)})
        end_sessions(db, user_id)
        audit.record(db, user_id=actor_id, action="set_password", entity="user", entity_id=user_id)


def set_active(db, user_id, active, *, actor_id=None):
    """Enable or disable an account (accounts are never deleted: the log refers to them)."""
    with immediate(db):
        db["users"].update(user_id, {"active": int(active)})
        end_sessions(db, user_id)
        audit.record(
            db, user_id=actor_id, action="enable" if active else "disable", entity="user", entity_id=user_id
        )


def end_sessions(db, user_id):
    """End every session of this user, on every device (a copied cookie included)."""
    with immediate(db):
        db.execute("UPDATE users SET session_generation = session_generation + 1 WHERE id = ?", [user_id])


def check_password(password):
    """Refuse passwords too short to survive a guess."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("パスワードは %(length)s 文字以上にしてください。", length=MIN_PASSWORD_LENGTH))


def authenticate(db, username, password, ip, *, max_failures, lock_minutes):
    """Return the user for a correct login, or raise AccountError (also when locked)."""
    keys = (f"user:{username.strip().lower()}", f"ip:{ip}")
    if any(_locked(db, key) for key in keys):
        # Not logged: nothing was tried, and every refused request would otherwise grow the append-only log.
        raise AccountError(_(
            "ログインに続けて失敗したため、%(minutes)s 分間ログインできません。時間をおいて再度お試しください。",
            minutes=lock_minutes,
        ))
    row = db.execute(
        "SELECT id, password_hash, active FROM users WHERE username = ?", [username.strip()]
    ).fetchone()
    # Hash even for unknown users so response time does not reveal which names exist.
    stored = row[1] if row else _DUMMY_HASH
    if not check_password_hash(stored, password) or row is None or not row[2]:
        with immediate(db):
            locked = [_count_failure(db, key, max_failures, lock_minutes) for key in keys]
            _log_failure(db, row[0] if row else None, username.strip(), any(locked))
        raise AccountError(_("ユーザー名またはパスワードが違います。"))
    with immediate(db):
        db.execute("DELETE FROM login_failures WHERE key = ?", [keys[0]])
        audit.record(db, user_id=row[0], action="login", entity="user", entity_id=row[0])
    return get_user(db, row[0])


def _log_failure(db, user_id, username, locked):
    """A failed login: the account's name only when it exists (a typed password never lands in the log)."""
    after = {"reason": "rejected", "lock": True} if locked else {"reason": "rejected"}
    if user_id is not None:
        after["username"] = username
    audit.record(db, user_id=None, action="login_failed", entity="user", entity_id=user_id, after=after)


def log_out(db, user_id):
    """End every session of this user, on every device, and log it."""
    with immediate(db):
        end_sessions(db, user_id)
        audit.record(db, user_id=user_id, action="logout", entity="user", entity_id=user_id)


_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _locked(db, key):
    row = db.execute("SELECT locked_until FROM login_failures WHERE key = ?", [key]).fetchone()
    return bool(row and row[0] and row[0] > now_iso())


def _count_failure(db, key, max_failures, lock_minutes):
    with immediate(db):
        row = db.execute("SELECT failures, locked_until FROM login_failures WHERE key = ?", [key]).fetchone()
        # A lock that has expired starts a fresh count.
        failures = 1 if row is None or (row[1] and row[1] <= now_iso()) else row[0] + 1
        locked_until = None
        if failures >= max_failures:
            locked_until = (now() + timedelta(minutes=lock_minutes)).isoformat(timespec="seconds")
        db.execute(
            "INSERT INTO login_failures (key, failures, locked_until) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
            [key, failures, locked_until],
        )
    return locked_until is not None


MAX_DISPLAY_NAME = 60
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "ログインしてください。"


@login_manager.user_loader
def load_user(session_id):
    """Reload the session's user; a disabled account or an ended session generation ends the session."""
    user_id, _colon, generation = session_id.partition(":")
    if not user_id.isdigit() or not generation.isdigit():
        return None  # a session from before generations, or a forged one: log in again
    user = get_user(get_db(), int(user_id))
    return user if user and user.active and user.generation == int(generation) else None


def init_app(app):
    """Install flask-login."""
    login_manager.init_app(app)

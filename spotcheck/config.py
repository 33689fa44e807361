"""Settings declared as data: every key with its default and what it is for."""
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One configuration key, its default and a line of help for admins."""

    name: str
    default: object
    help: str


SETTINGS = (
    Setting("FORMS_DIR", None, "Folder with selfcheck.toml and onsite.toml (default: forms/ beside the package)."),
    Setting("MAX_CONTENT_LENGTH", 16 * 1024 * 1024, "Largest accepted upload in bytes."),
    Setting("PUBLIC_MAX_CONTENT_LENGTH", 5 * 1024 * 1024,
            "Largest body a visitor who is not logged in may send (the verify page's PDF upload), in bytes."),
    Setting("PUBLIC_REQUESTS_PER_MINUTE", 60, "Requests per minute one address may make to pages open to anyone."),
    Setting("MAX_IMPORT_ROWS", 200_000, "Largest number of data rows in one imported file."),
    Setting("IDLE_TIMEOUT_MINUTES", 30, "Log a user out after this many minutes without a request."),
    Setting("LOGIN_MAX_FAILURES", 5, "Failed logins (per user name and per IP) before the lock."),
    Setting("LOGIN_LOCK_MINUTES", 15, "How long a login stays locked after too many failures."),
    Setting("SESSION_COOKIE_SECURE", None,
            "Send the session cookie over HTTPS only (default: True exactly when BASE_URL starts with https://)."),
    Setting("SESSION_COOKIE_HTTPONLY", True, "Keep the session cookie away from scripts."),
    Setting("SESSION_COOKIE_SAMESITE", "Lax", "Do not send the session cookie on cross-site posts."),
    Setting("BABEL_DEFAULT_LOCALE", "ja", "Language of the user interface unless a user picks another."),
    Setting("LANGUAGES", ("ja", "en"), "Languages a user can choose."),
    Setting("PAGE_SIZE", 50, "Rows per page in long lists."),
    Setting("DRAW_WEIGHTS", {"base": 1, "not_done": 2, "unanswered": 1, "fiscal_year": 1, "my_number": 1,
                             "over_reported": 2, "open_findings": 2},
            "Draw weights: base plus bonuses for ③/C/D answers, 未回答, 会計年度任用職員, My Number sections, "
            "過大申告 (乖離) in the previous campaign, findings of earlier campaigns still open."),
    Setting("BASE_URL", "http://127.0.0.1:5000", "Address printed in each sheet's QR code (the city's intranet URL)."),
    Setting("AUDIT_BASIS", "市情報セキュリティポリシー及び総務省「地方公共団体における情報セキュリティ監査に関するガイドライン」第3章",
            "監査の根拠 printed on every findings sheet."),
    Setting("FOLLOWUP_DAYS", {"nonconformity": 30, "major": 7}, "Days until the improvement report is due, by result."),
    Setting("PUBLIC_MIN_GROUP", 30, "公表版: sections and employment types with fewer people are shown only together."),
    Setting("BACKUP_WARN_DAYS", 7, "The admin screens warn when the newest backup is older than this many days."),
    Setting("PDF_FONT_GOTHIC", None, "A TrueType Gothic font file to embed (default: IPAex Gothic if installed)."),
    Setting("PDF_FONT_MINCHO", None, "A TrueType Mincho font file to embed (default: IPAex Mincho if installed)."),
    Setting("HOST", "127.0.0.1", "Address `flask serve` listens on (0.0.0.0 for the office LAN)."),
    Setting("PORT", 5000, "Port `flask serve` listens on."),
    Setting("TRUSTED_PROXIES", 0,
            "Reverse proxies (IIS, nginx) in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none)."),
    Setting("DOCTOR_MIN_FREE_MB", 2048, "`flask doctor` warns when the instance folder's disk has less free space (MB)."),
    Setting("RETENTION_FISCAL_YEARS", 5,
            "A campaign's personal data is kept through the end (31 March) of fiscal year campaign + N; `flask purge` removes it after."),
    Setting("RETENTION_AFTER_RETIREMENT_YEARS", 5,
            "A retired person's name, kana and staff number are kept through the end of fiscal year retirement + N."),
    Setting("ROSTER_RETIRE_CONFIRM_SHARE", 0.2,
            "A roster import retiring more than this share of active staff needs a tick on the preview "
            "(web) or --allow-mass-retire (CLI)."),
    Setting("SECTION_DRAW_WEIGHTS", {"base": 1, "my_number": 3, "outsourced": 1, "findings": 2,
                                     "over_reported": 1, "open_findings": 2},
            "Section-visit draw: base plus bonuses for My Number work, outsourced systems, last campaign's findings, "
            "its 過大申告 (乖離), findings of earlier campaigns still open."),
    Setting("CONTRACT_DRAW_WEIGHTS", {"base": 1, "personal_data": 2, "subcontracting": 2, "my_number_system": 2},
            "Contract-visit draw: base plus bonuses for personal data, subcontracting, a system in a My Number section."),
    Setting("INTERVIEW_QUESTIONS", 3,
            "Questions drawn from forms/interview.toml for each person's visit (聞き取り); 0 turns the interview off."),
    Setting("ESCALATION_STEPS", ((0, "section_head"), (7, "section_head"), (14, "admin"), (30, "soumu")),
            "督促: (days after an open follow-up's due date, recipient) — recipients section_head (its own section), "
            "admin (情報政策課), soumu (総務課長: the viewer accounts); a step due on a closed day fires the next working day."),
    Setting("NOTICE_NUMBER_FORMAT", "情政第{number}号",
            "文書番号 printed on each 督促通知; {number} counts from 1 in each fiscal year."),
    Setting("NOTICE_SENDER", "情報政策課長", "Sender printed on the 督促通知."),
    Setting("MAIL_ENABLED", False, "Send each fired 督促 step by e-mail too (to users' addresses set by `flask set-email`)."),
    Setting("SMTP_HOST", "localhost", "The city's SMTP relay."),
    Setting("SMTP_PORT", 25, "Port of the SMTP relay."),
    Setting("SMTP_FROM", "", "From address of the reminder e-mails (required when MAIL_ENABLED)."),
    Setting("SMTP_STARTTLS", False, "Switch to TLS with STARTTLS before sending."),
    Setting("SMTP_USERNAME", "", "Login at the relay, if it asks for one (with SMTP_PASSWORD)."),
    Setting("SMTP_PASSWORD", "", "Password for SMTP_USERNAME; keep it in instance/config.py only."),
    Setting("SMTP_TIMEOUT", 30, "Seconds to wait for the relay."),
)


def defaults() -> dict:
    """All settings at their default values."""
    return {s.name: s.default for s in SETTINGS}


def instance_secret(instance_path: Path) -> str:
    """Read the instance's secret key, creating it on first run."""
    path = instance_path / "secret_key"
    if not path.exists():
        # Created once per installation so no two cities share a key and none is in the code.
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()

"""督促 by e-mail through the city's SMTP relay (stdlib smtplib/email), off unless MAIL_ENABLED.

What an e-mail may carry: the section, the check's title, the due date and how late it is — never a
person's name, staff number or the finding's wording (mail is forwarded and misaddressed; those stay in the
app behind its roles). 総務課長 gets the section and dates only, as the viewer inbox shows.
"""
import re
import smtplib
import ssl
from collections import defaultdict
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from . import audit
from .reminders import READER_ROLES, RECIPIENTS, Fired
from .sqlite import immediate
from .wareki import format_date

ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
MAX_ADDRESS = 254


class MailError(ValueError):
    """A user-facing reason why an address or the mail settings were refused, or sending failed (Japanese)."""


@dataclass(frozen=True)
class MailSettings:
    """How to reach the relay."""

    host: str
    port: int
    sender: str
    starttls: bool
    username: str
    password: str
    timeout: float


@dataclass(frozen=True)
class Message:
    """One e-mail to one group of addresses."""

    to: tuple[str, ...]
    subject: str
    body: str
    reminders: tuple[Fired, ...]


def settings_from(config) -> MailSettings | None:
    """The relay settings, or None when mail is off; a Japanese error when on but incomplete."""
    if not config.get("MAIL_ENABLED"):
        return None
    if not config.get("SMTP_HOST") or not ADDRESS.match(config.get("SMTP_FROM") or ""):
        raise MailError("メール送信には SMTP_HOST と SMTP_FROM（送信元アドレス）の設定が必要です。")
    return MailSettings(config["SMTP_HOST"], int(config["SMTP_PORT"]), config["SMTP_FROM"],
                        bool(config.get("SMTP_STARTTLS")), config.get("SMTP_USERNAME") or "",
                        config.get("SMTP_PASSWORD") or "", float(config.get("SMTP_TIMEOUT") or 30))


def set_address(db, username, address, *, actor_id=None):
    """Set (or with "" clear) a user's e-mail address; the log records that it changed, not the address."""
    address = (address or "").strip()
    if address and (len(address) > MAX_ADDRESS or not ADDRESS.match(address)):
        raise MailError(f"メールアドレス「{address}」の形式が正しくありません。")
    row = db.execute("SELECT id FROM users WHERE username = ?", [username]).fetchone()
    if row is None:
        raise MailError(f"ユーザー「{username}」はいません。")
    with immediate(db):
        db.execute("UPDATE users SET email = ? WHERE id = ?", [address or None, row[0]])
        audit.record(db, user_id=actor_id, action="set_email", entity="user", entity_id=row[0],
                     after={"email": "set" if address else "cleared"})


def messages(db, fired: list[Fired], *, today, base_url) -> list[Message]:
    """The e-mails for newly fired steps: one per recipient group (section heads per section), to active users' addresses."""
    groups = defaultdict(list)
    for item in fired:
        groups[(item.step.recipient, item.section_id if item.step.recipient == "section_head" else None)].append(item)
    result = []
    for (recipient, section_id), items in groups.items():
        to = _addresses(db, READER_ROLES[recipient], section_id)
        if to:
            subject, body = compose(recipient, items, today=today, base_url=base_url)
            result.append(Message(to, subject, body, tuple(items)))
    return result


def _addresses(db, role, section_id):
    where, params = "role = ? AND active = 1 AND email IS NOT NULL", [role]
    if section_id is not None:
        where, params = f"{where} AND section_id = ?", [*params, section_id]
    return tuple(row[0] for row in db.execute(f"SELECT email FROM users WHERE {where} ORDER BY id", params))


def compose(recipient, items: list[Fired], *, today, base_url) -> tuple[str, str]:
    """Subject and body in Japanese; what each line shows depends on who reads it (see the module docstring)."""
    where = items[0].section_name if recipient == "section_head" else f"{len({i.section_id for i in items})}所属"
    # No ASCII spaces: RFC 2047 decoders drop those that fall between two encoded words.
    subject = f"【督促】情報セキュリティ監査の改善報告の期限超過{len(items)}件（{where}）"
    lines = [f"{RECIPIENTS[recipient]} 様", "",
             "情報セキュリティ実地監査の指摘事項について、改善報告の期限を過ぎたもの（または本日が期限のもの）があります。",
             "詳細は spotcheck の「お知らせ」でご確認ください（氏名等はメールには記載していません）。", ""]
    for item in items:
        late = "本日が期限" if today <= item.due_on else f"期限から {(today - item.due_on).days} 日経過"
        what = "" if recipient == "soumu" else f"{item.check_title}　"
        place = "" if recipient == "section_head" else f"{item.section_name}　"
        lines.append(f"・{place}{what}期限 {format_date(item.due_on)}（{late}）")
    lines += ["", f"お知らせ: {base_url.rstrip('/')}/inbox", "", "（このメールは spotcheck から自動送信しています。返信はできません。）"]
    return subject, "\n".join(lines) + "\n"


def send(settings: MailSettings, message: Message):
    """Deliver one message to the relay; a Japanese MailError when the relay cannot be reached or refuses."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = settings.sender, ", ".join(message.to), message.subject
    mail["Date"], mail["Message-ID"] = formatdate(localtime=True), make_msgid(domain=settings.sender.split("@")[1])
    mail.set_content(message.body, charset="utf-8")
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password)
            smtp.send_message(mail)
    except (OSError, smtplib.SMTPException) as error:
        # The reason names the relay's answer, never an address (they are personal data).
        raise MailError(f"メールを送信できませんでした（{settings.host}:{settings.port}、{type(error).__name__}）。") from None

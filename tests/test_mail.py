"""督促 e-mail through an SMTP relay: a local aiosmtpd server receives it, in Japanese, with no names."""
import socket
from datetime import date
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from spotcheck import auth, config, followups, mail
from spotcheck.remind_command import run
from tests.factories import overdue_followup


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((tuple(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def relay():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def overdue(db, visit, city):
    """鈴木 一郎's (総務課) 重大 follow-up, due 2026-11-02, and addresses for the section head, admin and 総務."""
    row = overdue_followup(db, visit, "2026-11-02")
    for username, role, section in (("head", "section_head", "0101"), ("other-head", "section_head", "0201"),
                                    ("lead", "admin", None), ("soumu", "viewer", None), ("quiet", "admin", None)):
        auth.create_user(db, username, "long enough pw", role, section_code=section)
        if username != "quiet":  # an admin without an address gets the inbox only
            mail.set_address(db, username, f"{username}@city.example.lg.jp")
    return row


def settings(port, **more):
    return {**config.defaults(), "MAIL_ENABLED": True, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
            "SMTP_FROM": "spotcheck@city.example.lg.jp", "SMTP_TIMEOUT": 5,
            "BASE_URL": "https://spotcheck.city.example.lg.jp", **more}


def test_each_recipient_gets_one_japanese_message_without_names(db, overdue, relay):
    controller, inbox = relay
    outcome = run(db, settings(controller.port), date(2026, 12, 15))
    assert outcome.fired == 4 and not outcome.mail_failed
    assert "メール: 3 通送信" in outcome.lines[-1]
    by_to = {to: message for to, message in inbox.messages}
    assert set(by_to) == {("head@city.example.lg.jp",), ("lead@city.example.lg.jp",), ("soumu@city.example.lg.jp",)}
    head = by_to[("head@city.example.lg.jp",)]
    assert head["Subject"] == "【督促】情報セキュリティ監査の改善報告の期限超過2件（総務課）"
    body = head.get_content()
    assert "所属長 様" in body and "USBメモリ等の外部記録媒体" in body and "令和8年11月2日" in body
    assert "期限から 43 日経過" in body and "https://spotcheck.city.example.lg.jp/inbox" in body
    soumu = by_to[("soumu@city.example.lg.jp",)].get_content()
    assert "総務課長 様" in soumu and "総務課" in soumu and "外部記録媒体" not in soumu
    finding = followups.get(db, overdue["id"])["finding"]
    for message in by_to.values():
        text = message.as_string() + message.get_content()
        # No person's name, staff number, nor the finding's wording, to anyone.
        assert "鈴木" not in text and "000101" not in text and finding not in text
    assert db.execute("SELECT count(*) FROM followup_reminders WHERE mailed_at IS NOT NULL").fetchone()[0] == 4
    logged = db.execute("SELECT after FROM audit_log WHERE entity = 'reminder' AND action = 'mail'").fetchall()
    assert len(logged) == 3 and all("@" not in row[0] for row in logged)


def test_nothing_is_mailed_twice_nor_to_another_section(db, overdue, relay):
    controller, inbox = relay
    run(db, settings(controller.port), date(2026, 11, 2))
    assert [to for to, _ in inbox.messages] == [("head@city.example.lg.jp",)]
    run(db, settings(controller.port), date(2026, 11, 2))
    assert len(inbox.messages) == 1


def test_mail_stays_off_by_default(db, overdue, relay):
    controller, inbox = relay
    outcome = run(db, {**config.defaults(), "SMTP_PORT": controller.port}, date(2026, 12, 15))
    assert outcome.fired == 4 and inbox.messages == []


def test_an_unreachable_relay_keeps_the_reminders_and_says_so(db, overdue, runner, app):
    app.config.update(settings(free_port()))  # nothing listens there
    result = runner.invoke(args=["remind", "--date", "2026-11-02"])
    assert result.exit_code == 2
    assert "メールを送信できませんでした（127.0.0.1:" in result.output and "お知らせ画面には表示されています" in result.output
    assert db.execute("SELECT count(*) FROM followup_reminders WHERE mailed_at IS NULL").fetchone()[0] == 1


def test_mail_on_without_a_sender_is_refused_before_anything_is_written(db, overdue, runner, app):
    app.config.update(settings(25, SMTP_FROM=""))
    result = runner.invoke(args=["remind", "--date", "2026-11-02"])
    assert result.exit_code == 1 and "SMTP_FROM" in result.output
    assert db.execute("SELECT count(*) FROM followup_reminders").fetchone()[0] == 0


@pytest.mark.parametrize("address", ["not-an-address", "a@b", "a b@city.example.lg.jp", "x" * 250 + "@ex.jp"])
def test_bad_addresses_are_refused(db, overdue, address):
    with pytest.raises(mail.MailError, match="形式が正しくありません"):
        mail.set_address(db, "head", address)


def test_set_email_command_sets_and_clears_without_logging_the_address(db, overdue, runner):
    result = runner.invoke(args=["set-email", "quiet", "quiet@city.example.lg.jp"])
    assert result.exit_code == 0 and "quiet のメールアドレスを設定しました" in result.output
    assert runner.invoke(args=["set-email", "quiet"]).output.strip() == "quiet のメールアドレスを削除しました。"
    assert runner.invoke(args=["set-email", "nobody", "x@city.example.lg.jp"]).exit_code == 1
    logged = db.execute("SELECT after FROM audit_log WHERE action = 'set_email'").fetchall()
    assert logged and all("@" not in row[0] for row in logged)

"""`flask remind`: fire the escalation steps that are due (daily cron), and mail them when mail is on."""
import sys
from dataclasses import dataclass
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from . import mail, reminders
from . import clock
from .db import get_db
from .wareki import format_date


@dataclass(frozen=True)
class Outcome:
    """What a run did, in the lines the command prints, and whether every e-mail left."""

    lines: tuple[str, ...]
    fired: int
    mail_failed: bool


def run(db, config, today: date, *, dry_run=False) -> Outcome:
    """Fire (or with dry_run only list) the steps due by `today`, then send their e-mails."""
    steps = reminders.parse_steps(config["ESCALATION_STEPS"])
    settings = mail.settings_from(config)  # refused before anything is written when mail is on but unusable
    items = reminders.due(db, steps, today)
    head = f"{format_date(today)}（{today.isoformat()}）の督促"
    if not items:
        return Outcome((f"{head}: 新たに送る督促はありません。",), 0, False)
    lines = [f"{head}: {'送る予定' if dry_run else '新たに記録'} {len(items)} 件" + ("（試行のため記録していません）" if dry_run else "")]
    by_recipient = {code: sum(1 for i in items if i.step.recipient == code) for code in reminders.RECIPIENTS}
    lines.append("  " + "、".join(f"{reminders.RECIPIENTS[c]} {n} 件" for c, n in by_recipient.items() if n))
    for item in items:
        lines.append(f"  ・{item.section_name}　{item.check_title}　期限 {format_date(item.due_on)}"
                     f" → {reminders.RECIPIENTS[item.step.recipient]}（{reminders.step_label(item.step.days)}の段階）")
    if dry_run:
        return Outcome(tuple(lines), 0, False)
    ids = reminders.fire(db, items)
    fired = [item for item in items if item in ids]
    failed = False
    if settings is None:
        lines.append("メール: 送信しない設定です（MAIL_ENABLED）。お知らせ画面に表示されます。")
        return Outcome(tuple(lines), len(fired), False)
    messages = mail.messages(db, fired, today=today, base_url=config["BASE_URL"])
    sent = 0
    for message in messages:
        try:
            mail.send(settings, message)
        except mail.MailError as error:
            failed = True
            lines.append(f"メール: {error}（お知らせ画面には表示されています）")
            continue
        reminders.mark_mailed(db, [ids[item] for item in message.reminders], len(message.to))
        sent += 1
    unaddressed = len(fired) - sum(len(m.reminders) for m in messages)
    lines.append(f"メール: {sent} 通送信" + (f"（宛先のメールアドレスが未設定の督促 {unaddressed} 件）" if unaddressed else ""))
    return Outcome(tuple(lines), len(fired), failed)


@click.command("remind")
@with_appcontext
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), help="この日として実行（既定: 今日）")
@click.option("--dry-run", is_flag=True, help="送る督促を表示するだけで、記録もメール送信もしません")
def remind_command(day, dry_run):
    """期限を過ぎたフォローアップの督促を段階ごとに 1 回だけ記録し、お知らせ（とメール）で知らせます（毎日 cron で実行）。"""
    today = day.date() if day else clock.now().date()
    try:
        outcome = run(get_db(), current_app.config, today, dry_run=dry_run)
    except (reminders.ReminderError, mail.MailError) as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    for line in outcome.lines:
        click.echo(line)
    if outcome.mail_failed:
        sys.exit(2)


@click.command("set-email")
@with_appcontext
@click.argument("username")
@click.argument("address", required=False, default="")
def set_email_command(username, address):
    """利用者のメールアドレス（督促メールの宛先）を設定します。ADDRESS を省略すると削除します。"""
    try:
        mail.set_address(get_db(), username, address)
    except mail.MailError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"{username} のメールアドレスを{'設定' if address else '削除'}しました。")

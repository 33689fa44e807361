"""Flask commands for admins: set up, accounts, campaigns, imports, demo data, serving."""
import gc
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from . import (audit, auth, backup, campaigns, checklists, clock, council, deployment, doctor, draw, imports,
               integrity, issuance, loaded_forms, migrations, printing, report, retention, roster_safety, sweep)
from .db import get_db
from .importing import COUNT_LABELS, ImportRejected
from .remind_command import remind_command, set_email_command
from .wareki import format_datetime

STATE_MESSAGES = {
    "valid": "有効です（発行時の内容のまま、最新の版です）。",
    "superseded": "訂正済みです（新しい版 {superseded_by} に置き換えられています）。",
    "altered": "改ざんの疑いがあります（発行時の記録と一致しません）。",
    "purged": "保存期間満了により廃棄済みです（発行された結果票ですが、記録の内容は廃棄されています）。",
}


def fail(messages):
    """Print Japanese error lines to stderr and stop with exit code 1."""
    for line in messages if isinstance(messages, list) else [messages]:
        click.echo(line, err=True)
    sys.exit(1)


def forms_or_fail():
    """The loaded checklists, or stop with the forms/ errors."""
    try:
        return loaded_forms.current()
    except checklists.FormsError as error:
        fail(error.errors + ["forms/ を直してから再実行してください。"])


def summary(plan):
    """One line of counts, then the notices, as an admin reads them."""
    counts = "、".join(f"{COUNT_LABELS[k]} {v} 件" for k, v in plan.counts.items())
    return "\n".join([f"{plan.filename}: {counts}"] + [f"  ※ {n}" for n in plan.notices])


@click.command("init-db")
@with_appcontext
def init_db_command():
    """データベースを作成・更新します（何度実行しても安全です）。"""
    migrations.apply(get_db())
    click.echo(f"データベースを準備しました: {current_app.config['DATABASE']}")


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(auth.ROLES)), help="役割")
@click.option("--name", "display_name", help="表示名（省略時はユーザー名）")
@click.option("--section", "section_code", help="所属コード（所属長の場合に必須）")
@click.option("--password-stdin", is_flag=True, help="パスワードを標準入力から 1 行読みます")
def create_user_command(username, role, display_name, section_code, password_stdin):
    """ユーザーを作成します。"""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("パスワード", hide_input=True, confirmation_prompt="パスワード（確認）")
    try:
        auth.create_user(get_db(), username, password, role, display_name=display_name, section_code=section_code)
    except auth.AccountError as error:
        fail(str(error))
    click.echo(f"ユーザー「{username}」（{auth.ROLES[role]}）を作成しました。")


@click.command("create-campaign")
@with_appcontext
@click.argument("code")
@click.option("--title", required=True, help="名称（例: 令和6年度 情報セキュリティ監査）")
@click.option("--fiscal-year", type=int, help="年度（西暦、例: 2024）")
def create_campaign_command(code, title, fiscal_year):
    """監査キャンペーンを作成し、現在のチェックリストを固定します。"""
    try:
        campaigns.create_campaign(get_db(), code, title, forms_or_fail(), fiscal_year=fiscal_year)
    except campaigns.CampaignError as error:
        fail(str(error))
    click.echo(f"キャンペーン「{code}」を作成しました。")


def run_import(kind, path, campaign=None, allow_mass_retire=True):
    """Plan an import from a file, apply it, and say what changed; nothing is written on error."""
    db = get_db()
    data = Path(path).read_bytes()
    try:
        plan = imports.plan(db, kind, data, Path(path).name, campaign=campaign, max_rows=current_app.config["MAX_IMPORT_ROWS"])
        guard = roster_safety.check(db, plan, current_app.config["ROSTER_RETIRE_CONFIRM_SHARE"])
        if guard and not allow_mass_retire:
            # The web import asks for a tick on its preview; on the command line, a partial file (two rows)
            # would otherwise retire everyone else without a word.
            fail([summary(plan), f"この名簿を取り込むと {guard.retiring:,} 人（{guard.percent}%）が退職扱いになります"
                  f"（在職者 {guard.active:,} 人の {guard.limit_percent}% を超えています）。全職員の名簿か確かめてください。"
                  "意図どおりなら --allow-mass-retire を付けて実行してください。", "取り込みを中止しました。データは変更していません。"])
        imports.apply(db, plan, None)
    except ImportRejected as error:
        fail(error.messages + ["取り込みを中止しました。データは変更していません。"])
    except sqlite3.OperationalError as error:
        if "locked" not in str(error):
            raise
        # The write lock is waited for (busy timeout); only a writer holding it that long ends here.
        fail("ほかの書き込みが終わらないため、取り込みを中止しました。データは変更していません。しばらくしてからもう一度実行してください。")
    click.echo(summary(plan))
    click.echo("取り込みました。")


@click.command("import-sections")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def import_sections_command(file):
    """所属一覧（CSV / XLSX）を取り込みます。"""
    run_import("sections", file)


@click.command("import-staff")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--allow-mass-retire", is_flag=True,
              help="在職者の一定割合（設定 ROSTER_RETIRE_CONFIRM_SHARE、既定 20%）を超える退職扱いを認める")
@click.option("--allow-retire", "allow_retire", is_flag=True, hidden=True)  # the old name, kept for existing scripts
def import_staff_command(file, allow_mass_retire, allow_retire):
    """職員名簿（CSV / XLSX）を取り込みます。ファイルにない職員は退職扱いにします。"""
    if allow_retire:
        click.echo("※ --allow-retire は古い名前です。今後は --allow-mass-retire を使ってください。", err=True)
    run_import("staff", file, allow_mass_retire=allow_mass_retire or allow_retire)


@click.command("import-selfcheck")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--campaign", "campaign_code", required=True, help="キャンペーンコード（例: R6）")
def import_selfcheck_command(file, campaign_code):
    """セルフチェック結果（CSV / XLSX）をキャンペーンに取り込みます。"""
    campaign = campaigns.get_campaign(get_db(), code=campaign_code)
    if campaign is None:
        fail(f"キャンペーン「{campaign_code}」はありません。先に create-campaign で作成してください。")
    run_import("selfcheck", file, campaign)


@click.command("import-contracts")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="検査して件数を表示するだけで、何も書き込みません")
def import_contracts_command(file, dry_run):
    """委託契約一覧（CSV / XLSX）を取り込みます。ファイルにない契約は終了扱いにします。"""
    if not dry_run:
        run_import("contracts", file)
        return
    try:
        plan = imports.plan(get_db(), "contracts", Path(file).read_bytes(), Path(file).name,
                            max_rows=current_app.config["MAX_IMPORT_ROWS"])
    except ImportRejected as error:
        fail(error.messages + ["取り込めません。データは変更していません。"])
    click.echo(summary(plan))
    click.echo("確認のみ（--dry-run）: データは変更していません。")


@click.command("check-forms")
@with_appcontext
@click.argument("folder", required=False, type=click.Path(file_okay=False))
@click.option("--readme", type=click.Path(dir_okay=False, exists=True),
              help="この README の確認範囲の表を、いまの forms/ から書き直します。")
def check_forms_command(folder, readme):
    """forms/ のチェックリスト定義を検査します。"""
    folder = folder or current_app.config["FORMS_DIR"]
    errors = checklists.validate_forms(folder)
    if errors:
        fail(errors + [f"{len(errors)} 件の問題があります。"])
    click.echo(f"{folder}: チェックリスト定義に問題はありません。")
    from . import coverage  # the coverage table: which check or question tests each self-check item
    from .subject_forms import summary

    forms = checklists.load_checklists(folder)
    for line in summary(forms):
        click.echo(line)
    click.echo(f"聞き取りの質問集: {forms.interview.title}（版 {forms.interview.version}、{len(forms.interview.questions)} 問）")
    rows = coverage.load(Path(folder), forms)[0]
    for line in coverage.lines(rows):
        click.echo(line)
    if readme:
        text = Path(readme).read_text(encoding="utf-8")
        if coverage.README_START not in text or coverage.README_END not in text:
            fail([f"{readme} に確認範囲の表の目印（{coverage.README_START} と {coverage.README_END}）がありません。"])
        Path(readme).write_text(coverage.with_table(text, rows), encoding="utf-8")
        click.echo(f"{readme} の確認範囲の表を書き直しました。")


@click.command("verify-interview")
@with_appcontext
@click.argument("visit_id", type=int)
def verify_interview_command(visit_id):
    """実地監査の聞き取りで出題した質問の抽選を再計算し、記録どおりか検証します。"""
    from . import interview

    ok, findings = interview.verify(get_db(), visit_id)
    if not ok:
        fail(findings + [f"実地監査 {visit_id} の聞き取りの抽選は検証に失敗しました。"])
    for line in findings:
        click.echo(line)


@click.command("demo")
@with_appcontext
def demo_command():
    """架空の市のデモデータ（所属・職員・セルフチェック結果・ユーザー）を読み込みます。"""
    from . import demo

    db = get_db()
    migrations.apply(db)
    for line in demo.load(db, forms_or_fail(), Path(current_app.instance_path)):
        click.echo(line)


@click.command("verify-draw")
@with_appcontext
@click.argument("draw_id", type=int)
def verify_draw_command(draw_id):
    """抽選記録を再計算し、記録どおりか検証します。"""
    ok, findings = draw.verify(get_db(), draw_id)
    if not ok:
        fail(findings + [f"抽選記録 {draw_id} は検証に失敗しました。"])
    for line in findings:
        click.echo(line)


@click.command("verify-sheet")
@with_appcontext
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def verify_sheet_command(file):
    """PDF が発行された結果票そのものか、内容が今も有効かを検証します。"""
    db = get_db()
    photo_check = printing.photo_checker(Path(current_app.instance_path) / "photos")
    serial = issuance.find_by_pdf(db, Path(file).read_bytes())
    if serial is None:
        fail(f"{file}: 発行された結果票のファイルと一致しません（編集・再保存された可能性があります）。")
    status = issuance.status(db, serial, photo_check)
    message = STATE_MESSAGES[status["state"]].format(**status)
    if status["state"] not in (issuance.VALID, issuance.PURGED):
        fail(f"{file}: 文書番号 {serial}: {message}")
    click.echo(f"{file}: 文書番号 {serial}: {message}")


@click.command("verify-chain")
@with_appcontext
@click.option("--head", help="以前に控えた検証ログのハッシュ（chain-head の出力や結果票・報告書の印字）")
def verify_chain_command(head):
    """検証ログ全体と、確定したすべての記録を再計算して検査し、書き換えや欠落を示します。"""
    db = get_db()
    ok, message = integrity.verify_chain(db, head)
    problems = [] if ok else [message]
    problems += issuance.verify_records(db, printing.photo_checker(Path(current_app.instance_path) / "photos"))
    if problems:
        fail(problems + ["検証に失敗しました。"])
    sheets = db.execute("SELECT count(*) FROM sheets").fetchone()[0]
    click.echo(message)
    click.echo(f"結果票 {sheets} 件の記録を再計算し、すべて署名時の内容と一致しました。")


@click.command("council-report")
@with_appcontext
@click.argument("campaign_code")
@click.option("--public", is_flag=True, help="市議会・市民向けの公表版（小さな所属・任用区分はまとめて表示）")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True, help="書き出す PDF ファイル")
def council_report_command(campaign_code, public, output):
    """審議会への報告（または公表版）の PDF を作成します。"""
    db = get_db()
    campaign = campaigns.get_campaign(db, code=campaign_code)
    if campaign is None:
        fail(f"キャンペーン「{campaign_code}」はありません。")
    data = council.report_data(db, campaign, public=public, min_group=current_app.config["PUBLIC_MIN_GROUP"])
    Path(output).write_bytes(report.build_report(data, current_app.extensions["fonts"]))
    audit.record(db, user_id=None, action="export", entity="report", entity_id=campaign["id"],
                 after={"table": "public" if public else "council", "format": "pdf", "campaign": campaign["code"]})
    click.echo(f"{'公表版' if public else '審議会への報告'}を {output} に書き出しました。")


@click.command("backup")
@with_appcontext
@click.option("-o", "--output", type=click.Path(dir_okay=False), required=True, help="書き出すバックアップファイル（.zip）")
def backup_command(output):
    """データベース（オンラインバックアップ）・写真・結果票を 1 つのファイルにバックアップします（運用中でも実行できます）。"""
    archive = backup.backup(current_app.config["DATABASE"], current_app.instance_path, output)
    backup.record(get_db(), archive)
    click.echo(f"バックアップしました: {archive.path}（{archive.files} ファイル、{archive.size / 2**20:.1f} MB）")


@click.command("restore")
@with_appcontext
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
def restore_command(archive):
    """バックアップを空のインスタンスに復元し、整合性・検証ログ・写真のハッシュを検査します。"""
    try:
        names = backup.restore(archive, current_app.instance_path)
    except backup.BackupError as error:
        fail([str(error), "復元を中止しました。何も書き込んでいません。"])
    db = get_db()
    migrations.apply(db)  # an archive from an older version is brought up to date
    problems = backup.integrity_problems(db)
    ok, chain_message = integrity.verify_chain(db)
    problems += [] if ok else [chain_message]
    problems += issuance.verify_records(db, printing.photo_checker(Path(current_app.instance_path) / "photos"))
    try:
        backup.record_restore(db, archive, len(names), problems)
    except sqlite3.DatabaseError:  # a restored database too damaged to write to: the checks below say why
        click.echo("復元を操作履歴に記録できませんでした。", err=True)
    click.echo(f"{len(names)} ファイルを復元しました。")
    if problems:
        fail(problems + ["復元したデータの検査で問題が見つかりました。"])
    click.echo(chain_message)
    click.echo("データベースの整合性、検証ログ、確定した記録と写真のハッシュはすべて正常です。")


@click.command("sweep")
@with_appcontext
def sweep_command():
    """クラッシュ後の書きかけファイルを削除し、記録と合わないファイルを quarantine/ に移します。"""
    for line in sweep.sweep(get_db(), current_app.instance_path).lines():
        click.echo(line)


@click.command("chain-head")
@with_appcontext
def chain_head_command():
    """検証ログの最新のハッシュを表示します（控えておくと、後で欠落がないことを証明できます）。"""
    link = integrity.head(get_db())
    if link is None:
        fail("検証ログはまだ空です（結果票が発行されていません）。")
    click.echo(f"検証ログ 第{link.number}号（{format_datetime(datetime.fromisoformat(link.created_at))}）")
    click.echo(link.entry_hash)
    click.echo(f"控えた値で確かめるには: flask --app app verify-chain --head {link.short}")


@click.command("doctor")
@with_appcontext
def doctor_command():
    """設置の状態（フォント・公開アドレス・秘密鍵・権限・ディスク・バックアップなど）を点検し、直し方を示します。"""
    findings = doctor.examine(current_app, get_db())
    for finding in findings:
        for line in finding.lines():
            click.echo(line)
    failed = sum(f.level == doctor.FAIL for f in findings)
    warned = sum(f.level == doctor.WARN for f in findings)
    if failed:
        fail([f"要対応 {failed} 件・注意 {warned} 件があります。"])
    click.echo(f"要対応はありません（注意 {warned} 件）。" if warned else "すべて問題ありません。")


@click.command("purge")
@with_appcontext
@click.option("--dry-run", is_flag=True, help="廃棄の対象を表示するだけで、何も変更しません")
@click.option("--yes", is_flag=True, help="確認せずに廃棄します")
def purge_command(dry_run, yes):
    """保存期間を過ぎた個人情報（氏名・写真・署名・記述）を廃棄します。集計と検証ログは残ります。"""
    db, config = get_db(), current_app.config
    years = {"campaign_years": config["RETENTION_FISCAL_YEARS"], "retirement_years": config["RETENTION_AFTER_RETIREMENT_YEARS"]}
    planned = retention.plan(db, clock.now().date(), instance=current_app.instance_path, **years)
    for line in retention.plan_lines(planned, **years):
        click.echo(line)
    if planned.empty:
        return
    if dry_run:
        click.echo("（確認のみ: 何も変更していません。廃棄するには --dry-run を付けずに実行してください。）")
        return
    if not yes and not click.confirm("以上を廃棄します。元に戻せません。よろしいですか？"):
        fail("廃棄を中止しました。何も変更していません。")
    try:
        purge_id = retention.purge(db, planned, instance=current_app.instance_path, **years)
    except retention.RetentionError as error:
        fail(str(error))
    click.echo(f"廃棄しました（廃棄記録 No.{purge_id}）。集計・結果票の番号・検証ログは残っています。")


@click.command("serve")
@with_appcontext
@click.option("--host", help="待ち受けるアドレス（既定: 設定の HOST）")
@click.option("--port", type=int, help="ポート番号（既定: 設定の PORT）")
def serve_command(host, port):
    """waitress でアプリを公開します（Windows でも動きます）。"""
    import waitress

    host = host or current_app.config["HOST"]
    port = port or current_app.config["PORT"]
    for line in sweep.sweep(get_db(), current_app.instance_path, hash_sheets=False).lines():  # a crash's leftovers
        click.echo(line)
    current_app.extensions["serve_host"] = host
    if problem := deployment.print_problem(current_app.config["BASE_URL"], bound_host=host):
        click.secho(problem, fg="red", err=True)
    click.echo(f"http://{host}:{port}/ で公開しています。終了は Ctrl+C です。")
    # Everything loaded at start-up lives as long as the server: taken out of the garbage collector's
    # sight, a collection no longer walks it in the middle of a request (p95 of the dashboard 72 → 42 ms).
    gc.freeze()
    # Refuse an oversized body before reading it, at the size Flask would refuse it anyway.
    waitress.serve(current_app._get_current_object(), host=host, port=port, threads=8,
                   max_request_body_size=current_app.config["MAX_CONTENT_LENGTH"] + 64 * 1024)


COMMANDS = (
    init_db_command,
    create_user_command,
    create_campaign_command,
    import_sections_command,
    import_staff_command,
    import_selfcheck_command,
    import_contracts_command,
    check_forms_command,
    demo_command,
    verify_draw_command,
    verify_sheet_command,
    verify_chain_command,
    chain_head_command,
    council_report_command,
    sweep_command,
    backup_command,
    restore_command,
    doctor_command,
    serve_command,
    purge_command,
    verify_interview_command,
    remind_command,
    set_email_command,
)


def init_app(app):
    """Register the commands with `flask --app app …`."""
    from .cli_comprehension import COMMANDS as TEST_COMMANDS  # imports this module: registered here, not at the top

    for command in COMMANDS + TEST_COMMANDS:
        app.cli.add_command(command)

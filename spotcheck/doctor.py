"""`flask doctor`: what an installation needs before a city can rely on it, each with what to do about it."""
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import backup, deployment, migrations
from .clock import now

OK, WARN, FAIL = "ok", "warn", "fail"
MARKS = {OK: "✔", WARN: "△", FAIL: "✖"}
WEAK_SECRETS = {"dev", "secret", "change-me", "changeme", "test"}


@dataclass(frozen=True)
class Finding:
    """One check's outcome: its name, a Japanese sentence, and what to do when it is not ok."""

    level: str
    name: str
    message: str
    fix: str = ""

    def lines(self):
        """The finding as the command prints it."""
        head = f"{MARKS[self.level]} {self.name}: {self.message}"
        return [head] if self.level == OK or not self.fix else [head, f"    → {self.fix}"]


def examine(app, db) -> list[Finding]:
    """Every check, in the order an administrator would fix them."""
    instance = Path(app.instance_path)
    config = app.config
    return [
        fonts(app.extensions["fonts"]),
        base_url(config["BASE_URL"], config["HOST"], config["SESSION_COOKIE_SECURE"]),
        secret_key(config["SECRET_KEY"], instance / "secret_key"),
        permissions(instance),
        free_disk(instance, config["DOCTOR_MIN_FREE_MB"]),
        database(db),
        backups(db, config["BACKUP_WARN_DAYS"]),
        forms(app.extensions["forms_errors"]),
        time_zone(),
    ]


def fonts(status) -> Finding:
    """The sheets embed a Japanese font, or they print as empty boxes elsewhere."""
    if status.embedded and not status.warning:
        return Finding(OK, "日本語フォント", "IPAex ゴシック・明朝を PDF に埋め込みます。")
    if status.embedded:
        return Finding(WARN, "日本語フォント", status.warning, "fonts-ipaexfont をインストールしてください。")
    return Finding(FAIL, "日本語フォント", "PDF に日本語フォントを埋め込めません（印刷すると文字が空白の四角になることがあります）。",
                   "sudo apt-get install fonts-ipaexfont（Windows は IPAex フォントを入れるか、設定 PDF_FONT_GOTHIC・PDF_FONT_MINCHO に .ttf を指定）")


def base_url(url, host, secure_cookies) -> Finding:
    """The QR address must reach the app from other devices, and over https on a LAN."""
    problem = deployment.print_problem(url, bound_host=host)
    fix = 'instance/config.py に BASE_URL = "https://spotcheck.example.lg.jp" のように庁内の公開アドレスを書いて、起動し直してください。'
    if problem:
        return Finding(FAIL, "公開アドレス（BASE_URL）", problem, fix)
    if deployment.is_loopback(deployment.host_of(url)):
        return Finding(WARN, "公開アドレス（BASE_URL）",
                       f"{url} はこの機械の中だけのアドレスです。ほかの端末では結果票の QR コードを読めません。", fix)
    if not url.lower().startswith("https://"):
        return Finding(WARN, "公開アドレス（BASE_URL）", f"{url} は https ではありません。ログイン情報が暗号化されずに流れます。",
                       "IIS または nginx で TLS を終端し、BASE_URL を https:// で始めてください（README「庁内ネットワークでの運用」）。")
    if not secure_cookies:
        return Finding(WARN, "公開アドレス（BASE_URL）", "https で公開していますが、SESSION_COOKIE_SECURE が False です。",
                       "instance/config.py の SESSION_COOKIE_SECURE = False を消してください。")
    return Finding(OK, "公開アドレス（BASE_URL）", f"{url}（https・Cookie は https のみ）")


def secret_key(key, key_file: Path) -> Finding:
    """The session key must be long, unguessable and readable by the app's account only."""
    if not key or len(str(key)) < 32 or str(key).lower() in WEAK_SECRETS:
        return Finding(FAIL, "秘密鍵（SECRET_KEY）", "短すぎるか、推測できる値です。ログインを偽造されるおそれがあります。",
                       "instance/config.py の SECRET_KEY を消してください（instance/secret_key に自動で作られます）。")
    if key_file.exists() and os.name == "posix" and key_file.stat().st_mode & 0o077:
        return Finding(FAIL, "秘密鍵（SECRET_KEY）", f"{key_file} をほかの利用者も読めます。", f"chmod 600 {key_file}")
    return Finding(OK, "秘密鍵（SECRET_KEY）", "十分な長さで、アプリの利用者だけが読めます。")


def permissions(instance: Path) -> Finding:
    """The instance folder holds personal data: writable by the app, closed to everyone else."""
    if not os.access(instance, os.W_OK):
        return Finding(FAIL, "instance フォルダの権限", f"{instance} に書き込めません。",
                       f"アプリを動かす利用者に書き込み権限を与えてください（chown -R その利用者 {instance}）。")
    # The folder's own mode is what guards its contents: files inside keep the umask's 644.
    if os.name == "posix" and instance.stat().st_mode & 0o007:
        return Finding(FAIL, "instance フォルダの権限", f"個人情報を含む {instance} をほかの利用者も開けます。",
                       f"chmod 700 {instance}")
    return Finding(OK, "instance フォルダの権限", "アプリだけが読み書きできます。")


def free_disk(instance: Path, minimum_mb) -> Finding:
    """Photos and backups need room; a full disk stops every save."""
    free_mb = shutil.disk_usage(instance).free // 2**20
    if free_mb < minimum_mb:
        return Finding(FAIL, "ディスクの空き", f"残り {free_mb:,} MB です（目安 {minimum_mb:,} MB 以上）。",
                       "古いバックアップを別の場所へ移すか、ディスクを増やしてください。")
    return Finding(OK, "ディスクの空き", f"残り {free_mb:,} MB です。")


def database(db) -> Finding:
    """The schema is current and the file is sound."""
    pending = migrations.migrations.pending(db)
    if pending:
        return Finding(FAIL, "データベース", f"未適用の更新が {len(pending)} 件あります。", "flask --app app init-db")
    answer = [row[0] for row in db.execute("PRAGMA quick_check")]
    if answer != ["ok"]:
        return Finding(FAIL, "データベース", f"整合性検査で問題が見つかりました: {answer[0]}",
                       "最新のバックアップから flask --app app restore で戻してください。")
    return Finding(OK, "データベース", "最新の形式で、整合性検査も問題ありません。")


def backups(db, warn_days) -> Finding:
    """A backup newer than BACKUP_WARN_DAYS exists."""
    newest = backup.last_backup(db)
    fix = "flask --app app backup -o バックアップ先/spotcheck-日付.zip を毎晩実行してください（README「バックアップ（毎日）」）。"
    if newest is None:
        return Finding(FAIL, "バックアップ", "まだ一度も取られていません。", fix)
    age = now() - datetime.fromisoformat(newest)
    if age > timedelta(days=warn_days):
        return Finding(FAIL, "バックアップ", f"最新のバックアップは {age.days} 日前です（{warn_days} 日以内が目安）。", fix)
    return Finding(OK, "バックアップ", f"最新のバックアップは {age.days} 日前です。")


def forms(errors) -> Finding:
    """The checklists in forms/ load."""
    if errors:
        return Finding(FAIL, "チェックリスト（forms/）", f"誤りが {len(errors)} 件あります（最初: {errors[0]}）。",
                       "flask --app app check-forms で一覧を見て直してください。")
    return Finding(OK, "チェックリスト（forms/）", "読み込めます。")


def time_zone() -> Finding:
    """Dates are stamped in Japan time, which needs the time-zone database."""
    try:
        ZoneInfo("Asia/Tokyo")
    except ZoneInfoNotFoundError:
        return Finding(FAIL, "タイムゾーン", "Asia/Tokyo を読めません。", "sudo apt-get install tzdata（Windows は pip install tzdata）")
    return Finding(OK, "タイムゾーン", "日本時間（Asia/Tokyo）で記録します。")

"""Browser tests: the real app served by waitress, driven by headless Chromium through Playwright's sync API.

One Chromium per session; a fresh browser context (tablet, ja-JP) per test. The app runs exactly as
a city would run it: its own instance folder, migrations applied, CSRF on, no TESTING flag.

Two servers:
- `live_server` (session): a small city already loaded (3 sections, 5 staff, campaign R6 with
  self-check answers) and six accounts: admin, three auditors, section_head (0101 総務課), viewer.
- `empty_server` (per test): a freshly installed city with only an admin account, for the
  import walk-through, which must start from nothing.
"""
import datetime as dt
import io
import logging
import os
import re
import threading
from contextlib import closing
from pathlib import Path

import openpyxl
import pytest
import waitress

from spotcheck import auth, campaigns, create_app, imports, loaded_forms, migrations
from spotcheck.db import connect
from tests.factories import PASSWORD, SECTIONS, STAFF, csv_bytes

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LANDSCAPE = {"width": 1180, "height": 820}
PORTRAIT = {"width": 820, "height": 1180}
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
MISSING_CHROMIUM = (
    "Chromium（/usr/bin/chromium）が見つかりません。`make test` を実行してください（必要なパッケージを入れます）。"
    " / Chromium (/usr/bin/chromium) is missing: run `make test`, which installs it."
)

# The small city every browser test (except the import walk-through) starts from.
SECTIONS_HEADER = ["所属コード", "所属名", "特定個人情報", "業務委託システム"]
STAFF_HEADER = ["職員番号", "氏名", "フリガナ", "所属コード", "任用区分", "PC使用"]
CITY_STAFF = STAFF + [
    ["000104", "高橋 健太", "タカハシ ケンタ", "0101", "正規職員", "有"],
    ["000105", "佐藤 美咲", "サトウ ミサキ", "0101", "会計年度任用職員", "有"],
]
ITEMS = range(1, 21)
# 髙橋 花子 (000102): ① except item 3 ②, item 19 ③ and item 17 left blank.
TAKAHASHI_ANSWERS = {n: "①" for n in ITEMS} | {3: "②", 19: "③", 17: None}
ACCOUNTS = {  # username: (role, display name, section code)
    "admin": ("admin", "監査 一郎", None),
    "auditor": ("auditor", "検査 花子", None),
    "auditor2": ("auditor", "調査 次郎", None),  # a second auditor, to join a visit as co-auditor
    "auditor3": ("auditor", "点検 三郎", None),  # an auditor on no visit's team
    "soumu-head": ("section_head", "総務 課長", "0101"),
    "viewer": ("viewer", "審議会 委員", None),
}


# ---------------------------------------------------------------- the city's files, as Excel saves them


def sections_csv() -> bytes:
    """所属一覧 as Excel's 「CSV UTF-8」 (with BOM)."""
    return csv_bytes(SECTIONS_HEADER, SECTIONS, encoding="utf-8-sig")


def roster_csv() -> bytes:
    """職員名簿 as Excel's plain 「CSV」 (CP932): 髙 and 﨑 must survive."""
    return csv_bytes(STAFF_HEADER, CITY_STAFF, encoding="cp932")


def selfcheck_xlsx() -> bytes:
    """セルフチェック結果 (.xlsx): items 1–20 as number headers, ①②③ answers, one blank, one lost leading zero."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "回答"
    sheet.append(["職員番号", "回答日", *ITEMS])  # Excel stores a typed 1 as the number 1
    sheet.append(["000101", dt.datetime(2024, 1, 15), *("①" for _ in ITEMS)])
    sheet.append(["000102", "2024/01/16", *(TAKAHASHI_ANSWERS[n] for n in ITEMS)])
    sheet.append([104, "R6.1.16", *("②" if n == 19 else "①" for n in ITEMS)])  # re-saved: 000104 became 104
    sheet.append(["000105", "令和6年1月17日", *("②" for _ in ITEMS)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook.close()
    return buffer.getvalue()


# ---------------------------------------------------------------- the live server


class LiveServer:
    """The app under waitress in a daemon thread, on a free port of 127.0.0.1."""

    def __init__(self, app):
        self.app = app
        self.errors = []  # ERROR log records from the app and waitress: a 500 must not pass unnoticed
        self._handler = _ListHandler(self.errors)
        for name in (app.logger.name, "waitress"):
            logging.getLogger(name).addHandler(self._handler)
        self.server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, name=f"waitress-{self.server.effective_port}", daemon=True)
        self.thread.start()

    def db(self):
        """A connection to the server's database (close it: `with closing(server.db()) as db`)."""
        return connect(self.app.config["DATABASE"])

    def stop(self):
        """Close every socket from inside waitress's own loop, so the loop ends and its workers stop."""

        def close_everything():
            for channel in list(self.server._map.values()):
                channel.close()
            self.server.close()

        self.server.trigger.pull_trigger(close_everything)
        self.thread.join(timeout=10)
        if self.thread.is_alive():  # pragma: no cover — only if waitress hangs
            self.server.close()
            self.thread.join(timeout=5)
        for name in (self.app.logger.name, "waitress"):
            logging.getLogger(name).removeHandler(self._handler)
        assert not self.thread.is_alive(), "waitress did not stop"


class _ListHandler(logging.Handler):
    def __init__(self, records):
        super().__init__(level=logging.ERROR)
        self.records = records

    def emit(self, record):
        self.records.append(f"{record.name}: {record.getMessage()}\n{record.exc_text or ''}")


def _install_city(instance: Path, *, loaded: bool) -> LiveServer:
    """A new instance folder, migrated; with the small city and its accounts, or an admin only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPOTCHECK_INSTANCE", str(instance))
        app = create_app()
    # The walk tests count the on-site checks step by step; the interview steps have their own test (test_interview).
    app.config["INTERVIEW_QUESTIONS"] = 0
    with closing(connect(app.config["DATABASE"])) as db:
        migrations.apply(db)
        if loaded:
            for kind, data, name in (("sections", sections_csv(), "所属一覧.csv"), ("staff", roster_csv(), "職員名簿.csv")):
                imports.apply(db, imports.plan(db, kind, data, name, max_rows=1000), None)
            with app.app_context():
                forms = loaded_forms.current()
            campaign_id = campaigns.create_campaign(db, "R6", "令和6年度 情報セキュリティ監査", forms, fiscal_year=2024)
            campaign = campaigns.get_campaign(db, campaign_id=campaign_id)
            plan = imports.plan(db, "selfcheck", selfcheck_xlsx(), "セルフチェック結果.xlsx", campaign=campaign, max_rows=1000)
            imports.apply(db, plan, None)
            accounts = ACCOUNTS
        else:
            accounts = {"admin": ACCOUNTS["admin"]}
        for username, (role, display_name, section_code) in accounts.items():
            auth.create_user(db, username, PASSWORD, role, display_name=display_name, section_code=section_code)
    return LiveServer(app)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The small city, served for the whole session."""
    server = _install_city(tmp_path_factory.mktemp("city") / "instance", loaded=True)
    yield server
    server.stop()


@pytest.fixture
def empty_server(tmp_path_factory):
    """A city on its first day: empty database, one admin."""
    server = _install_city(tmp_path_factory.mktemp("new-city") / "instance", loaded=False)
    yield server
    server.stop()


# ---------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (Debian's, never a downloaded one)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(MISSING_CHROMIUM, pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_errors():
    """Console errors and uncaught page errors of every page opened in this test (CSP violations land here)."""
    return []


@pytest.fixture
def open_page(browser, browser_errors):
    """open_page(server, portrait=False) → a page in a fresh tablet context; closed after the test."""
    contexts, servers = [], []

    def open_(server, *, portrait=False):
        context = browser.new_context(
            base_url=server.url, viewport=PORTRAIT if portrait else LANDSCAPE,
            has_touch=True, is_mobile=False, locale="ja-JP",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        servers.append(server)
        page = context.new_page()
        page.on("console", lambda msg: msg.type == "error" and browser_errors.append(
            f"console: {msg.text} [{msg.location.get('url') or page.url}]"))
        page.on("pageerror", lambda error: browser_errors.append(f"pageerror: {error} [{page.url}]"))
        return page

    yield open_
    for context in contexts:
        context.close()
    errors = [e for server in dict.fromkeys(servers) for e in server.errors]
    for server in servers:
        server.errors.clear()
    if errors:
        pytest.fail("サーバーでエラーが記録されました / the server logged errors:\n" + "\n".join(errors), pytrace=False)


@pytest.fixture
def page(open_page, live_server):
    """A landscape tablet page on the small city."""
    return open_page(live_server)


@pytest.fixture
def log_in():
    """log_in(page, username): type the name and password and press ログイン, as a person would."""
    def do_log_in(page, username, password=PASSWORD):
        page.goto("/login")
        form = page.locator("main form")
        # by field name, so it also works after the language switch; the labels are checked in Japanese
        if page.locator("html").get_attribute("lang") == "ja":
            assert form.get_by_label("ユーザー名").count() == 1 and form.get_by_label("パスワード").count() == 1
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(password)
        form.get_by_role("button", name=re.compile(r"^(ログイン|Log in)$")).click()
        page.wait_for_url(re.compile(r"^https?://[^/]+/$"))  # the home page, not the login form again
        return page

    return do_log_in


@pytest.fixture
def screenshot():
    """screenshot(page, name): the whole page to test-artifacts/screens/<name>.png (kept for review)."""
    SCREENS.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        path = SCREENS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def city_files(tmp_path):
    """The city's three files written to disk, to be chosen in the file picker."""
    files = {
        "sections": tmp_path / "所属一覧.csv",
        "staff": tmp_path / "職員名簿_令和6年4月1日.csv",
        "selfcheck": tmp_path / "セルフチェック結果_R6.xlsx",
    }
    files["sections"].write_bytes(sections_csv())
    files["staff"].write_bytes(roster_csv())
    files["selfcheck"].write_bytes(selfcheck_xlsx())
    return files


def menu(page, name):
    """Open a page from the top menu, unfolding その他 first when the link is folded under it."""
    nav = page.get_by_role("navigation", name="メニュー")
    link = nav.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        nav.locator("[data-nav-more] > summary").click()
    link.click()

"""A fictional city (緑ヶ丘市) loaded through the real import path, for demos and the benchmark.

The files are built in memory exactly as a city would export them from Excel (the sections
and the self-check results as CP932, the roster as UTF-8 with BOM) and then planned and
applied with `imports`, so the demo exercises the same code as real files. Everything is
drawn from seeded `random.Random` instances: two runs build identical bytes, and a second
`load` reports every row unchanged. An instance that already holds real imports is left alone.
"""
import csv
import io
import os
import random
import secrets
import string
from datetime import date, timedelta
from pathlib import Path

from . import (auth, campaigns, config, demo_chase, demo_contracts, demo_devices, demo_plans, demo_subjects, demo_comprehension,
               demo_visits, demo_years, imports)
from .importing import COUNT_LABELS

SEED = "spotcheck-demo-2024"
CITY = "緑ヶ丘市（架空）"
DEMO_STAFF = 600
LOGINS_FILE = "demo-logins.txt"
CAMPAIGN = {"code": "R6", "title": "令和6年度 情報セキュリティ監査", "fiscal_year": 2024}
FILES = {
    "sections": ("demo-所属一覧.csv", "cp932"),
    "staff": ("demo-職員名簿.csv", "utf-8-sig"),
    "selfcheck": ("demo-セルフチェック結果-R6.csv", "cp932"),
}
ENCODING_LABELS = {"cp932": "CP932", "utf-8-sig": "UTF-8 BOM付き", "utf-8": "UTF-8"}

SECTION_HEADER = ("所属コード", "所属名", "特定個人情報", "業務委託システム")
STAFF_HEADER = ("職員番号", "氏名", "フリガナ", "所属コード", "所属名", "任用区分", "PC使用")
ITEMS = range(1, 36)
PC_ITEMS, MY_NUMBER_ITEMS, OUTSOURCING_ITEMS = range(1, 21), range(21, 28), range(28, 36)
# The city's results file also carries name and section: the import ignores them, and says so.
SELFCHECK_HEADER = ("職員番号", "氏名", "所属名", "回答日") + tuple(f"No.{n}" for n in ITEMS)

# (code, name, handles My Number, runs outsourced systems, relative size, many fixed-term staff)
SECTIONS = (
    ("0101", "総務課", False, False, 22, False),
    ("0102", "情報政策課", False, True, 14, False),
    ("0103", "人事課", True, False, 14, False),
    ("0104", "契約検査課", False, False, 10, False),
    ("0105", "防災危機管理課", False, False, 10, False),
    ("0201", "市民課", True, True, 36, False),
    ("0202", "保険年金課", True, True, 30, False),
    ("0203", "課税課", True, True, 32, False),
    ("0204", "収納課", True, False, 22, False),
    ("0301", "福祉総務課", True, False, 20, False),
    ("0302", "障害者支援課", True, False, 22, False),
    ("0303", "介護保険課", True, True, 24, False),
    ("0401", "こども支援課", True, False, 22, False),
    ("0402", "保育幼稚園課", True, False, 48, True),
    ("0501", "健康管理課", True, True, 28, False),
    ("0601", "環境課", False, False, 16, False),
    ("0602", "商工観光課", False, False, 12, False),
    ("0701", "道路課", False, False, 24, False),
    ("0702", "都市計画課", False, False, 16, False),
    ("0703", "建築指導課", False, False, 12, False),
    ("0704", "下水道課", False, True, 16, False),
    ("0801", "会計課", False, True, 10, False),
    ("0901", "教育総務課", False, False, 16, False),
    ("0902", "学校教育課", True, True, 26, False),
    ("0903", "生涯学習課", False, False, 14, False),
    ("0904", "図書館", False, True, 24, True),
    ("1001", "消防総務課", False, False, 18, False),
    ("1101", "議会事務局", False, False, 8, False),
    ("1201", "選挙管理委員会事務局", False, True, 6, False),
    ("1301", "農業委員会事務局", False, False, 6, False),
)

# Common family and given names, combined at random. None is taken from the council minutes
# in the project's seed, and 髙橋・﨑山・山﨑 are there to prove CP932-only characters survive.
FAMILY_NAMES = (
    ("佐藤", "サトウ"), ("高橋", "タカハシ"), ("田中", "タナカ"), ("伊藤", "イトウ"), ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"), ("中村", "ナカムラ"), ("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"), ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"), ("井上", "イノウエ"),
    ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"), ("山崎", "ヤマザキ"),
    ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"), ("阿部", "アベ"), ("石川", "イシカワ"),
    ("山下", "ヤマシタ"), ("中島", "ナカジマ"), ("石井", "イシイ"), ("小川", "オガワ"), ("前田", "マエダ"),
    ("岡田", "オカダ"), ("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"), ("近藤", "コンドウ"),
    ("村上", "ムラカミ"), ("遠藤", "エンドウ"), ("青木", "アオキ"), ("坂本", "サカモト"), ("福田", "フクダ"),
    ("太田", "オオタ"), ("西村", "ニシムラ"), ("藤井", "フジイ"), ("金子", "カネコ"), ("岡本", "オカモト"),
    ("藤原", "フジワラ"), ("中野", "ナカノ"), ("三浦", "ミウラ"), ("原田", "ハラダ"), ("松田", "マツダ"),
    ("竹内", "タケウチ"), ("小野", "オノ"), ("田村", "タムラ"), ("中山", "ナカヤマ"), ("和田", "ワダ"),
    ("石田", "イシダ"), ("森田", "モリタ"), ("上田", "ウエダ"), ("原", "ハラ"), ("柴田", "シバタ"),
    ("酒井", "サカイ"), ("工藤", "クドウ"), ("横山", "ヨコヤマ"), ("宮崎", "ミヤザキ"), ("宮本", "ミヤモト"),
    ("内田", "ウチダ"), ("高木", "タカギ"), ("安藤", "アンドウ"), ("島田", "シマダ"), ("谷口", "タニグチ"),
    ("大野", "オオノ"), ("丸山", "マルヤマ"), ("今井", "イマイ"), ("河野", "コウノ"), ("小島", "コジマ"),
    ("増田", "マスダ"), ("小山", "コヤマ"), ("大塚", "オオツカ"), ("平野", "ヒラノ"), ("菅原", "スガワラ"),
    ("久保", "クボ"), ("松井", "マツイ"), ("千葉", "チバ"), ("岩崎", "イワサキ"), ("桜井", "サクライ"),
    ("野口", "ノグチ"), ("松尾", "マツオ"), ("菊地", "キクチ"), ("野村", "ノムラ"), ("新井", "アライ"),
    ("栗原", "クリハラ"), ("荻野", "オギノ"), ("粕谷", "カスヤ"), ("髙橋", "タカハシ"), ("﨑山", "サキヤマ"),
    ("山﨑", "ヤマザキ"),
)
GIVEN_NAMES = (
    ("大輔", "ダイスケ"), ("健太", "ケンタ"), ("翔太", "ショウタ"), ("拓也", "タクヤ"), ("直樹", "ナオキ"),
    ("和也", "カズヤ"), ("浩二", "コウジ"), ("隆", "タカシ"), ("修", "オサム"), ("哲也", "テツヤ"),
    ("達也", "タツヤ"), ("雄一", "ユウイチ"), ("亮", "リョウ"), ("健一", "ケンイチ"), ("洋平", "ヨウヘイ"),
    ("悠人", "ユウト"), ("大樹", "ダイキ"), ("陽介", "ヨウスケ"), ("剛", "ツヨシ"), ("聡", "サトシ"),
    ("貴之", "タカユキ"), ("康弘", "ヤスヒロ"), ("智也", "トモヤ"), ("俊介", "シュンスケ"), ("裕太", "ユウタ"),
    ("一郎", "イチロウ"), ("正人", "マサト"), ("和彦", "カズヒコ"), ("圭", "ケイ"), ("光太郎", "コウタロウ"),
    ("陽子", "ヨウコ"), ("恵子", "ケイコ"), ("由美", "ユミ"), ("美穂", "ミホ"), ("真理子", "マリコ"),
    ("智子", "トモコ"), ("裕子", "ユウコ"), ("久美子", "クミコ"), ("直美", "ナオミ"), ("明美", "アケミ"),
    ("香織", "カオリ"), ("沙織", "サオリ"), ("麻衣", "マイ"), ("彩", "アヤ"), ("愛", "アイ"),
    ("美咲", "ミサキ"), ("千尋", "チヒロ"), ("奈々", "ナナ"), ("舞", "マイ"), ("由紀", "ユキ"),
    ("典子", "ノリコ"), ("幸子", "サチコ"), ("和子", "カズコ"), ("理恵", "リエ"), ("亜希子", "アキコ"),
    ("遥", "ハルカ"), ("菜摘", "ナツミ"), ("絵里", "エリ"), ("紀子", "ノリコ"), ("静香", "シズカ"),
)

# Combinations that name well-known people are drawn again.
WELL_KNOWN = frozenset(
    "田中直樹 山本陽子 中山美穂 小林幸子 後藤久美子 工藤静香 渡辺直美 中村俊介 長谷川理恵 山口智子 加藤和彦"
    " 清水圭 西村和彦 林修 村上隆 青木裕子 遠藤久美子 増田明美 宮崎美穂 佐藤隆 小林聡 井上陽介".split()
)

EMPLOYMENT_LABELS = ("正規職員", "会計年度任用職員", "再任用職員", "その他")
# Weights by section type, tuned so the whole city comes out near 70 / 22 / 6 / 2 %.
EMPLOYMENT_WEIGHTS = {False: (74, 18, 6, 2), True: (40, 52, 5, 3)}
FIXED_TERM = "会計年度任用職員"

# Share of ③ by item for regular staff; fixed-term staff answer ③ more often (FIXED_TERM_FACTOR).
# Chosen so the city-wide rates echo the minutes: ≈10 % on items 9 and 10, ≈15 % on item 19.
NOT_DONE_RATE = {9: 0.1, 10: 0.1, 19: 0.135}
DEFAULT_NOT_DONE_RATE = 0.025
FIXED_TERM_FACTOR = 1.8
BLANK_PEOPLE_RATE = 0.02  # leave a few items blank (未回答)
MISSING_RATE = 0.03  # PC users who never handed in the sheet
ANSWER_CELLS = ("①", "②", "③")
FIRST_ANSWER_DAY, LAST_ANSWER_DAY = date(2024, 12, 2), date(2025, 1, 31)
YEAR_END_CLOSED, FIRST_DAY_BACK = (date(2024, 12, 29), date(2025, 1, 5)), date(2025, 1, 6)  # 年末年始

# (username, role, display name, section code for section heads)
DEMO_USERS = (
    ("admin", "admin", "監査責任者（デモ）", None),
    ("auditor1", "auditor", "監査員 1（デモ）", None),
    ("auditor2", "auditor", "監査員 2（デモ）", None),
    ("kacho_somu", "section_head", "総務課長（デモ）", "0101"),
    ("viewer", "viewer", "審議会事務局（閲覧・デモ）", None),
)
PASSWORD_ALPHABET = "".join(ch for ch in string.ascii_letters + string.digits if ch not in "0O1lI")


# ---------------------------------------------------------------- generators


def make_sections(rng, n_sections=len(SECTIONS)):
    """`n_sections` sections as dicts: the 30 named ones first, then numbered sub-sections."""
    sections = [
        {"code": code, "name": name, "my_number": my_number, "outsourced": outsourced, "weight": weight, "care": care}
        for code, name, my_number, outsourced, weight, care in SECTIONS[:n_sections]
    ]
    for extra in range(max(0, n_sections - len(SECTIONS))):
        base = SECTIONS[extra % len(SECTIONS)]
        sections.append(
            {
                # 2000–9999: clear of the named sections, still four digits.
                "code": f"{20 + extra // 99:02d}{extra % 99 + 1:02d}",
                "name": f"{base[1]} 第{extra // len(SECTIONS) + 2}係",
                "my_number": rng.random() < 0.4,
                "outsourced": rng.random() < 0.35,
                "weight": base[4],
                "care": base[5],
            }
        )
    return sections


def section_rows(sections):
    """The 所属一覧 file's rows."""
    return [[s["code"], s["name"], _flag(s["my_number"]), _flag(s["outsourced"])] for s in sections]


def staff_rows(rng, sections, n_staff):
    """`n_staff` fictional people spread over the sections by size, as dicts with the roster's fields."""
    sizes = _apportion(n_staff, [s["weight"] for s in sections])
    numbers = rng.sample(range(1, min(999_999, max(40_000, n_staff * 3))), n_staff)
    people = []
    for section, size in zip(sections, sizes):
        for _ in range(size):
            family, family_kana, given, given_kana = _name(rng)
            employment = rng.choices(EMPLOYMENT_LABELS, EMPLOYMENT_WEIGHTS[section["care"]])[0]
            people.append(
                {
                    "staff_no": f"{numbers[len(people)]:06d}",
                    "name": f"{family} {given}",
                    "kana": f"{family_kana} {given_kana}",
                    "dept_code": section["code"],
                    "dept_name": section["name"],
                    "employment": employment,
                    "uses_pc": rng.random() >= _no_pc_rate(employment, section["care"]),
                }
            )
    # Rosters come sorted by section, then staff number.
    people.sort(key=lambda p: (p["dept_code"], p["staff_no"]))
    return people


def roster_rows(people):
    """The 職員名簿 file's rows."""
    return [
        [p["staff_no"], p["name"], p["kana"], p["dept_code"], p["dept_name"], p["employment"], _flag(p["uses_pc"])]
        for p in people
    ]


def selfcheck_rows(rng, people, sections, *, everyone=False):
    """The セルフチェック結果 file's rows for PC users.

    Items 21–27 are answered only in My Number sections and 28–35 only in outsourcing
    sections (対象外 "-" elsewhere); a few people leave items blank, a few never hand the
    sheet in. With `everyone`, every person answers all 35 items (the benchmark's load).
    """
    by_code = {s["code"]: s for s in sections}
    section_factor = {s["code"]: rng.uniform(0.7, 1.3) for s in sections}
    rows = []
    for person in people:
        if not everyone and (not person["uses_pc"] or rng.random() < MISSING_RATE):
            continue
        section = by_code[person["dept_code"]]
        factor = section_factor[section["code"]] * rng.uniform(0.6, 1.4)
        if person["employment"] == FIXED_TERM:
            factor *= FIXED_TERM_FACTOR
        blanks = set()
        if not everyone and rng.random() < BLANK_PEOPLE_RATE:
            blanks = set(rng.sample(PC_ITEMS, rng.randint(1, 3)))
        cells = []
        for item in ITEMS:
            if not everyone and not _applies(item, section):
                cells.append("-")
            elif item in blanks:
                cells.append("")
            else:
                cells.append(_answer(rng, item, factor))
        rows.append([person["staff_no"], person["name"], person["dept_name"], _answer_date(rng), *cells])
    return rows


def to_csv_bytes(header, rows, encoding):
    """A CSV file as Excel writes it: CRLF line ends, in `encoding` ("utf-8-sig", "cp932", …)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def city_files(n_staff=DEMO_STAFF, n_sections=len(SECTIONS)):
    """The demo city's three files as {kind: (filename, bytes)}, identical on every call."""
    sections = make_sections(random.Random(f"{SEED}/sections"), n_sections)
    people = staff_rows(random.Random(f"{SEED}/staff"), sections, n_staff)
    answers = selfcheck_rows(random.Random(f"{SEED}/selfcheck"), people, sections)
    tables = {
        "sections": (SECTION_HEADER, section_rows(sections)),
        "staff": (STAFF_HEADER, roster_rows(people)),
        "selfcheck": (SELFCHECK_HEADER, answers),
    }
    return {kind: (FILES[kind][0], to_csv_bytes(*tables[kind], FILES[kind][1])) for kind in FILES}


def _name(rng):
    while True:
        (family, family_kana), (given, given_kana) = rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES)
        if family + given not in WELL_KNOWN:
            return family, family_kana, given, given_kana


def _flag(value):
    return "有" if value else "無"


def _apportion(total, weights):
    """Split `total` in proportion to `weights` (largest remainder), summing exactly to `total`."""
    whole = sum(weights)
    shares = [total * w / whole for w in weights]
    sizes = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: shares[i] - sizes[i], reverse=True)
    for i in by_remainder[: total - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _no_pc_rate(employment, care):
    """Nursery and library part-timers often work without a PC; almost everyone else has one."""
    if employment == FIXED_TERM:
        return 0.45 if care else 0.05
    return 0.2 if employment == "その他" else 0.01


def _applies(item, section):
    if item in MY_NUMBER_ITEMS:
        return section["my_number"]
    if item in OUTSOURCING_ITEMS:
        return section["outsourced"]
    return True


def _answer(rng, item, factor):
    not_done = min(0.9, NOT_DONE_RATE.get(item, DEFAULT_NOT_DONE_RATE) * factor)
    # ② between about 8 and 16 % by item, a little more for people who also answer ③ more.
    partly = (0.08 + (item * 7 % 9) / 100) * max(1.0, factor) ** 0.5
    draw = rng.random()
    return ANSWER_CELLS[2] if draw < not_done else ANSWER_CELLS[1] if draw < not_done + partly else ANSWER_CELLS[0]


def _answer_date(rng):
    """A working day in the collection period, written as Excel users do: 2025/01/15 or R7.1.15."""
    day = FIRST_ANSWER_DAY + timedelta(days=rng.randrange((LAST_ANSWER_DAY - FIRST_ANSWER_DAY).days + 1))
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    if YEAR_END_CLOSED[0] <= day <= YEAR_END_CLOSED[1]:
        day = FIRST_DAY_BACK
    if rng.random() < 0.7:
        return f"{day.year}/{day.month:02d}/{day.day:02d}"
    return f"R{day.year - 2018}.{day.month}.{day.day}"


# ---------------------------------------------------------------- loading


def load(db, checklists, instance_path):
    """Load (or re-load, unchanged) the demo city and its logins; returns the lines to print."""
    instance_path = Path(instance_path)
    real_files = _real_imports(db)
    if real_files:
        # Not an error: `make run` loads the demo before serving, and must still serve a real city.
        return [
            f"この instance には実データの取込み（{'、'.join(real_files[:3])} など）があるため、"
            "デモデータは読み込みませんでした（ユーザーも作成していません）。",
            "デモを試すには、空の instance（環境変数 SPOTCHECK_INSTANCE で別のフォルダ）を指定してください。",
        ]
    files = city_files()
    max_rows = config.defaults()["MAX_IMPORT_ROWS"]
    logins = _read_logins(instance_path / LOGINS_FILE)
    lines = [f"デモ用の架空の市「{CITY}」を読み込みます。"]

    users = {name: _ensure_user(db, logins, name, role, label, None) for name, role, label, code in DEMO_USERS if not code}
    admin_id = users["admin"][0]
    plans = [_import(db, "sections", files, max_rows, admin_id)]
    for name, role, label, code in DEMO_USERS:
        if code:
            users[name] = _ensure_user(db, logins, name, role, label, code)
    plans.append(_import(db, "staff", files, max_rows, admin_id))
    for plan in plans:
        lines += _describe(plan)
    head = users["kacho_somu"][0]
    lines += demo_years.load_previous_year(db, checklists, admin_id, [users["auditor1"][0], users["auditor2"][0]], {None: admin_id, auth.get_user(db, head).section_id: head}, config.defaults()["FOLLOWUP_DAYS"], config.defaults()["DRAW_WEIGHTS"], max_rows)
    campaign = campaigns.get_campaign(db, code=CAMPAIGN["code"])
    if campaign is None:
        campaign_id = campaigns.create_campaign(
            db, CAMPAIGN["code"], CAMPAIGN["title"], checklists, fiscal_year=CAMPAIGN["fiscal_year"], user_id=admin_id
        )
        campaign = campaigns.get_campaign(db, campaign_id=campaign_id)
        lines.append(f"キャンペーン「{CAMPAIGN['code']}」（{CAMPAIGN['title']}）を作成しました。")
    else:
        lines.append(f"キャンペーン「{CAMPAIGN['code']}」（{campaign['title']}）は作成済みです。")
    plans.append(_import(db, "selfcheck", files, max_rows, admin_id, campaign=campaign))
    lines += _describe(plans[-1])
    head = users["kacho_somu"][0]
    reporters = {None: admin_id, auth.get_user(db, head).section_id: head}
    contract_lines, contract_plans = demo_contracts.load_contracts(db, admin_id, max_rows)
    lines += contract_lines
    plans += contract_plans
    lines += demo_visits.load_visits(db, campaign, [users["auditor1"][0], users["auditor2"][0]], reporters,
                                     config.defaults()["FOLLOWUP_DAYS"], config.defaults()["DRAW_WEIGHTS"])
    lines += demo_subjects.load_subject_visits(
        db, campaign, checklists, [users["auditor1"][0], users["auditor2"][0]], config.defaults()["FOLLOWUP_DAYS"],
        config.defaults()["SECTION_DRAW_WEIGHTS"], config.defaults()["CONTRACT_DRAW_WEIGHTS"])
    lines += demo_devices.load_devices(db, users["auditor1"][0], admin_id)
    lines += demo_plans.load_plan(db, campaign, admin_id, [users["auditor1"][0], users["auditor2"][0]])
    lines += demo_chase.load_overdue(db, campaign)
    lines += demo_comprehension.load_tests(db, campaign, SELFCHECK_HEADER, admin_id, max_rows)
    if not any(count for plan in plans for key, count in plan.counts.items() if key != "unchanged"):
        lines.append("すべて変更なし: 前回読み込んだデモデータと同じ内容です。")

    _write_logins(instance_path / LOGINS_FILE, {name: password for name, (_, password) in users.items() if password})
    lines.append(f"デモ用ログイン（{_shown_path(instance_path / LOGINS_FILE)} にも保存）")
    for name, role, _, code in DEMO_USERS:
        password = users[name][1] or "（既存のユーザーのため不明。パスワードは変更していません）"
        section = f"（所属 {code}）" if code else ""
        lines.append(f"  {name} / {password} / {auth.ROLES[role]}{section}")
    return lines


def _import(db, kind, files, max_rows, user_id, campaign=None):
    filename, data = files[kind]
    plan = imports.plan(db, kind, data, filename, campaign=campaign, max_rows=max_rows)
    imports.apply(db, plan, user_id)
    return plan


def _describe(plan):
    """One line of counts per file, then its notices, as the import screen shows them."""
    label = imports.KINDS[plan.kind].label
    encoding = ENCODING_LABELS[FILES[plan.kind][1]]
    counts = "、".join(f"{COUNT_LABELS[key]} {value} 件" for key, value in plan.counts.items())
    return [f"{label}（{plan.filename}、{encoding}）: {counts}"] + [f"  ※ {notice}" for notice in plan.notices]


def _real_imports(db):
    """Files other than the demo's that were imported here: the demo roster would retire their people."""
    demo_names = ({name for name, _ in FILES.values()} | demo_contracts.FILENAMES | demo_years.FILENAMES
                  | demo_comprehension.FILENAMES)
    return [row[0] for row in db.execute("SELECT DISTINCT filename FROM imports") if row[0] not in demo_names]


def _ensure_user(db, logins, username, role, display_name, section_code):
    """(user id, password or None): create the account if absent, reusing a saved password."""
    row = db.execute("SELECT id FROM users WHERE username = ?", [username]).fetchone()
    if row is not None:
        return row[0], logins.get(username)
    password = logins.get(username) or "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(16))
    user_id = auth.create_user(db, username, password, role, display_name=display_name, section_code=section_code)
    return user_id, password


def _read_logins(path):
    """{username: password} from the logins file, or {} when there is none yet."""
    if not path.exists():
        return {}
    logins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split(" / ")
        if len(parts) >= 2 and not line.startswith("#"):
            logins[parts[0].strip()] = parts[1].strip()
    return logins


def _write_logins(path, passwords):
    """Keep the demo passwords for the next run, readable by the owner only."""
    roles = {name: role for name, role, _, _ in DEMO_USERS}
    lines = ["# デモ用ログイン（ユーザー名 / パスワード / 役割）。本番では使わないでください。"]
    lines += [f"{name} / {passwords[name]} / {auth.ROLES[role]}" for name, role in roles.items() if name in passwords]
    # Created with 0600 from the start, so the passwords are never readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    path.chmod(0o600)


def _shown_path(path):
    """The path relative to the working folder when it is inside it (instance/demo-logins.txt)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

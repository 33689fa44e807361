"""City-10x: the demo city's generators at ten times a large city (300 sections, 20,000 staff)."""
import random
from dataclasses import dataclass

from spotcheck import demo, roster

SEED = "spotcheck-city-10x"
N_SECTIONS = 300
N_STAFF = 20_000
FLAG_RATE = 0.9  # most sections handle My Number and outsourced systems, so most items apply
FILES = {
    "sections": ("city10x-所属一覧.csv", "cp932"),
    "staff": ("city10x-職員名簿.csv", "utf-8-sig"),
    "selfcheck": ("city10x-セルフチェック結果.csv", "cp932"),
}
ANSWER_CODES = {"①": "1", "②": "2", "③": "3"}


@dataclass
class City:
    """The generated city: its rows, and the three files as the city would export them."""

    sections: list
    people: list
    answers: list
    files: dict  # kind → (filename, bytes)

    @property
    def answer_count(self):
        """Answer cells in the results file (every item column of every row)."""
        return len(self.answers) * len(demo.ITEMS)


def build(n_staff=N_STAFF, n_sections=N_SECTIONS, seed=SEED):
    """A deterministic City-10x: every person answers all 35 items, and most items apply."""
    flags = random.Random(f"{seed}/flags")
    sections = [
        dict(section, my_number=flags.random() < FLAG_RATE, outsourced=flags.random() < FLAG_RATE)
        for section in demo.make_sections(random.Random(f"{seed}/sections"), n_sections)
    ]
    people = demo.staff_rows(random.Random(f"{seed}/staff"), sections, n_staff)
    answers = demo.selfcheck_rows(random.Random(f"{seed}/selfcheck"), people, sections, everyone=True)
    tables = {
        "sections": (demo.SECTION_HEADER, demo.section_rows(sections)),
        "staff": (demo.STAFF_HEADER, demo.roster_rows(people)),
        "selfcheck": (demo.SELFCHECK_HEADER, answers),
    }
    files = {kind: (name, demo.to_csv_bytes(*tables[kind], encoding)) for kind, (name, encoding) in FILES.items()}
    return City(sections, people, answers, files)


def raw_staff_dicts(city):
    """The roster as plain dicts, one per person, with the values the app stores."""
    employment = {label: code for code, label in roster.EMPLOYMENT.items()}
    return [
        {
            "staff_no": p["staff_no"],
            "name": p["name"],
            "kana": p["kana"],
            "section_code": p["dept_code"],
            "employment": employment[p["employment"]],
            "uses_pc": int(p["uses_pc"]),
        }
        for p in city.people
    ]


def raw_answer_dicts(city):
    """Every answer as a plain dict (response, item, answer code), as the app stores them."""
    first_item = len(demo.SELFCHECK_HEADER) - len(demo.ITEMS)
    return [
        {"response_id": response_id, "item_no": item, "answer": ANSWER_CODES.get(cell, cell), "out_of_scope": 0}
        for response_id, row in enumerate(city.answers, start=1)
        for item, cell in zip(demo.ITEMS, row[first_item:])
    ]

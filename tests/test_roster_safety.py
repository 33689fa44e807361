"""The one mass-retire rule the CLI and the import screen share: strictly more than a share of active staff."""
import pytest

from spotcheck import imports, roster_safety
from spotcheck.importing import Plan
from tests.factories import SECTION_HEADER, SECTIONS, STAFF_HEADER, csv_bytes


def plan(retired, kind="staff"):
    return Plan(kind, "名簿.csv", "0" * 64, {"new": 0, "changed": 0, "unchanged": 0, "retired": retired})


@pytest.mark.parametrize(("retiring", "active", "limit", "asks"), [
    (0, 0, 0.2, False),      # a first roster retires no one
    (0, 30, 0.2, False),
    (2, 10, 0.2, False),     # exactly 20 %: no extra step
    (3, 10, 0.2, True),      # just above
    (6, 30, 0.2, False),     # 6/30 is 0.2 exactly, though 30 * 0.2 is 6.000000000000001 in floats
    (7, 30, 0.2, True),
    (1, 8, 0.125, False),
    (2, 8, 0.125, True),
    (1, 1, 0.99, True),
    (96, 97, 0.2, True),
])
def test_mass_retire_is_strictly_more_than_the_share_of_active_staff(retiring, active, limit, asks):
    guard = roster_safety.mass_retire(plan(retiring), active, limit)
    assert (guard is not None) is asks
    if asks:
        assert (guard.retiring, guard.active, guard.limit) == (retiring, active, limit)


def test_only_a_roster_can_mass_retire():
    assert roster_safety.mass_retire(plan(5, kind="sections"), 5, 0.2) is None


@pytest.mark.parametrize(("retiring", "active", "percent"), [
    (96, 97, 99), (97, 97, 100), (999, 1000, 99), (3, 10, 30), (1, 300, 1), (201, 1000, 20),
])
def test_share_is_shown_in_whole_percent_never_rounded_to_all(retiring, active, percent):
    assert roster_safety.MassRetire(retiring, active, 0.0).percent == percent


def test_limit_is_shown_as_the_admin_wrote_it():
    assert roster_safety.MassRetire(3, 10, 0.2).limit_percent == "20"
    assert roster_safety.MassRetire(3, 10, 0.125).limit_percent == "12.5"


def test_check_counts_the_active_staff_on_file(db):
    imports.apply(db, imports.plan(db, "sections", csv_bytes(SECTION_HEADER, SECTIONS), "s.csv", max_rows=10), None)
    people = [[f"{n:06d}", f"職員 {n}", "", "0101", "正規職員", "有"] for n in range(1, 11)]
    imports.apply(db, imports.plan(db, "staff", csv_bytes(STAFF_HEADER, people), "all.csv", max_rows=100), None)
    two_retired = imports.plan(db, "staff", csv_bytes(STAFF_HEADER, people[:8]), "eight.csv", max_rows=100)
    three_retired = imports.plan(db, "staff", csv_bytes(STAFF_HEADER, people[:7]), "seven.csv", max_rows=100)
    assert roster_safety.check(db, two_retired, 0.2) is None
    assert roster_safety.check(db, three_retired, 0.2) == roster_safety.MassRetire(3, 10, 0.2)

"""The cross-check rules: every (self-report, observed result) pair, in one table."""
from dataclasses import replace
from pathlib import Path

import pytest

from spotcheck import crosscheck as x
from spotcheck.checklists import load_checklists

CHECKLIST = load_checklists(Path(__file__).resolve().parent.parent / "forms").onsite

REPORTED = ["done", "partly", "not_done", "unknown_rule", "na", "blank", None]
RESULTS = ["ok", "observation", "nonconformity", "major", "na", "unverifiable", ""]
EXPECTED = {
    # reported:      ok            observation   nonconformity major       na    unverifiable  (none)
    "done":         [x.MATCH_OK,   x.MATCH_OK,   x.OVER,       x.OVER,     None, None,         None],
    "partly":       [x.MATCH_OK,   x.MATCH_OK,   x.MATCH_NG,   x.MATCH_NG, None, None,         None],
    "not_done":     [x.UNDER,      x.UNDER,      x.MATCH_NG,   x.MATCH_NG, None, None,         None],
    "unknown_rule": [x.UNDER,      x.UNDER,      x.UNAWARE,    x.UNAWARE,  None, None,         None],
    "na":           [x.UNANSWERED, x.UNANSWERED, x.OUT_OF_SCOPE_VIOLATION, x.OUT_OF_SCOPE_VIOLATION, None, None, None],
    "blank":        [x.UNANSWERED, x.UNANSWERED, x.UNANSWERED, x.UNANSWERED, None, None,       None],
    None:           [x.UNANSWERED, x.UNANSWERED, x.UNANSWERED, x.UNANSWERED, None, None,       None],
}


@pytest.mark.parametrize("reported", REPORTED)
@pytest.mark.parametrize("column, result", list(enumerate(RESULTS)))
def test_every_pair_is_classified_as_the_table_says(reported, column, result):
    assert x.classify(reported, result, CHECKLIST) == EXPECTED[reported][column]


def test_every_class_has_a_japanese_label():
    assert set(x.LABELS) == {x.MATCH_OK, x.MATCH_NG, x.OVER, x.UNDER, x.UNAWARE, x.UNANSWERED,
                             x.OUT_OF_SCOPE_VIOLATION}
    assert x.LABELS[x.OVER] == "過大申告"
    assert x.LABELS[x.OUT_OF_SCOPE_VIOLATION] == "申告対象外だが違反あり"


def test_a_check_is_a_discrepancy_when_any_linked_item_claimed_done_and_failed():
    assert x.is_discrepancy(["not_done", "done"], "major", CHECKLIST)
    assert not x.is_discrepancy(["not_done", "partly"], "major", CHECKLIST)
    assert not x.is_discrepancy(["done"], "ok", CHECKLIST)


def test_which_results_fail_is_the_pinned_checklists_word_not_the_code():
    """A form that marks only 重大 as a finding: 不適合 then reads as the rule followed, and back."""
    only_major = replace(CHECKLIST, results=tuple(
        replace(r, finding=False) if r.code == "nonconformity" else r for r in CHECKLIST.results))
    assert x.classify("done", "nonconformity", CHECKLIST) == x.OVER
    assert x.classify("done", "nonconformity", only_major) == x.MATCH_OK
    assert x.classify("na", "nonconformity", only_major) == x.UNANSWERED
    assert x.classify("na", "major", only_major) == x.OUT_OF_SCOPE_VIOLATION
    assert not x.is_discrepancy(["done"], "nonconformity", only_major)

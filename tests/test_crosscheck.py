"""The cross-check rules: every (self-report, observed result) pair, in one table."""
import pytest

from spotcheck import crosscheck as x

REPORTED = ["done", "partly", "not_done", "unknown_rule", "na", "blank", None]
RESULTS = ["ok", "observation", "nonconformity", "major", "na", "unverifiable", ""]
EXPECTED = {
    # reported:      ok            observation   nonconformity major       na    unverifiable  (none)
    "done":         [x.MATCH_OK,   x.MATCH_OK,   x.OVER,       x.OVER,     None, None,         None],
    "partly":       [x.MATCH_OK,   x.MATCH_OK,   x.MATCH_NG,   x.MATCH_NG, None, None,         None],
    "not_done":     [x.UNDER,      x.UNDER,      x.MATCH_NG,   x.MATCH_NG, None, None,         None],
    "unknown_rule": [x.UNDER,      x.UNDER,      x.UNAWARE,    x.UNAWARE,  None, None,         None],
    "na":           [x.UNANSWERED, x.UNANSWERED, x.UNANSWERED, x.UNANSWERED, None, None,       None],
    "blank":        [x.UNANSWERED, x.UNANSWERED, x.UNANSWERED, x.UNANSWERED, None, None,       None],
    None:           [x.UNANSWERED, x.UNANSWERED, x.UNANSWERED, x.UNANSWERED, None, None,       None],
}


@pytest.mark.parametrize("reported", REPORTED)
@pytest.mark.parametrize("column, result", list(enumerate(RESULTS)))
def test_every_pair_is_classified_as_the_table_says(reported, column, result):
    assert x.classify(reported, result) == EXPECTED[reported][column]


def test_every_class_has_a_japanese_label():
    assert set(x.LABELS) == {x.MATCH_OK, x.MATCH_NG, x.OVER, x.UNDER, x.UNAWARE, x.UNANSWERED}
    assert x.LABELS[x.OVER] == "過大申告"


def test_a_check_is_a_discrepancy_when_any_linked_item_claimed_done_and_failed():
    assert x.is_discrepancy(["not_done", "done"], "major")
    assert not x.is_discrepancy(["not_done", "partly"], "major")
    assert not x.is_discrepancy(["done"], "ok")

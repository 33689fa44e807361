"""Small-cell suppression: no count below five and no rate over fewer than five people is published."""
import pytest

from spotcheck import disclosure


@pytest.mark.parametrize("n, shown", [(0, "0"), (1, "<5"), (4, "<5"), (5, "5"), (1234, "1,234")])
def test_counts_below_five_are_hidden(n, shown):
    assert disclosure.cell(n) == shown


@pytest.mark.parametrize("part, whole, shown", [
    (1, 4, "—"), (0, 0, "—"), (0, 8, "0.0%"), (5, 8, "62.5%"), (100, 400, "25.0%"),
    (1, 5, "<100.0%"), (3, 8, "<62.5%"), (2, 200, "<2.5%"),  # the exact rate would give the small count back
])
def test_rates_over_fewer_than_five_people_are_hidden(part, whole, shown):
    assert disclosure.rate_text(part, whole) == shown

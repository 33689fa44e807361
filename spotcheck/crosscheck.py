"""Self-report × on-site observation: the one place that says what a pair means."""

# Observed results that mean the rule was not followed, and those that mean it was.
FAILED = frozenset({"nonconformity", "major"})
PASSED = frozenset({"ok", "observation"})

MATCH_OK = "match_ok"
MATCH_NG = "match_ng"
OVER = "over_reported"
UNDER = "under_reported"
UNAWARE = "unaware"
UNANSWERED = "unanswered"

LABELS = {
    MATCH_OK: "一致（適合）",
    MATCH_NG: "一致（不適合）",
    OVER: "過大申告",
    UNDER: "過小申告",
    UNAWARE: "知識不足",
    UNANSWERED: "未回答",
}


def classify(reported, result):
    """The class of one (self-report, observed result) pair, or None when nothing was observed.

    `reported` is the answer's meaning from forms/selfcheck.toml (done, partly, not_done,
    unknown_rule, na, blank) or None when the person sent no answer at all.
    """
    if result not in FAILED and result not in PASSED:
        return None  # 該当なし, 確認不可 or not yet recorded: nothing to compare
    if reported in (None, "blank", "na"):
        return UNANSWERED
    if reported == "unknown_rule":
        return UNAWARE if result in FAILED else UNDER
    if reported == "done":
        return OVER if result in FAILED else MATCH_OK
    if reported == "not_done":
        return MATCH_NG if result in FAILED else UNDER
    # partly: honest either way
    return MATCH_NG if result in FAILED else MATCH_OK


def is_discrepancy(reports, result):
    """True when any linked self-report said "done" but the desk showed otherwise."""
    return any(classify(reported, result) == OVER for reported in reports)

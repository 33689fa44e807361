"""Self-report × on-site observation: the one place that says what a pair means."""

# Observed results that say nothing about the rule; every other result either is a finding (as the
# campaign's pinned forms/onsite.toml marks it) or shows the rule followed.
NOT_OBSERVED = frozenset({"na", "unverifiable"})

MATCH_OK = "match_ok"
MATCH_NG = "match_ng"
OVER = "over_reported"
UNDER = "under_reported"
UNAWARE = "unaware"
UNANSWERED = "unanswered"
OUT_OF_SCOPE_VIOLATION = "out_of_scope_violation"

LABELS = {
    MATCH_OK: "一致（適合）",
    MATCH_NG: "一致（不適合）",
    OVER: "過大申告",
    UNDER: "過小申告",
    UNAWARE: "知識不足",
    UNANSWERED: "未回答",
    OUT_OF_SCOPE_VIOLATION: "申告対象外だが違反あり",
}


def classify(reported, result, checklist):
    """The class of one (self-report, observed result) pair, or None when nothing was observed.

    `reported` is the answer's meaning from forms/selfcheck.toml (done, partly, not_done,
    unknown_rule, na, blank) or None when the person sent no answer at all; `checklist` is the
    campaign's pinned OnsiteChecklist, which says which results are findings.
    """
    if not result or result in NOT_OBSERVED:
        return None  # 該当なし, 確認不可 or not yet recorded: nothing to compare
    failed = checklist.is_finding(result)
    if reported == "na" and failed:
        return OUT_OF_SCOPE_VIOLATION  # said the item did not apply to them, and the desk broke it
    if reported in (None, "blank", "na"):
        return UNANSWERED
    if reported == "unknown_rule":
        return UNAWARE if failed else UNDER
    if reported == "done":
        return OVER if failed else MATCH_OK
    if reported == "not_done":
        return MATCH_NG if failed else UNDER
    # partly: honest either way
    return MATCH_NG if failed else MATCH_OK


def is_discrepancy(reports, result, checklist):
    """True when any linked self-report said "done" but the desk showed otherwise."""
    return any(classify(reported, result, checklist) == OVER for reported in reports)

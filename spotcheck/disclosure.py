"""What may be shown outside the audit team: small cells hidden so no individual can be singled out."""

MIN_CELL = 5
HIDDEN = "<5"


def cell(n, min_cell=MIN_CELL):
    """A count as shown to viewers and the council: 1–4 become "<5" (0 singles out nobody)."""
    return HIDDEN if 0 < n < min_cell else f"{n:,}"


def rate(part, whole, min_cell=MIN_CELL):
    """A percentage, or None when the whole is too small to publish (or empty)."""
    if whole < min_cell or whole == 0:
        return None
    return 100.0 * part / whole


def rate_text(part, whole, min_cell=MIN_CELL):
    """A percentage as text ("12.5%"); "—" when it may not be shown; an upper bound ("<3.0%") when the
    part is a hidden small count, since the exact rate would give the count back."""
    value = rate(part, whole, min_cell)
    if value is None:
        return "—"
    if 0 < part < min_cell:
        return f"<{rate(min_cell, whole, min_cell):.1f}%"
    return f"{value:.1f}%"

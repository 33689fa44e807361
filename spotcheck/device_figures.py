"""How many unmanaged devices exist, where, and what became of them: counts by section, status and kind.

Counts only — never where a device stands or who uses it — so the same figures serve the dashboard and
both editions of the council report. A count of one device names no person, so no count is hidden.
"""
from dataclasses import dataclass

from .devices import KINDS, STATUSES


@dataclass(frozen=True)
class StatusCounts:
    """One row: a label (a section's name or a kind's code) and its devices per status."""

    label: str
    confirmed: int
    managed: int
    removed: int
    lan: int  # of these, how many reach 庁内LAN (what the council worried about)

    @property
    def total(self):
        """Every device of the row, whatever became of it."""
        return self.confirmed + self.managed + self.removed


@dataclass(frozen=True)
class DeviceCounts:
    """The register's figures on one day: per section (組織順), per kind (in KINDS order), and in all."""

    by_section: tuple[StatusCounts, ...]
    by_kind: tuple[StatusCounts, ...]
    total: StatusCounts
    sweeps_finished: int
    sweeps_empty: int  # finished sweeps that found nothing: a result, not a gap

    @property
    def empty(self):
        """True when no device and no sweep has been recorded at all."""
        return self.total.total == 0 and self.sweeps_finished == 0


STATUS_CODES = tuple(STATUSES)
_SUMS = ", ".join(f"sum(d.status = '{code}')" for code in STATUS_CODES) + ", sum(d.lan = 'yes')"


def counts(db, *, section_id=None) -> DeviceCounts:
    """The register's counts (of one section when `section_id` is given)."""
    where, params = ("WHERE d.section_id = ?", [section_id]) if section_id is not None else ("", [])
    sections = [StatusCounts(name, *(n or 0 for n in rest)) for _code, name, *rest in db.execute(
        f"SELECT s.code, s.name, {_SUMS} FROM devices d JOIN sections s ON s.id = d.section_id {where}"
        " GROUP BY s.id ORDER BY s.code", params)]
    found = {kind: rest for kind, *rest in db.execute(
        f"SELECT d.kind, {_SUMS} FROM devices d {where} GROUP BY d.kind", params)}
    kinds = tuple(StatusCounts(code, *(n or 0 for n in found[code])) for code in KINDS if code in found)
    total = StatusCounts("", *(sum(getattr(row, f) for row in sections) for f in ("confirmed", "managed", "removed", "lan")))
    sweep_where = "AND section_id = ?" if section_id is not None else ""
    finished, empty = db.execute(
        f"SELECT count(*), coalesce(sum(found_count = 0), 0) FROM device_sweeps WHERE finished_at IS NOT NULL {sweep_where}",
        params).fetchone()
    return DeviceCounts(tuple(sections), kinds, total, finished, empty)

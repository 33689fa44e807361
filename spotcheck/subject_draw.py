"""The pools of the section-visit and contract-visit draws, weighted as the council asked; drawn by draw.py."""
from .draw import Candidate, section_flags, weigh


def section_pool(db, campaign_id, weights, *, exclude_visited=True):
    """Sections with active staff, weighted toward My Number work, outsourced systems, last campaign's findings and
    乖離, and findings of earlier campaigns still open; a section already audited in the campaign is left out."""
    return [Candidate(section_id, *weigh(weights, flags))
            for section_id, flags in section_flags(db, campaign_id, exclude_visited=exclude_visited,
                                                   visited_kind="section")]


def contract_pool(db, campaign_id, weights, *, exclude_visited=True):
    """Contracts still running (never ended ones), weighted by risk."""
    rows = db.query(
        """
        SELECT c.id, c.personal_data, c.subcontracting, c.system <> '' AND sec.my_number = 1 AS my_number_system
        FROM contracts c JOIN sections sec ON sec.id = c.section_id
        WHERE c.ended_at IS NULL
          AND (:exclude = 0 OR NOT EXISTS (
                SELECT 1 FROM visits v WHERE v.contract_id = c.id AND v.campaign_id = :campaign))
        ORDER BY c.id
        """,
        {"campaign": campaign_id, "exclude": int(exclude_visited)},
    )
    return [Candidate(row["id"], *weigh(weights, {"personal_data": bool(row["personal_data"]),
                                                  "subcontracting": bool(row["subcontracting"]),
                                                  "my_number_system": bool(row["my_number_system"])}))
            for row in rows]

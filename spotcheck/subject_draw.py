"""The pools of the section-visit and contract-visit draws, weighted as the council asked; drawn by draw.py."""
from .draw import Candidate, weigh


def previous_campaign(db, campaign_id):
    """The id of the campaign created just before this one, or None."""
    row = db.execute(
        "SELECT p.id FROM campaigns c JOIN campaigns p ON (p.created_at, p.id) < (c.created_at, c.id)"
        " WHERE c.id = ? ORDER BY p.created_at DESC, p.id DESC LIMIT 1", [campaign_id]).fetchone()
    return row[0] if row else None


def section_pool(db, campaign_id, weights, *, exclude_visited=True):
    """Sections with active staff, weighted toward My Number work, outsourced systems and last campaign's findings."""
    rows = db.query(
        """
        SELECT sec.id, sec.my_number, sec.outsourced,
               EXISTS (SELECT 1 FROM followups f WHERE f.section_id = sec.id AND f.campaign_id = :previous
                         AND f.state <> 'withdrawn') AS findings
        FROM sections sec
        WHERE EXISTS (SELECT 1 FROM staff s WHERE s.section_id = sec.id AND s.retired_at IS NULL)
          AND (:exclude = 0 OR NOT EXISTS (
                SELECT 1 FROM visits v WHERE v.section_id = sec.id AND v.campaign_id = :campaign
                  AND v.subject_kind = 'section'))
        ORDER BY sec.id
        """,
        {"campaign": campaign_id, "previous": previous_campaign(db, campaign_id), "exclude": int(exclude_visited)},
    )
    return [Candidate(row["id"], *weigh(weights, {"my_number": bool(row["my_number"]),
                                                  "outsourced": bool(row["outsourced"]),
                                                  "findings": bool(row["findings"])}))
            for row in rows]


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

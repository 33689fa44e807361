"""The pools of the section-visit and contract-visit draws, weighted as the council asked; drawn by draw.py."""
from . import carryover
from .draw import Candidate, learned_params, weigh


def previous_campaign(db, campaign_id):
    """The id of the campaign just before this one (by fiscal year, carryover.chronology), or None."""
    return carryover.previous_id(db, campaign_id)


def section_pool(db, campaign_id, weights, *, exclude_visited=True):
    """Sections with active staff, weighted toward My Number work, outsourced systems, last campaign's findings and
    乖離, and findings of earlier campaigns still open."""
    rows = db.query(
        """
        SELECT sec.id, sec.my_number, sec.outsourced,
               EXISTS (SELECT 1 FROM followups f WHERE f.section_id = sec.id AND f.campaign_id = :previous
                         AND f.state <> 'withdrawn') AS findings,
               EXISTS (SELECT 1 FROM observations o WHERE o.section_id = sec.id AND o.campaign_id = :previous
                         AND o.current = 1 AND o.class = 'over_reported') AS over_reported,
               EXISTS (SELECT 1 FROM followups f WHERE f.section_id = sec.id AND f.state IN ('open', 'reported')
                         AND f.campaign_id IN (SELECT value FROM json_each(:earlier))) AS open_findings
        FROM sections sec
        WHERE EXISTS (SELECT 1 FROM staff s WHERE s.section_id = sec.id AND s.retired_at IS NULL)
          AND (:exclude = 0 OR NOT EXISTS (
                SELECT 1 FROM visits v WHERE v.section_id = sec.id AND v.campaign_id = :campaign
                  AND v.subject_kind = 'section'))
        ORDER BY sec.id
        """,
        {"campaign": campaign_id, "exclude": int(exclude_visited), **learned_params(db, campaign_id)},
    )
    return [Candidate(row["id"], *weigh(weights, {"my_number": bool(row["my_number"]),
                                                  "outsourced": bool(row["outsourced"]),
                                                  "findings": bool(row["findings"]),
                                                  "over_reported": bool(row["over_reported"]),
                                                  "open_findings": bool(row["open_findings"])}))
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

"""Numbered schema steps. Add new steps at the end; never edit or drop an applied one."""
import json
import sqlite3
from datetime import datetime, timezone

from sqlite_utils import Migrations

migrations = Migrations("spotcheck")


@migrations(name="0001_people_and_accounts")
def people_and_accounts(db):
    """Sections, staff, user accounts and login throttling."""
    db.executescript(
        """
        CREATE TABLE sections (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            my_number INTEGER NOT NULL DEFAULT 0 CHECK (my_number IN (0, 1)),
            outsourced INTEGER NOT NULL DEFAULT 0 CHECK (outsourced IN (0, 1)),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            staff_no TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            kana TEXT NOT NULL DEFAULT '',
            section_id INTEGER NOT NULL REFERENCES sections(id),
            employment TEXT NOT NULL
                CHECK (employment IN ('regular', 'fiscal_year', 'reappointed', 'other')),
            uses_pc INTEGER NOT NULL CHECK (uses_pc IN (0, 1)),
            search_key TEXT NOT NULL,
            retired_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX staff_section ON staff(section_id, retired_at);
        CREATE INDEX staff_employment ON staff(employment);
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'auditor', 'section_head', 'viewer')),
            section_id INTEGER REFERENCES sections(id),
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            created_at TEXT NOT NULL,
            CHECK (role <> 'section_head' OR section_id IS NOT NULL)
        );
        CREATE TABLE login_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            locked_until TEXT
        );
        """
    )


@migrations(name="0002_campaigns_and_selfcheck")
def campaigns_and_selfcheck(db):
    """Pinned checklists, campaigns, imports and self-check answers."""
    db.executescript(
        """
        CREATE TABLE checklists (
            digest TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('selfcheck', 'onsite')),
            version TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            fiscal_year INTEGER,
            selfcheck_digest TEXT NOT NULL REFERENCES checklists(digest),
            onsite_digest TEXT NOT NULL REFERENCES checklists(digest),
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        );
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('sections', 'staff', 'selfcheck')),
            filename TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            campaign_id INTEGER REFERENCES campaigns(id),
            user_id INTEGER REFERENCES users(id),
            summary TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE selfcheck_responses (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            answered_on TEXT,
            import_id INTEGER REFERENCES imports(id),
            updated_at TEXT NOT NULL,
            UNIQUE (campaign_id, staff_id)
        );
        CREATE INDEX selfcheck_responses_staff ON selfcheck_responses(staff_id);
        -- One row per answered item; '' is 未回答. WITHOUT ROWID: the key is the data.
        CREATE TABLE selfcheck_answers (
            response_id INTEGER NOT NULL REFERENCES selfcheck_responses(id) ON DELETE CASCADE,
            item_no INTEGER NOT NULL CHECK (item_no BETWEEN 1 AND 99),
            answer TEXT NOT NULL,
            out_of_scope INTEGER NOT NULL DEFAULT 0 CHECK (out_of_scope IN (0, 1)),
            PRIMARY KEY (response_id, item_no)
        ) WITHOUT ROWID;
        """
    )


@migrations(name="0003_audit_log")
def audit_log(db):
    """An append-only log of who changed what."""
    db.executescript(
        """
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            user_id INTEGER REFERENCES users(id),
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id INTEGER,
            before TEXT,
            after TEXT
        );
        CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        """
    )


@migrations(name="0004_visits")
def visits(db):
    """Draws, visits, results, photos, signatures, and keys that make retried saves harmless."""
    db.executescript(
        """
        CREATE TABLE draws (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            kind TEXT NOT NULL CHECK (kind IN ('staff', 'section')),
            section_id INTEGER REFERENCES sections(id),
            pool TEXT NOT NULL,
            pool_digest TEXT NOT NULL,
            seed TEXT NOT NULL,
            method TEXT NOT NULL,
            options TEXT NOT NULL,
            chosen_id INTEGER NOT NULL,
            drawn_by INTEGER NOT NULL REFERENCES users(id),
            drawn_at TEXT NOT NULL
        );
        CREATE TABLE visits (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            section_id INTEGER NOT NULL REFERENCES sections(id),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            draw_id INTEGER REFERENCES draws(id),
            auditor_id INTEGER NOT NULL REFERENCES users(id),
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'locked')),
            overall_comment TEXT NOT NULL DEFAULT '',
            comment_changed_at TEXT,
            started_at TEXT NOT NULL,
            locked_at TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            supersedes_id INTEGER UNIQUE REFERENCES visits(id),
            amendment_reason TEXT
        );
        CREATE INDEX visits_campaign_section ON visits(campaign_id, section_id);
        CREATE INDEX visits_staff ON visits(staff_id);
        CREATE TABLE visit_results (
            visit_id INTEGER NOT NULL REFERENCES visits(id),
            check_code TEXT NOT NULL,
            result TEXT NOT NULL DEFAULT '',
            remark TEXT NOT NULL DEFAULT '',
            result_changed_at TEXT,
            remark_changed_at TEXT,
            updated_at TEXT NOT NULL,
            updated_by INTEGER REFERENCES users(id),
            PRIMARY KEY (visit_id, check_code)
        ) WITHOUT ROWID;
        CREATE TABLE photos (
            id INTEGER PRIMARY KEY,
            visit_id INTEGER NOT NULL REFERENCES visits(id),
            check_code TEXT NOT NULL,
            file_name TEXT NOT NULL,  -- amended versions share the same files
            thumb_name TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            size INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id),
            deleted_at TEXT
        );
        CREATE INDEX photos_visit ON photos(visit_id, check_code);
        CREATE TABLE signatures (
            visit_id INTEGER NOT NULL REFERENCES visits(id),
            role TEXT NOT NULL CHECK (role IN ('auditor', 'auditee')),
            name TEXT NOT NULL,
            png BLOB,
            sha256 TEXT,
            refused INTEGER NOT NULL DEFAULT 0 CHECK (refused IN (0, 1)),
            refusal_reason TEXT NOT NULL DEFAULT '',
            signed_at TEXT NOT NULL,
            PRIMARY KEY (visit_id, role),
            CHECK (refused = 1 OR png IS NOT NULL)
        );
        CREATE TABLE idempotency_keys (
            key TEXT PRIMARY KEY,
            user_id INTEGER REFERENCES users(id),
            response TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        -- A locked visit is read-only everywhere, even to code that forgets to check.
        CREATE TRIGGER visit_results_locked_insert BEFORE INSERT ON visit_results
            WHEN (SELECT status FROM visits WHERE id = NEW.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER visit_results_locked_update BEFORE UPDATE ON visit_results
            WHEN (SELECT status FROM visits WHERE id = OLD.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER photos_locked_insert BEFORE INSERT ON photos
            WHEN (SELECT status FROM visits WHERE id = NEW.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER photos_locked_update BEFORE UPDATE ON photos
            WHEN (SELECT status FROM visits WHERE id = OLD.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER signatures_locked BEFORE INSERT ON signatures
            WHEN (SELECT status FROM visits WHERE id = NEW.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER signatures_locked_delete BEFORE DELETE ON signatures
            WHEN (SELECT status FROM visits WHERE id = OLD.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER visit_results_locked_delete BEFORE DELETE ON visit_results
            WHEN (SELECT status FROM visits WHERE id = OLD.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER photos_locked_delete BEFORE DELETE ON photos
            WHEN (SELECT status FROM visits WHERE id = OLD.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER visits_locked_update BEFORE UPDATE ON visits
            WHEN OLD.status = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        """
    )


@migrations(name="0005_sheets_and_chain")
def sheets_and_chain(db):
    """Issued findings sheets and the hash-chained log that makes them verifiable."""
    db.executescript(
        """
        CREATE TABLE sheets (
            id INTEGER PRIMARY KEY,
            visit_id INTEGER NOT NULL UNIQUE REFERENCES visits(id),
            serial TEXT NOT NULL UNIQUE,
            digest TEXT NOT NULL,
            content TEXT NOT NULL,
            pdf_sha256 TEXT,
            issued_at TEXT NOT NULL
        );
        CREATE INDEX sheets_pdf ON sheets(pdf_sha256);
        CREATE TABLE chain (
            id INTEGER PRIMARY KEY,
            serial TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('issue', 'supersede')),
            digest TEXT NOT NULL,
            created_at TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            entry_hash TEXT NOT NULL UNIQUE
        );
        CREATE TRIGGER chain_no_update BEFORE UPDATE ON chain
            BEGIN SELECT RAISE(ABORT, 'chain is append-only'); END;
        CREATE TRIGGER chain_no_delete BEFORE DELETE ON chain
            BEGIN SELECT RAISE(ABORT, 'chain is append-only'); END;
        CREATE TRIGGER sheets_content_fixed BEFORE UPDATE OF visit_id, serial, digest, content, issued_at ON sheets
            BEGIN SELECT RAISE(ABORT, 'an issued sheet cannot change'); END;
        """
    )


@migrations(name="0006_crosscheck_and_followups")
def crosscheck_and_followups(db):
    """Observations classified against self-reports, running tallies for the dashboard, follow-ups."""
    db.executescript(
        """
        -- One row per (visit, check, linked item): the cross-check of one self-report.
        CREATE TABLE observations (
            visit_id INTEGER NOT NULL REFERENCES visits(id),
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            section_id INTEGER NOT NULL REFERENCES sections(id),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            employment TEXT NOT NULL,
            check_code TEXT NOT NULL,
            result TEXT NOT NULL,
            item_no INTEGER NOT NULL DEFAULT 0,
            reported TEXT,
            class TEXT,
            current INTEGER NOT NULL DEFAULT 1 CHECK (current IN (0, 1)),
            PRIMARY KEY (visit_id, check_code, item_no)
        ) WITHOUT ROWID;
        CREATE INDEX observations_staff ON observations(staff_id);
        -- Counts kept up to date at each import and lock, so the dashboard never scans 700,000 answers.
        -- section and employment are those at the time (a campaign is a snapshot); section 0 and
        -- employment '*' hold the totals over all sections / employment types.
        CREATE TABLE tallies (
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            measure TEXT NOT NULL,
            subject TEXT NOT NULL,
            value TEXT NOT NULL,
            section_id INTEGER NOT NULL,
            employment TEXT NOT NULL,
            n INTEGER NOT NULL,
            -- Keyed slice first: a page reads one slice (all sections, a section, an employment type).
            PRIMARY KEY (campaign_id, measure, section_id, employment, subject, value)
        ) WITHOUT ROWID;
        CREATE TABLE followups (
            id INTEGER PRIMARY KEY,
            visit_id INTEGER NOT NULL REFERENCES visits(id),
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            section_id INTEGER NOT NULL REFERENCES sections(id),
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            check_code TEXT NOT NULL,
            check_title TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('nonconformity', 'major')),
            finding TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'reported', 'closed', 'withdrawn')),
            due_on TEXT NOT NULL,
            report TEXT NOT NULL DEFAULT '',
            reported_by INTEGER REFERENCES users(id),
            reported_at TEXT,
            report_photo TEXT,
            report_thumb TEXT,
            report_photo_sha256 TEXT,
            confirmation TEXT NOT NULL DEFAULT '',
            confirmed_by INTEGER REFERENCES users(id),
            confirmed_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (visit_id, check_code)
        );
        CREATE INDEX followups_section ON followups(section_id, state);
        CREATE INDEX followups_staff ON followups(staff_id);
        """
    )


@migrations(name="0007_staff_scope_index")
def staff_scope_index(db):
    """Count the self-check population per section or employment type from the index alone."""
    db.execute("CREATE INDEX staff_scope ON staff(section_id, employment, uses_pc, retired_at)")


@migrations(name="0008_evidence")
def evidence(db):
    """Frozen records of locked visits, fixed check lists, auditor teams, and keys bound to what they saved."""
    db.executescript(
        """
        -- The checks and the person's circumstances as they were when the visit started (JSON);
        -- NULL for visits opened before this step, which fall back to the roster.
        ALTER TABLE visits ADD COLUMN scope TEXT;
        -- Why a person was picked by hand instead of drawn ('' for a draw).
        ALTER TABLE visits ADD COLUMN selection_reason TEXT NOT NULL DEFAULT '';
        -- Everything a locked visit states that is not in its own locked rows, frozen at lock.
        CREATE TABLE visit_records (
            visit_id INTEGER PRIMARY KEY REFERENCES visits(id),
            body TEXT NOT NULL,
            frozen_at TEXT NOT NULL
        );
        CREATE TRIGGER visit_records_no_update BEFORE UPDATE ON visit_records
            BEGIN SELECT RAISE(ABORT, 'a frozen record cannot change'); END;
        CREATE TRIGGER visit_records_no_delete BEFORE DELETE ON visit_records
            BEGIN SELECT RAISE(ABORT, 'a frozen record cannot change'); END;
        CREATE TABLE visit_auditors (
            visit_id INTEGER NOT NULL REFERENCES visits(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            role TEXT NOT NULL CHECK (role IN ('lead', 'co')),
            added_at TEXT NOT NULL,
            added_by INTEGER REFERENCES users(id),
            PRIMARY KEY (visit_id, user_id)
        );
        CREATE UNIQUE INDEX visit_auditors_one_lead ON visit_auditors(visit_id) WHERE role = 'lead';
        INSERT INTO visit_auditors (visit_id, user_id, role, added_at, added_by)
            SELECT id, auditor_id, 'lead', started_at, auditor_id FROM visits;
        CREATE TRIGGER visit_auditors_locked_insert BEFORE INSERT ON visit_auditors
            WHEN (SELECT status FROM visits WHERE id = NEW.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER visit_auditors_locked_delete BEFORE DELETE ON visit_auditors
            WHEN (SELECT status FROM visits WHERE id = OLD.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        -- A key answers only the same change again: the visit and field it saved.
        ALTER TABLE idempotency_keys ADD COLUMN target TEXT;
        """
    )
    freeze_legacy(db)


def freeze_legacy(db):
    """Visits locked before 0008: their frozen record is what their issued sheet stated."""
    for visit_id, content in list(db.execute(
            "SELECT v.id, s.content FROM visits v JOIN sheets s ON s.visit_id = v.id WHERE v.status = 'locked'"
            " AND NOT EXISTS (SELECT 1 FROM visit_records r WHERE r.visit_id = v.id)")):
        db.execute("INSERT INTO visit_records (visit_id, body, frozen_at) VALUES (?, ?, ?)",
                   [visit_id, json.dumps(_legacy_record(json.loads(content)), ensure_ascii=False),
                    datetime.now(timezone.utc).isoformat(timespec="seconds")])


def _legacy_record(content):
    """A frozen record (format 1) from the content a sheet issued before 0008 was digested over."""
    return {
        "format": 1,
        "subject": {"staff_no": content["person"][0], "name": content["person"][1], "kana": "",
                    "employment": content["person"][2], "section_code": content["section"][0],
                    "section_name": content["section"][1]},
        "auditors": [content["auditor"]],
        "checks": [check["code"] for check in content["checks"]],
        "reports": {check["code"]: [[no, answer, None] for no, answer in check["reports"]]
                    for check in content["checks"]},
    }


@migrations(name="0009_report_texts")
def report_texts(db):
    """The audit lead's 総評 and 今後の取組 per campaign, every version kept."""
    db.executescript(
        """
        CREATE TABLE report_texts (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            kind TEXT NOT NULL CHECK (kind IN ('summary', 'next_steps')),
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            created_by INTEGER REFERENCES users(id)
        );
        CREATE INDEX report_texts_campaign ON report_texts(campaign_id, kind, id);
        CREATE TRIGGER report_texts_no_update BEFORE UPDATE ON report_texts
            BEGIN SELECT RAISE(ABORT, 'report texts are versioned, never changed'); END;
        CREATE TRIGGER report_texts_no_delete BEFORE DELETE ON report_texts
            BEGIN SELECT RAISE(ABORT, 'report texts are versioned, never changed'); END;
        """
    )


@migrations(name="0010_followup_employment")
def followup_employment(db):
    """Each follow-up keeps the employment type its visit signed, so counts by type need no join."""
    db.executescript(
        """
        ALTER TABLE followups ADD COLUMN employment TEXT;
        UPDATE followups SET employment = coalesce(
            (SELECT json_extract(r.body, '$.subject.employment') FROM visit_records r WHERE r.visit_id = followups.visit_id),
            (SELECT s.employment FROM staff s WHERE s.id = followups.staff_id));
        CREATE INDEX followups_employment ON followups(campaign_id, employment, state);
        """
    )


@migrations(name="0011_session_generation")
def session_generation(db):
    """A per-user counter in every session: logout, a new password or disabling the account bumps it."""
    db.execute("ALTER TABLE users ADD COLUMN session_generation INTEGER NOT NULL DEFAULT 0")


@migrations(name="0012_backups")
def backups(db):
    """Each backup written, so the admin screen can warn when the newest is too old."""
    db.execute("CREATE TABLE backups (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, file_name TEXT NOT NULL,"
               " size INTEGER NOT NULL, files INTEGER NOT NULL)")


@migrations(name="0013_visit_people")
def visit_people(db):
    """Who and where a visit was about, in one place: as its frozen record states, else the roster."""
    fields = {"staff_no": "s.staff_no", "person_name": "s.name", "kana": "s.kana", "employment": "s.employment",
              "section_code": "sec.code", "section_name": "sec.name"}
    frozen = {"staff_no": "staff_no", "person_name": "name", "kana": "kana", "employment": "employment",
              "section_code": "section_code", "section_name": "section_name"}
    # json_valid: a record edited into something that is not JSON reads as the roster, not as an error.
    columns = ",\n".join(
        f"coalesce(CASE WHEN json_valid(r.body) THEN json_extract(r.body, '$.subject.{frozen[name]}') END, {live})"
        f" AS {name}" for name, live in fields.items())
    db.execute(f"""
        CREATE VIEW visit_people AS
        SELECT v.id AS visit_id, {columns}
        FROM visits v JOIN staff s ON s.id = v.staff_id JOIN sections sec ON sec.id = v.section_id
        LEFT JOIN visit_records r ON r.visit_id = v.id
    """)


@migrations(name="0014_retention")
def retention(db):
    """Purges past the retention period: what was removed, and a controlled exception to the read-only triggers."""
    purged_visit = "EXISTS (SELECT 1 FROM purged_visits p WHERE p.visit_id = OLD.{column})"
    db.executescript(
        f"""
        CREATE TABLE purges (
            id INTEGER PRIMARY KEY,
            created_at TEXT NOT NULL,
            user_id INTEGER REFERENCES users(id),  -- NULL: run from the command line
            cutoff TEXT NOT NULL,                 -- records whose retention ended on or before this day went
            counts TEXT NOT NULL,
            plan_digest TEXT NOT NULL
        );
        CREATE TRIGGER purges_no_update BEFORE UPDATE ON purges
            BEGIN SELECT RAISE(ABORT, 'purges are append-only'); END;
        CREATE TRIGGER purges_no_delete BEFORE DELETE ON purges
            BEGIN SELECT RAISE(ABORT, 'purges are append-only'); END;
        CREATE TABLE purged_campaigns (
            campaign_id INTEGER PRIMARY KEY REFERENCES campaigns(id),
            purge_id INTEGER NOT NULL REFERENCES purges(id)
        );
        CREATE TABLE purged_visits (
            visit_id INTEGER PRIMARY KEY REFERENCES visits(id),
            purge_id INTEGER NOT NULL REFERENCES purges(id)
        );
        CREATE TABLE purged_staff (
            staff_id INTEGER PRIMARY KEY REFERENCES staff(id),
            purge_id INTEGER NOT NULL REFERENCES purges(id)
        );
        CREATE TRIGGER purged_campaigns_fixed BEFORE DELETE ON purged_campaigns
            BEGIN SELECT RAISE(ABORT, 'a purge cannot be undone'); END;
        CREATE TRIGGER purged_visits_fixed BEFORE DELETE ON purged_visits
            BEGIN SELECT RAISE(ABORT, 'a purge cannot be undone'); END;
        CREATE TRIGGER purged_staff_fixed BEFORE DELETE ON purged_staff
            BEGIN SELECT RAISE(ABORT, 'a purge cannot be undone'); END;

        -- A locked visit stays read-only, except that a purge may blank its personal data; what
        -- identifies and dates it (status, serial, digest, results) may still never change.
        DROP TRIGGER visit_results_locked_update;
        CREATE TRIGGER visit_results_locked_update BEFORE UPDATE ON visit_results
            WHEN (SELECT status FROM visits WHERE id = OLD.visit_id) = 'locked'
             AND (NOT {purged_visit.format(column="visit_id")} OR NEW.result IS NOT OLD.result
                  OR NEW.check_code IS NOT OLD.check_code OR NEW.visit_id IS NOT OLD.visit_id)
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        DROP TRIGGER photos_locked_update;
        CREATE TRIGGER photos_locked_update BEFORE UPDATE ON photos
            WHEN (SELECT status FROM visits WHERE id = OLD.visit_id) = 'locked'
             AND (NOT {purged_visit.format(column="visit_id")} OR NEW.sha256 IS NOT OLD.sha256
                  OR NEW.visit_id IS NOT OLD.visit_id)
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        DROP TRIGGER visits_locked_update;
        CREATE TRIGGER visits_locked_update BEFORE UPDATE ON visits
            WHEN OLD.status = 'locked'
             AND (NOT {purged_visit.format(column="id")} OR NEW.status IS NOT OLD.status
                  OR NEW.locked_at IS NOT OLD.locked_at OR NEW.campaign_id IS NOT OLD.campaign_id
                  OR NEW.section_id IS NOT OLD.section_id OR NEW.version IS NOT OLD.version
                  OR NEW.supersedes_id IS NOT OLD.supersedes_id OR NEW.started_at IS NOT OLD.started_at)
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        DROP TRIGGER visit_records_no_update;
        CREATE TRIGGER visit_records_no_update BEFORE UPDATE ON visit_records
            WHEN NOT {purged_visit.format(column="visit_id")} OR NEW.visit_id IS NOT OLD.visit_id
            BEGIN SELECT RAISE(ABORT, 'a frozen record cannot change'); END;
        DROP TRIGGER sheets_content_fixed;
        CREATE TRIGGER sheets_content_fixed BEFORE UPDATE OF visit_id, serial, digest, content, issued_at ON sheets
            WHEN NOT {purged_visit.format(column="visit_id")} OR NEW.visit_id IS NOT OLD.visit_id
              OR NEW.serial IS NOT OLD.serial OR NEW.digest IS NOT OLD.digest OR NEW.issued_at IS NOT OLD.issued_at
            BEGIN SELECT RAISE(ABORT, 'an issued sheet cannot change'); END;
        -- The log keeps every entry (who did what, when); a purge may only strip the personal
        -- details out of the before/after of entries about what it purged.
        DROP TRIGGER audit_log_no_update;
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            WHEN NEW.id IS NOT OLD.id OR NEW.created_at IS NOT OLD.created_at OR NEW.user_id IS NOT OLD.user_id
              OR NEW.action IS NOT OLD.action OR NEW.entity IS NOT OLD.entity OR NEW.entity_id IS NOT OLD.entity_id
              OR NOT (
                (OLD.entity = 'visit' AND OLD.entity_id IN (SELECT visit_id FROM purged_visits))
                OR (OLD.entity = 'followup' AND OLD.entity_id IN
                    (SELECT f.id FROM followups f JOIN purged_visits p ON p.visit_id = f.visit_id))
                OR (OLD.entity = 'draw' AND OLD.entity_id IN
                    (SELECT d.id FROM draws d JOIN purged_campaigns p ON p.campaign_id = d.campaign_id)))
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
        """
    )


def _widen_check(db, table, columns_sql):
    """Rebuild a table whose CHECK list grew; SQLite cannot alter a CHECK in place."""
    db.execute(f"CREATE TABLE {table}_widened ({columns_sql})")
    db.execute(f"INSERT INTO {table}_widened SELECT * FROM {table}")
    db.execute(f"DROP TABLE {table}")
    # Legacy mode renames without re-checking triggers elsewhere that name the table while it is away.
    db.execute("PRAGMA legacy_alter_table = ON")
    db.execute(f"ALTER TABLE {table}_widened RENAME TO {table}")
    db.execute("PRAGMA legacy_alter_table = OFF")


@migrations(name="0015_contracts_and_subject_kinds", transactional=False)
def contracts_and_subject_kinds(db):
    """The contract register, and room for the forms, imports and draws of sections, contracts and interviews."""
    # Dropping a referenced table counts phantom violations even when deferred, so the rebuild runs the way
    # SQLite's manual prescribes: foreign keys off, one transaction, a full foreign_key_check before commit.
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():
            _contracts_and_subject_kinds(db)
            if db.execute("PRAGMA foreign_key_check").fetchall():
                raise sqlite3.IntegrityError("FOREIGN KEY constraint failed after widening kinds")
    finally:
        db.execute("PRAGMA foreign_keys = ON")


def _contracts_and_subject_kinds(db):
    """The body of step 0015, inside its transaction."""
    # Plain execute, not executescript: executescript would commit the open transaction first.
    db.execute(
        """
        CREATE TABLE contracts (
            id INTEGER PRIMARY KEY,
            contract_no TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            contractor TEXT NOT NULL,
            section_id INTEGER NOT NULL REFERENCES sections(id),
            system TEXT NOT NULL DEFAULT '',
            starts_on TEXT,
            ends_on TEXT,
            subcontracting INTEGER NOT NULL CHECK (subcontracting IN (0, 1)),
            personal_data INTEGER NOT NULL CHECK (personal_data IN (0, 1)),
            ended_at TEXT,              -- missing from a later register file: ended, never deleted
            import_id INTEGER REFERENCES imports(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX contracts_section ON contracts(section_id)")
    _widen_check(db, "checklists", """
        digest TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('selfcheck', 'onsite', 'section', 'contract', 'interview')),
        version TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL""")
    _widen_check(db, "imports", """
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL
            CHECK (kind IN ('sections', 'staff', 'selfcheck', 'contracts', 'test_results')),
        filename TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        campaign_id INTEGER REFERENCES campaigns(id),
        user_id INTEGER REFERENCES users(id),
        summary TEXT NOT NULL,
        created_at TEXT NOT NULL""")
    _widen_check(db, "draws", """
        id INTEGER PRIMARY KEY,
        campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        kind TEXT NOT NULL CHECK (kind IN ('staff', 'section', 'contract', 'interview')),
        section_id INTEGER REFERENCES sections(id),
        pool TEXT NOT NULL,
        pool_digest TEXT NOT NULL,
        seed TEXT NOT NULL,
        method TEXT NOT NULL,
        options TEXT NOT NULL,
        chosen_id INTEGER NOT NULL,
        drawn_by INTEGER NOT NULL REFERENCES users(id),
        drawn_at TEXT NOT NULL""")



@migrations(name="0016_unmanaged_devices")
def unmanaged_devices(db):
    """The register of devices 情報政策課 does not manage, the sweeps that look for them, and their status history."""
    db.executescript(
        """
        CREATE TABLE device_sweeps (
            id INTEGER PRIMARY KEY,
            section_id INTEGER NOT NULL REFERENCES sections(id),
            area TEXT NOT NULL,
            started_by INTEGER NOT NULL REFERENCES users(id),
            started_at TEXT NOT NULL,
            finished_by INTEGER REFERENCES users(id),
            finished_at TEXT,
            found_count INTEGER CHECK (found_count IS NULL OR found_count >= 0),
            CHECK ((finished_at IS NULL) = (found_count IS NULL))
        );
        CREATE TABLE devices (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('pc', 'tablet', 'storage', 'network', 'printer', 'other')),
            location TEXT NOT NULL,
            section_id INTEGER NOT NULL REFERENCES sections(id),
            purpose TEXT NOT NULL DEFAULT '',
            lan TEXT NOT NULL CHECK (lan IN ('yes', 'no', 'unknown')),
            internet TEXT NOT NULL CHECK (internet IN ('yes', 'no', 'unknown')),
            used_by TEXT NOT NULL DEFAULT '',   -- free text that may name a person: never logged, never reported
            photo_name TEXT,
            photo_thumb TEXT,
            photo_sha256 TEXT,
            visit_id INTEGER REFERENCES visits(id),
            sweep_id INTEGER REFERENCES device_sweeps(id),
            status TEXT NOT NULL DEFAULT 'confirmed' CHECK (status IN ('confirmed', 'managed', 'removed')),
            found_at TEXT NOT NULL,
            found_by INTEGER NOT NULL REFERENCES users(id),
            submit_key TEXT NOT NULL UNIQUE,    -- one form, one device: a second tap of 記録する finds the first
            updated_at TEXT NOT NULL,
            CHECK (visit_id IS NULL OR sweep_id IS NULL)
        );
        CREATE INDEX devices_section ON devices(section_id, status);
        CREATE INDEX devices_sweep ON devices(sweep_id);
        CREATE TABLE device_events (
            id INTEGER PRIMARY KEY,
            device_id INTEGER NOT NULL REFERENCES devices(id),
            status_from TEXT,
            status_to TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            user_id INTEGER NOT NULL REFERENCES users(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX device_events_device ON device_events(device_id, id);
        """
    )
@migrations(name="0017_visit_subjects", transactional=False)
def visit_subjects(db):
    """A visit's subject may be a section or a contract; campaigns pin the section and contract forms."""
    # The same rebuild as 0015: foreign keys off, one transaction, a full foreign_key_check before commit.
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():
            _visit_subjects(db)
            if db.execute("PRAGMA foreign_key_check").fetchall():
                raise sqlite3.IntegrityError("FOREIGN KEY constraint failed after widening visit subjects")
    finally:
        db.execute("PRAGMA foreign_keys = ON")


VISIT_COLUMNS = ("id, campaign_id, section_id, staff_id, draw_id, auditor_id, status, overall_comment,"
                 " comment_changed_at, started_at, locked_at, version, supersedes_id, amendment_reason, scope,"
                 " selection_reason")
FOLLOWUP_COLUMNS = ("id, visit_id, campaign_id, section_id, staff_id, check_code, check_title, severity, finding,"
                    " state, due_on, report, reported_by, reported_at, report_photo, report_thumb,"
                    " report_photo_sha256, confirmation, confirmed_by, confirmed_at, created_at, updated_at,"
                    " employment")


def _visit_subjects(db):
    """The body of step 0017, inside its transaction."""
    db.execute("ALTER TABLE campaigns ADD COLUMN section_digest TEXT REFERENCES checklists(digest)")
    db.execute("ALTER TABLE campaigns ADD COLUMN contract_digest TEXT REFERENCES checklists(digest)")
    db.execute("DROP VIEW visit_people")  # names visits; recreated below for visits without a person
    db.execute(
        """
        CREATE TABLE visits_subjects (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            section_id INTEGER NOT NULL REFERENCES sections(id),
            staff_id INTEGER REFERENCES staff(id),
            draw_id INTEGER REFERENCES draws(id),
            auditor_id INTEGER NOT NULL REFERENCES users(id),
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'locked')),
            overall_comment TEXT NOT NULL DEFAULT '',
            comment_changed_at TEXT,
            started_at TEXT NOT NULL,
            locked_at TEXT,
            version INTEGER NOT NULL DEFAULT 1,
            supersedes_id INTEGER UNIQUE REFERENCES visits(id),
            amendment_reason TEXT,
            scope TEXT,
            selection_reason TEXT NOT NULL DEFAULT '',
            subject_kind TEXT NOT NULL DEFAULT 'person' CHECK (subject_kind IN ('person', 'section', 'contract')),
            contract_id INTEGER REFERENCES contracts(id),
            -- A person visit names its person; a contract visit its contract; a section visit neither.
            CHECK (subject_kind <> 'person' OR staff_id IS NOT NULL),
            CHECK ((subject_kind = 'contract') = (contract_id IS NOT NULL))
        )
        """
    )
    db.execute(f"INSERT INTO visits_subjects ({VISIT_COLUMNS}) SELECT {VISIT_COLUMNS} FROM visits")
    db.execute("DROP TABLE visits")
    db.execute("PRAGMA legacy_alter_table = ON")
    db.execute("ALTER TABLE visits_subjects RENAME TO visits")
    db.execute("PRAGMA legacy_alter_table = OFF")
    db.execute("CREATE INDEX visits_campaign_section ON visits(campaign_id, section_id)")
    db.execute("CREATE INDEX visits_staff ON visits(staff_id)")
    db.execute("CREATE INDEX visits_contract ON visits(contract_id)")
    # As 0014 left it, word for word: the trigger went with the old table.
    purged_visit = "EXISTS (SELECT 1 FROM purged_visits p WHERE p.visit_id = OLD.id)"
    db.execute(f"""
        CREATE TRIGGER visits_locked_update BEFORE UPDATE ON visits
            WHEN OLD.status = 'locked'
             AND (NOT {purged_visit} OR NEW.status IS NOT OLD.status
                  OR NEW.locked_at IS NOT OLD.locked_at OR NEW.campaign_id IS NOT OLD.campaign_id
                  OR NEW.section_id IS NOT OLD.section_id OR NEW.version IS NOT OLD.version
                  OR NEW.supersedes_id IS NOT OLD.supersedes_id OR NEW.started_at IS NOT OLD.started_at)
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END""")
    # A locked visit's subject is part of what was signed, purged or not.
    db.execute("""
        CREATE TRIGGER visits_locked_subject BEFORE UPDATE OF subject_kind, contract_id ON visits
            WHEN OLD.status = 'locked'
             AND (NEW.subject_kind IS NOT OLD.subject_kind OR NEW.contract_id IS NOT OLD.contract_id)
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END""")
    db.execute(
        """
        CREATE TABLE followups_subjects (
            id INTEGER PRIMARY KEY,
            visit_id INTEGER NOT NULL REFERENCES visits(id),
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            section_id INTEGER NOT NULL REFERENCES sections(id),
            staff_id INTEGER REFERENCES staff(id),  -- NULL: a section's or contract's finding, owned by the section
            check_code TEXT NOT NULL,
            check_title TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('nonconformity', 'major')),
            finding TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'reported', 'closed', 'withdrawn')),
            due_on TEXT NOT NULL,
            report TEXT NOT NULL DEFAULT '',
            reported_by INTEGER REFERENCES users(id),
            reported_at TEXT,
            report_photo TEXT,
            report_thumb TEXT,
            report_photo_sha256 TEXT,
            confirmation TEXT NOT NULL DEFAULT '',
            confirmed_by INTEGER REFERENCES users(id),
            confirmed_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            employment TEXT,
            UNIQUE (visit_id, check_code)
        )
        """
    )
    db.execute(f"INSERT INTO followups_subjects ({FOLLOWUP_COLUMNS}) SELECT {FOLLOWUP_COLUMNS} FROM followups")
    db.execute("DROP TABLE followups")
    db.execute("PRAGMA legacy_alter_table = ON")
    db.execute("ALTER TABLE followups_subjects RENAME TO followups")
    db.execute("PRAGMA legacy_alter_table = OFF")
    db.execute("CREATE INDEX followups_section ON followups(section_id, state)")
    db.execute("CREATE INDEX followups_staff ON followups(staff_id)")
    db.execute("CREATE INDEX followups_employment ON followups(campaign_id, employment, state)")
    # 0013's view, with the person joined only where there is one.
    fields = {"staff_no": "s.staff_no", "person_name": "s.name", "kana": "s.kana", "employment": "s.employment",
              "section_code": "sec.code", "section_name": "sec.name"}
    columns = ",\n".join(
        f"coalesce(CASE WHEN json_valid(r.body) THEN json_extract(r.body, '$.subject.{frozen}') END, {live})"
        f" AS {name}" for name, frozen, live in (
            (name, "name" if name == "person_name" else name, live) for name, live in fields.items()))
    db.execute(f"""
        CREATE VIEW visit_people AS
        SELECT v.id AS visit_id, {columns}
        FROM visits v LEFT JOIN staff s ON s.id = v.staff_id JOIN sections sec ON sec.id = v.section_id
        LEFT JOIN visit_records r ON r.visit_id = v.id
    """)
@migrations(name="0018_interview")
def interview(db):
    """Knowledge checks on site: each campaign's question bank, a visit's drawn questions and answers, 知識不足 follow-ups."""
    db.executescript(
        """
        -- Pinned on the campaign's first interview (campaigns older than this step have none yet).
        ALTER TABLE campaigns ADD COLUMN interview_digest TEXT REFERENCES checklists(digest);
        -- 'knowledge': a wrong interview answer (知識不足), completed when a later test is passed.
        ALTER TABLE followups ADD COLUMN kind TEXT NOT NULL DEFAULT 'check' CHECK (kind IN ('check', 'knowledge'));
        CREATE TABLE visit_interviews (
            visit_id INTEGER PRIMARY KEY REFERENCES visits(id),
            draw_id INTEGER NOT NULL REFERENCES draws(id),
            bank_digest TEXT NOT NULL REFERENCES checklists(digest),
            created_at TEXT NOT NULL
        );
        CREATE TABLE interview_answers (
            visit_id INTEGER NOT NULL REFERENCES visit_interviews(visit_id),
            position INTEGER NOT NULL,          -- 1.. in the order drawn
            question_code TEXT NOT NULL,
            answer TEXT NOT NULL DEFAULT '' CHECK (answer IN ('', 'correct', 'wrong')),
            answer_changed_at TEXT,
            updated_at TEXT,
            updated_by INTEGER REFERENCES users(id),
            PRIMARY KEY (visit_id, question_code),
            UNIQUE (visit_id, position)
        );
        -- As visit_results: a locked visit's questions and answers are read-only.
        CREATE TRIGGER visit_interviews_locked_insert BEFORE INSERT ON visit_interviews
            WHEN (SELECT status FROM visits WHERE id = NEW.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER visit_interviews_no_change BEFORE UPDATE ON visit_interviews
            BEGIN SELECT RAISE(ABORT, 'a drawn interview cannot change'); END;
        CREATE TRIGGER visit_interviews_no_delete BEFORE DELETE ON visit_interviews
            BEGIN SELECT RAISE(ABORT, 'a drawn interview cannot change'); END;
        CREATE TRIGGER interview_answers_locked_insert BEFORE INSERT ON interview_answers
            WHEN (SELECT status FROM visits WHERE id = NEW.visit_id) = 'locked'
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER interview_answers_locked_update BEFORE UPDATE ON interview_answers
            WHEN (SELECT status FROM visits WHERE id = OLD.visit_id) = 'locked'
              OR NEW.question_code IS NOT OLD.question_code OR NEW.position IS NOT OLD.position
              OR NEW.visit_id IS NOT OLD.visit_id
            BEGIN SELECT RAISE(ABORT, 'visit is locked'); END;
        CREATE TRIGGER interview_answers_no_delete BEFORE DELETE ON interview_answers
            BEGIN SELECT RAISE(ABORT, 'a drawn interview cannot change'); END;
        """
    )


@migrations(name="0019_plans")
def plans(db):
    """実施計画: section groups, auditor teams (two people) and planned visit counts per month; never a date or a person."""
    db.executescript(
        """
        CREATE TABLE plan_groups (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (campaign_id, name)
        );
        -- A section is planned in one group per campaign.
        CREATE TABLE plan_group_sections (
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            section_id INTEGER NOT NULL REFERENCES sections(id),
            group_id INTEGER NOT NULL REFERENCES plan_groups(id),
            PRIMARY KEY (campaign_id, section_id)
        );
        CREATE INDEX plan_group_sections_group ON plan_group_sections(group_id);
        CREATE TABLE audit_teams (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            name TEXT NOT NULL,
            first_user_id INTEGER NOT NULL REFERENCES users(id),
            second_user_id INTEGER NOT NULL REFERENCES users(id),
            -- Each member's home section (auditor accounts carry none), so a team of one section can be warned of.
            first_section_id INTEGER REFERENCES sections(id),
            second_section_id INTEGER REFERENCES sections(id),
            created_at TEXT NOT NULL,
            UNIQUE (campaign_id, name),
            CHECK (first_user_id <> second_user_id)
        );
        -- How many visits of one kind a group gets in one month (1-12), and which team goes: counts and windows only.
        CREATE TABLE plan_rows (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            group_id INTEGER NOT NULL REFERENCES plan_groups(id),
            subject_kind TEXT NOT NULL CHECK (subject_kind IN ('person', 'section', 'contract')),
            month INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
            planned INTEGER NOT NULL CHECK (planned >= 0),
            team_id INTEGER REFERENCES audit_teams(id),
            updated_at TEXT NOT NULL,
            UNIQUE (campaign_id, group_id, subject_kind, month)
        );
        CREATE INDEX plan_rows_team ON plan_rows(team_id);
        """
    )


@migrations(name="0020_followup_reminders")
def followup_reminders(db):
    """Escalation steps fired once per follow-up, who has read them, numbered 督促通知, and users' e-mail addresses."""
    db.executescript(
        """
        -- One row per escalation step fired for a follow-up: `flask remind` inserts each step once.
        -- section_id is the follow-up's, copied so each inbox reads its own rows without a join.
        CREATE TABLE followup_reminders (
            id INTEGER PRIMARY KEY,
            followup_id INTEGER NOT NULL REFERENCES followups(id),
            section_id INTEGER NOT NULL REFERENCES sections(id),
            days INTEGER NOT NULL CHECK (days >= 0),          -- days after the due date (the step)
            recipient TEXT NOT NULL CHECK (recipient IN ('section_head', 'admin', 'soumu')),
            fires_on TEXT NOT NULL,                           -- the working day the step became due
            created_at TEXT NOT NULL,
            mailed_at TEXT,                                   -- when the e-mail left, if one was sent
            UNIQUE (followup_id, days, recipient)
        );
        CREATE INDEX followup_reminders_inbox ON followup_reminders(recipient, section_id);
        -- Read per user: two admins each keep their own unread count.
        CREATE TABLE reminder_reads (
            reminder_id INTEGER NOT NULL REFERENCES followup_reminders(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            read_at TEXT NOT NULL,
            PRIMARY KEY (reminder_id, user_id)
        ) WITHOUT ROWID;
        -- 督促通知: each print is a document with its own number within the fiscal year.
        CREATE TABLE followup_notices (
            id INTEGER PRIMARY KEY,
            fiscal_year INTEGER NOT NULL,
            number INTEGER NOT NULL CHECK (number > 0),
            section_id INTEGER NOT NULL REFERENCES sections(id),
            issued_on TEXT NOT NULL,
            issued_by INTEGER REFERENCES users(id),
            followup_ids TEXT NOT NULL,                       -- JSON list: what the notice listed
            created_at TEXT NOT NULL,
            UNIQUE (fiscal_year, number)
        );
        -- Where `flask remind` sends a step's e-mail (optional; nothing is sent without one).
        ALTER TABLE users ADD COLUMN email TEXT;
        """
    )


@migrations(name="0021_test_results_and_absence", transactional=False)
def test_results_and_absence(db):
    """Understanding-test attempts, follow-ups no visit opened (a failed test), and the self-check's absence marker."""
    # The same rebuild as 0017: foreign keys off, one transaction, a full foreign_key_check before commit.
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():
            _test_results_and_absence(db)
            if db.execute("PRAGMA foreign_key_check").fetchall():
                raise sqlite3.IntegrityError("FOREIGN KEY constraint failed after widening follow-ups")
    finally:
        db.execute("PRAGMA foreign_keys = ON")


def _test_results_and_absence(db):
    """The body of step 0021, inside its transaction."""
    db.execute(
        """
        CREATE TABLE test_attempts (
            id INTEGER PRIMARY KEY,
            staff_id INTEGER NOT NULL REFERENCES staff(id),
            test_name TEXT NOT NULL,
            taken_on TEXT NOT NULL,
            score INTEGER,
            passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
            import_id INTEGER REFERENCES imports(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            -- One attempt per person, test and day: the latest attempt decides, so a day must order them.
            UNIQUE (staff_id, test_name, taken_on)
        )
        """
    )
    db.execute("CREATE INDEX test_attempts_test ON test_attempts(test_name, staff_id)")
    # 病休・休職・育休・産休・長期研修・その他不在: a row with no answers, counted apart from 未回答.
    db.execute("ALTER TABLE selfcheck_responses ADD COLUMN absence TEXT CHECK (absence IS NULL OR absence IN"
               " ('sick_leave', 'leave_of_absence', 'childcare_leave', 'maternity_leave', 'long_training', 'other'))")
    db.execute(
        f"""
        CREATE TABLE followups_tests (
            id INTEGER PRIMARY KEY,
            visit_id INTEGER REFERENCES visits(id),  -- NULL: opened by a failed test, not by a visit
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            section_id INTEGER NOT NULL REFERENCES sections(id),
            staff_id INTEGER REFERENCES staff(id),
            check_code TEXT NOT NULL,
            check_title TEXT NOT NULL,
            severity TEXT NOT NULL CHECK (severity IN ('nonconformity', 'major')),
            finding TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'reported', 'closed', 'withdrawn')),
            due_on TEXT NOT NULL,
            report TEXT NOT NULL DEFAULT '',
            reported_by INTEGER REFERENCES users(id),
            reported_at TEXT,
            report_photo TEXT,
            report_thumb TEXT,
            report_photo_sha256 TEXT,
            confirmation TEXT NOT NULL DEFAULT '',
            confirmed_by INTEGER REFERENCES users(id),
            confirmed_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            employment TEXT,
            kind TEXT NOT NULL DEFAULT 'check' CHECK (kind IN ('check', 'knowledge', 'test')),
            test_name TEXT,                     -- kind 'test': the test whose later pass completes it
            closed_by_attempt INTEGER REFERENCES test_attempts(id),  -- the passing attempt that completed it
            CHECK ((visit_id IS NULL) = (kind = 'test')),
            CHECK (kind <> 'test' OR (test_name IS NOT NULL AND staff_id IS NOT NULL)),
            UNIQUE (visit_id, check_code)
        )
        """
    )
    columns = FOLLOWUP_COLUMNS + ", kind"
    db.execute(f"INSERT INTO followups_tests ({columns}) SELECT {columns} FROM followups")
    db.execute("DROP TABLE followups")
    db.execute("PRAGMA legacy_alter_table = ON")
    db.execute("ALTER TABLE followups_tests RENAME TO followups")
    db.execute("PRAGMA legacy_alter_table = OFF")
    db.execute("CREATE INDEX followups_section ON followups(section_id, state)")
    db.execute("CREATE INDEX followups_staff ON followups(staff_id)")
    db.execute("CREATE INDEX followups_employment ON followups(campaign_id, employment, state)")


def apply(db):
    """Bring the database schema up to date; a no-op when it already is."""
    migrations.apply(db)

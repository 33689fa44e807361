"""Deny by default: every route's audience, CSRF on every state change, strict headers."""
from pathlib import Path

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from spotcheck import create_app, migrations
from spotcheck.db import connect

ALL = {"admin", "auditor", "section_head", "viewer"}
PUBLIC = "public"
# Every route and who may use it. A new route must be added here, or test_every_route_is_declared fails.
AUDIENCE = {
    "auth.login": PUBLIC,
    "auth.language": PUBLIC,
    "auth.logout": ALL,
    "main.index": ALL,
    "admin.campaign_list": {"admin"},
    "admin.report_texts": {"admin"},
    "admin.import_form": {"admin"},
    "admin.import_preview": {"admin"},
    "admin.import_confirm": {"admin"},
    "admin.user_list": {"admin"},
    "admin.user_active": {"admin"},
    "admin.user_password": {"admin"},
    "staff.staff_list": {"admin", "auditor", "section_head"},
    "staff.staff_detail": {"admin", "auditor", "section_head"},
    "staff.section_list": {"admin", "auditor"},
    "contracts.contract_list": {"admin", "auditor"},
    "comprehension.not_passed": {"admin", "auditor"},
    # Visits and draws are for the audit team only, so nothing leaks to a section before the visit.
    "visits.visit_list": {"admin", "auditor"},
    "visits.choose_person": {"admin", "auditor"},
    "visits.draw_section": {"admin", "auditor"},
    "visits.draw_person": {"admin", "auditor"},
    "visits.draw_record": {"admin", "auditor"},
    "visits.start": {"admin", "auditor"},
    "subjects.choose": {"admin", "auditor"},
    "subjects.draw_subject": {"admin", "auditor"},
    "subjects.start": {"admin", "auditor"},
    "visits.visit": {"admin", "auditor"},
    "visits.save_change": {"admin", "auditor"},
    "visits.upload_photo": {"admin", "auditor"},
    "visits.remove_photo": {"admin", "auditor"},
    "visits.photo": {"admin", "auditor"},
    "visits.sign": {"admin", "auditor"},
    "visits.service_worker": {"admin", "auditor"},
    "visits.amend": {"admin", "auditor"},
    "visits.add_auditor": {"admin", "auditor"},
    "visits.log": {"admin"},
    # The interview's verdicts and its question draw: the audit team, like the walk itself.
    "interview.save_answer": {"admin", "auditor"},
    "interview.draw_record": {"admin", "auditor"},
    # 実施計画: the audit team reads it; only the audit lead changes it. Never section heads or viewers.
    "plans.index": {"admin", "auditor"},
    "plans.save_group": {"admin"},
    "plans.delete_group": {"admin"},
    "plans.save_row": {"admin"},
    "plans.save_team": {"admin"},
    "plans.delete_team": {"admin"},
    "sheets.visit_sheet": {"admin", "auditor"},
    "sheets.batch": {"admin"},
    # Anyone holding the paper may verify it; the page shows no personal data.
    "verify.verify_form": PUBLIC,
    "verify.verify_serial": PUBLIC,
    # A section head works on their own section's follow-ups (the views narrow it further).
    "followups.followup_list": {"admin", "auditor", "section_head"},
    "followups.followup_detail": {"admin", "auditor", "section_head"},
    "followups.photo": {"admin", "auditor", "section_head"},
    "followups.report": {"admin", "section_head"},
    "followups.confirm": {"admin", "auditor"},
    "inbox.inbox": {"admin", "section_head", "viewer"},
    "inbox.mark_read": {"admin", "section_head", "viewer"},
    "inbox.notice": {"admin", "auditor"},
    # Aggregates: viewers too, with small cells hidden; exports with names are refused inside the view.
    "reports.dashboard": {"admin", "auditor", "viewer"},
    "reports.council_report": {"admin", "auditor", "viewer"},
    "reports.export": {"admin", "auditor", "viewer"},
    # Who did what is for the audit lead only: the log names people and what they looked at.
    "trail.audit_trail": {"admin"},
    "trail.audit_csv": {"admin"},
    # チェックリスト編集: only the audit lead changes what every auditor checks.
    "forms_editor.index": {"admin"},
    "forms_editor.new_check": {"admin"},
    "forms_editor.edit_check": {"admin"},
    "forms_editor.split_check": {"admin"},
    "forms_editor.move_check": {"admin"},
    "forms_editor.delete_check": {"admin"},
    "forms_editor.preview_check": {"admin"},
    "forms_editor.edit_item": {"admin"},
    "forms_editor.edit_toml": {"admin"},
    "forms_editor.save": {"admin"},
    "forms_editor.discard": {"admin"},
    # 管理外機器台帳: the audit team records and moves devices on; a section head reads their own section's (the
    # views narrow it); a viewer gets only the counts, on the dashboard.
    "devices.register": {"admin", "auditor", "section_head"},
    "devices.detail": {"admin", "auditor", "section_head"},
    "devices.photo": {"admin", "auditor", "section_head"},
    "devices.set_status": {"admin", "auditor"},
    "devices.edit": {"admin", "auditor"},
    "devices.export": {"admin", "auditor", "section_head"},
    "devices.new": {"admin", "auditor"},
    "devices.create": {"admin", "auditor"},
    "devices.start_sweep": {"admin", "auditor"},
    "devices.sweep": {"admin", "auditor"},
    "devices.finish_sweep": {"admin", "auditor"},
}


def routes(app):
    """(endpoint, method, url) for every route, with sample values for its arguments."""
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        values = {arg: sample(rule._converters[arg]) for arg in rule.arguments}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, adapter.build(rule.endpoint, values, method=method)


def sample(converter):
    """A value the converter accepts: 1 for ints, the first choice for any(), else a token-like string."""
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "a" * 24


def test_every_route_is_declared(app):
    assert {endpoint for endpoint, _, _ in routes(app)} == set(AUDIENCE)


@pytest.mark.parametrize("role", [None, *sorted(ALL)])
def test_role_matrix(app, client, login, city, role):
    if role:
        login(role, section_code="0101" if role == "section_head" else None)
    for endpoint, method, url in routes(app):
        audience = AUDIENCE[endpoint]
        response = client.open(url, method=method, data={})
        allowed = audience == PUBLIC or (role is not None and role in audience)
        where = f"{role} {method} {url} → {response.status_code}"
        if allowed:
            # A public page may answer 401 itself (a failed login); the gate never refuses it.
            assert response.status_code != 403 and (audience == PUBLIC or response.status_code != 401), where
            assert "/login" not in response.headers.get("Location", "") or endpoint.startswith("auth."), where
        elif role is None:
            assert response.status_code in (302, 401), where
            if response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), where
        else:
            assert response.status_code == 403, where
        if endpoint == "auth.logout" and allowed and role:
            login(role, username=f"{role}-again", section_code="0101" if role == "section_head" else None)


@pytest.fixture
def csrf_app(tmp_path, monkeypatch):
    monkeypatch.setenv("SPOTCHECK_INSTANCE", str(tmp_path / "instance"))
    app = create_app({"TESTING": True})
    db = connect(app.config["DATABASE"])
    migrations.apply(db)
    db.close()
    return app


def test_every_state_change_needs_a_csrf_token(csrf_app):
    client = csrf_app.test_client()
    for endpoint, method, url in routes(csrf_app):
        if method != "GET":
            response = client.open(url, method=method, data={})
            assert response.status_code == 400, f"{method} {url}"
            assert "画面の有効期限が切れました" in response.get_data(as_text=True)


def test_pages_carry_strict_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_load_nothing_from_other_sites(client, login, city):
    login("admin")
    for url in ("/", "/staff", "/admin/imports", "/admin/users", "/admin/campaigns", "/sections"):
        html = client.get(url).get_data(as_text=True)
        assert "http://" not in html.replace("http://localhost", "") and "https://" not in html, url


def test_secret_key_is_generated_per_instance_and_not_in_code(app):
    key_file = Path(app.instance_path) / "secret_key"
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(app.config["SECRET_KEY"]) == 64

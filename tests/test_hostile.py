"""Hostile requests at every route of the URL map: each gets a 4xx answer, never a 500."""
import io
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotcheck import signatures, visits
from tests.factories import signature_url

HUGE = (2**63, 2**64, 10**40)
JUNK_TEXT = ("\x07\x0b", "\u202eevil", "x" * 5000, "../../etc/passwd", "'; DROP TABLE users; --", "%00")
QUERY = {"campaign": str(2**64), "section": str(2**63), "employment": "<script>", "day": "2024-99-99",
         "q": "\u202e" * 3, "page": str(10**30), "edition": "x" * 100, "sections": "all"}


def form_for(variant):
    """Form fields every view might read, filled with numbers SQLite cannot hold or hostile text."""
    number = str(HUGE[variant % len(HUGE)])
    text = JUNK_TEXT[variant % len(JUNK_TEXT)]
    return {"campaign_id": number, "staff_id": number, "section_id": number, "user_id": number, "reason": text,
            "name": text, "title": text, "code": text, "report": text, "note": text, "summary": text,
            "next_steps": text, "role": text, "fixed": "1", "refused": "1", "signature": "data:image/png;base64,!!",
            "active": "1", "password": text, "username": text, "fiscal_year": number, "check": text, "kind": "staff"}


def rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "auth.logout"):  # logging out would end the session the matrix runs in
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


def urls(app, rule):
    """The rule with each argument filled by hostile values (ints beyond SQLite's range, odd strings)."""
    adapter = app.url_map.bind("localhost")
    choices = []
    for name in sorted(rule.arguments):
        converter = rule._converters[name]
        if converter.__class__.__name__ == "DatabaseInt":
            choices.append([(name, n) for n in (*HUGE, 1)])
        elif getattr(converter, "items", None):  # any(thumb, full)
            choices.append([(name, sorted(converter.items)[0])])
        else:
            choices.append([(name, s) for s in ("x" * 300, "../etc", "R6")])
    for combo in itertools.product(*choices):
        yield adapter.build(rule.endpoint, dict(combo), method=None, force_external=False)


@pytest.fixture
def signed_city(db, visit, app):
    """A city with one open visit and one locked one, so that ids 1 and 2 exist everywhere."""
    from tests.factories import fill_all, sign_both
    fill_all(db, visit)
    sign_both(db, visit)
    return visit


@pytest.mark.parametrize("role", ["admin", "auditor", "viewer", None])
def test_no_route_answers_500_to_hostile_input(app, client, login, signed_city, role):
    if role:
        login(role, f"hostile-{role}")
    failures = []
    for (rule, method), variant in zip(rules(app), itertools.count()):
        for url in urls(app, rule):
            if method == "GET":
                response = client.get(url, query_string=QUERY)
            else:
                data = form_for(variant)
                data["photo"] = (io.BytesIO(b"\xff\xd8\xff" + b"\x00" * 64), "x.jpg")
                data["pdf"] = (io.BytesIO(b"%PDF-1.4 junk"), "x.pdf")
                data["file"] = (io.BytesIO(b"\xef\xbb\xbf\x00\x01"), "x.csv")
                response = client.post(url, data=data, query_string=QUERY, content_type="multipart/form-data")
            if response.status_code >= 500:
                failures.append((method, url, response.status_code))
    assert failures == []


@pytest.mark.parametrize("body", [
    [], ["key"], "text", 12, None, {"key": 5}, {"key": ["a"], "field": "result"},
    {"key": "k" * 20, "field": ["result"], "value": "ok", "check": "clear_desk"},
    {"key": "k" * 20, "field": "result", "value": {"a": 1}, "check": "clear_desk"},
    {"key": "k" * 20, "field": "result", "value": "ok", "check": 7},
    {"key": "k" * 20, "field": "result", "value": "ok", "check": "clear_desk", "changed_at": 12},
    {"key": "k" * 20, "field": "remark", "value": "\x07鳴る", "check": "clear_desk"},
])
def test_autosave_of_the_wrong_shape_is_a_clear_4xx(client, login, db, visit, body):
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "tablet"))
    response = client.post(f"/visits/{visit['id']}/changes", json=body)
    assert 400 <= response.status_code < 500 and response.get_json()["error"]
    assert db.execute("SELECT count(*) FROM visit_results").fetchone()[0] == 0


def test_a_signature_claiming_a_giant_canvas_is_refused(db, visit):
    import base64
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 6, 0, 0, 0))
    png = b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\x00" * 10)) + chunk(b"IEND", b"")
    with pytest.raises(visits.VisitError):
        signatures.signature_png("data:image/png;base64," + base64.b64encode(png).decode())


@pytest.mark.parametrize("reason, message", [("x" * 201, "200 文字以内"), ("理由\x07", "制御文字")])
def test_a_refusal_reason_is_held_to_its_limit_on_the_server(db, visit, reason, message):
    from tests.factories import fill_all
    fill_all(db, visit)
    with pytest.raises(visits.VisitError, match=message):
        signatures.sign(db, visit["id"], visit["auditor"], role="auditee", name="鈴木 一郎", refused=True,
                        reason=reason)
    signatures.sign(db, visit["id"], visit["auditor"], role="auditor", name="監査", data_url=signature_url())


@pytest.mark.parametrize("sqlite_says, shown, status", [
    ("database or disk is full", "ディスクの空きがありません", 503),
    ("attempt to write a readonly database", "書き込みできません", 503),
    ("no such table: nothing", "サーバーでエラーが起きました", 500),
])
def test_a_full_or_read_only_disk_is_a_japanese_503_on_a_page_that_needs_no_database(
        client, login, monkeypatch, city, sqlite_says, shown, status):
    import sqlite3

    from spotcheck import aggregates

    login("admin")

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError(sqlite_says)

    monkeypatch.setattr(aggregates, "dashboard", broken)
    response = client.get("/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == status and shown in page
    assert "ログアウト" not in page  # the plain page: no menus, no login state, nothing that reads the database


# ---------------------------------------------------------------- property-based: arbitrary input

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
autosave_bodies = json_values | st.fixed_dictionaries(
    {"key": json_values | st.text(alphabet="abc123_-", min_size=16, max_size=64),
     "field": json_values | st.sampled_from(["result", "remark", "comment"]),
     "value": json_values | st.sampled_from(["ok", "major", "", "\x00"]),
     "check": json_values | st.sampled_from(["clear_desk", "wire_lock", "counter_visibility"]),
     "changed_at": json_values | st.sampled_from(["9999-12-31T23:59:59.000Z", "2026-11-30T00:00:00.000Z"])})
FORM_FIELDS = sorted(form_for(0))
form_values = st.one_of(st.text(max_size=300), st.integers().map(str), st.sampled_from([str(2**63), "-1", "", "\u202e"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=autosave_bodies)
def test_any_json_sent_to_autosave_is_answered_without_500_and_stores_only_what_is_valid(client, login, db, visit,
                                                                                       body):
    if not getattr(client, "fuzz_logged_in", False):  # Hypothesis runs many examples in one test's fixtures
        visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "fuzz"))
        client.fuzz_logged_in = True
    before = db.execute("SELECT count(*) FROM visit_results").fetchone()[0]
    response = client.post(f"/visits/{visit['id']}/changes", json=body)
    assert response.status_code < 500
    if response.status_code != 200:
        assert db.execute("SELECT count(*) FROM visit_results").fetchone()[0] == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_form_sent_to_any_route_is_answered_without_500(app, client, login, signed_city, data):
    if not getattr(client, "fuzz_logged_in", False):
        login("admin", "fuzz-admin")
        client.fuzz_logged_in = True
    rule, method = data.draw(st.sampled_from(list(rules(app))))
    url = data.draw(st.sampled_from(list(urls(app, rule))))
    form = data.draw(st.dictionaries(st.sampled_from(FORM_FIELDS), form_values, max_size=8))
    if method == "GET":
        response = client.get(url, query_string=form)
    else:
        response = client.post(url, data=form)
    assert response.status_code < 500, (method, url, form)


def test_anyone_may_verify_but_not_flood_the_page_nor_send_a_huge_body(client, app):
    app.config["PUBLIC_REQUESTS_PER_MINUTE"] = 5
    answers = [client.get("/verify").status_code for _ in range(7)]
    assert answers[:5] == [200] * 5 and answers[5:] == [429, 429]
    app.config["PUBLIC_REQUESTS_PER_MINUTE"] = 1000
    # The announced length is enough: the body is refused before a byte of it is read.
    huge = client.post("/verify", data=b"--x\r\n", content_type="multipart/form-data; boundary=x",
                       environ_overrides={"CONTENT_LENGTH": str(6 * 2**20)})
    assert huge.status_code == 413 and "上限 5 MB" in huge.get_data(as_text=True)


def test_the_browser_limits_are_the_servers(client, login, db, visit):
    """Every maxlength the tablet sees is the limit the server enforces for that field."""
    from spotcheck.views import TEXT_LIMITS

    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("admin", "lead-admin"))
    page = client.get(f"/visits/{visit['id']}").get_data(as_text=True)
    assert f'maxlength="{TEXT_LIMITS["remark"]}"' in page and f'maxlength="{TEXT_LIMITS["comment"]}"' in page
    assert f'maxlength="{TEXT_LIMITS["title"]}"' in client.get("/admin/campaigns").get_data(as_text=True)

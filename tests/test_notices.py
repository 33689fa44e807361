"""督促通知: an A4 PDF to the section head listing the section's overdue follow-ups, numbered, in 和暦."""
import shutil
import subprocess
from datetime import datetime

import pytest

from spotcheck import audit, clock, trail
from tests.factories import overdue_followup

TODAY = datetime(2026, 12, 1, 10, tzinfo=clock.TIMEZONE)


@pytest.fixture
def overdue(db, visit, city, monkeypatch):
    """A 重大 follow-up of 鈴木 一郎 (総務課) due 2026-11-02, and the app's clock on 2026-12-01."""
    row = overdue_followup(db, visit, "2026-11-02")
    monkeypatch.setattr(clock, "now", lambda: TODAY)
    return row


def pdf_text(data, tmp_path):
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    return subprocess.run([shutil.which("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_notice_lists_the_sections_overdue_follow_ups(client, db, overdue, login, tmp_path):
    login("admin")
    response = client.post("/followups/notice.pdf", data={"section": overdue["section_id"]})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (tmp_path.parent / "notice-sample.pdf").write_bytes(response.data)  # kept for a look with pdftoppm
    text = pdf_text(response.data, tmp_path)
    for expected in ("情政第1号", "令和8年12月1日", "総務課（0101）", "所属長", "情報政策課長",
                     "改善報告について（督促）", "記", "鈴木 一郎", "令和8年11月2日", "29日", "以上 1 件"):
        assert expected in text, expected
    listing = subprocess.run([shutil.which("pdffonts"), str(tmp_path / "notice.pdf")], capture_output=True,
                             text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    assert {row[0].split("+")[-1] for row in rows} == {"IPAexGothic", "IPAexMincho"}, listing  # no Helvetica
    assert all(row[-5] == "yes" for row in rows), listing  # embedded
    [entry] = [e for e in audit.entries(db, "notice", 1)]
    assert trail.action_label("notice", entry["action"]) == "督促通知を発行"


def test_each_print_takes_the_next_number_of_the_fiscal_year(client, db, overdue, login, tmp_path):
    login("admin")
    client.post("/followups/notice.pdf", data={})
    second = client.post("/followups/notice.pdf", data={})  # no section chosen: every section with overdue ones
    assert "情政第2号" in pdf_text(second.data, tmp_path)
    numbers = [tuple(r) for r in db.execute("SELECT fiscal_year, number FROM followup_notices ORDER BY id")]
    assert numbers == [(2026, 1), (2026, 2)]


def test_nothing_overdue_prints_nothing_and_says_why(client, db, overdue, login):
    db.execute("UPDATE followups SET state = 'reported'")
    db.conn.commit()
    login("admin")
    response = client.post("/followups/notice.pdf", data={}, follow_redirects=True)
    assert "督促通知は作成していません" in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM followup_notices").fetchone()[0] == 0


def test_the_print_button_is_on_the_follow_up_list_for_the_audit_team_only(client, overdue, login):
    login("auditor", "auditor-2")
    assert "督促通知を印刷" in client.get("/followups").get_data(as_text=True)
    client.post("/logout")
    login("section_head", section_code="0101")
    assert "督促通知を印刷" not in client.get("/followups").get_data(as_text=True)
    assert client.post("/followups/notice.pdf", data={}).status_code == 403

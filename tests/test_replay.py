"""The tablet's offline queue resends photos, removals and signatures: each is applied once, whatever the repeats."""
import io
from pathlib import Path

from PIL import Image

from spotcheck import visits
from tests.factories import fill_all, signature_url

KEY_PHOTO, KEY_AUDITOR, KEY_AUDITEE = "p" * 32, "a" * 32, "b" * 32


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (1600, 1200), (90, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def send_photo(client, visit_id, key, check="external_media"):
    return client.post(f"/visits/{visit_id}/photos", content_type="multipart/form-data",
                       data={"check": check, "key": key, "photo": (io.BytesIO(jpeg()), "photo.jpg")})


def send_signature(client, visit_id, key, role, name):
    return client.post(f"/visits/{visit_id}/sign", json={"key": key, "role": role, "name": name,
                                                        "signature": signature_url(), "refused": False})


def test_a_photo_sent_twice_under_one_key_is_stored_once(client, login, db, visit, app):
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "camera"))
    first, again = (send_photo(client, visit["id"], KEY_PHOTO) for _ in range(2))
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    assert db["photos"].count == 1
    # The repeat's processed copy is not left behind: one photo and its thumbnail on disk.
    assert len(list((Path(app.instance_path) / "photos").rglob("*.jpg"))) == 2
    # The same key for another check is a different request: refused, nothing added.
    clash = send_photo(client, visit["id"], KEY_PHOTO, check="clear_desk")
    assert clash.status_code == 409 and db["photos"].count == 1


def test_a_removal_sent_again_is_harmless(client, login, db, visit):
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "camera"))
    photo_id = send_photo(client, visit["id"], KEY_PHOTO).get_json()["id"]
    for _ in range(2):
        response = client.post(f"/visits/{visit['id']}/photos/{photo_id}/remove")
        assert response.status_code == 200 and response.get_json() == {"removed": photo_id}
    assert db.execute("SELECT count(*) FROM photos WHERE deleted_at IS NULL").fetchone()[0] == 0
    assert client.post(f"/visits/{visit['id']}/photos/{photo_id + 1}/remove").status_code == 422


def test_signatures_resent_after_the_lock_get_the_same_answer_and_issue_one_sheet(client, login, db, visit):
    fill_all(db, visit)
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "signer"))
    first = send_signature(client, visit["id"], KEY_AUDITOR, "auditor", "監査 太郎")
    assert first.status_code == 200 and first.get_json()["locked"] is False
    second = send_signature(client, visit["id"], KEY_AUDITEE, "auditee", "鈴木 一郎")
    assert second.get_json() == {"locked": True, "role": "auditee", "record": f"/visits/{visit['id']}"}
    # The network dropped before the answers arrived: the tablet sends both again, after the lock.
    assert send_signature(client, visit["id"], KEY_AUDITOR, "auditor", "監査 太郎").get_json()["locked"] is False
    assert send_signature(client, visit["id"], KEY_AUDITEE, "auditee", "鈴木 一郎").get_json()["locked"] is True
    assert db.execute("SELECT count(*) FROM signatures WHERE visit_id = ?", [visit["id"]]).fetchone()[0] == 2
    assert db.execute("SELECT count(*) FROM sheets WHERE visit_id = ?", [visit["id"]]).fetchone()[0] == 1
    assert visits.get_visit(db, visit["id"])["status"] == "locked"
    # A new signature after the lock (a new key) is refused as before.
    late = send_signature(client, visit["id"], "c" * 32, "auditor", "監査 太郎")
    assert late.status_code == 409


def test_a_signature_without_a_key_or_before_the_results_is_refused(client, login, db, visit):
    visits.add_co_auditor(db, visit["id"], visit["auditor"], login("auditor", "signer"))
    assert send_signature(client, visit["id"], None, "auditor", "監査 太郎").status_code == 422
    early = send_signature(client, visit["id"], KEY_AUDITOR, "auditor", "監査 太郎")
    assert early.status_code == 422 and "未入力" in early.get_json()["error"]
    assert db.execute("SELECT count(*) FROM idempotency_keys WHERE key = ?", [KEY_AUDITOR]).fetchone()[0] == 0


def test_the_service_worker_is_served_from_the_root_to_the_audit_team_only(client, login):
    assert client.get("/sw.js").status_code == 302  # to the login page
    login("auditor", "tablet")
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert b"networkFirst" in response.data

"""After a crash: half-written files removed, files without a record put aside, nothing recorded touched."""
import os
import time
from pathlib import Path

import pytest

from spotcheck import photos, sweep
from tests.factories import jpeg

pytestmark = pytest.mark.usefixtures("city")


def aged(path, seconds=120):
    """Make a file look as old as a crash a while ago."""
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def test_a_sweep_removes_old_parts_and_quarantines_what_no_record_knows(app, db, issued, client, login, runner):
    visit, serial = issued
    instance = Path(app.instance_path)
    login("auditor", "printer")
    assert client.get(f"/visits/{visit['id']}/sheet.pdf").status_code == 200  # a recorded sheet file
    kept = sorted(p.name for p in (instance / "photos").iterdir())
    old_part = instance / "photos" / ".abc.part"
    old_part.write_bytes(b"half")
    aged(old_part)
    fresh_part = instance / "sheets" / ".R6-0002.part"
    fresh_part.write_bytes(b"being written right now")
    orphan = instance / "photos" / "orphan.jpg"
    orphan.write_bytes(jpeg())
    aged(orphan)
    unrecorded = instance / "sheets" / "R6-0099.pdf"
    unrecorded.write_bytes(b"%PDF-1.4 never recorded")
    aged(unrecorded)
    for path in (instance / "photos").iterdir():
        if not path.name.startswith("."):
            aged(path)
    aged(instance / "sheets" / f"{serial}.pdf")

    result = runner.invoke(args=["sweep"])
    assert result.exit_code == 0
    assert not old_part.exists() and fresh_part.exists()
    assert (instance / "quarantine" / "photos" / "orphan.jpg").exists()
    assert (instance / "quarantine" / "sheets" / "R6-0099.pdf").exists()
    assert sorted(p.name for p in (instance / "photos").iterdir() if not p.name.startswith(".")) == kept
    assert (instance / "sheets" / f"{serial}.pdf").exists()  # recorded and matching: untouched
    assert "quarantine/" in result.output
    assert runner.invoke(args=["verify-chain"]).exit_code == 0


def test_a_photo_stored_a_moment_ago_is_left_for_its_row(app, db):
    instance = Path(app.instance_path)
    stored = photos.process(jpeg(), instance / "photos")  # the row is written right after this
    assert sweep.sweep(db, instance).quarantined == ()
    assert (instance / "photos" / stored.name).exists()


def test_a_tampered_sheet_file_is_put_aside_and_printed_again(app, db, issued, client, login):
    visit, serial = issued
    instance = Path(app.instance_path)
    login("auditor", "printer")
    first = client.get(f"/visits/{visit['id']}/sheet.pdf").data
    path = instance / "sheets" / f"{serial}.pdf"
    path.write_bytes(first.replace(b"%%EOF", b"%%EOF\n% edited"))
    aged(path)
    assert sweep.sweep(db, instance).quarantined == (f"sheets/{serial}.pdf",)
    assert client.get(f"/visits/{visit['id']}/sheet.pdf").status_code == 200 and path.exists()


def test_nothing_to_do_says_so(app, db):
    assert sweep.sweep(db, app.instance_path).lines() == ["書きかけのファイルや、記録にないファイルはありませんでした。"]


def test_the_start_up_sweep_does_not_rehash_every_issued_sheet(app, db, issued, client, login):
    visit, serial = issued
    instance = Path(app.instance_path)
    login("auditor", "printer")
    client.get(f"/visits/{visit['id']}/sheet.pdf")
    path = instance / "sheets" / f"{serial}.pdf"
    path.write_bytes(path.read_bytes() + b"\n% edited")
    aged(path)
    assert sweep.sweep(db, instance, hash_sheets=False).quarantined == ()  # only `flask sweep` hashes them

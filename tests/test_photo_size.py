"""Stored photos sized for evidence and paper: a sheet with 6 camera-like photos stays ≤ 1.5 MB (issue 11)."""
import io

import pytest
from PIL import Image, JpegImagePlugin

from bench.photo_sizes import TARGET_SHEET_BYTES, camera_uploads, sheet_with
from spotcheck import fonts as sheet_fonts
from spotcheck import photos


@pytest.fixture(scope="module")
def uploads():
    """Six distinct 4000×3000 camera-like JPEGs (about 4.3 MB each): generated once, they take a few seconds."""
    return camera_uploads(6)


@pytest.fixture(scope="module")
def fonts():
    return sheet_fonts.register_fonts()


def test_the_test_photos_are_camera_like_not_flat(uploads):
    for data in uploads:
        with Image.open(io.BytesIO(data)) as im:
            assert im.size == (4000, 3000) and im.getexif()[0x0112] == 6
        assert len(data) > 3_500_000  # a flat or gradient picture of this size is a few hundred kB


def test_a_sheet_with_six_camera_photos_is_at_most_1_5_mb(uploads, fonts, tmp_path):
    stored, pdf = sheet_with(uploads, tmp_path, fonts)
    assert len(pdf) <= TARGET_SHEET_BYTES, f"{len(pdf):,} bytes"
    for photo in stored:
        assert (photo.width, photo.height) == (1200, 1600)  # long side 1600, turned upright
        assert photo.size <= 230_000
        with Image.open(tmp_path / photo.name) as im:
            assert not im.getexif() and "icc_profile" not in im.info  # EXIF (with its GPS) stays stripped


def test_the_old_quality_would_not_fit_so_the_measure_is_real(uploads, fonts, tmp_path):
    _stored, pdf = sheet_with(uploads, tmp_path, fonts, quality=85)
    assert len(pdf) > TARGET_SHEET_BYTES  # issue 11 measured 2.45 MB at quality 85 with real camera photos


def test_a_camera_photo_is_still_decoded_at_reduced_scale(uploads, monkeypatch, tmp_path):
    requested = []
    draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        requested.append(size)
        return draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    photos.process(uploads[0], tmp_path)
    assert requested[0] == (1600, 1200)  # the request before decoding; libjpeg decodes at 1/2 scale: 2000×1500, not 12 megapixels

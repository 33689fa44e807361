"""Evidence photos: what is stored for a real camera photo, every hostile upload refused with nothing left behind,
and a smoke run of the photo benchmark."""
import ast
import hashlib
import io
import json
import os
import re
import struct
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageFile, PngImagePlugin

from bench import photos as bench_photos
from spotcheck import photos
from spotcheck.photos import PhotoError

ORIENTATION, GPS_IFD = 0x0112, 0x8825
RED, BLUE = (255, 0, 0), (0, 0, 255)


# --- inputs, all generated here ------------------------------------------------------------------------


def encode(im, fmt="JPEG", **params):
    """`im` saved in `fmt`, as bytes."""
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def camera_exif(orientation):
    """EXIF as a phone writes it: make, orientation and a GPS position (the city hall's)."""
    exif = Image.Exif()
    exif[0x010F] = "SpotCam"
    exif[ORIENTATION] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (35.0, 41.0, 22.0), 3: "E", 4: (139.0, 41.0, 30.0)})
    return exif


def noise_jpeg(size=(400, 300), **params):
    """A JPEG of random pixels, so its data spans the whole file."""
    return encode(Image.effect_noise(size, 80).convert("RGB"), quality=90, **params)


def png_header_only(width, height, *, level=1):
    """A real, valid 1-bit PNG of width×height zeros: megapixels in a file of a few kilobytes."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    packer, row = zlib.compressobj(level), bytes(1 + (width + 7) // 8)  # filter byte + packed pixels
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg_claiming(width, height):
    """A small real JPEG whose frame header is rewritten to claim width×height."""
    data = bytearray(encode(Image.new("RGB", (16, 16), "gray")))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_segments(data):
    """The markers of a JPEG's segments before its image data."""
    markers, i = [], 2
    while data[i] == 0xFF and data[i + 1] != 0xDA:
        markers.append(data[i + 1])
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return markers


@pytest.fixture(scope="module")
def camera_photo():
    """A 4000×3000 JPEG held sideways (EXIF orientation 6) with GPS, ICC, XMP and a comment; left half red."""
    im = Image.new("RGB", (4000, 3000), BLUE)
    im.paste(RED, (0, 0, 2000, 3000))
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF/></x:xmpmeta>'
    return encode(im, quality=92, exif=camera_exif(6), icc_profile=icc, xmp=xmp, comment=b"SpotCam 1.0")


@pytest.fixture
def folder(tmp_path):
    """An existing, empty photo folder."""
    path = tmp_path / "photos"
    path.mkdir()
    return path


def close_to(pixel, colour, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))


# --- a real camera photo -------------------------------------------------------------------------------


def test_camera_photo_is_stored_upright_shrunk_and_without_metadata(camera_photo, folder):
    with Image.open(io.BytesIO(camera_photo)) as original:  # the input really carries what must go
        assert original.getexif()[ORIENTATION] == 6 and original.getexif().get_ifd(GPS_IFD)
        assert {"icc_profile", "xmp", "comment"} <= original.info.keys()

    photo = photos.process(camera_photo, folder)

    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", photo.name)
    assert photo.thumb_name == photo.name.replace(".jpg", ".thumb.jpg")
    assert sorted(p.name for p in folder.iterdir()) == sorted([photo.name, photo.thumb_name])
    stored = (folder / photo.name).read_bytes()
    assert photo.sha256 == hashlib.sha256(stored).hexdigest()
    assert photo.size == len(stored)
    with Image.open(io.BytesIO(stored)) as im:
        assert im.format == "JPEG" and im.mode == "RGB"
        assert (photo.width, photo.height) == im.size == (1200, 1600)  # portrait: orientation baked in
        assert close_to(im.getpixel((600, 300)), RED) and close_to(im.getpixel((600, 1300)), BLUE)
        assert not im.getexif() and not im.getexif().get_ifd(GPS_IFD)
        assert not {"exif", "icc_profile", "xmp", "comment"} & im.info.keys()
    assert b"Exif" not in stored and b"SpotCam" not in stored
    with Image.open(folder / photo.thumb_name) as thumb:
        assert thumb.size == (240, 320)
        assert not thumb.getexif()
    for name in (photo.name, photo.thumb_name):
        data = (folder / name).read_bytes()
        assert [m for m in jpeg_segments(data) if 0xE0 <= m <= 0xEF or m == 0xFE] == [0xE0]  # JFIF only
        if os.name == "posix":
            assert (folder / name).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "orientation, size, red_corner",
    [(1, (400, 300), (0, 0)), (3, (400, 300), (399, 299)), (6, (300, 400), (299, 0)), (8, (300, 400), (0, 399))],
)
def test_every_rotation_is_baked_in(folder, orientation, size, red_corner):
    im = Image.new("RGB", (400, 300), BLUE)
    im.paste(RED, (0, 0, 100, 75))  # the sensor's top-left corner
    photo = photos.process(encode(im, exif=camera_exif(orientation)), folder)
    with Image.open(folder / photo.name) as stored:
        assert stored.size == size  # small photos are not enlarged
        assert close_to(stored.getpixel(red_corner), RED)


def test_png_with_alpha_is_flattened_on_white(folder):
    im = Image.new("RGBA", (100, 80), (0, 0, 0, 0))
    im.paste((255, 0, 0, 255), (50, 0, 100, 80))
    photo = photos.process(encode(im, "PNG"), folder)
    with Image.open(folder / photo.name) as stored:
        assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (100, 80))
        assert close_to(stored.getpixel((10, 40)), (255, 255, 255)) and close_to(stored.getpixel((90, 40)), RED)


def test_palette_png_with_a_transparent_colour_is_flattened_on_white(folder):
    im = Image.new("P", (100, 80), 0)
    im.putpalette([0, 0, 0, 255, 0, 0])  # index 0 black but transparent, index 1 red
    im.paste(1, (50, 0, 100, 80))
    photo = photos.process(encode(im, "PNG", transparency=0), folder)
    with Image.open(folder / photo.name) as stored:
        assert close_to(stored.getpixel((10, 40)), (255, 255, 255)) and close_to(stored.getpixel((90, 40)), RED)


GENUINE = [
    ("grey-jpeg", lambda: encode(Image.new("L", (60, 40), 128)), (128, 128, 128)),
    ("16-bit-grey-png", lambda: encode(Image.new("I;16", (60, 40), 30_000), "PNG"), (117, 117, 117)),  # not clipped to white
    ("cmyk-jpeg", lambda: encode(Image.new("CMYK", (60, 40), (0, 255, 255, 0))), RED),
    # iPhones and many Android cameras write multi-picture JPEGs (a gain or depth map after the photo)
    (
        "multi-picture-jpeg",
        lambda: encode(Image.new("RGB", (60, 40), RED), "MPO", save_all=True, append_images=[Image.new("RGB", (60, 40))]),
        RED,
    ),
    # "<svg" not followed by whitespace, "/" or ">" is no tag; compressed pixel data holds such bytes by chance
    ("tag-like-bytes", lambda: encode(Image.new("RGB", (60, 40), BLUE), comment=b"<svgz <scripted <htmlx <?phpx"), BLUE),
]


@pytest.mark.parametrize("make, colour", [case[1:] for case in GENUINE], ids=[case[0] for case in GENUINE])
def test_other_genuine_photos_are_accepted(folder, make, colour):
    photo = photos.process(make(), folder)
    with Image.open(folder / photo.name) as stored:
        assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (60, 40))
        assert close_to(stored.getpixel((30, 20)), colour, tolerance=8)


def test_the_folder_is_created_when_missing(tmp_path):
    photo = photos.process(noise_jpeg(), tmp_path / "new" / "photos")
    assert (tmp_path / "new" / "photos" / photo.name).is_file()


# --- hostile and unusable uploads ------------------------------------------------------------------------

HEIC_HEADER = b"\x00\x00\x00\x1cftypheic\x00\x00\x00\x00mif1MiHEmiafheic" + bytes(64)
HOSTILE = [
    ("empty", lambda: b"", photos.EMPTY),
    ("text-named-jpg", lambda: "監査メモ: これは写真ではありません\n".encode() * 20, photos.NOT_PHOTO),
    ("svg-with-script", lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', photos.NOT_PHOTO),
    ("html", lambda: b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>", photos.NOT_PHOTO),
    ("pdf", lambda: b"%PDF-1.4\n1 0 obj <</Type/Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n", photos.NOT_PHOTO),
    ("gif", lambda: encode(Image.new("RGB", (40, 30), "red"), "GIF"), photos.NOT_PHOTO),
    ("bmp", lambda: encode(Image.new("RGB", (40, 30), "red"), "BMP"), photos.NOT_PHOTO),
    ("webp", lambda: encode(Image.new("RGB", (40, 30), "red"), "WEBP"), photos.NOT_PHOTO),
    ("tiff", lambda: encode(Image.new("RGB", (40, 30), "red"), "TIFF"), photos.NOT_PHOTO),
    ("avif-brands", lambda: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64), photos.NOT_PHOTO),
    ("heic", lambda: HEIC_HEADER, photos.HEIC),
    ("heif-mif1", lambda: b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic" + bytes(64), photos.HEIC),
    ("truncated-jpeg", lambda: (lambda d: d[: len(d) // 2])(noise_jpeg()), photos.CORRUPT),
    ("truncated-png", lambda: (lambda d: d[: len(d) // 2])(encode(Image.effect_noise((200, 150), 80), "PNG")), photos.CORRUPT),
    ("jpeg-signature-only", lambda: b"\xff\xd8\xff\xe0" + b"garbage" * 10, photos.CORRUPT),
    ("png-bomb-400-megapixels", lambda: png_header_only(20_000, 20_000), photos.TOO_MANY_PIXELS),
    ("png-48-megapixels", lambda: png_header_only(8_000, 6_000), photos.TOO_MANY_PIXELS),  # below Pillow's own limit
    ("jpeg-claiming-3-gigapixels", lambda: jpeg_claiming(60_000, 60_000), photos.TOO_MANY_PIXELS),
    ("polyglot-appended", lambda: noise_jpeg() + b"<html><script>alert(1)</script></html>", photos.SUSPICIOUS),
    ("polyglot-comment", lambda: noise_jpeg(comment=b"<HTML><SCRIPT>alert(1)</SCRIPT>"), photos.SUSPICIOUS),
    ("polyglot-svg-onload", lambda: noise_jpeg(comment=b"<svg/onload=alert(1)>"), photos.SUSPICIOUS),
    ("polyglot-php", lambda: noise_jpeg(comment=b"<?php system($_GET['c']); ?>"), photos.SUSPICIOUS),
    (
        "polyglot-png-text",
        lambda: encode(Image.new("RGB", (40, 30)), "PNG", pnginfo=_text("Comment", "<script>alert(1)</script>")),
        photos.SUSPICIOUS,
    ),
]


def _text(key, value):
    info = PngImagePlugin.PngInfo()
    info.add_text(key, value)
    return info


@pytest.mark.parametrize("make, message", [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_hostile_upload_is_refused_and_nothing_is_stored(folder, make, message):
    with pytest.raises(PhotoError) as refused:
        photos.process(make(), folder)
    assert str(refused.value) == message
    assert list(folder.iterdir()) == []


def test_over_the_size_limit_is_refused_before_anything_else(folder):
    too_big = noise_jpeg() + bytes(15 * 1024 * 1024)
    with pytest.raises(PhotoError, match=r"^写真が大きすぎます（上限 15 MB）。$"):
        photos.process(too_big, folder)
    photos.process(noise_jpeg(), folder, max_bytes=len(noise_jpeg()) + 10_000)  # the limit itself is not off by much
    assert len(list(folder.iterdir())) == 2


def test_messages_are_the_agreed_japanese_text():
    assert photos.HEIC == (
        "HEIC 形式の写真には対応していません。iPhone の場合は「設定 > カメラ > フォーマット > 互換性優先」にして撮り直してください。"
    )
    assert photos.CORRUPT == "写真のデータが途中で切れているか、壊れています。もう一度撮影してください。"
    assert photos.TOO_MANY_PIXELS == "写真の画素数が大きすぎます。"
    assert photos.SUSPICIOUS == "写真に不審なデータが含まれているため受け付けません。"


def test_pixel_cap_leaves_pillow_global_settings_alone(folder, monkeypatch):
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    with pytest.raises(PhotoError, match=photos.TOO_MANY_PIXELS):
        photos.process(png_header_only(20_000, 20_000), folder)
    assert (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES) == before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # a cut-off photo must fail, not come out half grey
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)  # a stricter limit set elsewhere still counts
    with pytest.raises(PhotoError, match=photos.TOO_MANY_PIXELS):
        photos.process(noise_jpeg(), folder)
    assert list(folder.iterdir()) == []


def test_a_failed_write_leaves_nothing_behind(folder, monkeypatch):
    real_replace, calls = os.replace, []

    def failing_second_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(photos.os, "replace", failing_second_replace)
    with pytest.raises(OSError):
        photos.process(noise_jpeg(), folder)
    assert len(calls) == 2
    assert list(folder.iterdir()) == []


# --- reading back ----------------------------------------------------------------------------------------


def test_read_verified_returns_the_stored_bytes(folder):
    photo = photos.process(noise_jpeg(), folder)
    assert photos.read_verified(folder, photo.name, photo.sha256) == (folder / photo.name).read_bytes()
    assert photos.read_verified(str(folder), photo.thumb_name) == (folder / photo.thumb_name).read_bytes()


@pytest.mark.parametrize(
    "name",
    ["../x.jpg", "x.jpg", "/etc/passwd", "", "0" * 32 + ".jpg\n", "0" * 32 + ".JPG", "A" * 32 + ".jpg", "0" * 32 + ".png",
     "../" + "0" * 32 + ".jpg", "0" * 31 + ".jpg"],
)
def test_read_verified_accepts_only_generated_names(tmp_path, name):
    folder = tmp_path / "photos"
    folder.mkdir()
    (tmp_path / "x.jpg").write_bytes(b"secret")
    (tmp_path / ("0" * 32 + ".jpg")).write_bytes(b"secret")  # one level up: traversal must not reach it
    with pytest.raises(PhotoError, match=photos.NOT_FOUND):
        photos.read_verified(folder, name)


def test_read_verified_detects_a_changed_byte_and_a_missing_file(folder):
    photo = photos.process(noise_jpeg(), folder)
    data = bytearray((folder / photo.name).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / photo.name).write_bytes(bytes(data))
    with pytest.raises(PhotoError, match="^写真ファイルが改ざんされているか、壊れています。$"):
        photos.read_verified(folder, photo.name, photo.sha256)
    with pytest.raises(PhotoError, match=photos.NOT_FOUND):
        photos.read_verified(folder, "f" * 32 + ".jpg")


def test_discard_removes_both_files_and_nothing_else(folder, tmp_path):
    keep = photos.process(noise_jpeg(), folder)
    gone = photos.process(noise_jpeg(), folder)
    photos.discard(folder, gone)
    photos.discard(folder, gone)  # twice is harmless
    assert sorted(p.name for p in folder.iterdir()) == sorted([keep.name, keep.thumb_name])
    (tmp_path / "victim.jpg").write_bytes(b"x")
    photos.discard(folder, photos.StoredPhoto("../victim.jpg", "../victim.jpg", "", 0, 0, 0))
    assert (tmp_path / "victim.jpg").exists()


def test_photos_module_depends_on_the_standard_library_and_pillow_only():
    tree = ast.parse(Path(photos.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {name.split(".")[0] for name in imported} <= set(sys.stdlib_module_names) | {"PIL"}


def test_benchmark_command_runs_at_tiny_size(tmp_path, capsys):
    out = tmp_path / "photos.json"
    bench_photos.main(["--runs", "2", "--size", "800x600", "--out", str(out)])
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["output"]["size"] == [600, 800]  # orientation 6, no larger than the input
    assert results["ratio"] > 0 and len(results["stages_median_ms"]) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos.json"]  # its work folder is gone
    assert "ratio (a)/(b)" in capsys.readouterr().out

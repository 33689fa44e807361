"""Evidence photos: an upload becomes a checked, upright, metadata-free JPEG and its thumbnail."""
import hashlib
import io
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, JpegImagePlugin, PngImagePlugin


def N_(message):
    """Mark a message for the catalogue: it stays the Japanese msgid, and a screen translates it (i18n.translated)."""
    return message


EMPTY = N_("写真ファイルが空です。")
TOO_LARGE = N_("写真が大きすぎます（上限 %(mb)s MB）。")
NOT_PHOTO = N_("JPEG または PNG の写真を選んでください。")
HEIC = N_(
    "HEIC 形式の写真には対応していません。"
    "iPhone の場合は「設定 > カメラ > フォーマット > 互換性優先」にして撮り直してください。"
)
CORRUPT = N_("写真のデータが途中で切れているか、壊れています。もう一度撮影してください。")
TOO_MANY_PIXELS = N_("写真の画素数が大きすぎます。")
SUSPICIOUS = N_("写真に不審なデータが含まれているため受け付けません。")
TAMPERED = N_("写真ファイルが改ざんされているか、壊れています。")
NOT_FOUND = N_("写真が見つかりません。")

# The only two readers we let near an upload, chosen by signature; the reader then proves the format.
READERS = {b"\xff\xd8\xff": JpegImagePlugin.JpegImageFile, b"\x89PNG\r\n\x1a\n": PngImagePlugin.PngImageFile}
# ISO-BMFF brands of HEIF/HEIC stills (AVIF also lists mif1 as compatible, so mif1 counts only as major brand).
HEVC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
HEIF_MAJOR_BRANDS = HEVC_BRANDS | {b"mif1", b"msf1"}
# A tag name ends at whitespace, "/" or ">" (PHP needs whitespace); demanding that keeps chance hits in
# compressed pixel data to about one genuine 3 MB photo in 25,000 instead of one in 700 for a bare "<svg".
MARKUP = re.compile(rb"<(?:html|script|svg|\?php)[\t\n\f\r />]", re.IGNORECASE)
NAME = re.compile(r"[0-9a-f]{32}(?:\.thumb)?\.jpg")
# Stored size (issue 11): long side 1600 px reads well on screen and on A4, and quality 60 with optimised
# Huffman tables keeps a camera photo near 200 kB, so a sheet with 6 photos stays under 1.5 MB
# (bench/camera.py, BENCHMARKS.md); quality 85 stored about 390 kB a photo and 2.45 MB a sheet.
MAX_SIDE = 1600
FULL_QUALITY = 60
THUMB_SIDE = 320
THUMB_QUALITY = 80


class PhotoError(ValueError):
    """A photo we refuse: str(error) is the Japanese message; `msgid` and `values` let a screen translate it.

    This module imports only the standard library and Pillow, so the translation is left to the caller.
    """

    def __init__(self, msgid, **values):
        super().__init__(msgid % values if values else msgid)
        self.msgid, self.values = msgid, values


@dataclass(frozen=True)
class StoredPhoto:
    """A stored photo: generated file names, and the digest, pixel size and byte size of the full image."""

    name: str
    thumb_name: str
    sha256: str
    width: int
    height: int
    size: int


def process(
    data: bytes,
    folder: Path,
    *,
    max_side=MAX_SIDE,
    thumb_side=THUMB_SIDE,
    max_pixels=40_000_000,
    max_bytes=15 * 1024 * 1024,
) -> StoredPhoto:
    """Check an uploaded photo, then store it upright and shrunk, with a thumbnail, under fresh random names."""
    im = _decode(_open(data, max_pixels, max_bytes), max_side)
    width, height = im.size
    full = _jpeg(im, FULL_QUALITY)
    im.thumbnail((thumb_side, thumb_side), Image.LANCZOS)  # from the shrunk image: a fraction of the work
    token = secrets.token_hex(16)
    photo = StoredPhoto(f"{token}.jpg", f"{token}.thumb.jpg", hashlib.sha256(full).hexdigest(), width, height, len(full))
    _store(Path(folder), {photo.name: full, photo.thumb_name: _jpeg(im, THUMB_QUALITY)})
    return photo


def read_verified(folder: Path, name: str, sha256: str | None = None) -> bytes:
    """The bytes of a stored photo or thumbnail by its generated name, checked against `sha256` when given."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise PhotoError(NOT_FOUND)  # only our own names: no paths, no traversal, no client file names
    try:
        data = (Path(folder) / name).read_bytes()
    except FileNotFoundError as exc:
        raise PhotoError(NOT_FOUND) from exc
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256.lower():
        raise PhotoError(TAMPERED)
    return data


def discard(folder: Path, photo: StoredPhoto) -> None:
    """Remove a stored photo and its thumbnail, e.g. when the record that was to point at them failed."""
    for name in (photo.name, photo.thumb_name):
        if NAME.fullmatch(name):  # never a path built from anything but our own names
            (Path(folder) / name).unlink(missing_ok=True)


def _open(data, max_pixels, max_bytes):
    """The upload's JPEG or PNG header, after every check that needs no pixel decoding."""
    if not data:
        raise PhotoError(EMPTY)
    if len(data) > max_bytes:
        raise PhotoError(TOO_LARGE, mb=format(max_bytes / 2**20, "g"))
    if _is_heif(data):
        raise PhotoError(HEIC)
    reader = next((reader for magic, reader in READERS.items() if data.startswith(magic)), None)
    if reader is None:
        raise PhotoError(NOT_PHOTO)
    try:
        # The reader parses only the header. Unlike Image.open it applies no process-wide bomb limit or
        # warning, so the pixel cap below is ours alone and no global setting or warning filter is touched.
        im = reader(io.BytesIO(data))
    except Exception as exc:  # Pillow reports bad headers as SyntaxError, OSError, ValueError, struct.error…
        raise PhotoError(CORRUPT) from exc
    # A stricter global limit set by other code still counts; we never loosen or change it.
    if im.width * im.height > min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels):
        raise PhotoError(TOO_MANY_PIXELS)
    if MARKUP.search(data):
        raise PhotoError(SUSPICIOUS)  # re-encoding would clean it, but such files are refused outright
    return im


def _is_heif(data):
    """Whether the bytes start with an ISO-BMFF ftyp box naming a HEIF/HEIC brand."""
    if data[4:8] != b"ftyp":
        return False
    end = min(int.from_bytes(data[:4], "big"), 256)
    compatible = {data[i : i + 4] for i in range(16, end - 3, 4)}
    return data[8:12] in HEIF_MAJOR_BRANDS or bool(compatible & HEVC_BRANDS)


def _decode(im, max_side):
    """Decode fully, flatten to RGB, shrink to max_side and bake in the EXIF orientation (ReportLab ignores it)."""
    try:
        if im.format == "JPEG":
            # libjpeg can decode at 1/2, 1/4 or 1/8 scale for almost nothing; ask for the size the
            # image shrinks to (not a max_side square, which a 4:3 photo never covers, so no gain).
            im.draft("RGB", _fit(im.size, max_side))
        im.load()  # LOAD_TRUNCATED_IMAGES stays False, so a cut-off file raises here
        if im.mode in ("RGBA", "LA") or "transparency" in im.info:
            rgba = im if im.mode == "RGBA" else im.convert("RGBA")
            flat = Image.new("RGB", im.size, "white")
            flat.paste(rgba, mask=rgba)
            flat.info = im.info  # keeps the EXIF orientation for exif_transpose below
            im = flat
        elif im.mode.startswith("I"):  # 16-bit grey PNG: scale to 8 bits, as convert() would clip it to white
            im = im.point(lambda value: value / 256).convert("RGB")
        elif im.mode != "RGB":
            im = im.convert("RGB")  # before resizing: palette and 1-bit images resize only by nearest neighbour
        im.thumbnail((max_side, max_side), Image.LANCZOS)  # shrinks only, keeps the aspect ratio
        # After shrinking: rotating fewer pixels is cheaper, and the box is square, so the result is the same.
        ImageOps.exif_transpose(im, in_place=True)
    except Exception as exc:  # whatever Pillow raises on a broken file, the auditor can only retake it
        raise PhotoError(CORRUPT) from exc
    im.info = {}  # nothing of the upload's metadata (EXIF, GPS, ICC, XMP, comments) may reach the stored file
    return im


def _fit(size, side):
    """`size` scaled down to fit a side×side box (unchanged when it already fits)."""
    scale = min(1, side / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _jpeg(im, quality):
    """`im` as baseline JPEG bytes, with no metadata passed to the encoder."""
    out = io.BytesIO()
    # Optimised Huffman tables: 3–4 % smaller for a few milliseconds; still baseline, which every PDF reader takes.
    im.save(out, "JPEG", quality=quality, optimize=True, progressive=False)
    return out.getvalue()


def _store(folder, files):
    """Write each file to a temporary name in `folder`, then rename it into place; on failure remove them all."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    ours = []  # every path we created, under its current name
    try:
        for data in files.values():
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")  # created 0o600
            ours.append(Path(tmp))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # the database will point at this file: it must outlive a power cut
        for i, name in enumerate(files):
            os.replace(ours[i], folder / name)
            ours[i] = folder / name
    except BaseException:
        for path in ours:
            path.unlink(missing_ok=True)
        raise

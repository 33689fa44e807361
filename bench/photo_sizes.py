"""Stored photo size and the 6-photo sheet, with camera-like photos (issue 11).

    .venv/bin/python -m bench.photo_sizes                 # the qualities compared: 85 (before) and photos.FULL_QUALITY
    .venv/bin/python -m bench.photo_sizes --quality 70    # try another quality

Six camera-like 4000×3000 JPEGs (bench/camera.py, q92, about 4.3 MB each, EXIF orientation 6 and GPS) go through
photos.process as an upload does; the stored files then become the six photos of the benchmark sheet
(bench/sheets.sample_sheet), built by sheets.build_sheet. Results go to bench/out/photo_sizes.json (git-ignored).
"""
import argparse
import json
import statistics
import tempfile
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

from bench.camera import SIZE, camera_like_jpeg
from bench.sheets import sample_sheet
from spotcheck import fonts as sheet_fonts
from spotcheck import photos, sheets

TARGET_SHEET_BYTES = 1_500_000
OUT = Path(__file__).resolve().parent / "out" / "photo_sizes.json"


def camera_uploads(count=6):
    """`count` distinct camera-like JPEGs, as the tablet uploads them."""
    return [camera_like_jpeg(seed) for seed in range(1, count + 1)]


def sheet_with(uploads, folder, fonts, quality=None):
    """Store the uploads with photos.process (at `quality`, default the app's) and build the sheet; return both."""
    folder = Path(folder)
    with mock.patch.object(photos, "FULL_QUALITY", quality or photos.FULL_QUALITY):
        stored = [photos.process(data, folder) for data in uploads]
    data = sample_sheet(folder / "sample")
    shots = tuple(replace(shot, jpeg_path=folder / photo.name) for shot, photo in zip(data.photos, stored))
    return stored, sheets.build_sheet(replace(data, photos=shots), fonts)


def measure(qualities):
    """Per-photo stored bytes and the sheet's bytes at each quality."""
    uploads = camera_uploads()
    fonts = sheet_fonts.register_fonts()
    results = []
    for quality in qualities:
        with tempfile.TemporaryDirectory() as folder:
            stored, pdf = sheet_with(uploads, folder, fonts, quality)
        sizes = [photo.size for photo in stored]
        results.append({"quality": quality, "photo_bytes": sizes, "photo_median_bytes": statistics.median(sizes),
                        "photos_total_bytes": sum(sizes), "sheet_bytes": len(pdf),
                        "pixels": [stored[0].width, stored[0].height], "sheet_ok": len(pdf) <= TARGET_SHEET_BYTES})
    return {"benchmark": "photo_sizes", "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "input": {"photos": len(uploads), "size": list(SIZE), "quality": 92, "exif_orientation": 6,
                      "bytes": [len(data) for data in uploads]},
            "max_side": photos.MAX_SIDE, "target_sheet_bytes": TARGET_SHEET_BYTES, "results": results}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Stored photo size and 6-photo sheet size with camera-like photos.")
    parser.add_argument("--quality", type=int, action="append", help="JPEG quality to try (repeatable)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    report = measure(args.quality or [85, photos.FULL_QUALITY])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    mb = [b / 1e6 for b in report["input"]["bytes"]]
    print(f"6 camera-like uploads {report['input']['size'][0]}×{report['input']['size'][1]} q92, "
          f"{min(mb):.2f}–{max(mb):.2f} MB each → long side {report['max_side']} px")
    for r in report["results"]:
        ok = "OK" if r["sheet_ok"] else "未達 / MISSED"
        print(f"  quality {r['quality']:3}: photo median {r['photo_median_bytes'] / 1e3:4.0f} kB "
              f"(min {min(r['photo_bytes']) / 1e3:.0f}, max {max(r['photo_bytes']) / 1e3:.0f}), "
              f"6 photos {r['photos_total_bytes'] / 1e6:.2f} MB, sheet {r['sheet_bytes'] / 1e6:.2f} MB "
              f"(target ≤ {TARGET_SHEET_BYTES / 1e6}) {ok}")
    print(f"\n結果 / results: {args.out}")


if __name__ == "__main__":
    main()

"""Debian packages and tools the tests need: missing ones skip on a developer's machine but fail loudly in CI."""
import os
import shutil
import subprocess

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"

# Every Debian package the suite uses, with the files it uses from each. This is the one list:
# tests/test_system_packages.py checks that the Makefile's TEST_DEBS installs exactly these and
# that each is installed. scripts/ensure-debs installs with --no-install-recommends, so a package
# the suite needs must be named here and in TEST_DEBS even when another one merely recommends it.
SUITE_DEBS = {
    # Embedded in the PDFs; spotcheck.fonts looks in these folders first.
    "fonts-ipaexfont": (
        "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
        "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
    ),
    # Headless Chromium for tests/browser (Debian's, never `playwright install`).
    "chromium": ("/usr/bin/chromium",),
    # Text, font lists and page images of the PDFs.
    "poppler-utils": ("/usr/bin/pdftotext", "/usr/bin/pdffonts", "/usr/bin/pdftoppm"),
    # Only recommended by libpoppler: without its CID maps pdftotext reads nothing but form feeds
    # from a PDF set in the non-embedded CID fallback fonts (HeiseiKakuGo-W5, HeiseiMin-W3).
    "poppler-data": (
        "/usr/share/poppler/cidToUnicode/Adobe-Japan1",
        "/usr/share/poppler/cMap/Adobe-Japan1/UniJIS-UCS2-H",
    ),
    # spotcheck.clock: ZoneInfo("Asia/Tokyo") reads the system's time-zone data.
    "tzdata": ("/usr/share/zoneinfo/Asia/Tokyo",),
}
INSTALL_HINT = "`make test` (or `make debs-test`) installs " + " ".join(SUITE_DEBS)
MISSING_POPPLER = f"poppler-utils (pdftotext, pdffonts, pdftoppm) is not installed: {INSTALL_HINT}"
MISSING_IPAEX = f"fonts-ipaexfont is not installed, so the PDF cannot embed its fonts: {INSTALL_HINT}"


def require(condition, message):
    """Skip when a system dependency is missing, but fail in CI where it must be present."""
    if not condition:
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def poppler(*args):
    """Run a poppler tool and return its output."""
    require(shutil.which(args[0]), MISSING_POPPLER)
    return subprocess.run(args, check=True, capture_output=True).stdout

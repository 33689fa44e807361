"""Debian tools the tests need: missing ones skip on a developer's machine but fail loudly in CI."""
import os
import shutil
import subprocess

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
MISSING_POPPLER = "poppler-utils (pdftotext, pdffonts, pdftoppm) is not installed: make debs-test"
MISSING_IPAEX = "fonts-ipaexfont is not installed, so the PDF cannot embed its fonts: make debs-test"


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

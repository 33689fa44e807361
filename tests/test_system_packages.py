"""`make test` installs every Debian package the suite uses (tests/system.py SUITE_DEBS), and they are installed.

scripts/ensure-debs installs with --no-install-recommends, so a package the suite needs only through
another package's "Recommends" (poppler-data, through libpoppler) is missing on a fresh machine unless
TEST_DEBS names it. These tests name the package instead of leaving a puzzling failure elsewhere.
The Makefile checks run everywhere; the installed checks run wherever dpkg exists (and fail in CI
where it does not).
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from spotcheck import clock, fonts
from tests.system import SUITE_DEBS, require

MAKEFILE = Path(__file__).resolve().parents[1] / "Makefile"
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*([:?+]?)=(.*)$", re.M)
REFERENCE = re.compile(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]")


def makefile_words(name):
    """The words of a Makefile variable (`NAME := a b c`), with $(OTHER) references expanded."""
    values = {}
    for var, op, value in ASSIGNMENT.findall(MAKEFILE.read_text(encoding="utf-8").replace("\\\n", " ")):
        if op == "+" and var in values:
            values[var] += " " + value
        elif op != "?" or var not in values:
            values[var] = value

    def expand(text, depth=0):
        assert depth < 10, f"Makefile: {name} refers to itself"
        return REFERENCE.sub(lambda m: expand(values.get(m.group(1), ""), depth + 1), text)

    assert name in values, f"the Makefile no longer defines {name}"
    return expand(values[name]).split()


def test_make_test_installs_every_package_the_suite_uses():
    test_debs = makefile_words("TEST_DEBS")
    missing = [package for package in SUITE_DEBS if package not in test_debs]

    assert not missing, (
        f"The suite uses Debian packages that `make test` does not install: {' '.join(missing)}. "
        f"Add them to TEST_DEBS in the Makefile (now: {' '.join(test_debs)}); scripts/ensure-debs "
        "installs with --no-install-recommends, so nothing arrives through another package's Recommends."
    )


def test_every_package_make_test_installs_is_listed_in_suite_debs():
    extra = [package for package in makefile_words("TEST_DEBS") if package not in SUITE_DEBS]

    assert not extra, (
        f"TEST_DEBS in the Makefile installs {' '.join(extra)}, which SUITE_DEBS in tests/system.py does not "
        "list: add them there (with the files the suite uses from them) so that their presence is checked."
    )


def test_make_test_installs_what_make_run_needs():
    test_debs = makefile_words("TEST_DEBS")
    missing = [package for package in makefile_words("RUN_DEBS") if package not in test_debs]

    assert not missing, (
        f"`make run` installs {' '.join(missing)} but `make test`, which runs the same app, does not: "
        "add them to TEST_DEBS in the Makefile."
    )


def test_the_app_looks_for_the_ipaex_fonts_where_debian_installs_them():
    installed = [Path(path) for path in SUITE_DEBS["fonts-ipaexfont"]]

    assert {path.name for path in installed} == {fonts.GOTHIC_FILE, fonts.MINCHO_FILE}
    assert all(path.parent in fonts.DEFAULT_SEARCH_DIRS for path in installed), (
        f"spotcheck.fonts does not search the folders of Debian's fonts-ipaexfont ({installed})"
    )


def test_the_app_time_zone_is_one_tzdata_provides():
    assert f"/usr/share/zoneinfo/{clock.TIMEZONE.key}" in SUITE_DEBS["tzdata"]


@pytest.mark.parametrize("package", SUITE_DEBS)
def test_every_package_the_suite_uses_is_installed(package):
    require(shutil.which("dpkg-query"), "dpkg-query not found: this is not a Debian system, so SUITE_DEBS cannot be checked")
    query = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
    status = query.stdout.strip() or query.stderr.strip()
    files = SUITE_DEBS[package]

    assert status.endswith(" ok installed"), (
        f"The Debian package {package} is not installed ({status}); the suite uses {', '.join(files)}. "
        f"Run `make test` (or `make debs-test`), which installs {' '.join(makefile_words('TEST_DEBS'))}."
    )
    gone = [path for path in files if not Path(path).exists()]
    assert not gone, (
        f"{package} is installed but {', '.join(gone)} is missing: reinstall it, or if Debian moved "
        "the files, update SUITE_DEBS in tests/system.py and the code that uses them."
    )

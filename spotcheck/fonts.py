"""Japanese fonts for the PDFs: embedded IPAex TrueType fonts, or ReportLab's CID fonts with a warning."""
import os
from dataclasses import dataclass, field
from pathlib import Path

from reportlab import rl_config
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

GOTHIC = "SC-Gothic"
MINCHO = "SC-Mincho"
CID_GOTHIC = "HeiseiKakuGo-W5"
CID_MINCHO = "HeiseiMin-W3"
GOTHIC_FILE = "ipaexg.ttf"
MINCHO_FILE = "ipaexm.ttf"

NOT_EMBEDDED_WARNING = (
    "日本語フォント（IPAex）が見つからないため、PDF にフォントを埋め込めません。"
    "印刷する PC に日本語フォントがないと文字が表示されません。"
    "fonts-ipaexfont をインストールするか、設定 PDF_FONT_GOTHIC に TrueType フォントを指定してください。"
)


def _default_search_dirs():
    """Folders that may hold ipaexg.ttf / ipaexm.ttf: Debian's package first, then common user installs."""
    home = Path(os.path.expanduser("~"))
    dirs = [
        Path("/usr/share/fonts/opentype/ipaexfont-gothic"),  # Debian/Ubuntu fonts-ipaexfont
        Path("/usr/share/fonts/opentype/ipaexfont-mincho"),
        Path("/usr/share/fonts/truetype/ipaexfont-gothic"),  # older Debian layouts
        Path("/usr/share/fonts/truetype/ipaexfont-mincho"),
        Path("/usr/share/fonts/ipaex-fonts"),
        Path("/usr/local/share/fonts"),
        home / ".local/share/fonts",
        home / ".fonts",
        Path("/Library/Fonts"),  # macOS
        home / "Library/Fonts",
    ]
    if os.name == "nt":
        dirs += [Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts", home / "AppData/Local/Microsoft/Windows/Fonts"]
    return tuple(dirs)


DEFAULT_SEARCH_DIRS = _default_search_dirs()


@dataclass(frozen=True)
class FontStatus:
    """Which font names the PDFs use, whether they are embedded, and what the admin must be told."""

    gothic: str
    mincho: str
    embedded: bool
    warning: str | None
    paths: dict = field(default_factory=dict)  # logical font name → the TrueType file embedded


_cache = {}


def register_fonts(ttf_gothic=None, ttf_mincho=None, *, search_dirs=None):
    """Register the sheet fonts once (configured files, then search_dirs) and report how it went."""
    # Without ASCII85 the compressed streams (photos above all) are written as binary:
    # about 25 % smaller and much faster to produce.
    rl_config.useA85 = 0
    dirs = DEFAULT_SEARCH_DIRS if search_dirs is None else tuple(Path(d) for d in search_dirs)
    key = (str(ttf_gothic or ""), str(ttf_mincho or ""), dirs)
    if key not in _cache:
        _cache[key] = _register(ttf_gothic, ttf_mincho, dirs)
    return _cache[key]


def _register(ttf_gothic, ttf_mincho, dirs):
    """Find, load and register the fonts; fall back to the non-embedded CID fonts."""
    problems = []
    gothic = _load(GOTHIC, ttf_gothic, "PDF_FONT_GOTHIC", GOTHIC_FILE, dirs, problems)
    mincho = _load(MINCHO, ttf_mincho, "PDF_FONT_MINCHO", MINCHO_FILE, dirs, problems)
    if gothic is None and mincho is None:
        # Registered under their own names so that a later successful registration of
        # SC-Gothic / SC-Mincho (or this fallback) never changes fonts under another caller.
        for name in (CID_GOTHIC, CID_MINCHO):
            pdfmetrics.registerFont(UnicodeCIDFont(name))
        return FontStatus(CID_GOTHIC, CID_MINCHO, False, _join([NOT_EMBEDDED_WARNING, *problems]))
    paths = {}
    for name, found in ((GOTHIC, gothic), (MINCHO, mincho)):
        if found is not None:
            pdfmetrics.registerFont(found)
            paths[name] = Path(found.face.filename)
    if gothic is None:
        problems.append("IPAex ゴシック（ipaexg.ttf）が見つからないため、見出しにも明朝体を使います。")
    if mincho is None:
        problems.append("IPAex 明朝（ipaexm.ttf）が見つからないため、本文にもゴシック体を使います。")
    return FontStatus(
        gothic=GOTHIC if gothic else MINCHO,
        mincho=MINCHO if mincho else GOTHIC,
        embedded=True,
        warning=_join(problems),
        paths=paths,
    )


def _load(name, configured, setting, file_name, dirs, problems):
    """Return a TTFont from the configured file or the first usable file_name in dirs, else None."""
    if configured:
        font = _try_ttf(name, Path(configured))
        if font is not None:
            return font
        problems.append(
            f"設定 {setting} のフォント {configured} は使えません"
            "（存在しないか、TrueType の .ttf ではありません。Noto CJK などの .ttc/.otf は使えません）。"
        )
    for folder in dirs:
        font = _try_ttf(name, folder / file_name)
        if font is not None:
            return font
    return None


def _try_ttf(name, path):
    """Load path as a TrueType font, or None when it is missing, not a .ttf, or unreadable."""
    # .ttc/.otf are refused up front: the Noto CJK collections have PostScript outlines,
    # which ReportLab cannot embed, and it fails only when the PDF is built.
    # The suffix is checked after resolving, as a .ttf symlink may lead to a collection.
    if not path.is_file() or path.resolve().suffix.lower() != ".ttf":
        return None
    try:
        return TTFont(name, str(path))
    except (TTFError, OSError):
        return None


def _join(messages):
    """One warning text from several messages, or None when there are none."""
    return "\n".join(messages) or None

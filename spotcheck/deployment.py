"""Where the app is reached from: the public address printed in the QR codes, and what follows from it."""
import ipaddress
from urllib.parse import urlsplit

from werkzeug.middleware.proxy_fix import ProxyFix

LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str | None) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_of(address: str | None) -> str | None:
    """The host name of a URL or a Host header ('192.168.1.5:5000' → '192.168.1.5')."""
    if not address:
        return None
    return urlsplit(address if "//" in address else f"//{address}").hostname


def print_problem(base_url: str | None, *, bound_host: str | None = None, request_host: str | None = None):
    """Why sheets must not be printed with this QR address (Japanese), or None when they may.

    A loopback QR address is fine while the app is used on this machine only; once it is served on
    the LAN (bound to a LAN address, or reached under another name) a QR code pointing at 127.0.0.1
    would send every reader to their own device, so the sheet is refused rather than printed wrong.
    """
    if not base_url or not base_url.startswith(("http://", "https://")) or not host_of(base_url):
        return ("設定 BASE_URL（結果票の QR コードが指す公開アドレス）が正しくありません。"
                "instance/config.py に BASE_URL = \"https://spotcheck.example.lg.jp\" のように書いて、起動し直してください。")
    if not is_loopback(host_of(base_url)):
        return None
    reached_from = [h for h in (bound_host, host_of(request_host)) if h and not is_loopback(h)]
    if not reached_from:
        return None
    return (f"設定 BASE_URL が {base_url} のままのため、結果票を発行できません（QR コードが読み取った端末自身を指してしまいます）。"
            "instance/config.py に市の庁内ネットワークで使う公開アドレスを BASE_URL = \"https://spotcheck.example.lg.jp\""
            " のように書いて、起動し直してください。")


def cookies_secure(base_url: str | None) -> bool:
    """Cookies go over HTTPS only when the public address is https."""
    return bool(base_url) and base_url.lower().startswith("https://")


def init_app(app):
    """Derive the cookie flags from BASE_URL unless set, and trust the configured reverse proxies."""
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = cookies_secure(app.config["BASE_URL"])
    proxies = int(app.config["TRUSTED_PROXIES"] or 0)
    if proxies:
        # Behind IIS or nginx: the client's address (rate limits, login locks) and https come from the
        # proxy's X-Forwarded-* headers, which are trusted only from that many hops.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)

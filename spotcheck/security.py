"""Security in one place: deny by default, one role check, CSRF, idle timeout, strict headers.

Every request passes `gate()` before any view runs. A view is reachable only if it
declares who may use it: `@public` (login page, static files) or `@roles("admin", …)`.
A view that declares nothing is refused, so a forgotten decorator fails closed.
CSRF is checked by Flask-WTF for every POST/PUT/PATCH/DELETE, never per view.
"""
import threading
import time
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import abort, current_app, redirect, request, session, url_for
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from . import audit
from .clock import now
from .db import get_db

csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def public(view):
    """Mark a view as reachable without logging in."""
    view.public = True
    return view


def roles(*allowed):
    """Mark a view as reachable by logged-in users with one of these roles."""

    def mark(view):
        view.allowed_roles = frozenset(allowed)
        return view

    return mark


class _RateLimit:
    """At most `limit` requests per minute per key (address and page), counted in this process."""

    def __init__(self):
        self.seen, self.lock = {}, threading.Lock()

    def allow(self, key, limit, moment):
        with self.lock:
            recent = [t for t in self.seen.get(key, ()) if moment - t < 60]
            if len(self.seen) > 10_000:  # forget idle addresses rather than grow for ever
                self.seen = {k: v for k, v in self.seen.items() if v and moment - v[-1] < 60}
            allowed = len(recent) < limit
            self.seen[key] = recent + [moment] if allowed else recent
            return allowed


def gate():
    """Refuse the request unless the view's declaration admits this user."""
    if request.endpoint is None:
        return None  # Flask answers 404/405 itself
    view = current_app.view_functions[request.endpoint]
    if request.endpoint == "static":
        return None
    if getattr(view, "public", False):
        return None if current_user.is_authenticated else _anonymous_limits()
    if not current_user.is_authenticated:
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path))
        abort(401)
    if _idle_too_long():
        audit.record(get_db(), user_id=current_user.id, action="session_expired", entity="user",
                     entity_id=current_user.id)
        logout_user()
        session.clear()
        return redirect(url_for("auth.login", expired=1, next=request.full_path))
    if current_user.role not in getattr(view, "allowed_roles", frozenset()):
        abort(403)
    return None


def _anonymous_limits():
    """Pages open to anyone get a smaller body and a rate per address, checked before the body is read."""
    config = current_app.config
    if (request.content_length or 0) > config["PUBLIC_MAX_CONTENT_LENGTH"]:
        abort(413)
    key = (request.remote_addr, request.endpoint)
    if not current_app.extensions["anonymous_rate"].allow(key, config["PUBLIC_REQUESTS_PER_MINUTE"], time.monotonic()):
        abort(429)
    return None


def _idle_too_long():
    """True when the last request is older than the idle timeout; otherwise note this one."""
    limit = timedelta(minutes=current_app.config["IDLE_TIMEOUT_MINUTES"])
    last = session.get("last_seen")
    current = now()
    if last and current - datetime.fromisoformat(last) > limit:
        return True
    session["last_seen"] = current.isoformat()
    return False


def safe_next(target, fallback):
    """Follow `next` only when it stays on this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return fallback


def add_headers(response):
    """Strict headers on every response; no caching of pages with personal data."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Permissions-Policy"] = "camera=(self), geolocation=(), microphone=()"
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app):
    """Install CSRF protection, the gate and the headers."""
    csrf.init_app(app)
    app.extensions["anonymous_rate"] = _RateLimit()
    app.before_request(gate)
    app.after_request(add_headers)

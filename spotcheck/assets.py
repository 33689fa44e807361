"""Static files' URLs carry a digest of their content, so browsers and the offline copy may keep them for good."""
import hashlib
from pathlib import Path

from flask import request

A_YEAR = 365 * 24 * 3600


def init_app(app):
    """Version every url_for('static', …) and let a request for the current version be cached for a year."""
    digests = {}

    def digest_of(filename):
        path = Path(app.static_folder, filename)
        try:
            stamp = path.stat().st_mtime_ns  # an edited file (while developing) gets a new version at once
        except OSError:
            return None
        if digests.get(filename, (None,))[0] != stamp:
            digests[filename] = (stamp, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
        return digests[filename][1]

    @app.url_defaults
    def add_version(endpoint, values):
        if endpoint == "static" and "v" not in values:
            version = digest_of(values["filename"])
            if version:
                values["v"] = version

    default_max_age = app.get_send_file_max_age

    def max_age(filename):
        # Only the URL naming the file's current content is immutable; a stale or missing version revalidates.
        if filename and request.args.get("v") and request.args.get("v") == digest_of(filename):
            return A_YEAR
        return default_max_age(filename)

    app.get_send_file_max_age = max_age

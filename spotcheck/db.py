"""The SQLite database: one sqlite-utils connection per request, set up the same way everywhere."""
import sqlite3

import sqlite_utils
from flask import current_app, g


def connect(path) -> sqlite_utils.Database:
    """Open the database with the pragmas every connection needs."""
    # check_same_thread=False: waitress may finish a request on another thread than it started.
    conn = sqlite3.connect(str(path), timeout=10, check_same_thread=False)
    db = sqlite_utils.Database(conn, execute_plugins=False)
    # foreign_keys is per connection in SQLite, so it is set on every one.
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA journal_mode = WAL")  # readers never block the auditor who is saving
    db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL, much faster commits
    db.execute("PRAGMA busy_timeout = 10000")
    return db


def database_path():
    """Where this app's database file lives."""
    return current_app.config["DATABASE"]


def get_db() -> sqlite_utils.Database:
    """The request's database connection, opened on first use."""
    if "db" not in g:
        g.db = connect(database_path())
    return g.db


def close_db(exc=None):
    """Close the request's connection, if one was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app):
    """Close connections at the end of each request and app context."""
    app.teardown_appcontext(close_db)

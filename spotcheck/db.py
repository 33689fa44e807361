"""The request's database: one sqlite-utils connection per request, closed at teardown."""
import sqlite_utils
from flask import current_app, g

from .sqlite import connect


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

"""Opening SQLite the same way everywhere, and write transactions that wait their turn (no Flask)."""
import sqlite3
from contextlib import contextmanager

import sqlite_utils


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


@contextmanager
def immediate(db):
    """A write transaction that takes the write lock at once.

    A deferred transaction that reads and then writes fails with "database is locked" when another
    writer committed in between (two auditors saving at once); BEGIN IMMEDIATE waits its turn instead.
    """
    if db.conn.in_transaction:
        with db.atomic():  # already inside one: a savepoint keeps it all-or-nothing
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.conn.execute("COMMIT")

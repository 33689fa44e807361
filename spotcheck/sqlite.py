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


@contextmanager
def indexes_rebuilt(db, table):
    """Inside a write transaction: drop the table's own indexes, and build them again afterwards.

    For a bulk insert that dwarfs the table (a first roster of 100,000 people) one sort per index is
    cheaper than keeping every index in order row by row. UNIQUE constraints keep their automatic
    indexes, so nothing that must be refused is let in meanwhile; DDL is transactional in SQLite,
    so a failure leaves the indexes as they were.
    """
    assert db.conn.in_transaction, "indexes_rebuilt needs the caller's write transaction"
    created = [(name, sql) for name, sql in db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", [table])]
    for name, _sql in created:
        db.execute(f'DROP INDEX "{name}"')
    yield
    for _name, sql in created:
        db.execute(sql)

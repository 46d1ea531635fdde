"""Engines and transactions: SQLite tuned for many writers, and one lock that keeps the audit chain linear.

Every write runs in :func:`write`: on SQLite the transaction starts with ``BEGIN IMMEDIATE``
(the database write lock is taken *before* the chain head is read, so two processes can
never append the same ``seq``); on PostgreSQL it takes a transaction-scoped advisory lock
for the same reason. Reads use plain deferred transactions and never block writers (WAL).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.pool import NullPool

#: SQLite waits this long for another writer before giving up (the brief: at least 30 s)
BUSY_TIMEOUT_S = 60
#: advisory lock keys (arbitrary, fixed): one for the audit chain, one for schema migrations
CHAIN_LOCK = 0x60E7A0D1
MIGRATION_LOCK = 0x60E7A0D2
#: held for a whole notification pass (`govern notify`, the console's notifier): see :func:`exclusive`
NOTIFY_LOCK = 0x60E7A0D3

_WRITE = "govern_write"


def make_engine(url: str, *, pooled: bool = False) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    if pooled:  # a long-running server (`govern serve`): a connection per request would cost a TCP handshake each
        return create_engine(url, pool_size=4, max_overflow=8, pool_pre_ping=True, pool_recycle=1800,
                             connect_args={"connect_timeout": 10})
    # one short-lived CLI process: no pool to keep, and no connections left behind on exit
    return create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 10})


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, poolclass=NullPool, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # the sqlite3 module's own implicit BEGIN would be deferred; we issue BEGIN ourselves
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_S * 1000}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")  # a committed record survives power loss, not just a crash
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write(engine: Engine, lock: int = CHAIN_LOCK) -> Iterator[Connection]:
    """One serialised write transaction: committed whole on success, rolled back whole on any error."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            if not is_sqlite(engine):
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock})
            yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read-only snapshot (one transaction, so multi-query views are consistent)."""
    with engine.connect() as conn:
        with conn.begin():
            if not is_sqlite(engine):
                conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            yield conn


@contextmanager
def exclusive(engine: Engine, key: int) -> Iterator[None]:
    """Hold a lock across processes for longer than a transaction, without blocking the store's writers.

    A notification pass sends over the network between reading what was sent and recording what
    it sent: two passes at once would both send. Holding the write lock that long would stall
    every `govern check`, so passes take a lock of their own instead -- a session advisory lock
    on PostgreSQL, an exclusive ``flock`` on a file beside the SQLite database (SQLite is one
    machine's store, so a file lock reaches every process that can write it).
    """
    if is_sqlite(engine):
        import fcntl
        import os

        database = engine.url.database
        if not database or database == ":memory:":
            yield  # a private in-memory store: no other process can reach it
            return
        fd = os.open(f"{database}.{key:x}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        conn.commit()  # a session lock outlives the transaction that took it
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()

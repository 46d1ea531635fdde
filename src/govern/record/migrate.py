"""Bring a store's schema to head with Alembic, programmatically, when the store is opened.

The common case (already at head) costs one query and never imports Alembic. Upgrading runs
inside the serialised write transaction (``BEGIN IMMEDIATE`` / an advisory lock), so eight
processes opening a fresh store at once migrate it exactly once; DDL is transactional on
both SQLite and PostgreSQL, so an interrupted upgrade leaves the previous schema intact.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text

from govern.record.config import store_error
from govern.record.engine import MIGRATION_LOCK, read, write

#: The newest revision in migrations/versions (a test checks it against Alembic's own head).
HEAD = "0004"
KNOWN = ("0001", "0002", "0003", "0004")
SCRIPTS = Path(__file__).with_name("migrations")


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    with read(engine) as conn:
        if current_revision(conn) == HEAD:
            return
    with write(engine, lock=MIGRATION_LOCK) as conn:
        revision = current_revision(conn)  # again, now that we hold the lock: another process may have won
        if revision == HEAD:
            return
        if revision is not None and revision not in KNOWN:
            raise store_error(f"the store's schema revision {revision!r} is newer than this govern knows",
                              "upgrade govern to the version that wrote this store")
        run_alembic(conn, "head")


def run_alembic(conn: Connection, revision: str, *, down: bool = False) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    (command.downgrade if down else command.upgrade)(config, revision)

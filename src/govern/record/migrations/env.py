"""Alembic environment: govern passes its own open connection (see :mod:`govern.record.migrate`).

Developers adding a migration can also run Alembic by hand, e.g.
``alembic -c /dev/null -x url=sqlite:///dev.db revision --autogenerate``; users never need an
``alembic.ini``: the store upgrades itself to head when it is opened.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from govern.record.tables import metadata

config = context.config
connection = config.attributes.get("connection")


def _run(conn) -> None:
    context.configure(connection=conn, target_metadata=metadata,
                      render_as_batch=conn.dialect.name == "sqlite")  # SQLite ALTER goes through table copies
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=context.get_x_argument(as_dictionary=True).get("url"), target_metadata=metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    with create_engine(url).begin() as conn:
        _run(conn)

"""The access log: every page view and API request of an auditor (or admin), written after it is answered.

Path and query only -- credentials travel in headers and cookies, never in a URL the console
accepts -- with who (token name, proxy identity or ``anonymous``), how, the role and the
status code. A row per request, in ``console_access`` (outside the audit log: it records
looking, not deciding).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select

from govern.record.engine import read, write
from govern.record.tables import CONSOLE_ACCESS

if TYPE_CHECKING:
    from govern.record.store import Store
    from govern.server.auth import Principal

MAX_PATH = 2000


def log(store: "Store", principal: "Principal", method: str, path: str, status: int) -> None:
    from govern.record.store import now

    with write(store.engine) as conn:
        conn.execute(insert(CONSOLE_ACCESS).values(at=now(), principal=principal.name[:200], via=principal.via,
                                                   role=principal.role, method=method[:10], path=path[:MAX_PATH],
                                                   status=status))


def entries(store: "Store", offset: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """(how many, the newest page of them)."""
    from govern.record.store import as_utc

    with read(store.engine) as conn:
        total = conn.execute(select(func.count()).select_from(CONSOLE_ACCESS)).scalar() or 0
        rows = conn.execute(select(CONSOLE_ACCESS).order_by(CONSOLE_ACCESS.c.id.desc()).offset(offset).limit(limit))
        return int(total), [{**r._mapping, "at": as_utc(r.at).isoformat()} for r in rows]

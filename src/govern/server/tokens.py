"""Bearer tokens of the console: made once, shown once, kept only as their sha256.

A token is 32 random bytes (``secrets.token_urlsafe``) behind a ``gvt_`` prefix, so a leaked
one is recognisable in a log or a secret scanner. 256 random bits need no slow hash: the
sha256 lets a lookup use the unique index, and a database dump reveals no usable token.
Revoking keeps the row (who had access, when), so a name is never reused.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from govern.errors import Diagnostic, InputError
from govern.record.engine import read, write
from govern.record.tables import CONSOLE_TOKEN
from govern.server.settings import ROLES

if TYPE_CHECKING:
    from govern.record.store import Store

PREFIX = "gvt_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: str
    created_at: _dt.datetime
    revoked_at: _dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role, "created_at": self.created_at.isoformat(),
                "revoked_at": None if self.revoked_at is None else self.revoked_at.isoformat(),
                "active": self.revoked_at is None}


def _info(row: Any) -> TokenInfo:
    from govern.record.store import as_utc

    return TokenInfo(row.id, row.name, row.role, as_utc(row.created_at),
                     None if row.revoked_at is None else as_utc(row.revoked_at))


def create(store: "Store", name: str, role: str) -> tuple[TokenInfo, str]:
    """A new token: (its record, the token itself -- shown to the caller once, stored nowhere)."""
    from govern.record.store import now

    name = name.strip()
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise InputError(Diagnostic("token-bad-name", f"token name {name!r} must be 1-100 printable characters"))
    if role not in ROLES:
        raise InputError(Diagnostic("token-bad-role", f"role {role!r} is not one of {', '.join(ROLES)}"))
    token = PREFIX + secrets.token_urlsafe(32)
    values = {"name": name, "role": role, "token_hash": token_hash(token), "created_at": now()}
    try:
        with write(store.engine) as conn:
            row_id = conn.execute(insert(CONSOLE_TOKEN).values(**values).returning(CONSOLE_TOKEN.c.id)).scalar_one()
    except IntegrityError:
        raise InputError(Diagnostic("token-name-taken", f"a token named {name!r} exists (names are never reused)",
                                    hint="choose another name; `govern tokens list` shows them all")) from None
    return TokenInfo(int(row_id), name, role, values["created_at"], None), token


def listing(store: "Store") -> list[TokenInfo]:
    with read(store.engine) as conn:
        return [_info(r) for r in conn.execute(select(CONSOLE_TOKEN).order_by(CONSOLE_TOKEN.c.id))]


def revoke(store: "Store", name: str) -> TokenInfo:
    from govern.record.store import now

    with write(store.engine) as conn:
        row = conn.execute(select(CONSOLE_TOKEN).where(CONSOLE_TOKEN.c.name == name)).first()
        if row is None:
            from govern.errors import did_you_mean

            names = [r.name for r in conn.execute(select(CONSOLE_TOKEN.c.name))]
            raise InputError(Diagnostic("token-unknown", f"no token named {name!r}",
                                        hint=did_you_mean(name, names) or "`govern tokens list` shows them"))
        if row.revoked_at is None:
            conn.execute(update(CONSOLE_TOKEN).where(CONSOLE_TOKEN.c.id == row.id).values(revoked_at=now()))
    return next(t for t in listing(store) if t.name == name)


def lookup(store: "Store", token: str) -> TokenInfo | None:
    """The active token this is, or None (unknown, revoked, or not a govern token at all)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    with read(store.engine) as conn:
        row = conn.execute(select(CONSOLE_TOKEN).where(CONSOLE_TOKEN.c.token_hash == token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    return _info(row)

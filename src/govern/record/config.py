"""Which database the store uses: ``--database`` > ``GOVERN_DATABASE_URL`` > ``.govern/config.toml`` > SQLite.

Kept free of SQLAlchemy imports so resolving (and failing on) a URL costs nothing at start-up.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from govern.errors import Diagnostic, GovernError

ENV_VAR = "GOVERN_DATABASE_URL"
STORE_DIR = ".govern"
DEFAULT_FILE = "govern.db"
CONFIG_FILE = "config.toml"


class StoreError(GovernError):
    """The store cannot be opened or written: exit 2, and nothing half-written."""


def store_error(message: str, hint: str | None = None) -> StoreError:
    return StoreError(Diagnostic("store-unavailable", message, hint=hint or (
        "pass --no-record to skip recording, or point --database / GOVERN_DATABASE_URL at a writable store")))


def resolve_url(explicit: str | None = None, cwd: Path | None = None) -> str:
    """The SQLAlchemy URL to open; relative SQLite paths are anchored at ``cwd`` (default: the current dir)."""
    base = Path(cwd) if cwd is not None else Path.cwd()
    url = explicit or os.environ.get(ENV_VAR) or _from_config(base)
    if not url:
        return "sqlite:///" + (base / STORE_DIR / DEFAULT_FILE).as_posix()
    return normalise(url, base)


def _from_config(base: Path) -> str | None:
    path = base / STORE_DIR / CONFIG_FILE
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise store_error(f"{path}: cannot read store configuration: {exc}", "fix or remove the file") from None
    value = data.get("database_url")
    if value is not None and not isinstance(value, str):
        raise store_error(f"{path}: `database_url` must be a string", "e.g. database_url = \"postgresql://…\"")
    return value or None


def normalise(url: str, base: Path) -> str:
    """``postgresql://`` means psycopg 3 (the driver we ship), and ``sqlite:///rel`` is relative to ``base``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise store_error(f"`{url}` is not a database URL", "use sqlite:///path/to/govern.db or postgresql://host/db")
    if scheme in ("postgresql", "postgres"):
        return "postgresql+psycopg://" + rest
    if scheme == "sqlite":
        path = rest[1:] if rest.startswith("/") else rest
        if path and path != ":memory:" and not Path(path).is_absolute():
            return "sqlite:///" + (base / path).as_posix()
        return url
    if scheme in ("postgresql+psycopg", "sqlite+pysqlite"):
        return url
    raise store_error(f"unsupported database `{scheme}` in {url!r}", "govern stores to SQLite or PostgreSQL")


def redact(url: str) -> str:
    """A URL fit for messages: no password."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at or ":" not in creds:
        return url
    return f"{scheme}{sep}{creds.split(':', 1)[0]}:***@{host}"


def existing_store(explicit: str | None = None) -> str | None:
    """The store URL if a store is configured or present, else None.

    Reading commands (`status`, `history`, `audit`, `report`) must not create an empty
    SQLite file as a side effect of asking; a server URL is taken as present.
    """
    url = resolve_url(explicit)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return url if Path(url.removeprefix("sqlite:///")).is_file() else None
    return url


def no_store_error(explicit: str | None = None):
    from govern.errors import Diagnostic, InputError

    return InputError(Diagnostic("store-missing", f"no audit store at {redact(resolve_url(explicit))}",
                                 hint="`govern check` records there by default; or pass --database / "
                                      "GOVERN_DATABASE_URL"))

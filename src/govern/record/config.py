"""Which database the store uses: ``--database`` > ``GOVERN_DATABASE_URL`` > ``.govern/config.toml`` > SQLite,
and when it takes signed checkpoints (``[checkpoints]`` in the same file, ``GOVERN_WITNESS_KEY``).

Kept free of SQLAlchemy imports so resolving (and failing on) a URL costs nothing at start-up.
"""

from __future__ import annotations

import datetime as _dt
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govern.errors import Diagnostic, GovernError

ENV_VAR = "GOVERN_DATABASE_URL"
WITNESS_ENV = "GOVERN_WITNESS_KEY"
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


def _config(base: Path) -> tuple[Path, dict[str, Any]]:
    path = base / STORE_DIR / CONFIG_FILE
    if not path.is_file():
        return path, {}
    try:
        return path, tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise store_error(f"{path}: cannot read store configuration: {exc}", "fix or remove the file") from None


def _from_config(base: Path) -> str | None:
    path, data = _config(base)
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


@dataclass(frozen=True)
class CheckpointSettings:
    """When the store signs tree heads by itself, and when `govern status` says the newest one is too old.

    ``.govern/config.toml``::

        [checkpoints]
        witness_key = "witness"        # a key name in the key folder, or a path; GOVERN_WITNESS_KEY wins
        every = 100                    # after every 100 events (0: not by count)
        on_targets = ["production"]    # and after each decision for these stages
        max_age = "7d"                 # govern status warns when the newest checkpoint is older

    Without a witness key nothing is signed automatically (``every`` and ``on_targets`` then
    do nothing); ``max_age`` applies either way, so a risk team that signs by hand is reminded.
    """

    witness_key: str | None = None
    every: int = 100
    on_targets: tuple[str, ...] = ("production",)
    max_age: _dt.timedelta | None = None
    source: str = ""

    def due(self, events_since: int, target: str | None) -> bool:
        if not self.witness_key:
            return False
        return (target is not None and target in self.on_targets) or (0 < self.every <= events_since)


def checkpoint_settings(cwd: Path | None = None) -> CheckpointSettings:
    """The ``[checkpoints]`` table (all keys optional) and ``GOVERN_WITNESS_KEY``; StoreError if malformed."""
    path, data = _config(Path(cwd) if cwd is not None else Path.cwd())
    table = data.get("checkpoints", {})
    if not isinstance(table, dict):
        raise store_error(f"{path}: `checkpoints` must be a table", "see docs/signing.md, section Checkpoints")
    unknown = sorted(set(table) - {"witness_key", "every", "on_targets", "max_age"})
    if unknown:
        raise store_error(f"{path}: unknown key `checkpoints.{unknown[0]}`",
                          "expected witness_key, every, on_targets, max_age")
    key = os.environ.get(WITNESS_ENV) or table.get("witness_key")
    every = table.get("every", 100)
    targets = table.get("on_targets", ["production"])
    if key is not None and (not isinstance(key, str) or not key.strip()):
        raise store_error(f"{path}: `checkpoints.witness_key` must be a key name or path", "e.g. \"witness\"")
    if not isinstance(every, int) or isinstance(every, bool) or every < 0:
        raise store_error(f"{path}: `checkpoints.every` is {every!r}; expected a number of events (0: off)")
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise store_error(f"{path}: `checkpoints.on_targets` must be a list of stage ids", "e.g. [\"production\"]")
    max_age = None
    if "max_age" in table:
        from govern.policy.model import parse_duration

        try:
            max_age = parse_duration(str(table["max_age"]))
        except ValueError as exc:
            raise store_error(f"{path}: `checkpoints.max_age`: {exc}") from None
    source = WITNESS_ENV if os.environ.get(WITNESS_ENV) else str(path)
    return CheckpointSettings(key.strip() if key else None, every, tuple(targets), max_age, source)

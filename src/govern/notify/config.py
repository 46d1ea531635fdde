"""The notification file: which events, which channels, how hard to retry -- secrets only by name.

One YAML file (default ``.govern/notify.yaml``), read with the project's capped safe loader and
validated field by field, so every mistake is reported at ``file:line:col`` with what was
expected. A password, token, signing secret or webhook URL is never written in the file: the
file names the environment variable that holds it (``password_env``, ``token_env``,
``secret_env``, ``url_env``), and the values are read at start-up, kept out of every message
and redacted from any error text a server sends back. A key such as ``password:`` is refused
with a pointer to its ``_env`` form.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from govern.errors import Diagnostic, InputError, Span

if TYPE_CHECKING:
    from govern.notify.due import Notice

NoticeKind = Literal["request_opened", "decision_blocked", "approval_expiring", "waiver_expiring", "audit_failure"]
KINDS: tuple[str, ...] = ("request_opened", "decision_blocked", "approval_expiring", "waiver_expiring",
                          "audit_failure")
DEFAULT_PATH = Path(".govern") / "notify.yaml"
NAME = r"^[a-z0-9][a-z0-9_.-]*$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
#: keys that would put a secret in the file, and the key to use instead
SECRET_KEYS = {"password": "password_env", "token": "token_env", "secret": "secret_env", "api_key": "token_env"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Retry(_Strict):
    """Retries of one delivery: attempts in all, and the exponential backoff between them."""

    attempts: int = Field(3, ge=1, le=10)
    backoff_seconds: float = Field(2.0, ge=0, le=300)
    max_backoff_seconds: float = Field(60.0, ge=0, le=3600)
    timeout_seconds: float = Field(10.0, gt=0, le=120)


class NotifyFile(_Strict):
    """govern notification configuration"""

    within_days: int = Field(30, ge=0, le=3650, description="Approvals and waivers expiring within this many days.")
    events: list[NoticeKind] = Field(default_factory=lambda: list(KINDS))
    retry: Retry = Field(default_factory=Retry)
    max_per_run: int = Field(100, ge=1, le=10000, description="Deliveries per channel per run; the rest wait.")
    channels: list[dict[str, Any]] = Field(min_length=1)


class _Channel(_Strict):
    name: str = Field(pattern=NAME, description="Names the channel in the delivery log: renaming it re-sends.")
    events: list[NoticeKind] | None = None


class WebhookModel(_Channel):
    """webhook channel"""

    type: Literal["webhook"]
    url: str | None = Field(None, description="Only for URLs that are not secret; Slack and Teams URLs are: url_env.")
    url_env: str | None = Field(None, pattern=ENV_NAME)
    format: Literal["json", "slack", "teams"] = "json"
    token_env: str | None = Field(None, pattern=ENV_NAME, description="Sent as `Authorization: Bearer …`.")
    secret_env: str | None = Field(None, pattern=ENV_NAME,
                                   description="HMAC-SHA256 key: the body's MAC is sent as X-Govern-Signature.")

    @field_validator("url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("expected an http(s):// URL")
        return value


class EmailModel(_Channel):
    """email channel"""

    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = Field(True, description="Upgrade to TLS (certificate and host name verified) before anything else.")
    ca_file: str | None = Field(None, description="PEM file of the CA to trust (a private relay), relative to this file.")
    username: str | None = None
    password_env: str | None = Field(None, pattern=ENV_NAME)
    sender: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    to: list[str] = Field(default_factory=list)
    to_people: bool = Field(False, description="Also mail the people a request asks (their `email` in the pack, "
                                               "which `govern notify -p PACK` reads).")
    subject_prefix: str = "[govern]"

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.match(r"^[^@\s,<>]+@[^@\s,<>]+$", address):
                raise ValueError(f"{address!r} is not an email address")
        return value


@dataclass(frozen=True)
class Channel:
    """A configured channel with its secrets resolved (``secrets`` never leaves this process)."""

    name: str
    type: str
    events: frozenset[str]
    spec: WebhookModel | EmailModel
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    ca_file: Path | None = None

    def wants(self, kind: str) -> bool:
        return kind in self.events

    def recipients(self, notice: "Notice") -> list[str]:
        """An email channel's addresses for one notice: ``to``, plus the people it asks with ``to_people``."""
        spec = self.spec
        if not isinstance(spec, EmailModel):
            return []
        people = list(notice.people) if spec.to_people else []
        return list(dict.fromkeys([*spec.to, *people]))

    def takes(self, notice: "Notice") -> bool:
        """Whether this channel delivers ``notice``: its kind is wanted, and an email has someone to go to."""
        return self.wants(notice.kind) and (self.type != "email" or bool(self.recipients(notice)))


@dataclass(frozen=True)
class NotifyConfig:
    path: str
    within_days: int
    events: frozenset[str]
    retry: Retry
    channels: tuple[Channel, ...]
    max_per_run: int = 100
    #: variables named by the file but not set (an error unless nothing is sent: --dry-run)
    missing: tuple[Diagnostic, ...] = ()

    def secret_values(self) -> list[str]:
        return [v for c in self.channels for v in c.secrets.values() if v]


def resolve_path(path: Path | None) -> Path:
    if path is not None:
        return path
    env = os.environ.get("GOVERN_NOTIFY_CONFIG")
    return Path(env) if env else DEFAULT_PATH


def load_config(path: Path, environ: dict[str, str] | None = None) -> NotifyConfig:
    """Read and validate the file; every problem at once as an InputError (exit 2), sorted by position."""
    from govern.load.safe_yaml import load_yaml_file
    from govern.load.validation import validate_document

    env = dict(os.environ if environ is None else environ)
    if not path.is_file():
        raise InputError(Diagnostic("notify-config-missing", f"notification config {path} not found", Span(str(path)),
                                    "write one (see docs/notifications.md) or pass --config FILE"))
    doc = load_yaml_file(path, max_bytes=256 * 1024)
    problems: list[Diagnostic] = []
    data = doc.data
    if isinstance(data, dict):
        problems += _secret_keys(doc, data, ())
        data = _without_secrets(data)
    top, found = validate_document(doc, NotifyFile, data=data)
    problems += found
    channels: list[Channel] = []
    missing: list[Diagnostic] = []
    if top is not None:
        names: dict[str, int] = {}
        for i, raw in enumerate(top.channels):
            loc = ("channels", i)
            kind = raw.get("type")
            model = {"webhook": WebhookModel, "email": EmailModel}.get(kind) if isinstance(kind, str) else None
            if model is None:
                problems.append(doc.diagnostic("invalid-value", f"`channels.{i}.type`: expected `webhook` or `email`"
                                               f" (got {raw.get('type')!r})", loc + ("type",) if "type" in raw else loc))
                continue
            problems += _secret_keys(doc, raw, loc)
            spec, found = validate_document(doc, model, data=_without_secrets(raw), loc_prefix=loc)
            problems += found
            if spec is None:
                continue
            if spec.name in names:
                problems.append(doc.diagnostic("duplicate-channel", f"channel `{spec.name}` is defined twice "
                                               f"(first as channels.{names[spec.name]})", loc + ("name",)))
            names[spec.name] = i
            channel, wrong, unset = _channel(doc, spec, loc, top, env, path)
            problems += wrong
            missing += unset
            if channel is not None:
                channels.append(channel)
    if problems:
        raise InputError(sorted(problems, key=lambda d: d.sort_key()))
    assert top is not None
    return NotifyConfig(str(path), top.within_days, frozenset(top.events), top.retry, tuple(channels),
                        top.max_per_run, tuple(missing))


def _secret_keys(doc: Any, data: dict[str, Any], loc: tuple) -> list[Diagnostic]:
    """A secret written into the file: reported at its key, without the line (which would print it)."""
    return [Diagnostic("secret-in-config", f"`{key}` would put a secret in the file", doc.span(loc + (key,), key=True),
                       f"name the environment variable that holds it: `{SECRET_KEYS[key]}: VAR` (and change the "
                       "secret if the file was ever shared)") for key in data if key in SECRET_KEYS]


def _without_secrets(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in SECRET_KEYS}


def _channel(doc: Any, spec: WebhookModel | EmailModel, loc: tuple, top: NotifyFile, env: dict[str, str],
             path: Path) -> tuple[Channel | None, list[Diagnostic], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    missing: list[Diagnostic] = []
    secrets: dict[str, str] = {}

    def secret(key: str, var: str | None) -> None:
        if var is None:
            return
        value = env.get(var)
        if not value:
            missing.append(doc.diagnostic("notify-secret-unset", f"environment variable {var} (`{key}` of channel "
                                          f"`{spec.name}`) is not set", loc + (key,),
                                          "set it in the job's secrets; its value is never printed"))
        else:
            secrets[key] = value

    ca_file = None
    if isinstance(spec, WebhookModel):
        if (spec.url is None) == (spec.url_env is None):
            problems.append(doc.diagnostic("invalid-value", f"channel `{spec.name}`: give exactly one of `url` and "
                                           "`url_env`", loc, "Slack and Teams webhook URLs are secrets: url_env"))
        secret("url_env", spec.url_env)
        if "url_env" in secrets and not secrets["url_env"].startswith(("https://", "http://")):
            problems.append(doc.diagnostic("invalid-value", f"environment variable {spec.url_env} does not hold an "
                                           "http(s):// URL", loc + ("url_env",)))
        secret("token_env", spec.token_env)
        secret("secret_env", spec.secret_env)
    else:
        if not spec.to and not spec.to_people:
            problems.append(doc.diagnostic("missing-key", f"channel `{spec.name}`: give `to` (addresses), "
                                           "`to_people: true`, or both", loc))
        if spec.username is not None and spec.password_env is None:
            problems.append(doc.diagnostic("missing-key", f"channel `{spec.name}`: `username` needs `password_env`",
                                           loc + ("username",)))
        if spec.password_env is not None and not spec.starttls:
            problems.append(doc.diagnostic("invalid-value", f"channel `{spec.name}`: a password is never sent "
                                           "without TLS", loc + ("starttls",), "remove `starttls: false`"))
        secret("password_env", spec.password_env)
        if spec.ca_file is not None:
            ca_file = (path.parent / spec.ca_file).resolve()
            if not ca_file.is_file():
                problems.append(doc.diagnostic("invalid-value", f"`ca_file` {spec.ca_file} not found (relative to "
                                               f"{path.parent})", loc + ("ca_file",)))
    events = frozenset(spec.events) if spec.events is not None else frozenset(top.events)
    unused = sorted(events - set(top.events))
    if unused:
        problems.append(doc.diagnostic("invalid-value", f"channel `{spec.name}` asks for {', '.join(unused)}, which "
                                       "the top-level `events` turns off", loc + ("events",)))
    if problems:
        return None, problems, missing
    return Channel(spec.name, spec.type, events, spec, secrets, ca_file), problems, missing

"""Signed tree heads ("checkpoints"): a witness's Ed25519 signature over the log's size, root hash and time.

A checkpoint is what an auditor holds. Whoever has the database can rewrite rows, recompute
every hash and rebuild the tree -- but not sign with the witness's key, which the store never
holds (a risk officer's, a CI secret). Holding a checkpoint, anyone can later ask the store
to prove that its first ``tree_size`` leaves still hash to ``root_hash`` (a consistency
proof: nothing covered was changed, removed or reordered) or that one event is among them
(an inclusion proof) -- see :mod:`govern.record.proof`.

The file (``govern audit checkpoint -o FILE``) is JSON, documented in docs/signing.md::

    {"format": "govern-checkpoint", "version": 1, "log_id": "…", "tree_size": 42,
     "root_hash": "<64 hex>", "time": "2026-06-01T09:00:00Z",
     "key_fingerprint": "SHA256:…", "public_key": "<base64, 32 bytes>", "signature": "<base64, 64 bytes>"}

The signature is over ``canonical_json`` of the first six fields (format … time), so the
``format`` value separates it from every other thing govern signs. Pure: no database.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from govern.canonical import canonical_json
from govern.errors import Diagnostic, InputError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

FORMAT = "govern-checkpoint"
VERSION = 1
MAX_BYTES = 64 * 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
FIELDS = ("format", "version", "log_id", "tree_size", "root_hash", "time", "key_fingerprint", "public_key",
          "signature")


def utc_text(moment: _dt.datetime) -> str:
    return moment.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Checkpoint:
    log_id: str
    tree_size: int
    root_hash: str  # hex
    time: str  # YYYY-MM-DDTHH:MM:SSZ
    key_fingerprint: str
    public_key: str  # base64 of the 32 raw bytes
    signature: str  # base64 of the 64-byte signature

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.root_hash)

    @property
    def moment(self) -> _dt.datetime:
        return _dt.datetime.strptime(self.time, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)

    def signed_bytes(self) -> bytes:
        return signed_bytes(self.log_id, self.tree_size, self.root_hash, self.time)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, **asdict(self)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def describe(self) -> str:
        return f"checkpoint of {self.tree_size} leaves at {self.time} signed by {self.key_fingerprint}"

    def problem(self, witness: str | None = None) -> str | None:
        """Why this checkpoint cannot be trusted (bad signature, a key that is not ``witness``), or None.

        ``witness`` pins the expected key: a fingerprint (``SHA256:…``) or a public key (base64/PEM).
        """
        from cryptography.exceptions import InvalidSignature

        from govern.sign.keys import fingerprint, parse_public_key
        from govern.sign.payload import MalformedRecord, decode_signature

        try:
            key = parse_public_key(self.public_key)
            signature = decode_signature(self.signature)
        except (ValueError, MalformedRecord) as exc:
            return f"checkpoint is malformed: {exc}"
        if not (canonical_b64(self.public_key) and canonical_b64(self.signature)):
            return "checkpoint is malformed: its key or signature is not canonical base64 (altered?)"
        if fingerprint(key) != self.key_fingerprint:
            return f"checkpoint names key {self.key_fingerprint} but carries key {fingerprint(key)}"
        if witness is not None:
            expected = witness.strip()
            if not expected.startswith("SHA256:"):
                try:
                    expected = fingerprint(parse_public_key(expected))
                except ValueError as exc:
                    return f"the witness key given is not a public key: {exc}"
            if expected != self.key_fingerprint:
                return f"checkpoint is signed by {self.key_fingerprint}, not by the witness {expected}"
        try:
            key.verify(signature, self.signed_bytes())
        except InvalidSignature:
            return f"checkpoint signature does not verify ({self.describe()}: altered after signing?)"
        return None


def canonical_b64(text: str) -> bool:
    """Whether ``text`` is exactly how base64 writes its bytes: unused low bits changed are a changed file."""
    import base64
    import binascii

    try:
        return base64.b64encode(base64.b64decode(text, validate=True)).decode("ascii") == text
    except (binascii.Error, ValueError):
        return False


def signed_bytes(log_id: str, tree_size: int, root_hash: str, time: str) -> bytes:
    return canonical_json({"format": FORMAT, "version": VERSION, "log_id": log_id, "tree_size": tree_size,
                           "root_hash": root_hash, "time": time})


def sign(key: "Ed25519PrivateKey", log_id: str, tree_size: int, root: bytes, moment: _dt.datetime) -> Checkpoint:
    import base64

    from govern.sign.keys import fingerprint, public_b64

    time = utc_text(moment)
    signature = key.sign(signed_bytes(log_id, tree_size, root.hex(), time))
    public = key.public_key()
    return Checkpoint(log_id, tree_size, root.hex(), time, fingerprint(public), public_b64(public),
                      base64.b64encode(signature).decode("ascii"))


def from_data(data: Any, problem: Any = None) -> Checkpoint:
    """A checkpoint from parsed JSON; ``problem(message, loc)`` builds the error (default: a plain InputError)."""
    def fail(message: str, loc: tuple = ()) -> InputError:
        if problem is not None:
            return problem(message, loc)
        return InputError(Diagnostic("checkpoint-invalid", message))

    if not isinstance(data, Mapping):
        raise fail("a checkpoint is a JSON object")
    if data.get("format") != FORMAT:
        raise fail(f"`format` is {data.get('format')!r}, expected {FORMAT!r}", ("format",))
    if data.get("version") != VERSION:
        raise fail(f"checkpoint version {data.get('version')!r} is not one this govern reads (expected {VERSION})",
                   ("version",))
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise fail(f"unknown field `{unknown[0]}` (a checkpoint has: {', '.join(FIELDS)})", (unknown[0],))
    for name in FIELDS[2:]:
        value = data.get(name)
        if name == "tree_size":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise fail(f"`tree_size` is {value!r}, expected a positive integer", (name,))
        elif not isinstance(value, str) or not value:
            raise fail(f"`{name}` is {value!r}, expected a non-empty string", (name,))
    if not _HEX64.match(data["root_hash"]):
        raise fail(f"`root_hash` {data['root_hash']!r} is not 64 lowercase hex digits", ("root_hash",))
    if not _TIME.match(data["time"]):
        raise fail(f"`time` {data['time']!r} is not YYYY-MM-DDTHH:MM:SSZ", ("time",))
    return Checkpoint(*(data[name] for name in FIELDS[2:]))


def read_json_file(path: Path, what: str) -> Any:
    """A small JSON file (checkpoint, proof) as data, or InputError with file:line:col."""
    from govern.evidence.jsondoc import load_json_text
    from govern.load.safe_yaml import read_text

    return load_json_text(read_text(Path(path), max_bytes=MAX_BYTES if what == "checkpoint" else 16 * MAX_BYTES),
                          str(path))


def load(path: Path) -> Checkpoint:
    doc = read_json_file(path, "checkpoint")

    def problem(message: str, loc: tuple) -> InputError:
        return InputError(doc.diagnostic("checkpoint-invalid", message, loc,
                                         "a checkpoint file is written by `govern audit checkpoint -o FILE`"))

    return from_data(doc.data, problem)


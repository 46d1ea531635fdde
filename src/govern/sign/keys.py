"""Ed25519 keys: generation, safe storage, the public encodings a pack holds, fingerprints.

A private key is a PKCS#8 PEM file (encrypted when ``GOVERN_KEY_PASSPHRASE`` is set) written
with mode 0600 into a 0700 folder (default ``~/.govern/keys``, or ``GOVERN_KEY_DIR``); only
``govern sign`` and ``govern waive`` read it. A public key is published in the pack's
``people:`` entry as base64 of its 32 raw bytes (PEM is accepted too), and named by its
fingerprint: ``SHA256:`` + unpadded base64 of sha256 of the raw key, as OpenSSH prints them.

``cryptography`` is imported inside the functions that need it, so loading a policy (or
checking a bundle without records) never pays for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.errors import Diagnostic, GovernError, Span

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PASSPHRASE_ENV = "GOVERN_KEY_PASSPHRASE"
KEY_DIR_ENV = "GOVERN_KEY_DIR"
PRIVATE_SUFFIX = ".key"
PUBLIC_SUFFIX = ".pub"
KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
RAW_KEY_BYTES = 32


class SigningError(GovernError):
    """A key, record or signing request that cannot be used (exit 2): missing key, wrong signer, bad gate…"""


def _fail(code: str, message: str, where: str | None = None, hint: str | None = None) -> SigningError:
    return SigningError(Diagnostic(code, message, Span(where) if where else None, hint))


# -- public keys -----------------------------------------------------------------------------

def raw_public_bytes(public_key: "Ed25519PublicKey") -> bytes:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint_of_raw(raw: bytes) -> str:
    """``SHA256:<base64, no padding>`` of sha256 over the 32 raw public-key bytes."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode("ascii").rstrip("=")


def fingerprint(public_key: "Ed25519PublicKey") -> str:
    return fingerprint_of_raw(raw_public_bytes(public_key))


def public_b64(public_key: "Ed25519PublicKey") -> str:
    return base64.b64encode(raw_public_bytes(public_key)).decode("ascii")


def public_pem(public_key: "Ed25519PublicKey") -> str:
    from cryptography.hazmat.primitives import serialization

    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


#: DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): what a PEM `PUBLIC KEY` body starts with.
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def public_key_problem(text: str) -> str | None:
    """Why a pack's ``public_key`` text is not an Ed25519 public key, or None.

    A structural check without importing ``cryptography``, so `govern validate` can report a
    pasted RSA key or a truncated base64 at load time; the signature check itself happens later.
    """
    text = text.strip()
    if text.startswith("-----BEGIN PUBLIC KEY-----") and text.endswith("-----END PUBLIC KEY-----"):
        body = "".join(text.splitlines()[1:-1])
        try:
            der = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return "the PEM body is not base64"
        if len(der) != len(_ED25519_SPKI_PREFIX) + RAW_KEY_BYTES or not der.startswith(_ED25519_SPKI_PREFIX):
            return "a PEM public key, but not an Ed25519 one"
        return None
    if text.startswith("-----BEGIN"):
        return "a PEM block that is not a `PUBLIC KEY` (a private key must never be in a pack)"
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return "neither PEM nor base64"
    if len(raw) != RAW_KEY_BYTES:
        return f"base64 of {len(raw)} bytes; an Ed25519 public key has {RAW_KEY_BYTES}"
    return None


def parse_public_key(text: str) -> "Ed25519PublicKey":
    """A pack's ``public_key`` (base64 of the 32 raw bytes, or a PEM ``PUBLIC KEY`` block) → key.

    Raises ValueError with a one-line reason; callers decide how to report it.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    text = text.strip()
    if text.startswith("-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text.encode("ascii"))
        except (ValueError, UnicodeEncodeError, TypeError) as exc:
            raise ValueError(f"not a readable PEM public key ({exc})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"a {type(key).__name__} key, not Ed25519")
        return key
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("neither PEM nor base64") from None
    if len(raw) != RAW_KEY_BYTES:
        raise ValueError(f"base64 decodes to {len(raw)} bytes; an Ed25519 public key has {RAW_KEY_BYTES}")
    return Ed25519PublicKey.from_public_bytes(raw)


# -- private keys ----------------------------------------------------------------------------

def key_dir(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit.expanduser()
    env = os.environ.get(KEY_DIR_ENV)
    return Path(env).expanduser() if env else Path.home() / ".govern" / "keys"


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


@dataclass(frozen=True)
class GeneratedKey:
    name: str
    private_path: Path
    public_path: Path
    public_key: "Ed25519PublicKey"
    encrypted: bool

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "private_key": str(self.private_path), "public_key_file": str(self.public_path),
                "encrypted": self.encrypted, **describe_public(self.public_key)}


def describe_public(public_key: "Ed25519PublicKey") -> dict[str, str]:
    return {"fingerprint": fingerprint(public_key), "public_key_base64": public_b64(public_key),
            "public_key_pem": public_pem(public_key)}


def _write_exclusive(path: Path, data: bytes, mode: int, *, force: bool) -> None:
    """Write via a private temp file + rename; refuse to replace ``path`` unless ``force``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # the umask may have narrowed or (on some systems) ignored the mode
        if force:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)  # fails if the target exists: never overwrite a key silently
            os.unlink(tmp)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def generate(name: str, directory: Path | None = None, *, force: bool = False) -> GeneratedKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not KEY_NAME.match(name):
        raise _fail("key-bad-name", f"`{name}` is not a key name",
                    hint="use letters, digits, `.`, `_` and `-` (at most 64), e.g. validator-1")
    folder = key_dir(directory)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    private_path, public_path = folder / f"{name}{PRIVATE_SUFFIX}", folder / f"{name}{PUBLIC_SUFFIX}"
    if not force:
        for existing in (private_path, public_path):
            if existing.exists():
                raise _fail("key-exists", f"{existing} already exists; refusing to overwrite a key",
                            str(existing), "pick another --name, or pass --force to replace it (the old key's "
                            "sign-offs stop verifying once the pack drops its public key)")
    key = Ed25519PrivateKey.generate()
    passphrase = _passphrase()
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    try:
        _write_exclusive(private_path, private_pem, 0o600, force=force)
        _write_exclusive(public_path, public_pem(key.public_key()).encode("ascii"), 0o644, force=force)
    except FileExistsError as exc:
        raise _fail("key-exists", f"{exc.filename or private_path} already exists; refusing to overwrite a key",
                    hint="pass --force to replace it") from None
    return GeneratedKey(name, private_path, public_path, key.public_key(), passphrase is not None)


def resolve_key_path(key: str, directory: Path | None = None, *, public: bool = False) -> Path:
    """``--key`` → a file: an existing path as given, else ``<key dir>/<name>.key`` (``.pub`` if ``public``)."""
    path = Path(key).expanduser()
    if path.is_file():
        return path
    if KEY_NAME.match(key):
        folder = key_dir(directory)
        candidates = ([folder / f"{key}{PUBLIC_SUFFIX}"] if public else []) + [folder / f"{key}{PRIVATE_SUFFIX}"]
        for candidate in candidates:
            if candidate.is_file():
                return candidate
    raise _fail("key-not-found", f"no key file `{key}`", key,
                f"give a path, or a name generated with `govern keys generate --name NAME` (looked in "
                f"{key_dir(directory)})")


def load_private_key(path: Path) -> "Ed25519PrivateKey":
    """Read a PKCS#8 PEM private key (passphrase from ``GOVERN_KEY_PASSPHRASE`` when encrypted)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    shown = str(path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise _fail("key-not-a-file", f"{shown} is not a regular file", shown)
        if st.st_size > 64 * 1024:
            raise _fail("key-malformed", f"{shown} is too large to be a private key", shown)
        data = path.read_bytes()
    except OSError as exc:
        raise _fail("key-unreadable", f"cannot read {shown}: {exc.strerror or exc}", shown) from None
    if b"PRIVATE KEY" not in data:
        raise _fail("key-not-private", f"{shown} is not a private key (PEM `PRIVATE KEY` block)", shown,
                    "pass the `.key` file written by `govern keys generate`, not the `.pub` file")
    encrypted = b"ENCRYPTED PRIVATE KEY" in data
    passphrase = _passphrase()
    if encrypted and passphrase is None:
        raise _fail("key-passphrase-missing", f"{shown} is encrypted", shown,
                    f"set {PASSPHRASE_ENV} to its passphrase")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except (ValueError, TypeError) as exc:
        message = "wrong passphrase, or the file is damaged" if encrypted else f"unreadable private key ({exc})"
        raise _fail("key-malformed", f"{shown}: {message}", shown) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise _fail("key-wrong-type", f"{shown} holds a {type(key).__name__}, not an Ed25519 key", shown,
                    "generate one with `govern keys generate`")
    return key


def loose_permissions(path: Path) -> bool:
    """Whether a private key file is readable by group or others (as OpenSSH warns)."""
    try:
        return os.name == "posix" and bool(path.stat().st_mode & 0o077)
    except OSError:
        return False


def load_public_key_file(path: Path) -> "Ed25519PublicKey":
    """A ``.pub`` PEM, a private key file (its public half) or a file holding base64 → public key."""
    shown = str(path)
    try:
        data = path.read_bytes()[: 64 * 1024]
    except OSError as exc:
        raise _fail("key-unreadable", f"cannot read {shown}: {exc.strerror or exc}", shown) from None
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    try:
        return parse_public_key(data.decode("ascii"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail("key-malformed", f"{shown}: {exc}", shown) from None

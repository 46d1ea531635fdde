"""Fixtures for signing tests: keys for the mini pack's people, a keyed copy of the pack, evidence copies."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "golden" / "mini"
EVIDENCE = ROOT / "examples" / "credit-risk" / "evidence"
AS_OF = "2026-06-01"
PEOPLE = ("alice", "victor", "vera", "rita")
FRIA = ("\n## Fundamental rights impact assessment\n\nThe assessment covers affected groups, risks of "
        "discrimination in credit access, mitigation and human oversight.\n")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def govern(*args: str | Path) -> Result:
    """Run the CLI in-process exactly as `govern ...` would (same main(), same exit codes)."""
    from govern.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory) -> Path:
    """One key pair per person of the mini pack, plus `mallory`, whose key is in no pack."""
    from govern.sign.keys import generate

    folder = tmp_path_factory.mktemp("keys")
    for name in PEOPLE + ("mallory",):
        generate(name, folder)
    return folder


@pytest.fixture(autouse=True)
def _own_store(tmp_path, monkeypatch):
    """Each signing test its own store: what another test folder stored never counts here."""
    monkeypatch.setenv("GOVERN_DATABASE_URL", f"sqlite:///{tmp_path / 'store' / 'govern.db'}")


@pytest.fixture(autouse=True)
def _keys_env(monkeypatch, key_dir):
    monkeypatch.setenv("GOVERN_KEY_DIR", str(key_dir))
    monkeypatch.delenv("GOVERN_KEY_PASSPHRASE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


def public_b64(key_dir: Path, name: str) -> str:
    from govern.sign.keys import load_public_key_file, public_b64 as b64

    return b64(load_public_key_file(key_dir / f"{name}.pub"))


def add_keys(pack: Path, key_dir: Path, people=PEOPLE) -> None:
    text = (pack / "policy.yaml").read_text()
    for person in people:
        key = public_b64(key_dir, person)
        text, n = re.subn(r"(\{id: %s,[^}]*)\}" % person, lambda m: f'{m.group(1)}, public_key: "{key}"}}', text)
        assert n == 1, person
    (pack / "policy.yaml").write_text(text)


@pytest.fixture
def pack(tmp_path, key_dir) -> Path:
    """A copy of the mini pack whose people have public keys."""
    target = tmp_path / "pack"
    shutil.copytree(MINI, target)
    add_keys(target, key_dir)
    return target


@pytest.fixture
def use_case(pack) -> Path:
    return pack / "use_cases" / "credit.yaml"


def copy_evidence(target: Path, fria: bool = True) -> Path:
    shutil.copytree(EVIDENCE, target)
    (target / "manifest.yaml").unlink()
    if fria:  # the production gate needs it; added BEFORE signing, since signatures bind to the evidence
        card = target / "model_card.md"
        card.write_text(card.read_text() + FRIA)
    return target


@pytest.fixture
def evidence(tmp_path) -> Path:
    return copy_evidence(tmp_path / "evidence")


@pytest.fixture
def sign(pack, use_case, evidence):
    """`govern sign` with the usual arguments; keyword arguments override or add options."""

    def run(signer: str, role: str = "validator", *, gate: str = "production", decision: str = "approve",
            key: str | None = None, at: str = "2026-05-01T09:00:00Z", uc: Path | None = None,
            extra: tuple = ("--into-evidence", "--no-store")) -> Result:
        return govern("sign", uc or use_case, "-p", pack, "-e", evidence, "--gate", gate, "--role", role,
                      "--decision", decision, "--key", key or signer, "--signer", signer, "--at", at, *extra)

    return run


@pytest.fixture
def check(pack, use_case, evidence):
    def run(as_of: str = AS_OF, uc: Path | None = None, ev: Path | None = None) -> Result:
        return govern("check", uc or use_case, "-p", pack, "-e", ev or evidence, "--target", "production",
                      "--as-of", as_of, "--no-record", "-f", "json")

    return run


def gate_of(result: Result, gate: str = "production") -> dict:
    return next(g for g in result.json()["gates"] if g["id"] == gate)


def signoff_of(result: Result, role: str = "validator") -> dict:
    return next(s for s in gate_of(result)["signoffs"] if s["role"] == role)


def check_of(result: Result, check_id: str) -> dict:
    return next(c for c in gate_of(result)["checks"] if c["id"] == check_id)

"""A real MLflow tracking server for the session, populated by a real training run of the credit example.

The server (`mlflow server`, SQLite backend store, artifacts proxied from a folder under the
session's tmp dir) listens on a free loopback port and is stopped at the end of the session.
MLflow's telemetry is off in this process and in every child (MLFLOW_DISABLE_TELEMETRY,
DO_NOT_TRACK), so nothing leaves 127.0.0.1.

`examples/credit-risk/log_to_mlflow.py` trains and tests the credit model (build_evidence.py)
and logs it with the MLflow client: version 1 (1.2.0, alias `champion`) and version 2 (1.3.0).
It starts while the server is still starting (it trains first, then waits for the server), so
the two slow steps overlap.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("mlflow")
pytest.importorskip("sklearn")
pytest.importorskip("skops")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "credit-risk"
MINI = ROOT / "tests" / "golden" / "mini"
PEOPLE = ("alice", "victor", "vera", "rita")
QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1", "MLFLOW_ENABLE_ASYNC_LOGGING": "false"}

for _name, _value in QUIET.items():  # this process too: the tests call the MLflow client directly
    os.environ[_name] = _value


@dataclass
class Registry:
    uri: str
    model: str
    version: str
    run_id: str
    champion_version: str
    champion_run_id: str
    validation_run_id: str
    experiment_id: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(uri: str) -> bool:
    try:
        with urllib.request.urlopen(uri + "/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    env = {**os.environ, **QUIET}
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
         "--artifacts-destination", str(folder / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield uri
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)  # the server's own process group (uvicorn workers too)
            process.wait(timeout=3)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def wait_until_up(uri: str, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not _healthy(uri):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the MLflow server at {uri} did not start within {timeout:.0f} s")
        time.sleep(0.3)


@pytest.fixture(scope="session")
def registry(mlflow_server, tmp_path_factory) -> Registry:
    """The credit example logged by its own script; the server is started alongside."""
    work = tmp_path_factory.mktemp("credit-mlflow")
    env = {**os.environ, **QUIET, "PYTHONHASHSEED": "0"}
    logging = subprocess.Popen([sys.executable, str(EXAMPLE / "log_to_mlflow.py"), "--tracking-uri", mlflow_server,
                                "--work", str(work)], cwd=work, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    wait_until_up(mlflow_server)
    out, err = logging.communicate(timeout=600)
    assert logging.returncode == 0, err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    return Registry(mlflow_server, result["model_name"], result["version"], result["run_id"],
                    result["champion_version"], result["champion_run_id"], result["validation_run_id"],
                    result["experiment_id"])


@pytest.fixture(scope="session")
def client(registry):
    from mlflow import MlflowClient

    return MlflowClient(registry.uri)


# -- a keyed copy of the mini pack (as tests/sign does) and a use case it classifies as high ---------

@pytest.fixture(scope="session")
def key_dir(tmp_path_factory) -> Path:
    from govern.sign.keys import generate

    folder = tmp_path_factory.mktemp("keys")
    for name in PEOPLE:
        generate(name, folder)
    return folder


@pytest.fixture(autouse=True)
def _env(monkeypatch, key_dir):
    monkeypatch.setenv("GOVERN_KEY_DIR", str(key_dir))
    monkeypatch.delenv("GOVERN_KEY_PASSPHRASE", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture(scope="session")
def pack(tmp_path_factory, key_dir) -> Path:
    """The mini pack with its people's public keys; its high tier gates validation (AUC vs a floor and
    the champion, a model card) and production (JUnit suites, two validators and a risk officer)."""
    from govern.sign.keys import load_public_key_file, public_b64

    target = tmp_path_factory.mktemp("pack") / "mini"
    shutil.copytree(MINI, target)
    text = (target / "policy.yaml").read_text()
    for person in PEOPLE:
        key = public_b64(load_public_key_file(key_dir / f"{person}.pub"))
        text, n = re.subn(r"(\{id: %s,[^}]*)\}" % person, lambda m: f'{m.group(1)}, public_key: "{key}"}}', text)
        assert n == 1
    (target / "policy.yaml").write_text(text)
    # an internal model: the public-audience FRIA section is not required of it
    use_case = (target / "use_cases" / "credit.yaml").read_text().replace("audience: public", "audience: internal_many")
    (target / "use_cases" / "internal.yaml").write_text(use_case)
    return target


@pytest.fixture(scope="session")
def use_case(pack) -> Path:
    return pack / "use_cases" / "internal.yaml"

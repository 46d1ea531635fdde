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


@pytest.fixture(autouse=True, scope="session")
def _no_mlflow_files_in_the_checkout():
    """MLflow writes `./mlruns` and `./mlflow.db` where it runs when told nothing else: never in the checkout."""
    found = lambda: [p.name for p in (ROOT / "mlruns", ROOT / "mlflow.db", ROOT / "mlartifacts") if p.exists()]  # noqa: E731
    before = found()
    yield
    assert found() == before, f"an MLflow test wrote {sorted(set(found()) - set(before))} into the checkout"


@pytest.fixture(scope="session")
def registry(tmp_path_factory) -> Registry:
    """The server, and the credit example logged by its own script (which trains while the server starts)."""
    folder = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    # no background job runner (huey workers): the tests need the REST API and the artifact proxy only
    env = {**os.environ, **QUIET, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
         "--artifacts-destination", str(folder / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        work = tmp_path_factory.mktemp("credit-mlflow")
        logging = subprocess.Popen([sys.executable, str(EXAMPLE / "log_to_mlflow.py"), "--tracking-uri", uri,
                                    "--work", str(work)], cwd=work, env={**env, "PYTHONHASHSEED": "0"},
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 240
        while not _healthy(uri):
            if server.poll() is not None or time.monotonic() > deadline:
                logging.kill()
                logging.communicate()
                raise RuntimeError(f"the MLflow server did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(0.3)
        out, err = logging.communicate(timeout=600)
        assert logging.returncode == 0, err[-3000:]
        result = json.loads(out.strip().splitlines()[-1])
        yield Registry(uri, result["model_name"], result["version"], result["run_id"], result["champion_version"],
                       result["champion_run_id"], result["validation_run_id"], result["experiment_id"])
    finally:
        try:  # the server's own process group: the CLI and its uvicorn worker
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=2)  # a throwaway server: no need to wait for a graceful exit
            except subprocess.TimeoutExpired:
                pass
            os.killpg(server.pid, signal.SIGKILL)  # whatever of the group is still there
        except ProcessLookupError:
            pass
        server.wait(timeout=10)
        log.close()


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
def _env(monkeypatch, key_dir, tmp_path):
    # each test its own store: the sign-offs and registry events here must not count in other folders' tests
    monkeypatch.setenv("GOVERN_DATABASE_URL", f"sqlite:///{tmp_path / 'store' / 'govern.db'}")
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

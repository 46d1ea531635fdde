"""A tracking URI → an MLflow client that fails fast and clearly, and never phones home.

Every MLflow call govern makes goes through :func:`calling`, which turns the client's
exceptions into :class:`MlflowError` (exit 2, no traceback): an unreachable server, a model
that does not exist, a permission refused. MLflow's own defaults would retry a dead server
for minutes and send usage telemetry; govern is a CI gate that must answer quickly and talk
only to the server it was given, so both are turned down (an explicit environment setting
still wins).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator
from urllib.parse import urlsplit

from govern.errors import Diagnostic, Span
from govern.evidence.mlflow.uri import MlflowError

if TYPE_CHECKING:
    from mlflow import MlflowClient

#: Set before MLflow is imported, unless the user set them: no telemetry, few quick retries.
QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "1",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
}
#: How long the reachability probe of an HTTP server may take.
PROBE_SECONDS = 10.0


@dataclass
class Connection:
    """An MLflow client bound to one tracking server (which also serves the registry)."""

    uri: str
    client: "MlflowClient"


def tracking_uri(option: str | None) -> str:
    """``--tracking-uri``, else ``MLFLOW_TRACKING_URI``; govern never falls back to MLflow's default of a
    store in the current folder, which would silently create an empty one and find nothing."""
    uri = (option or os.environ.get("MLFLOW_TRACKING_URI") or "").strip()
    if not uri:
        raise MlflowError(Diagnostic(
            "mlflow-no-tracking-uri", "no MLflow tracking server given", Span("--tracking-uri"),
            "pass --tracking-uri http://HOST:PORT (or a local store such as sqlite:///mlflow.db), "
            "or set MLFLOW_TRACKING_URI"))
    return uri


def public_uri(uri: str) -> str:
    """The tracking URI without credentials: what the audit log may hold and compare."""
    scheme, sep, rest = uri.partition("://")
    creds, at, host = rest.rpartition("@")
    return f"{scheme}{sep}{host}" if at else uri


def connect(option: str | None) -> Connection:
    """Resolve the URI, check an HTTP server answers, and make the client."""
    uri = tracking_uri(option)
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    scheme = urlsplit(uri).scheme.lower()
    if scheme in ("http", "https"):
        _probe(uri)
    elif scheme in ("databricks", "uc", "databricks-uc"):
        raise MlflowError(Diagnostic("mlflow-unsupported-server", f"tracking URI `{uri}` is not supported",
                                     Span("--tracking-uri"), "use an MLflow tracking server (http[s]://) or a "
                                     "local store (file:, sqlite:)"))
    with calling(uri, "connect"):
        import mlflow
        from mlflow import MlflowClient

        # artifact repositories built from `models:/` and `mlflow-artifacts:` URIs consult the
        # global URIs, not the client's: point them at the same server.
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(os.environ.get("MLFLOW_REGISTRY_URI") or uri)
        client = MlflowClient(tracking_uri=uri, registry_uri=os.environ.get("MLFLOW_REGISTRY_URI") or uri)
    return Connection(uri, client)


def _probe(uri: str) -> None:
    """GET ``/health``: a dead or wrong address is one clear error in seconds, not minutes of retries."""
    import urllib.error
    import urllib.request

    url = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=PROBE_SECONDS) as response:  # noqa: S310 (http/https only)
            response.read(64)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return  # an authenticating proxy: the client sends MLFLOW_TRACKING_TOKEN/USERNAME itself
        raise _unreachable(uri, f"HTTP {exc.code} from {url}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise _unreachable(uri, str(reason)) from None


def _unreachable(uri: str, reason: str) -> MlflowError:
    return MlflowError(Diagnostic(
        "mlflow-unreachable", f"cannot reach the MLflow tracking server at {uri}: {reason}", Span("--tracking-uri"),
        "start the server (`mlflow server --host 127.0.0.1 --port 5000`), or fix --tracking-uri / "
        "MLFLOW_TRACKING_URI"))


@contextlib.contextmanager
def calling(uri: str, what: str, *, missing: str | None = None) -> Iterator[None]:
    """Run MLflow calls; their failures become :class:`MlflowError`. ``missing`` words a not-found error."""
    try:
        yield
    except MlflowError:
        raise
    except ImportError as exc:
        raise MlflowError(Diagnostic("mlflow-not-installed", f"the MLflow client is not installed ({exc})",
                                     hint="pip install 'govern[mlflow]'")) from None
    except Exception as exc:  # MlflowException, requests' errors, OSError from artifact stores
        raise _translate(exc, uri, what, missing) from None


def _translate(exc: Exception, uri: str, what: str, missing: str | None) -> MlflowError:
    code = str(getattr(exc, "error_code", "") or "")
    message = str(getattr(exc, "message", None) or exc).strip().splitlines()[0][:500] if str(exc) else type(exc).__name__
    if code == "RESOURCE_DOES_NOT_EXIST" or "not found" in message.lower():
        return MlflowError(Diagnostic("mlflow-not-found", missing or f"{what}: {message}", Span("--mlflow"),
                                      f"list what the server holds in its UI ({uri}) or with the MLflow client"))
    if code in ("PERMISSION_DENIED", "UNAUTHENTICATED") or "403" in message or "401" in message:
        return MlflowError(Diagnostic("mlflow-permission", f"{what}: MLflow refused: {message}",
                                      Span("--tracking-uri"), "set MLFLOW_TRACKING_TOKEN or "
                                      "MLFLOW_TRACKING_USERNAME/PASSWORD for this server"))
    name = type(exc).__name__
    if name in ("ConnectionError", "MaxRetryError", "NewConnectionError", "Timeout", "ReadTimeout") or \
            "Max retries exceeded" in message:
        return _unreachable(uri, message)
    return MlflowError(Diagnostic("mlflow-error", f"{what}: {message}", Span("--mlflow")))


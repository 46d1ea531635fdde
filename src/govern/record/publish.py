"""Send a signed checkpoint out of the database: into a git repository, or to a webhook.

A checkpoint is worth something only where the database's holder cannot reach it: an
auditor's git repository (whose history is itself append-only and reviewed), or an endpoint
the risk function runs. Both are delivered *after* the checkpoint is stored and signed, and
a failed delivery is an error that says the checkpoint exists but did not leave -- never a
silent success.
"""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from govern.errors import Diagnostic, InputError, Span

if TYPE_CHECKING:
    from govern.record.checkpoint import Checkpoint

TIMEOUT_SECONDS = 10


def _failed(where: str, cp: "Checkpoint", why: str, hint: str) -> InputError:
    return InputError(Diagnostic("checkpoint-not-delivered",
                                 f"checkpoint of {cp.tree_size} leaves is stored but was not delivered to {where}: {why}",
                                 Span(where), hint))


def file_name(cp: "Checkpoint") -> str:
    """One file per tree size: a later checkpoint never overwrites an earlier one in the history."""
    return f"checkpoint-{cp.tree_size:012d}-{cp.root_hash.split(':')[-1][:16]}.json"


def to_git(repo: Path, cp: "Checkpoint", folder: str = "checkpoints") -> Path:
    """Write the checkpoint into ``repo/folder/`` and commit it; returns the file written."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=60)

    try:
        inside = git("rev-parse", "--is-inside-work-tree")
    except FileNotFoundError:
        raise _failed(str(repo), cp, "git is not installed", "install git, or write the file with -o") from None
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        raise _failed(str(repo), cp, "not a git work tree", "`git init` it, or name the auditor's clone")
    path = repo / folder / file_name(cp)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(cp.to_json(), encoding="utf-8")
    identity = ["-c", "user.name=govern", "-c", "user.email=govern@localhost"]  # used only if none is set
    committed = git("add", "--", str(path.relative_to(repo)))
    if committed.returncode == 0:
        has_identity = git("config", "user.email").returncode == 0
        committed = git(*([] if has_identity else identity), "commit", "--quiet", "-m",
                        f"govern audit checkpoint: {cp.tree_size} leaves, root {cp.root_hash}", "--",
                        str(path.relative_to(repo)))
    if committed.returncode != 0:
        raise _failed(str(repo), cp, (committed.stderr or committed.stdout).strip() or "git commit failed",
                      "commit the file by hand; it is written")
    return path


def to_webhook(url: str, cp: "Checkpoint") -> int:
    """POST the checkpoint JSON to ``url``; returns the HTTP status (2xx), else raises."""
    if not url.startswith(("https://", "http://")):
        raise _failed(url, cp, "not an http(s) URL", "give https://… (http:// only for a local receiver)")
    request = urllib.request.Request(url, data=cp.to_json().encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "govern"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - http(s) only
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        raise _failed(url, cp, f"HTTP {exc.code} {exc.reason}", "check the receiver; send again with --latest") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _failed(url, cp, str(reason), "check the URL and the network; send again with --latest") from None
    if not 200 <= status < 300:
        raise _failed(url, cp, f"HTTP {status}", "check the receiver; send again with --latest")
    return status

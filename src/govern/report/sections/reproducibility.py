"""Section 11, Reproducibility: locked packages, seeds, data digests, and the evidence manifest.

``evidence_manifest`` is also embedded in the PDF as a file, so it is built here, beside the
table that shows the same files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.report.formatting import human_size
from govern.report.sections.common import checks_of

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle


def build_reproducibility(decision: dict[str, Any], bundle: "EvidenceBundle | None") -> dict[str, Any]:
    info: dict[str, Any] = {"checks": [], "packages": [], "environment_file": None, "seeds": [], "data": [],
                            "manifest": [], "bundle_available": bundle is not None, "note": None,
                            "python": None}
    for g, c in checks_of(decision, "reproducibility"):
        m = c.get("measured") or {}
        info["checks"].append({"qid": f"{g['id']}.{c['id']}", "title": c.get("title") or c["id"],
                               "status": c["status"], "message": c.get("message") or "",
                               "unpinned": list(m.get("unpinned") or []),
                               "mismatches": list(m.get("digest_mismatches") or [])})
        if not info["seeds"] and isinstance(m.get("seeds"), dict):
            info["seeds"] = [{"name": k, "value": v} for k, v in m["seeds"].items()]
        for e in c.get("evidence", []):
            if e["path"].startswith("environment/"):
                continue
            if all(d["path"] != e["path"] for d in info["data"]):
                info["data"].append({"path": e["path"], "sha256": e.get("sha256")})
    if bundle is None:
        info["note"] = "The evidence folder was not available when this report was rendered."
        return info
    env_files = bundle.files_with_role("environment")
    if env_files:
        try:
            from govern.evidence.environment import load_environment

            env = load_environment(env_files[0], bundle)
            info["environment_file"] = env.file
            info["environment_format"] = env.format
            info["packages"] = [{"name": k, "version": v or "UNPINNED"} for k, v in sorted(env.packages.items())]
        except Exception as exc:  # noqa: BLE001
            from govern.errors import GovernError

            if not isinstance(exc, GovernError):
                raise
            info["note"] = "; ".join(d.message for d in exc.diagnostics)
        try:
            head = env_files[0].abs_path.read_text("utf-8", "replace")[:4000]
            for line in head.splitlines():
                if line.startswith("#") and "python" in line.lower() and "==" in line:
                    info["python"] = line.lstrip("# ").strip()
                    break
        except OSError:
            pass
    if not info["seeds"]:
        seed_files = bundle.files_with_role("seeds")
        if seed_files:
            try:
                from govern.evidence.environment import load_seeds

                info["seeds"] = [{"name": k, "value": v} for k, v in load_seeds(seed_files[0]).items()]
            except Exception:  # noqa: BLE001 -- shown as absent; the reproducibility check reports why
                pass
    roles: dict[str, int] = {}
    for f in bundle.files():
        if f.role in ("signoff", "waiver"):
            continue
        info["manifest"].append({"path": f.path, "role": f.role, "size": human_size(f.size), "sha256": f.sha256})
        roles[f.role] = roles.get(f.role, 0) + 1
    info["manifest_roles"] = ", ".join(f"{n} {role.replace('_', ' ')}" for role, n in sorted(roles.items()))
    return info


def evidence_manifest(decision: dict[str, Any], bundle: "EvidenceBundle | None") -> dict[str, Any]:
    """The manifest embedded in the PDF: every evidence file (path, role, size, sha256) and the digests."""
    data: dict[str, Any] = {"evidence_digest": decision.get("evidence_digest"),
                            "model_digest": decision.get("model_digest")}
    if bundle is not None:
        data["bundle"] = bundle.name
        data["files"] = [{"path": f.path, "role": f.role, "size": f.size, "sha256": f.sha256} for f in bundle.files()]
    else:  # from the decision alone: the files checks read
        seen: dict[str, str] = {}
        for g in decision.get("gates", []):
            for c in g["checks"]:
                for e in c.get("evidence", []):
                    seen.setdefault(e["path"], e["sha256"])
        data["files"] = [{"path": p, "sha256": s} for p, s in sorted(seen.items())]
        data["note"] = "reconstructed from the files the checks read; the evidence folder was not available"
    return data

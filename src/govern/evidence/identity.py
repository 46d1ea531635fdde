"""An evidence bundle → the digests that name what is approved: the evidence and the model in it.

Sign-off and waiver records live in the bundle too (``signoffs/``, ``waivers/``) but approve
the rest of it, so they are left out: adding a signature must not make itself stale.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.canonical import digest

from govern.evidence.bundle import conventional_role

if TYPE_CHECKING:
    from govern.evidence.bundle import EvidenceBundle
    from govern.evidence.files import EvidenceFile

RECORD_ROLES = ("signoff", "waiver", "registration")


def is_record_file(f: "EvidenceFile") -> bool:
    """A signed record in its own folder (``signoffs/``, ``waivers/``, ``registrations/``).

    Only these are left out of the evidence digest. A role alone is not enough: a manifest that
    labels a data file ``role: waiver`` must not take that file's bytes out of what approvals bind to.
    """
    return f.role in RECORD_ROLES and conventional_role(f.path) == f.role


def evidence_digest(bundle: "EvidenceBundle") -> str:
    """Every byte of the bundle except its signed records: whatever a check reads is in here."""
    return digest([[f.path, f.sha256] for f in bundle.files() if not is_record_file(f)])


def model_digest(bundle: "EvidenceBundle") -> str:
    """The model artifacts (``model/…`` files) if the bundle has them, else its model card, else the evidence.

    Retraining changes the artifact, so approvals bound to this digest go stale exactly when
    the model changes.
    """
    chosen = [f for f in bundle.files_with_role("artifact") if f.path.startswith("model/")]
    chosen = chosen or bundle.files_with_role("model_card")
    if not chosen:
        return evidence_digest(bundle)
    return digest([[f.path, f.sha256] for f in sorted(chosen, key=lambda f: f.path)])

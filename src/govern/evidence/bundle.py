"""An evidence folder → :class:`EvidenceBundle`: every file confined, given a role, digestible.

Opening a bundle walks the folder once (no hashing), refuses anything that could make
govern read outside it (escaping symlinks, special files), reads the optional manifest
and assigns roles, by manifest or by naming convention. Problems found here concern the
bundle as a whole and raise :class:`EvidenceError`; looking up a missing or unsafe file
later raises :class:`InputError`, which a check turns into an ``error`` status.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from govern.canonical import digest as canonical_digest
from govern.errors import Diagnostic, EvidenceError, GovernError, InputError, Span
from govern.evidence import files as _files
from govern.evidence.files import ROLES, EvidenceFile
from govern.evidence.paths import confine, normalise

if TYPE_CHECKING:  # pydantic models are built only when a bundle has a manifest (CLI start-up stays lean)
    from govern.evidence.manifest import Manifest
    from govern.load.safe_yaml import YamlDocument

#: kept here (not imported from the manifest module) so bundles without one never load pydantic
MANIFEST_NAMES = ("manifest.yaml", "manifest.yml", "manifest.json")

#: The model card of a Hugging Face repository; the bundle's model card unless another file is.
HF_CARD = "README.md"
#: OS junk that never counts as evidence (Finder writes it whenever a folder is opened).
IGNORED_NAMES = frozenset({".DS_Store"})
#: A bundle with more files than this is not evidence but a DoS.
MAX_FILES = 100_000

#: (role, pattern on the bundle-relative posix path); first match wins.
CONVENTIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((role, re.compile(pattern)) for role, pattern in (
    ("model_card", r"model_card\.(?:md|yaml|yml|json)"),
    ("metrics", r"metrics\.json"),
    ("champion_metrics", r"champion_metrics\.json"),
    ("junit", r"junit/.+\.xml|(?:.+/)?[^/]+\.junit\.xml"),
    ("lineage", r"lineage\.(?:yaml|yml)|(?:.+/)?dvc\.(?:lock|yaml|yml)"),
    ("openlineage", r"openlineage/.+\.(?:json|jsonl|ndjson)"),
    ("seeds", r"environment/seeds\.json"),
    ("environment", r"environment/(?:requirements[^/]*\.txt|pylock(?:\.[^/]+)?\.toml|environment\.ya?ml)"),
    ("data", r"data/.+\.(?:csv|parquet)"),
    ("artifact", r"model/.+\.(?:skops|onnx)"),
    ("suite_results", r"(?:great_expectations|evidently|deepchecks|gx/uncommitted/validations)/.+\.json"),
    ("signoff", r"signoffs/[^/]+\.(?:yaml|yml|json)"),
    ("waiver", r"waivers/[^/]+\.(?:yaml|yml|json)"),
    ("registration", r"registrations/[^/]+\.(?:yaml|yml|json)"),
))


def conventional_role(path: str) -> str | None:
    """The role a file has by naming convention, or None."""
    for role, pattern in CONVENTIONS:
        if pattern.fullmatch(path):
            return role
    return None


@dataclass(frozen=True)
class _Walk:
    files: dict[str, EvidenceFile]
    problems: list[Diagnostic]


class EvidenceBundle:
    """A confined, role-indexed view of an evidence folder.

    Use :meth:`open`; the constructor is internal.
    """

    def __init__(self, root: Path, files: dict[str, EvidenceFile], manifest: Manifest | None,
                 manifest_doc: YamlDocument | None) -> None:
        self.root = root
        self.manifest = manifest
        self.manifest_doc = manifest_doc
        self._files = dict(sorted(files.items()))
        self._digest: str | None = None
        self._by_role: dict[str, list[EvidenceFile]] | None = None

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, root: Path, *, verify: bool = True) -> EvidenceBundle:
        """Walk ``root``, read its manifest, assign roles; with ``verify`` also check listed digests.

        Raises :class:`EvidenceError` with every problem found (not just the first).
        """
        root_text = str(root)
        try:
            resolved = Path(root).resolve(strict=True)
        except (OSError, RuntimeError):
            raise EvidenceError(Diagnostic("evidence-root-missing", f"evidence folder {root_text} does not exist",
                                           Span(root_text))) from None
        if not resolved.is_dir():
            raise EvidenceError(Diagnostic("evidence-root-not-a-folder",
                                           f"evidence {root_text} is not a folder", Span(root_text)))
        walk = _walk(resolved)
        if walk.problems:
            raise EvidenceError(walk.problems)
        manifest, doc = _read_manifest(walk.files)
        problems: list[Diagnostic] = []
        if manifest is not None and doc is not None:
            problems.extend(_apply_manifest(resolved, walk.files, manifest, doc))
        _apply_conventions(walk.files, manifest)
        if problems:
            raise EvidenceError(problems)
        bundle = cls(resolved, walk.files, manifest, doc)
        if verify:
            mismatches = bundle.verify()
            if mismatches:
                raise EvidenceError(mismatches)
        return bundle

    def verify(self) -> list[Diagnostic]:
        """Diagnostics for every manifest-listed sha256 that does not match the file's content."""
        if self.manifest is None or self.manifest_doc is None:
            return []
        out: list[Diagnostic] = []
        for i, entry in enumerate(self.manifest.files):
            norm = normalise(entry.path)
            ef = self._files.get(norm or "")
            if entry.sha256 is None or ef is None:
                continue
            if ef.sha256 != entry.sha256:
                out.append(self.manifest_doc.diagnostic(
                    "evidence-digest-mismatch",
                    f"`{ef.path}` does not match the manifest: expected sha256 {entry.sha256}, actual {ef.sha256}",
                    ("files", i, "sha256"),
                    "the file changed after the manifest was written; regenerate evidence, or investigate"))
        return out

    # -- lookup --------------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        return self.manifest.bundle if self.manifest else None

    def files(self) -> list[EvidenceFile]:
        """All regular files, sorted by path."""
        return list(self._files.values())

    def files_with_role(self, role: str) -> list[EvidenceFile]:
        """Files with a built-in role (ROLES) or a custom one the manifest gives (a policy's document roles)."""
        return list(self._roles().get(role, ()))

    def is_role(self, name: str) -> bool:
        return name in ROLES or name in self._roles()

    def _roles(self) -> dict[str, list[EvidenceFile]]:
        """role → files, built once: checks ask for roles many times per evaluation."""
        if self._by_role is None:
            index: dict[str, list[EvidenceFile]] = {}
            for f in self._files.values():
                index.setdefault(f.role, []).append(f)
            self._by_role = index
        return self._by_role

    def get(self, role_or_path: str) -> EvidenceFile | None:
        """Like :meth:`file` but None when absent (unsafe paths and ambiguity still raise)."""
        try:
            return self.file(role_or_path)
        except InputError as exc:
            if all(d.code == "evidence-missing" for d in exc.diagnostics):
                return None
            raise

    def file(self, role_or_path: str) -> EvidenceFile:
        """The single file with that role, or the file at that bundle-relative path.

        A known role name (``metrics``, ``model_card`` …) is looked up as a role; anything
        else is a path. Role lookups with several candidates are ambiguous and refused, so
        a check never silently reads the wrong one of two model cards.
        """
        if self.is_role(role_or_path):
            found = self.files_with_role(role_or_path)
            if len(found) == 1:
                return found[0]
            if not found:
                raise InputError(Diagnostic("evidence-missing", f"the evidence bundle has no `{role_or_path}` file",
                                            Span(role_or_path), _role_hint(role_or_path)))
            raise InputError(Diagnostic(
                "evidence-ambiguous", f"{len(found)} files have role `{role_or_path}`: "
                + ", ".join(f.path for f in found), Span(role_or_path),
                "name the file by path, or give roles in manifest.yaml"))
        self.resolve(role_or_path)  # raises on unsafe paths
        norm = normalise(role_or_path) or role_or_path
        ef = self._files.get(norm)
        if ef is None:
            raise InputError(Diagnostic("evidence-missing", f"the evidence bundle has no file `{norm}`", Span(norm)))
        return ef

    def resolve(self, relative_path: str) -> Path:
        """Absolute path of a bundle-relative path, refusing anything that leaves the bundle."""
        target, problem = confine(self.root, relative_path)
        if problem is not None:
            raise InputError(problem)
        assert target is not None
        return target

    # -- identity ------------------------------------------------------------------------
    def digest(self) -> str:
        """``sha256:`` of canonical JSON of the sorted ``[path, sha256]`` pairs of all files.

        Depends only on relative paths and contents, so a copied folder has the same digest
        and one changed byte (or renamed file) gives a different one.
        """
        if self._digest is None:
            self._digest = canonical_digest([[f.path, f.sha256] for f in self._files.values()])
        return self._digest

    def to_dict(self) -> dict[str, object]:
        return {"digest": self.digest(), "name": self.name, "files": [f.to_dict() for f in self._files.values()]}


def _role_hint(role: str) -> str | None:
    for name, pattern in CONVENTIONS:
        if name == role:
            also = f" (or is {HF_CARD}, a Hugging Face card)" if role == "model_card" else ""
            return f"by convention its path matches `{pattern.pattern}`{also}, or list it in manifest.yaml"
    return "list it in manifest.yaml with this role"


def _walk(root: Path) -> _Walk:
    """Every regular file under ``root`` (symlinks to files inside included), without following dirs."""
    files: dict[str, EvidenceFile] = {}
    problems: list[Diagnostic] = []
    stack: list[tuple[Path, str]] = [(root, "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(Diagnostic("evidence-unreadable", f"cannot list {prefix or '.'}: {exc.strerror}",
                                       Span(prefix or ".")))
            continue
        for entry in entries:
            if entry.name in IGNORED_NAMES:
                continue
            rel = prefix + entry.name
            try:
                rel.encode("utf-8")
            except UnicodeEncodeError:
                problems.append(Diagnostic("evidence-bad-filename", f"file name {rel!r} is not valid UTF-8",
                                           Span(rel.encode("utf-8", "replace").decode())))
                continue
            if len(files) >= MAX_FILES:
                raise EvidenceError(Diagnostic("evidence-too-many-files",
                                               f"the bundle holds more than {MAX_FILES} files", Span(".")))
            if entry.is_symlink():
                _symlink(root, Path(entry.path), rel, files, problems)
            elif entry.is_dir(follow_symlinks=False):
                stack.append((Path(entry.path), rel + "/"))
            elif entry.is_file(follow_symlinks=False):
                _add(files, problems, rel, Path(entry.path), entry.stat(follow_symlinks=False).st_size)
            else:
                problems.append(Diagnostic("evidence-special-file",
                                           f"`{rel}` is not a regular file (FIFO, socket or device)", Span(rel),
                                           "only regular files can be evidence"))
    return _Walk(files, problems)


def _symlink(root: Path, link: Path, rel: str, files: dict[str, EvidenceFile], problems: list[Diagnostic]) -> None:
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        problems.append(Diagnostic("evidence-broken-symlink", f"`{rel}` is a broken or looping symlink", Span(rel)))
        return
    if not target.is_relative_to(root):
        problems.append(Diagnostic("evidence-path-escape", f"`{rel}` is a symlink to {target}, outside the bundle",
                                   Span(rel), "copy the file into the bundle instead of linking to it"))
        return
    st = target.stat()
    if stat.S_ISDIR(st.st_mode):
        problems.append(Diagnostic("evidence-symlink-dir", f"`{rel}` is a symlink to a folder", Span(rel),
                                   "symlinked folders are not followed (loops, double counting); copy the files"))
    elif stat.S_ISREG(st.st_mode):
        _add(files, problems, rel, target, st.st_size)
    else:
        problems.append(Diagnostic("evidence-special-file", f"`{rel}` links to something that is not a regular file",
                                   Span(rel)))


def _add(files: dict[str, EvidenceFile], problems: list[Diagnostic], rel: str, path: Path, size: int) -> None:
    if size > _files.DATA_MAX_BYTES:
        problems.append(Diagnostic("evidence-too-large",
                                   f"`{rel}` is {size} bytes; no evidence file may exceed {_files.DATA_MAX_BYTES}",
                                   Span(rel)))
        return
    files[rel] = EvidenceFile(rel, path, size)


def _read_manifest(files: dict[str, EvidenceFile]) -> tuple[Manifest | None, YamlDocument | None]:
    present = [name for name in MANIFEST_NAMES if name in files]
    if not present:
        return None, None
    if len(present) > 1:
        raise EvidenceError(Diagnostic("evidence-manifest-ambiguous",
                                       "the bundle has several manifests: " + ", ".join(present), Span(present[0]),
                                       "keep exactly one manifest"))
    from govern.evidence.manifest import load_manifest

    ef = files[present[0]]
    ef.role = "manifest"
    try:
        return load_manifest(ef.abs_path, ef.path)
    except GovernError as exc:
        raise EvidenceError(exc.diagnostics) from None


def _apply_manifest(root: Path, files: dict[str, EvidenceFile], manifest: Manifest,
                    doc: YamlDocument) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(manifest.files):
        span = doc.span(("files", i, "path"))
        line = doc.source_line(span.line)
        norm = normalise(entry.path)
        target: Path | None = None
        if norm is None or norm not in files:  # the walk already confined every file it found
            target, problem = confine(root, entry.path, span=span)
            if problem is not None:
                problems.append(Diagnostic(problem.code, problem.message, span, problem.hint, line))
                continue
        assert norm is not None
        if norm in seen:
            problems.append(Diagnostic("evidence-manifest-duplicate",
                                       f"`{norm}` is listed twice (first as files[{seen[norm]}])", span, None, line))
            continue
        seen[norm] = i
        ef = files.get(norm)
        if ef is None:
            what = "is a folder" if target is not None and target.is_dir() else "does not exist"
            problems.append(Diagnostic("evidence-file-missing", f"manifest lists `{norm}`, which {what}",
                                       span, None, line))
            continue
        if ef.role == "manifest":
            problems.append(Diagnostic("evidence-manifest-invalid", "the manifest cannot list itself", span, None, line))
            continue
        ef.role = entry.role
        ef.declared_sha256 = entry.sha256
    return problems


def _apply_conventions(files: dict[str, EvidenceFile], manifest: Manifest | None) -> None:
    """Give unlisted files their conventional role, unless the manifest already owns that role.

    A manifest that names a ``metrics`` file decides what the metrics are: a stray
    ``metrics.json`` next to it must not become a second (ambiguous) candidate.
    """
    owned = {entry.role for entry in manifest.files} if manifest else set()
    listed = {normalise(entry.path) for entry in manifest.files} if manifest else set()
    for path, ef in files.items():
        if ef.role == "manifest" or path in listed:
            continue
        role = conventional_role(path)
        if role is not None and role not in owned:
            ef.role = role
    # A Hugging Face repository's card is its README.md: the model card when nothing else is one
    card = files.get(HF_CARD)
    if (card is not None and HF_CARD not in listed and "model_card" not in owned
            and not any(f.role == "model_card" for f in files.values())):
        card.role = "model_card"

"""A lock or freeze file (requirements*.txt, pylock.toml, conda environment.yml) → :class:`Environment`;
``seeds.json`` → named integer seeds.

The ``reproducibility`` check asks two questions: is every package pinned to one exact
version, and were the seeds recorded? Each format is parsed just far enough to answer
them with a line number for every line govern cannot understand. Requirement includes
(``-r other.txt``) are followed only inside the evidence bundle.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any, Protocol

from govern.errors import Diagnostic, GovernError, InputError, Span
from govern.evidence.files import EvidenceFile
from govern.evidence.jsondoc import load_json_text
from govern.evidence.reading import Source, read_text
from govern.load.safe_yaml import load_yaml_text

MAX_INCLUDE_DEPTH = 8


class _Bundle(Protocol):
    def file(self, role_or_path: str) -> EvidenceFile: ...


@dataclass
class Environment:
    """``packages`` maps normalised names to the exact pinned version, or None when not pinned."""

    packages: dict[str, str | None]
    unpinned: list[str]
    file: str
    format: str
    #: every file read (the main one first, then ``-r``/``-c`` includes)
    files: list[str] = field(default_factory=list)

    @property
    def fully_pinned(self) -> bool:
        return not self.unpinned and bool(self.packages)


def canonical_name(name: str) -> str:
    """PEP 503 normalisation: ``Scikit_Learn`` and ``scikit-learn`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def load_environment(source: Source, bundle: _Bundle | None = None) -> Environment:
    """Dispatch on the file name: ``*.toml`` → pylock, ``*.yml``/``*.yaml`` → conda, else requirements."""
    name = source.path if isinstance(source, EvidenceFile) else str(source)
    base = posixpath.basename(name).lower()
    if base.endswith(".toml"):
        return load_pylock(source)
    if base.endswith((".yml", ".yaml")):
        return load_conda(source)
    return load_requirements(source, bundle)


# -- requirements.txt / pip freeze -----------------------------------------------------------
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REQ = re.compile(rf"^(?P<name>{_NAME})\s*(?:\[[^\]]*\])?\s*(?P<rest>.*)$")
_SPEC = re.compile(r"^\s*(===|==|~=|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$")
_EGG = re.compile(rf"[#&]egg=({_NAME})")
_IGNORED_OPTIONS = {
    "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links", "--trusted-host", "--pre",
    "--prefer-binary", "--only-binary", "--no-binary", "--require-hashes", "--use-feature",
}
_PER_REQ_OPTIONS = re.compile(r"\s--hash(?:=|\s+)\S+")


@dataclass
class _ReqState:
    packages: dict[str, str | None] = field(default_factory=dict)
    constraints: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)


def load_requirements(source: Source, bundle: _Bundle | None = None) -> Environment:
    """Parse a requirements/freeze file; only ``==``/``===`` without wildcards counts as pinned."""
    state = _ReqState()
    _parse_requirements(source, bundle, state, [], constraint=False)
    if state.problems:
        raise InputError(state.problems)
    packages = {n: (v or state.constraints.get(n)) for n, v in state.packages.items()}
    main = state.files[0]
    return Environment(packages, sorted(n for n, v in packages.items() if v is None), main, "requirements",
                       state.files)


def _parse_requirements(source: Source, bundle: _Bundle | None, state: _ReqState, stack: list[str],
                        *, constraint: bool) -> None:
    text, name = read_text(source, "environment", allow_empty=True)
    state.files.append(name)
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        start = i
        line = lines[i]
        while line.endswith("\\") and i + 1 < len(lines):  # pip joins continuation lines
            i += 1
            line = line[:-1] + " " + lines[i]
        i += 1
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if not line:
            continue
        span = Span(name, start + 1, 1)
        if line.startswith("-"):
            _option(line, span, lines[start], name, bundle, state, stack + [name], constraint)
            continue
        line = _PER_REQ_OPTIONS.sub("", " " + line).strip()
        parsed = _requirement(line)
        if parsed is None:
            state.problems.append(Diagnostic("env-bad-requirement", f"cannot read requirement `{line}`", span,
                                             "expected `name==version` as `pip freeze` writes it", lines[start]))
            continue
        pkg, version, has_marker = parsed
        if constraint:
            if version is not None:
                state.constraints.setdefault(pkg, version)
            continue
        old = state.packages.get(pkg)
        if pkg in state.packages and old != version and not has_marker and old is not None and version is not None:
            state.problems.append(Diagnostic("env-conflicting-pin", f"`{pkg}` is pinned to both {old} and {version}",
                                             span, None, lines[start]))
            continue
        if old is None:
            state.packages[pkg] = version


def _requirement(line: str) -> tuple[str, str | None, bool] | None:
    """(normalised name, exact version or None, has an environment marker)."""
    if "://" in line.split("@", 1)[0] or line.startswith((".", "/")):
        egg = _EGG.search(line)  # bare URL or path: only a #egg= fragment names it
        return (canonical_name(egg.group(1)), None, False) if egg else None
    match = _REQ.match(line)
    if match is None:
        return None
    rest = match.group("rest").strip()
    pkg = canonical_name(match.group("name"))
    if rest.startswith("@"):  # PEP 508 direct reference: not a version pin
        return pkg, None, " ;" in rest
    spec, _, marker = rest.partition(";")
    spec = spec.strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1].strip()
    if not spec:
        return pkg, None, bool(marker.strip())
    parts = [p for p in spec.split(",")]
    specs = [_SPEC.match(p) for p in parts]
    if any(s is None for s in specs):
        return None
    exact = [s for s in specs if s is not None and s.group(1) in ("==", "===") and "*" not in s.group(2)]
    version = exact[0].group(2) if len(specs) == 1 and exact else None
    return pkg, version, bool(marker.strip())


def _option(line: str, span: Span, raw: str, name: str, bundle: _Bundle | None, state: _ReqState,
            stack: list[str], constraint: bool) -> None:
    opt = re.split(r"[=\s]", line, maxsplit=1)[0]
    value = line[len(opt):].lstrip(" =\t").strip()
    if opt in ("-r", "--requirement", "-c", "--constraint"):
        _include(value, opt in ("-c", "--constraint") or constraint, span, raw, name, bundle, state, stack)
    elif opt in ("-e", "--editable"):
        egg = _EGG.search(value)
        if egg:
            state.packages.setdefault(canonical_name(egg.group(1)), None)
        else:
            state.packages.setdefault(f"editable:{value}", None)
    elif opt not in _IGNORED_OPTIONS:
        state.problems.append(Diagnostic("env-unsupported-option", f"unsupported option `{opt}`", span, None, raw))


def _include(target: str, constraint: bool, span: Span, raw: str, name: str, bundle: _Bundle | None,
             state: _ReqState, stack: list[str]) -> None:
    if bundle is None:
        state.problems.append(Diagnostic("env-include-unsupported", f"cannot follow `{raw.strip()}` outside a bundle",
                                         span, "inline the included requirements", raw))
        return
    rel = posixpath.normpath(posixpath.join(posixpath.dirname(name), target)) if not target.startswith("/") else target
    if target.startswith("/") or "://" in target or rel.startswith(".."):
        state.problems.append(Diagnostic("evidence-path-escape", f"include `{target}` leaves the evidence bundle",
                                         span, "includes must name files inside the bundle", raw))
        return
    if rel in stack or len(stack) > MAX_INCLUDE_DEPTH:
        state.problems.append(Diagnostic("env-include-cycle", f"include `{target}` loops or nests too deep",
                                         span, None, raw))
        return
    try:
        included = bundle.file(rel)
        _parse_requirements(included, bundle, state, stack, constraint=constraint)
    except GovernError as exc:
        state.problems.extend(Diagnostic(d.code, d.message, d.span or span, d.hint, d.source_line)
                              for d in exc.diagnostics)


# -- pylock.toml (PEP 751) -------------------------------------------------------------------
_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_pylock(source: Source) -> Environment:
    """PEP 751 lock: every ``[[packages]]`` entry needs a ``name``; one without ``version`` is not pinned."""
    text, name = read_text(source, "environment")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        pos = _TOML_POS.search(str(exc))
        line, col = (int(pos.group(1)), int(pos.group(2))) if pos else (1, 1)
        message = _TOML_POS.sub("", str(exc)).strip()
        lines = text.split("\n")
        raise InputError(Diagnostic("toml-syntax", f"invalid TOML: {message}", Span(name, line, col),
                                    source_line=lines[line - 1] if 0 < line <= len(lines) else None)) from None
    problems: list[Diagnostic] = []
    if not isinstance(data.get("lock-version"), str):
        problems.append(Diagnostic("pylock-invalid", "missing `lock-version` (PEP 751 requires it)", Span(name)))
    entries = data.get("packages", [])
    if not isinstance(entries, list):
        problems.append(Diagnostic("pylock-invalid", "`packages` must be an array of tables", Span(name)))
        entries = []
    packages: dict[str, str | None] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            problems.append(Diagnostic("pylock-invalid", f"packages[{i}] has no `name`", Span(name)))
            continue
        version = entry.get("version")
        if version is not None and not isinstance(version, str):
            problems.append(Diagnostic("pylock-invalid", f"packages[{i}].version must be a string", Span(name)))
            continue
        pkg = canonical_name(entry["name"])
        if packages.get(pkg) is None:
            packages[pkg] = version
    if problems:
        raise InputError(problems)
    return Environment(packages, sorted(n for n, v in packages.items() if v is None), name, "pylock", [name])


# -- conda environment.yml -------------------------------------------------------------------
_CONDA = re.compile(r"^(?:[^:\s]+::)?(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<spec>.*)$")


def load_conda(source: Source) -> Environment:
    """Conda env file. ``pkg=1.2.3`` (what ``conda env export --no-builds`` writes), ``pkg==1.2.3`` and
    ``pkg=1.2.3=build`` count as pinned; ranges, wildcards and bare names do not. A ``pip:`` list is
    read as requirement lines."""
    text, name = read_text(source, "environment")
    doc = load_yaml_text(text, name)
    deps = doc.data.get("dependencies") if isinstance(doc.data, dict) else None
    if not isinstance(deps, list):
        raise InputError(doc.diagnostic("conda-invalid", "a conda environment needs a `dependencies` list",
                                        ("dependencies",)))
    packages: dict[str, str | None] = {}
    problems: list[Diagnostic] = []
    for i, dep in enumerate(deps):
        if isinstance(dep, dict) and set(dep) == {"pip"} and isinstance(dep["pip"], list):
            for j, line in enumerate(dep["pip"]):
                parsed = _requirement(str(line).strip()) if isinstance(line, str) else None
                if parsed is None:
                    problems.append(doc.diagnostic("env-bad-requirement", f"cannot read pip requirement {line!r}",
                                                   ("dependencies", i, "pip", j)))
                else:
                    packages.setdefault(parsed[0], parsed[1])
            continue
        match = _CONDA.match(dep) if isinstance(dep, str) else None
        if match is None:
            problems.append(doc.diagnostic("conda-invalid", f"cannot read dependency {dep!r}", ("dependencies", i)))
            continue
        packages.setdefault(canonical_name(match.group("name")), _conda_version(match.group("spec").strip()))
    if problems:
        raise InputError(problems)
    return Environment(packages, sorted(n for n, v in packages.items() if v is None), name, "conda", [name])


def _conda_version(spec: str) -> str | None:
    if spec.startswith("=="):
        version = spec[2:].strip()
    elif spec.startswith("="):
        version = spec[1:].split("=", 1)[0].strip()
    elif spec and spec[0].isalnum():
        version = spec.split()[0]  # match-spec form: "numpy 1.26.4 py311_0"
    else:
        return None
    if not version or any(c in version for c in "*<>!|,~"):
        return None
    return version


# -- seeds.json ------------------------------------------------------------------------------
def load_seeds(source: Source) -> dict[str, int]:
    """``{"numpy": 42, "torch": 7}``: every value an integer (not a bool, not a float)."""
    text, name = read_text(source, "seeds")
    doc = load_json_text(text, name)
    if not isinstance(doc.data, dict):
        raise InputError(doc.diagnostic("seeds-invalid", "seeds must be a JSON object of name → integer",
                                        hint='e.g. {"numpy": 42, "train_test_split": 7}'))
    problems = [doc.diagnostic("seeds-invalid", f"seed `{k}` must be an integer, got {_kind(v)}", (k,))
                for k, v in doc.data.items() if not isinstance(v, int) or isinstance(v, bool)]
    if problems:
        raise InputError(problems)
    return dict(doc.data)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__

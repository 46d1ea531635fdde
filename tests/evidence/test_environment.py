"""Environment locks (requirements, pylock.toml, conda) and seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import InputError
from govern.evidence.bundle import EvidenceBundle
from govern.evidence.environment import (
    canonical_name, load_conda, load_environment, load_pylock, load_requirements, load_seeds,
)

from .conftest import write_tree


def diags(exc: pytest.ExceptionInfo) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in exc.value.diagnostics]


def test_requirements_with_include_inside_bundle(fixture_bundle: Path) -> None:
    bundle = EvidenceBundle.open(fixture_bundle)
    env = load_environment(bundle.file("environment"), bundle)
    assert env.format == "requirements" and env.fully_pinned
    assert env.packages == {"numpy": "1.26.4", "pandas": "2.2.2", "scikit-learn": "1.5.0", "scipy": "1.13.1"}
    assert env.files == ["environment/requirements.txt", "environment/base.txt"]
    assert load_seeds(bundle.file("seeds")) == {"numpy": 42, "train_test_split": 7}


def test_unpinned_forms(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "--index-url https://pypi.org/simple\n"
        "Scikit_Learn>=1.4\nnumpy\npandas==2.*\nrequests[socks]==2.32.3 ; python_version >= '3.8'\n"
        "torch @ https://download.pytorch.org/whl/torch-2.3.0.whl\n"
        "-e git+https://github.com/org/lib.git@abc#egg=mylib\n"
        "attrs===23.2.0\nclick==8.1.7,<9\n")
    env = load_requirements(tmp_path / "requirements.txt")
    assert env.packages["requests"] == "2.32.3" and env.packages["attrs"] == "23.2.0"
    assert env.unpinned == ["click", "mylib", "numpy", "pandas", "scikit-learn", "torch"]
    assert not env.fully_pinned


def test_constraints_pin_listed_packages(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"environment/requirements.txt": "numpy\n-c constraints.txt\n",
                                 "environment/constraints.txt": "numpy==1.26.4\nscipy==1.0\n"})
    bundle = EvidenceBundle.open(root)
    env = load_requirements(bundle.file("environment"), bundle)
    assert env.packages == {"numpy": "1.26.4"} and env.unpinned == []


@pytest.mark.parametrize("include,code", [
    ("-r ../../outside.txt", "evidence-path-escape"), ("-r /etc/passwd", "evidence-path-escape"),
    ("--requirement=https://example.org/r.txt", "evidence-path-escape"),
    ("-r missing.txt", "evidence-missing"), ("-r requirements.txt", "env-include-cycle"),
])
def test_includes_are_confined(tmp_path: Path, include: str, code: str) -> None:
    root = write_tree(tmp_path / "b", {"environment/requirements.txt": f"numpy==1.0\n{include}\n"})
    write_tree(tmp_path, {"outside.txt": "evil==1\n"})
    bundle = EvidenceBundle.open(root)
    with pytest.raises(InputError) as exc:
        load_requirements(bundle.file("environment"), bundle)
    assert exc.value.diagnostics[0].code == code


def test_includes_without_bundle_and_bad_lines(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("numpy==1.0\n-r other.txt\n!!!\n--weird-option\nnumpy==2.0\n")
    with pytest.raises(InputError) as exc:
        load_requirements(tmp_path / "r.txt")
    assert diags(exc) == [("env-include-unsupported", 2), ("env-bad-requirement", 3),
                          ("env-unsupported-option", 4), ("env-conflicting-pin", 5)]


def test_pylock(tmp_path: Path) -> None:
    (tmp_path / "pylock.toml").write_text(
        'lock-version = "1.0"\ncreated-by = "uv"\n\n[[packages]]\nname = "NumPy"\nversion = "1.26.4"\n\n'
        '[[packages]]\nname = "local-lib"\ndirectory = { path = "." }\n')
    env = load_environment(tmp_path / "pylock.toml")
    assert env.format == "pylock" and env.packages == {"numpy": "1.26.4", "local-lib": None}
    assert env.unpinned == ["local-lib"]


@pytest.mark.parametrize("text,code,line", [
    ('lock-version = "1.0"\n[[packages]]\nname = \n', "toml-syntax", 3),
    ('[[packages]]\nversion = "1"\n', "pylock-invalid", 0),
])
def test_bad_pylock(tmp_path: Path, text: str, code: str, line: int) -> None:
    (tmp_path / "pylock.toml").write_text(text)
    with pytest.raises(InputError) as exc:
        load_pylock(tmp_path / "pylock.toml")
    assert diags(exc)[0] == (code, line)


def test_conda(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text(
        "name: credit\nchannels: [conda-forge]\ndependencies:\n  - python=3.11.9\n"
        "  - conda-forge::numpy=1.26.4=py311h64a7726_0\n  - pandas==2.2.2\n  - scipy>=1.11\n  - lightgbm\n"
        "  - xgboost 2.0.3\n  - sklearn=1.*\n  - pip:\n      - shap==0.45.0\n      - rich\n")
    env = load_conda(tmp_path / "environment.yml")
    assert env.packages["numpy"] == "1.26.4" and env.packages["python"] == "3.11.9"
    assert env.packages["xgboost"] == "2.0.3" and env.packages["shap"] == "0.45.0"
    assert env.unpinned == ["lightgbm", "rich", "scipy", "sklearn"]


def test_bad_conda(tmp_path: Path) -> None:
    (tmp_path / "environment.yml").write_text("name: x\ndependencies:\n  - numpy=1\n  - {pip: [5]}\n  - [a]\n")
    with pytest.raises(InputError) as exc:
        load_conda(tmp_path / "environment.yml")
    assert diags(exc) == [("env-bad-requirement", 4), ("conda-invalid", 5)]
    (tmp_path / "environment.yml").write_text("name: x\n")
    with pytest.raises(InputError) as exc:
        load_conda(tmp_path / "environment.yml")
    assert diags(exc)[0][0] == "conda-invalid"


@pytest.mark.parametrize("text,code,line", [
    ('{"numpy": 42,\n "torch": 4.2,\n "py": true}', "seeds-invalid", 2),
    ("[42]", "seeds-invalid", 1),
    ('{"a": NaN}', "json-non-finite", 1),
    ("{", "json-syntax", 1),
])
def test_bad_seeds(tmp_path: Path, text: str, code: str, line: int) -> None:
    (tmp_path / "seeds.json").write_text(text)
    with pytest.raises(InputError) as exc:
        load_seeds(tmp_path / "seeds.json")
    assert diags(exc)[0] == (code, line)


def test_huge_requirements(tmp_path: Path, small_limit: int) -> None:
    (tmp_path / "requirements.txt").write_text("numpy==1.26.4\n" * 10)
    with pytest.raises(InputError) as exc:
        load_requirements(tmp_path / "requirements.txt")
    assert diags(exc)[0][0] == "evidence-too-large"


def test_canonical_name() -> None:
    assert canonical_name("Scikit_Learn") == canonical_name("scikit.learn") == "scikit-learn"

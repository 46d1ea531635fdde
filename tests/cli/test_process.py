"""The process around a command: the collector paused while starting, the exit without teardown,
and the private per-user cache (grammar tables, compiled report templates).

These are speed measures (benchmarks/README.md); what the tests pin is that none of them
changes what a command does: its exit code, its output, the exit handlers, the threads it
started, and which cache folder may be trusted.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from govern import collector
from govern.user_cache import private_cache_dir

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, **env}, timeout=120)


def test_collector_paused_while_starting_then_frozen_then_restored() -> None:
    assert gc.isenabled()
    collector.start_up_over()  # a library caller never paused: nothing happens
    assert gc.isenabled() and gc.get_freeze_count() == 0
    collector.pause_start_up()
    try:
        assert not gc.isenabled()
        collector.start_up_over()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        collector.start_up_over()  # only the first call counts
    finally:
        collector.start_up_done()
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_collector_paused_restores_a_running_collector_after_an_error() -> None:
    with pytest.raises(RuntimeError), collector.paused():
        assert not gc.isenabled()
        raise RuntimeError
    assert gc.isenabled()


def test_main_leaves_the_collector_as_it_found_it() -> None:
    from govern.cli.main import main

    threshold = gc.get_threshold()
    with pytest.raises(SystemExit) as exit_:
        main(["validate", str(ROOT / "policies" / "eu-ai-act")])
    assert exit_.value.code == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0 and gc.get_threshold() == threshold


def test_the_program_keeps_exit_codes_output_and_exit_handlers(tmp_path: Path) -> None:
    """`run` skips the interpreter's teardown, not the exit handlers or buffered output."""
    done = _python(f"""
        import atexit, sys
        atexit.register(lambda: print("exit handler ran"))
        sys.argv = ["govern", "schema", "policy"]
        from govern.cli.main import run
        run()
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("exit handler ran\n")
    assert json.loads(done.stdout.removesuffix("exit handler ran\n"))["$schema"]  # the whole document, flushed
    refused = subprocess.run([sys.executable, "-m", "govern", "validate", str(tmp_path / "no-such-pack")],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "no-such-pack" in refused.stderr


def test_the_program_waits_for_threads_it_did_not_start(tmp_path: Path) -> None:
    """With another thread alive the exit is the usual one, so the thread's work is not cut short."""
    done = _python(f"""
        import sys, threading, time
        from pathlib import Path
        def late():
            time.sleep(0.5)
            Path("written-late").write_text("yes")
        threading.Thread(target=late).start()
        sys.argv = ["govern", "--version"]
        from govern.cli.main import run
        run()
    """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "written-late").read_text() == "yes"


def test_the_cache_folder_is_private_or_unused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("GOVERN_NO_CACHE", raising=False)
    monkeypatch.delenv("GOVERN_NO_PARSER_CACHE", raising=False)
    folder = private_cache_dir("templates")
    assert folder == str(tmp_path / "govern" / "templates")
    assert os.stat(folder).st_mode & 0o777 == 0o700
    os.chmod(tmp_path / "govern", 0o777)  # anyone could plant compiled code there: not used
    assert private_cache_dir("templates") is None
    os.chmod(tmp_path / "govern", 0o700)
    os.chmod(folder, 0o770)
    assert private_cache_dir("templates") is None
    os.chmod(folder, 0o700)
    monkeypatch.setenv("GOVERN_NO_CACHE", "1")
    assert private_cache_dir("templates") is None


@pytest.fixture
def theme(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A template folder of one's own, with the per-user cache under ``tmp_path/cache``."""
    pytest.importorskip("jinja2")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("GOVERN_NO_CACHE", raising=False)
    monkeypatch.delenv("GOVERN_NO_PARSER_CACHE", raising=False)
    folder = tmp_path / "theme"
    folder.mkdir()
    return folder


def test_report_templates_compile_once_and_render_the_same(tmp_path: Path, theme: Path) -> None:
    from govern.report import render

    (theme / "hello.html.j2").write_text("{% for n in names %}<b>{{ n | upper }}</b>{% endfor %}", "utf-8")
    dirs = [theme, *render.template_dirs()]
    names = ["ada", "<script>"]
    fresh = render._environment(dirs).get_template("hello.html.j2").render(names=names)
    kept = sorted((tmp_path / "cache" / "govern" / "templates").iterdir())
    assert len(kept) == 1, "the compiled template was not kept"
    stamp = kept[0].stat().st_mtime_ns
    again = render._environment(dirs).get_template("hello.html.j2").render(names=names)
    assert kept[0].stat().st_mtime_ns == stamp  # read, not compiled and written again
    assert again == fresh == "<b>ADA</b><b>&lt;SCRIPT&gt;</b>"
    (theme / "hello.html.j2").write_text("{% for n in names %}<i>{{ n }}</i>{% endfor %}", "utf-8")
    edited = render._environment(dirs).get_template("hello.html.j2").render(names=names)
    assert edited == "<i>ada</i><i>&lt;script&gt;</i>"  # an edited template is compiled again, never stale


def test_a_damaged_or_unwritable_template_cache_is_a_miss_not_a_failed_report(
        tmp_path: Path, theme: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import jinja2

    from govern.report import render

    (theme / "hello.html.j2").write_text("<b>{{ name }}</b>", "utf-8")
    dirs = [theme, *render.template_dirs()]
    assert render._environment(dirs).get_template("hello.html.j2").render(name="ada") == "<b>ada</b>"
    (kept,) = (tmp_path / "cache" / "govern" / "templates").iterdir()
    header = kept.read_bytes()[:len(jinja2.bccache.bc_magic)]
    kept.write_bytes(header + b"\x80not a pickle")  # damaged after Jinja2's own header
    assert render._environment(dirs).get_template("hello.html.j2").render(name="bob") == "<b>bob</b>"

    def disk_full(self, bucket):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jinja2.FileSystemBytecodeCache, "dump_bytecode", disk_full)
    kept.unlink()
    assert render._environment(dirs).get_template("hello.html.j2").render(name="cy") == "<b>cy</b>"

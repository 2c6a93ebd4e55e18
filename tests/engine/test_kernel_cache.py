"""The kernels' disk cache: only nnviz's own kernels use it, a home without a writable folder
runs without it (said once), a broken cache file is ignored and named, and the first compile
is announced on stderr, terminal or not. Each case runs in a fresh process, on a tiny kernel
of its own (compiling the engine's would take half a minute)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nnviz.engine.jit import JIT_DISABLED

pytestmark = pytest.mark.skipif(JIT_DISABLED, reason="the disk cache is the JIT's")

KERNEL = """
from nnviz.engine.jit import njit

@njit
def plus_one(x):
    return x + 1

print(plus_one(41))
"""


def _run(code: str, cwd, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    base.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=base, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def _kernel(tmp_path, **env) -> subprocess.CompletedProcess:
    source = tmp_path / "tiny_kernel.py"
    if not source.exists():  # written once: older numba stamps the cache with the file's mtime
        source.write_text(KERNEL)
    return _run("import tiny_kernel", tmp_path, **env)


def test_numba_settings_of_other_code_are_left_alone(tmp_path):
    code = (
        "import os, numba; before = numba.config.CACHE_DIR\n"
        "import nnviz.model, nnviz.engine.jit as j\n"
        "print(repr(os.environ.get('NUMBA_CACHE_DIR')), numba.config.CACHE_DIR == before, "
        "j.CACHE_DIR)"
    )
    out = _run(code, tmp_path, HOME=str(tmp_path))
    assert out.returncode == 0, out.stderr
    env_value, unchanged, chosen = out.stdout.split()
    assert env_value == "None" and unchanged == "True"
    assert chosen.startswith(str(tmp_path / ".cache" / "nnviz" / "numba"))
    # a relative XDG_CACHE_HOME is invalid (the XDG spec): both caches ignore it alike
    code = (
        "import nnviz.engine.jit as j, nnviz.data.locations as l\n"
        "print(j.CACHE_DIR.parent.parent == l.cache_dir().parent, j.CACHE_DIR.is_absolute())"
    )
    out = _run(code, tmp_path, HOME=str(tmp_path), XDG_CACHE_HOME="relative/cache")
    assert out.stdout.split() == ["True", "True"], out.stderr


def test_first_compile_is_announced_once_and_later_runs_load(tmp_path):
    cache = tmp_path / "cache"
    first = _kernel(tmp_path, NUMBA_CACHE_DIR=str(cache))
    assert first.returncode == 0 and first.stdout.split() == ["42"], first.stderr
    (line,) = first.stderr.splitlines()
    assert line.startswith("nnviz: compiling the engine's kernels") and "once" in line
    assert str(cache) in line
    again = _kernel(tmp_path, NUMBA_CACHE_DIR=str(cache))
    assert again.stdout.split() == ["42"] and again.stderr == ""


def test_no_writable_cache_folder_runs_without_it_and_says_so_once(tmp_path):
    # /dev/null cannot hold a folder, even for root (who may write anywhere else)
    out = _kernel(tmp_path, NUMBA_CACHE_DIR="/dev/null/cache", HOME="/dev/null")
    assert out.returncode == 0 and out.stdout.split() == ["42"], out.stderr
    lines = out.stderr.splitlines()
    assert len(lines) == 2 and "Traceback" not in out.stderr
    assert "no writable folder for the kernel cache (/dev/null/cache)" in lines[0]
    assert "compiling" in lines[1]


def test_a_broken_cache_index_is_ignored_and_named_then_rewritten(tmp_path):
    cache = tmp_path / "cache"
    assert _kernel(tmp_path, NUMBA_CACHE_DIR=str(cache)).returncode == 0
    (index,) = cache.rglob("*.nbi")
    index.write_bytes(index.read_bytes()[:7])  # truncated, as by a full disk or a kill
    broken = _kernel(tmp_path, NUMBA_CACHE_DIR=str(cache))
    assert broken.returncode == 0 and broken.stdout.split() == ["42"], broken.stderr
    assert "Traceback" not in broken.stderr
    assert f"ignoring a broken kernel cache in {index.parent}" in broken.stderr
    repaired = _kernel(tmp_path, NUMBA_CACHE_DIR=str(cache))
    assert repaired.stdout.split() == ["42"] and repaired.stderr == ""

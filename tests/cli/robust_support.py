"""Running nnviz as a careless user would: in a fresh process, under a memory limit, with odd
streams and files. Shared by the robustness tests."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Address space for one nnviz process: the engine takes about 0.5-0.7 GB of it (numba, LLVM,
# OpenBLAS); a memory bomb that got through would need more and fail fast instead of swapping.
MEMORY_LIMIT = 1536 << 20

_LIMITED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
sys.argv = ["nnviz", *sys.argv[1:]]
from nnviz.cli import main
main()
"""


class Outcome:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.code, self.stdout, self.stderr = proc.returncode, proc.stdout or "", proc.stderr

    def one_line_error(self, code: int = 2) -> str:
        """The failure contract: exit `code`, one line on stderr, no traceback, no warning."""
        assert self.code == code, (self.code, self.stdout, self.stderr)
        for text in (self.stdout, self.stderr):
            assert "Traceback" not in text and "Warning" not in text, text
            assert "MemoryError" not in text, text
        lines = self.notices_removed()
        assert len(lines) == 1, self.stderr
        return lines[0]

    def notices_removed(self) -> list[str]:
        """stderr without the one-time compile notice (a cold cache in CI)."""
        return [
            line
            for line in self.stderr.splitlines()
            if line.strip() and "compiling the engine's kernels" not in line
        ]


def nnviz(*args: str, env: dict | None = None, limit: int = MEMORY_LIMIT, stdin=subprocess.DEVNULL,
          stdout=subprocess.PIPE, timeout: float = 300) -> Outcome:  # fmt: skip
    """nnviz ARGS in a fresh process whose address space is limited to `limit` bytes."""
    proc = subprocess.run(
        [sys.executable, "-c", _LIMITED.format(limit=limit), *args],
        stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=timeout,
        env={**os.environ, **(env or {})}, cwd=REPO,
    )  # fmt: skip
    return Outcome(proc)


def idx_header(magic: int, dims: tuple[int, ...]) -> bytes:
    return struct.pack(">I", magic) + struct.pack(f">{len(dims)}I", *dims)


def scenario(tmp: Path, name: str, text: str) -> Path:
    path = tmp / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


XOR = (REPO / "scenarios" / "xor.toml").read_text(encoding="utf-8")


def xor_with(**replace: str) -> str:
    """xor.toml with `key = value` lines replaced (key: the line's start)."""
    lines = XOR.splitlines()
    for key, value in replace.items():
        hits = [i for i, line in enumerate(lines) if line.split("=")[0].strip() == key]
        assert hits, key
        lines[hits[0]] = f"{key} = {value}"
    return "\n".join(lines) + "\n"
